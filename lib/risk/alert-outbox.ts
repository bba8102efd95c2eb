/**
 * Publishing `risk.alerts` from the `risk_alerts` outbox (migration 1732407600000_risk.sql): an alert is sent once
 * when raised (then `raised_published_at` is set) and once when cleared (`cleared_published_at`). The evaluation
 * that raises or clears it commits first; this sends what is unsent, whoever raised it (the Kafka stage, the
 * end-of-day run or `posttrade risk`), and marks it in the same transaction that locked the rows. A redelivered
 * batch finds nothing unsent and sends nothing. Only a crash between the broker's acknowledgement and the commit of
 * the mark sends a transition again; it carries the same `alertId` and `transition`, on which consumers
 * de-duplicate.
 */
import type { Pool } from 'pg';

import { withTransaction } from '../db/pool';
import type { EventPublisher, OutgoingMessage } from '../kafka/producer';
import { RiskAlertTransition, type RiskAlertEventV1 } from '../kafka/schemas/risk-alert';
import { Topics } from '../kafka/topics';
import type { RiskAlertKind } from '../domain/risk-alerts';

/** Largest number of alerts one publish round takes; the rest go in the next round of the same call. */
const PUBLISH_CHUNK = 500;

interface UnsentRow {
  alert_id: string;
  account_id: string;
  kind: RiskAlertKind;
  subject: string;
  value: string;
  limit_value: string;
  raised_at: string;
  cleared_at: string | null;
  raised_sent: boolean;
}

/** The messages of an alert's unsent transitions, in the order they happened. */
function messagesOf(row: UnsentRow): OutgoingMessage[] {
  const base = {
    schemaVersion: 1 as const,
    alertId: row.alert_id,
    account: row.account_id,
    kind: row.kind,
    subject: row.subject,
    value: row.value,
    limit: row.limit_value,
    raisedAt: row.raised_at,
  };
  const events: RiskAlertEventV1[] = [];
  if (!row.raised_sent) events.push({ ...base, transition: RiskAlertTransition.RAISED });
  if (row.cleared_at !== null)
    events.push({ ...base, transition: RiskAlertTransition.CLEARED, clearedAt: row.cleared_at });
  return events.map((value) => ({ topic: Topics.RISK_ALERTS, key: row.account_id, value }));
}

/** Sends every unsent raise and clear to risk.alerts (keyed by account) and marks it sent; returns how many. */
export async function publishRiskAlerts(pool: Pool, publisher: EventPublisher): Promise<number> {
  let total = 0;
  for (;;) {
    const round = await withTransaction(pool, async (client) => {
      // SKIP LOCKED: two invocations never send one alert's transition twice. An evaluation clearing an alert that
      // is being sent waits for this transaction; its clear is then unsent and goes in a later round.
      const { rows } = await client.query<UnsentRow>(
        `SELECT alert_id::text, account_id, kind, subject, value::text, limit_value::text,
           to_char(raised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS raised_at,
           to_char(cleared_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cleared_at,
           raised_published_at IS NOT NULL AS raised_sent
         FROM risk_alerts
         WHERE raised_published_at IS NULL OR (cleared_at IS NOT NULL AND cleared_published_at IS NULL)
         ORDER BY alert_id LIMIT ${PUBLISH_CHUNK} FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return { rows: 0, sent: 0 };
      const messages = rows.flatMap(messagesOf);
      await publisher.publish(messages);
      await client.query(
        `UPDATE risk_alerts SET raised_published_at = coalesce(raised_published_at, now()),
           cleared_published_at = CASE WHEN cleared_at IS NULL THEN NULL ELSE coalesce(cleared_published_at, now()) END
         WHERE alert_id = ANY($1::bigint[])`,
        [rows.map((row) => row.alert_id)],
      );
      return { rows: rows.length, sent: messages.length };
    });
    total += round.sent;
    if (round.rows < PUBLISH_CHUNK) return total;
  }
}
