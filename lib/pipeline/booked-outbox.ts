/**
 * "Booked but not yet published": trade versions without a row in booked_trade_publications
 * (migrations/1732406600000_capture-outbox.sql). Re-derived from the database on every batch rather than remembered
 * in memory, so a publish that failed after the booking committed is redone by the retried batch.
 */
import type { Pool } from 'pg';

import { tradeFromRow, type TradeVersionRow } from '../db/trade-store';
import type { TraceContext } from '../observability/correlation';
import { encodeBookedTrade, type BookedTradeEventV1, type BookedTradeStatus } from '../kafka/schemas/booked-trade';

interface UnpublishedRow extends TradeVersionRow {
  settlement_date: string;
  booked_at: string;
  status: BookedTradeStatus;
  correlation_id: string | null;
  captured_at: string | null;
}

export interface UnpublishedVersion {
  readonly execId: string;
  readonly account: string;
  readonly event: BookedTradeEventV1;
  /** The execution's trace context (trade_correlations), for the message's headers. */
  readonly trace: TraceContext | undefined;
}

export class PgBookedTradeOutbox {
  constructor(private readonly pool: Pool) {}

  /**
   * Versions of these trades not yet published, each trade's versions ascending. `status` is the trade's status
   * now (after every version booked so far): consumers order versions by `trade.version`, and a CANCELLED status
   * on any version means the trade has ended. Versions without a settlement date (not booked by this pipeline)
   * are not published.
   */
  async unpublished(tradeIds: readonly string[]): Promise<UnpublishedVersion[]> {
    if (tradeIds.length === 0) return [];
    const { rows } = await this.pool.query<UnpublishedRow>(
      `SELECT v.exec_id, v.trade_id, v.version, v.lifecycle, v.account_id, v.counterparty_lei, v.isin, v.mic, v.side,
         v.quantity, v.price, v.currency, to_char(v.trade_date, 'YYYY-MM-DD') AS trade_date,
         to_char(v.trade_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS trade_time,
         to_char(v.settlement_date, 'YYYY-MM-DD') AS settlement_date, v.commission, v.fees, v.beneficial_owner,
         v.capture_source, to_char(v.booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS booked_at,
         t.status, c.correlation_id,
         to_char(c.captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS captured_at
       FROM trade_versions v
       JOIN trades t ON t.trade_id = v.trade_id
       LEFT JOIN trade_correlations c ON c.exec_id = v.exec_id
       LEFT JOIN booked_trade_publications p ON p.exec_id = v.exec_id
       WHERE v.trade_id = ANY($1::text[]) AND p.exec_id IS NULL AND v.settlement_date IS NOT NULL
       ORDER BY v.trade_id, v.version`,
      [[...new Set(tradeIds)]],
    );
    return rows.map((row) => ({
      execId: row.exec_id,
      account: row.account_id,
      event: encodeBookedTrade({
        trade: tradeFromRow(row),
        status: row.status,
        bookedAt: row.booked_at,
        settlementDate: row.settlement_date,
      }),
      trace:
        row.correlation_id === null
          ? undefined
          : {
              correlationId: row.correlation_id,
              ...(row.captured_at === null ? {} : { capturedAt: row.captured_at }),
            },
    }));
  }

  async markPublished(execIds: readonly string[]): Promise<void> {
    if (execIds.length === 0) return;
    await this.pool.query(
      `INSERT INTO booked_trade_publications (exec_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
      [[...execIds]],
    );
  }
}
