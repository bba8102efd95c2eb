/**
 * The figures of a quiet line (a position that neither traded nor had a split since the previous report) as SQL:
 * the same arithmetic as dailyPnlLine (lib/domain/pnl.ts) for a position that holds the same lots all day, written
 * over the sums a stored line keeps, so that PostgreSQL values the quiet positions where they are.
 *
 * With Q the signed quantity, C and B the open cost in local and base currency (exact, from the previous line),
 * p0 and x0 the previous line's close price and FX rate (the opening is the previous report date's close), p1 and
 * x1 today's:
 *
 *   unrealized at close                Q·p1 − C            Q·p1·x1 − B
 *   unrealized at the previous close   the previous line's unrealized at close (the same formula at p0, x0)
 *   total today = change in unrealized Q·(p1 − p0)         Q·(p1·x1 − p0·x0)
 *   FX effect today                                        Q·p1·(x1 − x0)
 *   price effect today                                     total today − FX effect (as rounded)
 *
 * each exact, then rounded once, half-even (halfEvenSql). Nothing traded: realized and fees today are zero, so the
 * change in unrealized today is the day's total. test/integration/pnl/report-quiet-sql.test.ts checks this against
 * dailyPnlLine on generated positions, prices and rates, to the minor unit.
 */
import { halfEvenSql } from './half-even-sql';

/**
 * The columns `from` (an alias) must have: q, c, b, p0, x0 exact; p1, x1 today's price and rate (ignored, and may be
 * NULL, when q = 0); dl, db the minor units of the currency and the base currency; hl, hb half a minor unit; sl, sb
 * 10^places (see halfEvenSql).
 */
export const QUIET_INPUTS = ['q', 'c', 'b', 'p0', 'x0', 'p1', 'x1', 'dl', 'db', 'hl', 'hb', 'sl', 'sb'] as const;

/**
 * `CROSS JOIN LATERAL …` clauses over the row `from` (QUIET_INPUTS) that give `v` with the rounded figures: total
 * and total_base (the day's total, which is also the change in unrealized), closing and closing_base (unrealized at
 * close), fx_effect and price_effect (base). The unrealized at the previous close is the previous line's, as
 * reported: the same `closing` at that line's price and rate.
 */
export function quietFiguresSql(from: string): string {
  // The exact amounts once per line (OFFSET 0 keeps them from being pulled up and recomputed), so that the
  // half-even rounding, which reads its argument three times, works on plain columns. A flat position (q = 0)
  // has nothing to value and may have no price: its amounts are zero.
  return `CROSS JOIN LATERAL (SELECT
      ${from}.q * (m.p1 - ${from}.p0) AS total, ${from}.q * (m.p1 * m.x1 - ${from}.p0 * ${from}.x0) AS total_base,
      ${from}.q * m.p1 - ${from}.c AS closing, ${from}.q * m.p1 * m.x1 - ${from}.b AS closing_base,
      ${from}.q * m.p1 * (m.x1 - ${from}.x0) AS fx_effect,
      ${from}.dl, ${from}.db, ${from}.hl, ${from}.hb, ${from}.sl, ${from}.sb
    FROM (SELECT CASE WHEN ${from}.q = 0 THEN 0 ELSE ${from}.p1 END AS p1,
                 CASE WHEN ${from}.q = 0 THEN 1 ELSE ${from}.x1 END AS x1) AS m
    OFFSET 0) AS e
    CROSS JOIN LATERAL (SELECT
      ${halfEvenSql('e.total', 'e.dl', 'e.hl', 'e.sl')} AS total,
      ${halfEvenSql('e.total_base', 'e.db', 'e.hb', 'e.sb')} AS total_base,
      ${halfEvenSql('e.closing', 'e.dl', 'e.hl', 'e.sl')} AS closing,
      ${halfEvenSql('e.closing_base', 'e.db', 'e.hb', 'e.sb')} AS closing_base,
      ${halfEvenSql('e.fx_effect', 'e.db', 'e.hb', 'e.sb')} AS fx_effect) AS r
    CROSS JOIN LATERAL (SELECT r.total, r.total_base, r.closing, r.closing_base, r.fx_effect,
      r.total_base - r.fx_effect AS price_effect) AS v`;
}
