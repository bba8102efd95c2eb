/**
 * The read side of `posttrade trace`: every row the stages wrote about one trade (and the positions its versions are
 * in, with the reconciliation break events on them since its trade date), found from an ExecID, a trade id
 * or a correlation id (trade_correlations maps each execution to the id it was captured under), as one timeline.
 */
import type { Pool } from 'pg';

export const TraceStep = {
  CAPTURED: 'captured',
  VALIDATED: 'validated',
  REJECTED: 'rejected',
  DEAD_LETTERED: 'dead-lettered',
  REDELIVERED: 'redelivered',
  BOOKED: 'booked',
  INSTRUCTED: 'instructed',
  STATUS: 'status',
  /** A position the trade's versions are in, as it stands now (positions are rebuilt, not versioned). */
  POSITION: 'position',
  /** A reconciliation break event on one of those positions, from a statement on or after the trade date. */
  BREAK: 'break',
} as const;
export type TraceStep = (typeof TraceStep)[keyof typeof TraceStep];

export interface TraceEvent {
  /** ISO 8601, UTC. */
  readonly at: string;
  readonly step: TraceStep;
  readonly execId: string | null;
  readonly tradeId: string | null;
  readonly version: number | null;
  readonly correlationId: string | null;
  /** What happened, in a line: the stage's outcome, the reasons of a rejection, the state an instruction moved to. */
  readonly detail: string;
}

export interface TradeTrace {
  readonly query: string;
  readonly correlationIds: readonly string[];
  readonly execIds: readonly string[];
  readonly tradeIds: readonly string[];
  /** Oldest first; `sincePreviousMs` is the time since the event before it. */
  readonly events: readonly (TraceEvent & { readonly sincePreviousMs: number | null })[];
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** The trade's timeline, or undefined when nothing is known by that id. */
export async function readTradeTrace(pool: Pool, id: string): Promise<TradeTrace | undefined> {
  const { rows: executions } = await pool.query<{
    exec_id: string;
    trade_id: string | null;
    correlation_id: string | null;
  }>(
    `WITH ids AS (
       SELECT exec_id, trade_id FROM trade_correlations WHERE $1 IN (exec_id, trade_id, correlation_id)
       UNION SELECT exec_id, trade_id FROM trade_versions WHERE $1 IN (exec_id, trade_id)
       UNION SELECT exec_id, trade_id FROM trade_rejections WHERE exec_id IS NOT NULL AND $1 IN (exec_id, trade_id)),
     trades_of AS (SELECT DISTINCT trade_id FROM ids WHERE trade_id IS NOT NULL),
     all_execs AS (
       SELECT exec_id, trade_id FROM ids
       UNION SELECT exec_id, trade_id FROM trade_correlations WHERE trade_id IN (SELECT trade_id FROM trades_of)
       UNION SELECT exec_id, trade_id FROM trade_versions WHERE trade_id IN (SELECT trade_id FROM trades_of))
     SELECT DISTINCT a.exec_id, a.trade_id, c.correlation_id
     FROM all_execs a LEFT JOIN trade_correlations c ON c.exec_id = a.exec_id
     ORDER BY a.exec_id`,
    [id],
  );
  const execIds = [...new Set(executions.map((row) => row.exec_id))];
  const correlationIds = [
    ...new Set(executions.flatMap((row) => (row.correlation_id === null ? [] : [row.correlation_id]))),
  ];
  // A record dead-lettered before it decoded has no ExecID: only its correlation id (in the headers it kept) finds it.
  if (!correlationIds.includes(id) && execIds.length === 0) {
    const { rows } = await pool.query<{ found: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM trade_captures WHERE out_headers ->> 'correlation-id' = $1) AS found`,
      [id],
    );
    if (rows[0]?.found === true) correlationIds.push(id);
  }
  if (execIds.length === 0 && correlationIds.length === 0) return undefined;

  const { rows } = await pool.query<{
    at: string;
    step: TraceStep;
    exec_id: string | null;
    trade_id: string | null;
    version: number | null;
    correlation_id: string | null;
    detail: string;
  }>(
    `WITH touched AS (
       SELECT account_id, isin, min(trade_date) AS first_trade_date FROM trade_versions
       WHERE exec_id = ANY($1::text[]) GROUP BY account_id, isin)
     SELECT to_char(at AT TIME ZONE 'UTC', ${ISO}) AS at, step, exec_id, trade_id, version, correlation_id, detail
     FROM (
       SELECT captured_at AS at, 'captured' AS step, exec_id, trade_id, NULL::integer AS version, correlation_id,
         'published to trades.captured' AS detail
       FROM trade_correlations WHERE exec_id = ANY($1::text[]) AND captured_at IS NOT NULL
       UNION ALL
       SELECT tc.recorded_at, CASE tc.outcome WHEN 'VALIDATED' THEN 'validated' WHEN 'REJECTED' THEN 'rejected'
           WHEN 'DEAD_LETTER' THEN 'dead-lettered' ELSE 'redelivered' END,
         tc.exec_id, COALESCE(tc.rejection ->> 'tradeId', c.trade_id), NULL, COALESCE(c.correlation_id, tc.out_headers ->> 'correlation-id'),
         'from ' || tc.source_topic || ' ' || tc.source_partition || ':' || tc.source_offset
           || COALESCE(' → ' || tc.out_topic, '')
           || COALESCE(': ' || (SELECT string_agg(r ->> 'code' || ' ' || (r ->> 'message'), '; ')
                                FROM jsonb_array_elements(tc.rejection -> 'reasons') AS r), '')
       FROM trade_captures tc LEFT JOIN trade_correlations c ON c.exec_id = tc.exec_id
       WHERE tc.exec_id = ANY($1::text[]) OR tc.out_headers ->> 'correlation-id' = ANY($2::text[])
       UNION ALL
       SELECT v.booked_at, 'booked', v.exec_id, v.trade_id, v.version, c.correlation_id,
         v.lifecycle || ' version ' || v.version || ' ' || v.side || ' ' || v.quantity || ' ' || v.isin || ' @ ' || v.price
           || COALESCE(', settles ' || to_char(v.settlement_date, 'YYYY-MM-DD'), '')
       FROM trade_versions v LEFT JOIN trade_correlations c ON c.exec_id = v.exec_id
       WHERE v.exec_id = ANY($1::text[])
       UNION ALL
       SELECT i.created_at, 'instructed', i.exec_id, i.trade_id, i.trade_version, c.correlation_id,
         i.instruction_id || ' ' || i.message_type || ' ' || i.state
       FROM settlement_instructions i LEFT JOIN trade_correlations c ON c.exec_id = i.exec_id
       WHERE i.exec_id = ANY($1::text[])
       UNION ALL
       SELECT h.received_at, 'status', i.exec_id, i.trade_id, i.trade_version, c.correlation_id,
         i.instruction_id || ' ' || h.reported_state || ' (' || h.outcome || ')'
           || COALESCE(' ' || h.state_before || ' → ' || h.state_after, '') || COALESCE(' reason ' || h.reason_code, '')
       FROM settlement_status_history h
       JOIN settlement_instructions i ON i.instruction_id = h.instruction_id
       LEFT JOIN trade_correlations c ON c.exec_id = i.exec_id
       WHERE i.exec_id = ANY($1::text[])
       UNION ALL
       SELECT p.rebuilt_at, 'position', NULL, NULL, NULL, NULL,
         p.account_id || ' ' || p.isin || ' now ' || p.quantity || ' (' || p.cost_method || ', '
           || p.live_trades || ' live trade(s), last trade date ' || p.last_trade_date || ')'
       FROM positions p WHERE (p.account_id, p.isin) IN (SELECT account_id, isin FROM touched)
       UNION ALL
       SELECT s.received_at, 'break', NULL, NULL, NULL, NULL,
         e.event || ' ' || b.break_class || ' ' || b.account_id || ' ' || b.isin
           || ' difference ' || (e.payload ->> 'difference') || ', age ' || (e.payload ->> 'ageBusinessDays')
           || ' business day(s) (statement ' || e.statement_id || ' of ' || s.statement_date || ')'
       FROM recon_break_events e
       JOIN recon_breaks b ON b.break_key = e.break_key
       JOIN custody_statements s ON s.statement_id = e.statement_id
       WHERE b.scope = 'POSITION' AND (b.account_id, b.isin) IN (SELECT account_id, isin FROM touched)
         AND s.statement_date >= (SELECT min(first_trade_date) FROM touched)
     ) AS events
     ORDER BY at, CASE step WHEN 'captured' THEN 0 WHEN 'validated' THEN 1 WHEN 'rejected' THEN 1
       WHEN 'dead-lettered' THEN 1 WHEN 'booked' THEN 2 WHEN 'instructed' THEN 3 WHEN 'status' THEN 4
       WHEN 'position' THEN 5 ELSE 6 END, exec_id`,
    [execIds, correlationIds],
  );
  let previous: number | undefined;
  const events = rows.map((row) => {
    const at = Date.parse(row.at);
    const sincePreviousMs = previous === undefined ? null : at - previous;
    previous = at;
    return {
      at: row.at,
      step: row.step,
      execId: row.exec_id,
      tradeId: row.trade_id,
      version: row.version,
      correlationId: row.correlation_id,
      detail: row.detail,
      sincePreviousMs,
    };
  });
  const tradeIds = [...new Set(executions.flatMap((row) => (row.trade_id === null ? [] : [row.trade_id])))];
  return { query: id, correlationIds, execIds, tradeIds, events };
}
