/**
 * Custodian status reports (`settlement.status`) applied to net instructions: lifecycle only forward (the domain's
 * transition table), failed instructions keep the date they first failed, and a late or duplicate report changes
 * nothing but is recorded with why. One transaction per batch: lifecycles locked, history and new states written
 * with set-based statements.
 */
import type { Pool } from 'pg';

import { Dec, roundToCurrency } from '../domain/money';
import {
  applySettlementStatus,
  SettlementLifecycle,
  SettlementReasonCode,
  SettlementState,
  SettlementStatusMessage,
} from '../domain/settlement-status';
import { PgDeadLetterStore } from '../db/dead-letter-store';
import { withTransaction } from '../db/pool';
import { Stage } from '../kafka/dead-letter';
import type { DecodedRecord } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import type { SettlementStatusMessageV1 } from '../kafka/schemas/settlement-status';

export const StatusOutcome = {
  APPLIED: 'APPLIED',
  DUPLICATE: 'DUPLICATE',
  STALE: 'STALE',
  ILLEGAL: 'ILLEGAL',
  INVALID: 'INVALID',
  UNKNOWN_INSTRUCTION: 'UNKNOWN_INSTRUCTION',
} as const;
export type StatusOutcome = (typeof StatusOutcome)[keyof typeof StatusOutcome];

interface NetRow {
  net_instruction_id: string;
  state: SettlementState;
  quantity: string;
  net_quantity: string;
  net_cash: string;
  currency: string;
  settled_quantity: string;
  settled_cash: string;
  matched: boolean;
  failed_since: string | null;
  reason_code: string | null;
  status_date: string;
}

interface Tracked {
  lifecycle: SettlementLifecycle;
  row: NetRow;
  settledCash: Dec;
  changed: boolean;
}

function toLifecycle(row: NetRow): SettlementLifecycle {
  return {
    instructionId: row.net_instruction_id,
    state: row.state,
    // A cash-only obligation has no securities: its "quantity" is settled all or nothing, counted as 1.
    instructedQuantity: new Dec(row.quantity).isZero() ? new Dec(1) : new Dec(row.quantity),
    settledQuantity: new Dec(row.settled_quantity),
    matched: row.matched,
    ...(row.failed_since === null ? {} : { failedSince: row.failed_since }),
    ...(row.reason_code === null ? {} : { reasonCode: row.reason_code as SettlementReasonCode }),
    statusDate: row.status_date,
    appliedMessageIds: [],
  };
}

/**
 * Signed cash moved once `settled` of the instruction has settled: all of it when settled in full; for a partial
 * settlement the custodian's reported amount when given, else the pro-rata share rounded once (half-even).
 */
function settledCashOf(row: NetRow, lifecycle: SettlementLifecycle, reportedAmount: string | undefined): Dec {
  const netCash = new Dec(row.net_cash);
  if (lifecycle.state === SettlementState.SETTLED) return netCash;
  if (lifecycle.state !== SettlementState.PARTIALLY_SETTLED) return new Dec(row.settled_cash);
  const sign = netCash.isNegative() ? -1 : 1;
  if (reportedAmount !== undefined) return new Dec(reportedAmount).abs().times(sign);
  const share = netCash.times(lifecycle.settledQuantity).dividedBy(lifecycle.instructedQuantity);
  return roundToCurrency(share, row.currency);
}

export interface StatusSummary {
  readonly outcomes: Readonly<Record<StatusOutcome, number>>;
  readonly undecodable: number;
  /** Of those, the dead letters this call recorded (a redelivered batch: 0), the DeadLettered metric. */
  readonly deadLettered: number;
}

/** Applies a batch of decoded status reports (see the module comment). */
export async function applyStatusReports(
  deps: { readonly pool: Pool; readonly publisher: EventPublisher },
  records: readonly DecodedRecord<SettlementStatusMessageV1>[],
): Promise<StatusSummary> {
  const { pool } = deps;
  const deadLetters = new PgDeadLetterStore(pool);
  const at = new Date().toISOString();
  const reports = records.flatMap((r) => (r.ok ? [{ message: r.value, record: r.record }] : []));
  const failures = records.flatMap((r) => (r.ok ? [] : [r]));
  const outcomes: Record<StatusOutcome, number> = {
    APPLIED: 0,
    DUPLICATE: 0,
    STALE: 0,
    ILLEGAL: 0,
    INVALID: 0,
    UNKNOWN_INSTRUCTION: 0,
  };
  let deadLettered = 0;
  await withTransaction(pool, async (client) => {
    deadLettered = await deadLetters.record(Stage.SETTLEMENT_STATUS, failures, at, client);
    const ids = [...new Set(reports.map((r) => r.message.instructionId))];
    const { rows } = await client.query<NetRow>(
      `SELECT net_instruction_id, state, quantity, net_quantity, net_cash, currency, settled_quantity, settled_cash,
              matched, to_char(failed_since, 'YYYY-MM-DD') AS failed_since, reason_code,
              to_char(status_date, 'YYYY-MM-DD') AS status_date
       FROM net_instructions WHERE net_instruction_id = ANY($1::text[]) ORDER BY net_instruction_id FOR UPDATE`,
      [ids],
    );
    const { rows: seen } = await client.query<{ message_id: string }>(
      'SELECT message_id FROM settlement_status_history WHERE message_id = ANY($1::text[])',
      [reports.map((r) => r.message.messageId)],
    );
    const seenIds = new Set(seen.map((s) => s.message_id));
    const tracked = new Map<string, Tracked>(
      rows.map((row) => [
        row.net_instruction_id,
        { lifecycle: toLifecycle(row), row, settledCash: new Dec(row.settled_cash), changed: false },
      ]),
    );
    const history: {
      message: SettlementStatusMessageV1;
      source: { topic: string; partition: number; offset: number };
      outcome: StatusOutcome;
      before: string | null;
      after: string | null;
      detail: string | null;
    }[] = [];
    for (const { message, record } of reports) {
      const entry = tracked.get(message.instructionId);
      const note = (outcome: StatusOutcome, detail: string | null) => {
        outcomes[outcome] += 1;
        history.push({
          message,
          source: record.source,
          outcome,
          before: entry?.lifecycle.state ?? null,
          after: entry?.lifecycle.state ?? null,
          detail,
        });
      };
      if (seenIds.has(message.messageId)) {
        note(StatusOutcome.DUPLICATE, 'message already received');
        continue;
      }
      seenIds.add(message.messageId);
      if (entry === undefined) {
        note(StatusOutcome.UNKNOWN_INSTRUCTION, 'no net instruction with this id');
        continue;
      }
      const domainMessage: SettlementStatusMessage = {
        messageId: message.messageId,
        instructionId: message.instructionId,
        state: message.state,
        statusDate: message.statusDate,
        ...(message.reasonCode === undefined ? {} : { reasonCode: message.reasonCode }),
        ...(message.settledQuantity === undefined ? {} : { settledQuantity: new Dec(message.settledQuantity) }),
      };
      const before = entry.lifecycle.state;
      const result = applySettlementStatus(entry.lifecycle, domainMessage);
      if (!result.ok) {
        const illegal = result.errors.some((e) => e.code === 'ILLEGAL_TRANSITION');
        note(illegal ? StatusOutcome.ILLEGAL : StatusOutcome.INVALID, result.errors.map((e) => e.detail).join('; '));
        continue;
      }
      if (!result.applied) {
        note(result.ignoredBecause === 'DUPLICATE_MESSAGE' ? StatusOutcome.DUPLICATE : StatusOutcome.STALE, null);
        continue;
      }
      entry.lifecycle = result.value;
      entry.settledCash = settledCashOf(entry.row, result.value, message.settledAmount);
      entry.changed = true;
      outcomes.APPLIED += 1;
      history.push({
        message,
        source: record.source,
        outcome: StatusOutcome.APPLIED,
        before,
        after: result.value.state,
        detail: null,
      });
    }
    await client.query(
      `INSERT INTO settlement_status_history (message_id, instruction_id, reported_state, status_date, reason_code,
         settled_quantity, outcome, state_before, state_after, detail, source_topic, source_partition, source_offset)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::text[], $6::numeric[], $7::text[],
         $8::text[], $9::text[], $10::text[], $11::text[], $12::int[], $13::bigint[])
       ON CONFLICT (message_id) DO NOTHING`,
      [
        history.map((h) => h.message.messageId),
        history.map((h) => h.message.instructionId),
        history.map((h) => h.message.state),
        history.map((h) => h.message.statusDate),
        history.map((h) => h.message.reasonCode ?? null),
        history.map((h) => h.message.settledQuantity ?? null),
        history.map((h) => h.outcome),
        history.map((h) => h.before),
        history.map((h) => h.after),
        history.map((h) => h.detail),
        history.map((h) => h.source.topic),
        history.map((h) => h.source.partition),
        history.map((h) => String(h.source.offset)),
      ],
    );
    const changed = [...tracked.values()].filter((t) => t.changed);
    await client.query(
      `UPDATE net_instructions n SET state = u.state, settled_quantity = u.settled_quantity, settled_cash = u.settled_cash,
         matched = u.matched, failed_since = u.failed_since, reason_code = u.reason_code, status_date = u.status_date,
         updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[], $5::boolean[], $6::date[], $7::text[], $8::date[])
         AS u(id, state, settled_quantity, settled_cash, matched, failed_since, reason_code, status_date)
       WHERE n.net_instruction_id = u.id`,
      [
        changed.map((t) => t.lifecycle.instructionId),
        changed.map((t) => t.lifecycle.state),
        changed.map((t) => (new Dec(t.row.quantity).isZero() ? '0' : t.lifecycle.settledQuantity.toFixed())),
        changed.map((t) => t.settledCash.toFixed()),
        changed.map((t) => t.lifecycle.matched),
        changed.map((t) => t.lifecycle.failedSince ?? null),
        changed.map((t) => t.lifecycle.reasonCode ?? null),
        changed.map((t) => t.lifecycle.statusDate),
      ],
    );
  });
  await deadLetters.publishPending(Stage.SETTLEMENT_STATUS, deps.publisher);
  return { outcomes, undecodable: failures.length, deadLettered };
}
