/**
 * The SQL of the daily P&L report's computation (lib/pnl/service.ts), one constant per statement, each with its
 * positional parameters. The read side's statements are in stored-reports.ts; the quiet lines' arithmetic in
 * quiet-sql.ts.
 */
import { TOTAL_AMOUNTS } from '../domain/pnl';
import { quietFiguresSql } from './quiet-sql';
import { COST_COLUMNS, LINE_COLUMNS } from './valuation';

/** The report's start, to the microsecond, as ISO text: no parameters. */
export const CLOCK = `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started`;

/** The latest stored report before $1 (a date), with its exact time and the positions it left out (its issues). */
export const PREVIOUS_REPORT = `
  SELECT to_char(report_date, 'YYYY-MM-DD') AS report_date, generated_at, generated_at::text AS exact,
         (SELECT json_agg(json_build_object('accountId', i->>'accountId', 'isin', i->>'isin'))
          FROM jsonb_array_elements(summary->'issues') AS i) AS issues
  FROM daily_pnl_reports WHERE report_date < $1 ORDER BY report_date DESC LIMIT 1`;

/**
 * The positions whose stored close in the previous report ($1, generated at $2, margin $3 seconds) must not be
 * trusted: some version of a trade dated on or before that report, or a split effective by then, was booked after
 * it read (less the margin). `stale` lists them by account and instrument, or by instrument alone for a split.
 */
const STALE_CTES = `
  touched AS (
    SELECT DISTINCT v.trade_id FROM trade_versions v
    WHERE v.booked_at > $2::timestamptz - make_interval(secs => $3)),
  stale AS MATERIALIZED (
    SELECT DISTINCT w.account_id, w.isin FROM trade_versions w JOIN touched USING (trade_id)
    WHERE EXISTS (SELECT 1 FROM trade_versions d WHERE d.trade_id = w.trade_id AND d.trade_date <= $1)
    UNION
    SELECT NULL, s.isin FROM corporate_action_splits s
    WHERE s.recorded_at > $2::timestamptz - make_interval(secs => $3) AND s.effective_date <= $1)`;

/**
 * Every position (account_id, isin) the previous report's stored closes cannot start, after STALE_CTES: stale ones,
 * lines whose account changed cost method, lines stored without what the next report opens from, and positions
 * left out of that report (a missing price, a replay error) which have no stored close and would otherwise vanish
 * from every later report until they trade again. Joins, not an OR of subplans (that ran the stale list once per
 * line: 1.5 s at 50,000). A key may repeat.
 */
const STALE_LINES = `
  SELECT l.account_id, l.isin FROM daily_pnl_lines l
  JOIN stale s ON s.isin = l.isin AND s.account_id = l.account_id WHERE l.report_date = $1
  UNION ALL
  SELECT l.account_id, l.isin FROM daily_pnl_lines l
  JOIN stale s ON s.isin = l.isin AND s.account_id IS NULL WHERE l.report_date = $1
  UNION ALL
  SELECT l.account_id, l.isin FROM daily_pnl_lines l
  LEFT JOIN accounts a ON a.id = l.account_id AND a.cost_method = l.cost_method
  WHERE l.report_date = $1 AND a.id IS NULL
  UNION ALL
  -- Lines stored before migration 1732407400000 (or 1732407000000): their realized since inception (or open cost)
  -- is not known, only a replay has it.
  SELECT l.account_id, l.isin FROM daily_pnl_lines l
  WHERE l.report_date = $1 AND (l.realized_since_inception_exact IS NULL OR l.open_cost IS NULL)
  UNION ALL
  SELECT s.account_id, s.isin FROM stale s WHERE s.account_id IS NOT NULL
  UNION ALL
  SELECT i->>'accountId', i->>'isin'
  FROM daily_pnl_reports r CROSS JOIN jsonb_array_elements(r.summary->'issues') AS i WHERE r.report_date = $1`;

/**
 * The previous report's lines the code path starts from ($1 its date, $2 its time, $3 the in-flight margin in
 * seconds, $4 and $5 the window's bounds): 'CODE' rows, the trusted closes of positions that trade in the window or
 * whose instrument has a split in it, with the close itself; 'STALE' rows, every position whose close must not be
 * trusted, with its line's figures when the previous report has one (LEFT JOIN: NULL otherwise).
 */
export const STORED_CLOSES = `
  WITH ${STALE_CTES},
  -- Positions with a live trade in the window, and instruments with a split in it: valued in code.
  traded AS MATERIALIZED (
    SELECT DISTINCT t.account_id, t.isin FROM trades t
    WHERE t.status = 'LIVE' AND t.trade_date > $4::date AND t.trade_date <= $5::date),
  split AS MATERIALIZED (
    SELECT DISTINCT s.isin FROM corporate_action_splits s
    WHERE s.effective_date > $4::date AND s.effective_date <= $5::date)
  SELECT 'CODE' AS kind, l.account_id, l.isin, l.currency, l.base_currency, l.cost_method,
         -- Inline on lines stored before migration 1732407100000, else the shared close. A subquery, so that
         -- only these lines look it up (a join was planned below the filter: 50,000 lookups for 14,000).
         COALESCE(l.closing_position::text,
                  (SELECT c.position::text FROM daily_pnl_closes c WHERE c.close_id = l.close_id)) AS closing_position,
         l.close_id::text AS close_id, l.closing_quantity, l.open_cost, l.open_cost_base, l.close_price,
         l.close_fx_rate, l.realized_since_inception_exact AS realized_exact,
         l.realized_since_inception_base_exact AS realized_base_exact
  FROM daily_pnl_lines l JOIN accounts a ON a.id = l.account_id AND a.cost_method = l.cost_method
  LEFT JOIN traded t ON t.account_id = l.account_id AND t.isin = l.isin
  LEFT JOIN split x ON x.isin = l.isin
  WHERE l.report_date = $1 AND (x.isin IS NOT NULL OR t.isin IS NOT NULL)
    AND l.open_cost IS NOT NULL AND l.realized_since_inception_exact IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM stale s WHERE s.account_id = l.account_id AND s.isin = l.isin)
    AND NOT EXISTS (SELECT 1 FROM stale s WHERE s.account_id IS NULL AND s.isin = l.isin)
  UNION ALL
  SELECT 'STALE', u.account_id, u.isin, l.currency, l.base_currency, a.cost_method, NULL, NULL,
         l.closing_quantity, l.open_cost, l.open_cost_base, l.close_price, l.close_fx_rate,
         l.realized_since_inception_exact, l.realized_since_inception_base_exact
  FROM (SELECT DISTINCT account_id, isin FROM (${STALE_LINES}) AS keys) AS u
  LEFT JOIN daily_pnl_lines l ON l.report_date = $1 AND l.account_id = u.account_id AND l.isin = u.isin
  LEFT JOIN accounts a ON a.id = u.account_id`;

/** $1 unused ids of daily_pnl_closes' identity. */
export const CLOSE_IDS = `
  SELECT nextval(pg_get_serial_sequence('daily_pnl_closes', 'close_id'))::text AS id FROM generate_series(1, $1)`;

/** Instruments with a split whose ex-date falls in the window (after $1, through $2). */
export const SPLIT_ISINS = `
  SELECT DISTINCT isin::text AS isin FROM corporate_action_splits WHERE effective_date > $1 AND effective_date <= $2`;

/** Every instrument's latest price at $1 (the report date) and at $3 (the previous date), within $2 days. */
export const PRICES = `
  SELECT i.isin::text AS isin,
    (SELECT p.price FROM reference_prices p WHERE p.isin = i.isin AND p.price_date <= $1::date
       AND p.price_date > $1::date - $2::int ORDER BY p.price_date DESC LIMIT 1) AS close,
    (SELECT p.price FROM reference_prices p WHERE p.isin = i.isin AND p.price_date <= $3::date
       AND p.price_date > $3::date - $2::int ORDER BY p.price_date DESC LIMIT 1) AS previous
  FROM instruments i`;

/** The FX rate of every instrument currency to every account base currency, at $1 and at $2. */
export const FX_RATES = `
  SELECT x.c, x.b, fx_rate_to_base(x.c, x.b, $1::date) AS close, fx_rate_to_base(x.c, x.b, $2::date) AS previous
  FROM (SELECT DISTINCT i.currency::text AS c, a.base_currency::text AS b
        FROM (SELECT DISTINCT currency FROM instruments) AS i
        CROSS JOIN (SELECT DISTINCT base_currency FROM accounts) AS a) AS x`;

/** The report date's lock ($1 the lock class, $2 the date): two runs for one date queue up. */
export const REPORT_LOCK = 'SELECT pg_advisory_xact_lock($1, hashtext($2))';

/** The previous report ($1 its date) as it was read ($2 its exact time, as text), held still by FOR SHARE. */
export const PREVIOUS_STILL_STORED = `
  SELECT 1 FROM daily_pnl_reports WHERE report_date = $1 AND generated_at = $2::timestamptz FOR SHARE`;

/**
 * The run of $1 replaced: its lines, and the closes they pointed at that no other line points at, go with it (a
 * trigger, migration 1732407200000).
 */
export const DELETE_REPORT = 'DELETE FROM daily_pnl_reports WHERE report_date = $1';

/** The new run's row ($1 the date, $2 its time); its line count and summary follow (UPDATE_SUMMARY). */
export const INSERT_REPORT = `
  INSERT INTO daily_pnl_reports (report_date, generated_at, line_count, summary) VALUES ($1, $2, 0, '{}')`;

/** The run's line count ($2) and summary ($3, StoredSummary as JSON), once its lines are stored. */
export const UPDATE_SUMMARY = 'UPDATE daily_pnl_reports SET line_count = $2, summary = $3 WHERE report_date = $1';

/** The base-currency columns of a line, in the order of TOTAL_AMOUNTS. */
const TOTAL_COLUMNS = [
  'realized_today_base',
  'unrealized_change_today_base',
  'fees_today_base',
  'total_today_base',
  'price_effect_today_base',
  'fx_effect_today_base',
  'realized_since_inception_base',
  'unrealized_at_previous_close_base',
  'unrealized_at_close_base',
] as const;

/**
 * A quiet position: trusted close (same cost method, not listed as in code or stale), open cost and realized since
 * inception stored, no split of its instrument in the window, and something held or realized (a flat quiet position
 * with nothing realized is no line at all). Prices, rates and minor units are small tables, joined once per line;
 * the lines are read once (MATERIALIZED) for both the insert and the list of those that cannot be valued. `priced`
 * says whether today's price and rate are known; a flat position needs neither.
 */
const QUIET = `
  WITH prices AS MATERIALIZED (SELECT key AS isin, (value #>> '{}')::numeric AS p1 FROM jsonb_each($5::jsonb)),
  rates AS MATERIALIZED (SELECT key AS pair, (value #>> '{}')::numeric AS x1 FROM jsonb_each($6::jsonb)),
  -- Minor units with half a unit and the scale of the last digit, for half-even rounding (quiet-sql.ts).
  units AS MATERIALIZED (
    SELECT key AS currency, places, 0.5 * power(10::numeric, -places) AS half, power(10::numeric, places) AS scale
    FROM jsonb_each($7::jsonb) CROSS JOIN LATERAL (SELECT (value #>> '{}')::int AS places) AS p),
  quiet AS MATERIALIZED (
    SELECT $2::date AS report_date, l.account_id, l.isin, l.cost_method, l.currency, l.base_currency,
           l.closing_quantity AS q, l.open_cost AS c, l.open_cost_base AS b, l.closing_position, l.close_id,
           l.close_price AS p0, l.close_fx_rate AS x0, p.p1, r.x1, (p.p1 IS NOT NULL AND r.x1 IS NOT NULL) AS priced,
           l.unrealized_at_close AS u0, l.unrealized_at_close_base AS ub0,
           ul.places AS dl, ub.places AS db, ul.half AS hl, ub.half AS hb, ul.scale AS sl, ub.scale AS sb,
           l.realized_since_inception AS ri, l.realized_since_inception_base AS rib,
           l.realized_since_inception_exact AS rie, l.realized_since_inception_base_exact AS ribe
    FROM daily_pnl_lines l
    JOIN accounts a ON a.id = l.account_id AND a.cost_method = l.cost_method
    LEFT JOIN prices p ON p.isin = l.isin::text
    LEFT JOIN rates r ON r.pair = l.currency || '/' || l.base_currency
    LEFT JOIN units ul ON ul.currency = l.currency::text
    LEFT JOIN units ub ON ub.currency = l.base_currency::text
    WHERE l.report_date = $1 AND l.open_cost IS NOT NULL AND l.realized_since_inception_exact IS NOT NULL
      AND (l.closing_quantity <> 0 OR l.realized_since_inception_exact <> 0
           OR l.realized_since_inception_base_exact <> 0)
      AND NOT ($3::jsonb ? (l.account_id || chr(31) || l.isin)) AND NOT (l.isin = ANY($4::text[])))`;

/**
 * The quiet lines, valued from the previous report's and inserted in one statement: $1 the previous report date,
 * $2 the report date, $3 the positions valued in code (a jsonb object keyed by keyOf), $4 the instruments with a
 * split in the window, $5 and $6 today's prices by ISIN and rates by "CCY/BASE" (jsonb objects of exact text or
 * null), $7 MINOR_UNITS. Nothing traded: realized and fees are zero, the day's total is the change in unrealized,
 * and the realized since inception and the unrealized at the previous close are the previous line's, as it reported
 * them. One answer: how many lines were inserted, their totals per account (exact text, in TOTAL_AMOUNTS order), and
 * the positions not valued with what is missing, as ONE row.
 */
export const QUIET_LINES = `${QUIET},
  inserted AS (
  INSERT INTO daily_pnl_lines (${[...LINE_COLUMNS, 'closing_position', 'close_id', ...COST_COLUMNS].join(', ')})
  SELECT q.report_date, q.account_id, q.isin, q.cost_method, q.currency, q.base_currency, q.q, q.q, 0, 0, 0,
         CASE WHEN q.priced THEN q.p1 ELSE 0 END, CASE WHEN q.priced THEN q.x1 ELSE 1 END,
         round(0, q.dl), v.total, round(0, q.dl), v.total, q.ri, q.u0, v.closing,
         round(0, q.db), v.total_base, round(0, q.db), v.total_base, q.rib, q.ub0, v.closing_base,
         v.price_effect, v.fx_effect,
         q.closing_position, q.close_id, q.c, q.b, q.rie, q.ribe
  FROM quiet q
  ${quietFiguresSql('q')}
  WHERE (q.priced OR q.q = 0) AND q.dl IS NOT NULL AND q.db IS NOT NULL
  RETURNING account_id, base_currency, ${TOTAL_COLUMNS.join(', ')})
  SELECT (SELECT count(*)::int FROM inserted) AS inserted,
         -- The inserted lines' totals per account, as text (exact): the report adds the code path's to them.
         (SELECT json_agg(json_build_array(account_id, base_currency, n, ${TOTAL_AMOUNTS.map((_, i) => `a${i}`).join(', ')}))
          FROM (SELECT account_id, base_currency::text AS base_currency, count(*)::int AS n,
                  ${TOTAL_COLUMNS.map((column, i) => `sum(${column})::text AS a${i}`).join(', ')}
                FROM inserted GROUP BY account_id, base_currency) AS sums) AS totals,
         (SELECT json_agg(json_build_array(account_id, isin::text, currency::text, base_currency::text,
                   CASE WHEN dl IS NULL OR db IS NULL THEN 'CURRENCY' ELSE 'CLOSE' END))
          FROM quiet
          WHERE NOT (priced OR q = 0) OR dl IS NULL OR db IS NULL) AS unvalued`;
