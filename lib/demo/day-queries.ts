/**
 * What the multi-day demo reads from the database besides the trades' progress (queries.ts): whether a day's
 * messages have landed (status reports, prices, statements, the outbox), and the day's figures at its close
 * (instructions by state, breaks, earlier reports).
 */
import type { Pool } from 'pg';

import { positionKey, type ExactClose } from './pnl-chain';

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
 * The stored exact closes of a report date's lines (daily_pnl_lines), by `account|isin`: realized P&L since
 * inception unrounded, the closing quantity, close price and rate, and the open cost in local and base currency,
 * from which the exact cumulative P&L follows (pnl-chain.ts). A line stored before migration 1732407400000 has no
 * exact realized P&L: it is left out (the chain then reports the line as having no exact close).
 */
export async function readExactCloses(pool: Pool, reportDate: string): Promise<Map<string, ExactClose>> {
  const { rows } = await pool.query<{
    account_id: string;
    isin: string;
    rl: string;
    rb: string;
    q: string;
    p: string;
    x: string;
    cl: string;
    cb: string;
  }>(
    `SELECT account_id, isin, realized_since_inception_exact::text AS rl,
            realized_since_inception_base_exact::text AS rb, closing_quantity::text AS q, close_price::text AS p,
            close_fx_rate::text AS x, open_cost::text AS cl, open_cost_base::text AS cb
     FROM daily_pnl_lines
     WHERE report_date = $1::date AND realized_since_inception_exact IS NOT NULL
       AND realized_since_inception_base_exact IS NOT NULL AND open_cost IS NOT NULL AND open_cost_base IS NOT NULL`,
    [reportDate],
  );
  return new Map(
    rows.map((r) => [
      positionKey(r.account_id, r.isin),
      {
        realizedSinceInception: { local: r.rl, base: r.rb },
        closingQuantity: r.q,
        closePrice: r.p,
        closeFxRate: r.x,
        openCost: { local: r.cl, base: r.cb },
      },
    ]),
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
