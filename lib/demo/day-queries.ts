/**
 * What the multi-day demo reads from the database besides the trades' progress (queries.ts): whether a day's
 * messages have landed (status reports, prices, statements, the outbox), and the day's figures at its close
 * (instructions by state, breaks, earlier reports).
 */
import type { Pool } from 'pg';

import { Dec } from '../domain/money';

/** Outbox messages (instructions, cancellations, break events) written but not yet published. */
export async function readUnpublishedOutbox(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM settlement_outbox WHERE published_at IS NULL`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** How many of these status messages the settlementStatus handler has recorded (whatever it made of them). */
export async function readStatusRecorded(pool: Pool, messageIds: readonly string[]): Promise<number> {
  if (messageIds.length === 0) return 0;
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM settlement_status_history WHERE message_id = ANY($1::text[])`,
    [messageIds],
  );
  return Number(rows[0]?.n ?? 0);
}

/** How many of these statements reconciliation has received. */
export async function readStatementsReceived(pool: Pool, statementIds: readonly string[]): Promise<number> {
  if (statementIds.length === 0) return 0;
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM custody_statements WHERE statement_id = ANY($1::text[])`,
    [statementIds],
  );
  return Number(rows[0]?.n ?? 0);
}

/** How many of these closes of `date` the eodPrices handler has stored, with this source and price. */
export async function readPricesStored(
  pool: Pool,
  date: string,
  source: string,
  closes: readonly { readonly isin: string; readonly price: string }[],
): Promise<number> {
  if (closes.length === 0) return 0;
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n
     FROM unnest($2::text[], $3::numeric[]) AS c(isin, price)
     JOIN reference_prices r ON r.isin = c.isin AND r.price_date = $1::date AND r.price = c.price AND r.source = $4`,
    [date, closes.map((c) => c.isin), closes.map((c) => c.price), source],
  );
  return Number(rows[0]?.n ?? 0);
}

export interface InstructionStates {
  /** Net instructions (what goes to the custodian), counted on their own. */
  readonly total: number;
  /** The same instructions by lifecycle state. */
  readonly byState: ReadonlyMap<string, number>;
  /** Dates FAILED instructions first failed, oldest first. */
  readonly failedSince: readonly string[];
  /**
   * Instructions sent to the custodian, not cancelled, settling on or before `asOf`, of which no status report
   * was ever recorded: the custodian must answer every instruction by its settlement date.
   */
  readonly unanswered: number;
}

/** The net instructions at this moment (the day's close): counted, by state, failures' ages, unanswered ones. */
export async function readInstructionStates(pool: Pool, asOf: string): Promise<InstructionStates> {
  const { rows } = await pool.query<{ part: string; state: string | null; n: string; d: string | null }>(
    `SELECT 'TOTAL' AS part, NULL AS state, count(*) AS n, NULL AS d FROM net_instructions
     UNION ALL
     SELECT 'STATE', state, count(*), NULL FROM net_instructions GROUP BY state
     UNION ALL
     SELECT 'FAILED', NULL, count(*), to_char(failed_since, 'YYYY-MM-DD') FROM net_instructions
     WHERE state = 'FAILED' AND failed_since IS NOT NULL GROUP BY failed_since
     UNION ALL
     SELECT 'UNANSWERED', NULL, count(*), NULL FROM net_instructions n
     WHERE n.state NOT IN ('EXCEPTION', 'CANCELLED') AND n.settlement_date <= $1::date
       AND NOT EXISTS (SELECT 1 FROM settlement_status_history h WHERE h.instruction_id = n.net_instruction_id)`,
    [asOf],
  );
  const byState = new Map<string, number>();
  const failedSince: string[] = [];
  let total = 0;
  let unanswered = 0;
  for (const row of rows) {
    if (row.part === 'TOTAL') total = Number(row.n);
    else if (row.part === 'STATE' && row.state !== null) byState.set(row.state, Number(row.n));
    else if (row.part === 'FAILED' && row.d !== null) failedSince.push(...Array<string>(Number(row.n)).fill(row.d));
    else if (row.part === 'UNANSWERED') unanswered = Number(row.n);
  }
  return { total, byState, failedSince: failedSince.sort(), unanswered };
}

export interface BreakEvent {
  readonly breakKey: string;
  readonly event: 'OPENED' | 'AGED' | 'RESOLVED';
  readonly breakClass: string;
  readonly ageBusinessDays: number;
}

/** What these statements did to the breaks: opened, aged (still open) or resolved, each with its class. */
export async function readBreakEvents(pool: Pool, statementIds: readonly string[]): Promise<BreakEvent[]> {
  if (statementIds.length === 0) return [];
  const { rows } = await pool.query<{ break_key: string; event: BreakEvent['event']; cls: string; age: number }>(
    `SELECT break_key, event, payload->>'breakClass' AS cls, coalesce((payload->>'ageBusinessDays')::int, 0) AS age
     FROM recon_break_events WHERE statement_id = ANY($1::text[]) ORDER BY break_key`,
    [statementIds],
  );
  return rows.map((r) => ({ breakKey: r.break_key, event: r.event, breakClass: r.cls, ageBusinessDays: r.age }));
}

/** Breaks open at this moment. */
export async function readOpenBreaks(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM recon_breaks WHERE status = 'OPEN'`);
  return Number(rows[0]?.n ?? 0);
}

/** Dates of stored daily reports on or after `date`. */
export async function readReportDatesFrom(pool: Pool, date: string): Promise<string[]> {
  const { rows } = await pool.query<{ d: string }>(
    `SELECT to_char(report_date, 'YYYY-MM-DD') AS d FROM daily_pnl_reports WHERE report_date >= $1 ORDER BY 1`,
    [date],
  );
  return rows.map((r) => r.d);
}

/**
 * The cumulative P&L at the close of the last report before `date`, per base currency: realized since inception
 * (the sum of every earlier report's realized) and that report's unrealized at close. Empty for a first run.
 */
export async function readCumulativeBefore(
  pool: Pool,
  date: string,
): Promise<Map<string, { realizedSinceInception: Dec; unrealizedAtClose: Dec }>> {
  const { rows } = await pool.query<{ ccy: string; realized: string; unrealized: string }>(
    `WITH earlier AS (
       SELECT r.report_date, o->>'baseCurrency' AS ccy, (o->>'realized')::numeric AS realized,
              (o->>'unrealized')::numeric AS unrealized
       FROM daily_pnl_reports r CROSS JOIN LATERAL jsonb_array_elements(r.summary->'overall') AS o
       WHERE r.report_date < $1::date
     )
     SELECT ccy, sum(realized)::text AS realized,
            coalesce((SELECT e2.unrealized FROM earlier e2 WHERE e2.ccy = e.ccy
                      AND e2.report_date = (SELECT max(report_date) FROM earlier)), 0)::text AS unrealized
     FROM earlier e GROUP BY ccy ORDER BY ccy`,
    [date],
  );
  return new Map(
    rows.map((r) => [r.ccy, { realizedSinceInception: new Dec(r.realized), unrealizedAtClose: new Dec(r.unrealized) }]),
  );
}

/** The latest stored report date before `date`, if any. */
export async function readLastReportDateBefore(pool: Pool, date: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ d: string | null }>(
    `SELECT to_char(max(report_date), 'YYYY-MM-DD') AS d FROM daily_pnl_reports WHERE report_date < $1`,
    [date],
  );
  return rows[0]?.d ?? undefined;
}
