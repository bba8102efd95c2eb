/**
 * The daily P&L report: computed per account and instrument for one business date, stored per date (a rerun
 * replaces that date's report in one transaction, never duplicates it) and read back for the writers and the API.
 *
 * The day and its opening (lib/domain/pnl.ts, docs/daily-report.md). A report's day runs from the previous report
 * date's close (the latest stored report before it; with none, the weekday before) to this close, so a weekend or a
 * market holiday between two reports is in the later one's day. The opening is that close AS IT WAS REPORTED: each
 * stored line keeps its close price and FX rate, its exact open cost and its exact realized P&L since inception,
 * and the next line opens from them. A correction booked after a report therefore lands in the next report's day,
 * and every price or rate move in exactly one day. A flat position with P&L since inception keeps its line, so that
 * the report's cumulative figures (realized since inception + unrealized at close) keep it too.
 *
 * Where the previous close comes from. Replaying every trade since inception each evening would not scale, so each
 * stored line keeps its exact closing position, and the next report starts from it: previous close = the previous
 * report's closing position, then the live trades (and splits) dated after it through the report date are the day's.
 * A stored close is only trusted while nothing it depends on changed: a position is REPLAYED from flat instead
 * when any version of a trade dated on or before that report (a late trade, an amend, a cancel, also one that
 * moves the trade to another date) or a split effective by then was booked after the report read its data, when
 * its account's cost method changed, or when it has no stored close (or one stored before its realized P&L since
 * inception was). A replay still opens from the previous report's line as reported, when it has one. Correctness
 * never depends on a snapshot: a missing one only costs a replay. `booked_at` is the booking transaction's start
 * time, so the check looks back a margin before the report's start to catch bookings that were still in flight when
 * it read.
 *
 * Quiet positions are valued in PostgreSQL. A position with a trusted stored close, no live trade dated in the
 * window and no split in it ends the day exactly as it began: closing quantity = opening quantity, nothing realized,
 * no fees, and its unrealized P&L depends on the lots only through the signed quantity Q, open cost C and open cost
 * in base B (lib/domain/pnl.ts). Each stored line keeps Q, C and B exactly, with its close price and rate, so the
 * next report computes a quiet line from them with one INSERT … SELECT (the arithmetic in quiet-sql.ts), using the
 * same prices and FX rates as the positions valued in code and rounding half-even once like Dec does. Only
 * positions that traded, have a split or must be replayed are loaded and valued in code. Figures agree with the
 * code path to the minor unit: test/integration/report-quiet-sql.test.ts runs the SQL against dailyPnlLine on
 * generated positions, prices and rates, and report-quiet-lines.test.ts compares whole reports both ways. Q, C, B,
 * prices and rates are the same exact decimals on both sides, PostgreSQL multiplies exactly and Dec to 40
 * significant digits, which is exact for prices, quantities and rates; only a cost left by a pro-rata relief can
 * carry 40 digits, and then the two could differ only for an amount within ~1e-25 of half a minor unit.
 *
 * Closing positions are stored once (daily_pnl_closes, migration 1732407100000) and shared: a quiet line points at
 * the close its previous line points at, so the evening's writes are the lines plus the closes of the positions that
 * traded. Where the time goes, and why it is spent this way (`npm run bench:report`, 1,000,000 trades / 50,000
 * positions): the reads run side by side on separate connections; the quiet lines' INSERT starts as soon as the
 * first reads say which positions are quiet, and the positions valued in code are valued while PostgreSQL inserts
 * them (the two cores work at once), each turned straight into its COPY rows so its decimals die young; once the
 * INSERT is done, what is valued goes in by COPY batch by batch while the rest is valued (RowStream). The totals
 * are the sums of both parts (the INSERT returns its own), not a scan of the stored lines. Nothing is read back:
 * `generate` returns totals, `get` the lines.
 */
import type { Pool, PoolClient } from 'pg';

import { type CostMethod } from '../domain/lots';
import { Dec, MINOR_UNITS, minorUnits } from '../domain/money';
import { addTotals, TOTAL_AMOUNTS, type AccountPnlSummary, type PnlTotals, type TotalAmount } from '../domain/pnl';
import { copyRows } from '../db/copy';
import { withTransaction } from '../db/pool';
import {
  keyOf,
  loadLiveTradeRows,
  loadLiveTradeRowsDated,
  groupTradeRows,
  loadSplits,
  type PositionKey,
} from '../positions/live-events';
import {
  accountTotalsDoc,
  totalsDoc,
  type AccountTotalsDoc,
  type DailyReportDoc,
  type HistoryPoint,
  type ReportIssue,
  type ReportLineDoc,
  type TotalsDoc,
} from './document';
import { previousBusinessDay } from './dates';
import { quietFiguresSql } from './quiet-sql';
import {
  CLOSE_COLUMNS,
  COST_COLUMNS,
  LINE_COLUMNS,
  missingPriceMessage,
  PRICE_LOOKBACK_DAYS,
  type StoredCloseFigures,
  type MarketData,
  type ValuationInput,
  type ValuationItem,
  type ValuedRows,
  Valuation,
} from './valuation';

export { PRICE_LOOKBACK_DAYS } from './valuation';

/** Policy: how far before a report's start a booking may have begun and still be missing from what it read. */
export const IN_FLIGHT_MARGIN_SECONDS = 300;
/** How many report dates the cumulative chart shows. */
export const HISTORY_DATES = 20;

const REPORT_LOCK_CLASS = 1_732_406_801;
const BEGINNING = '0001-01-01';

/** The previous report this one opens from. */
interface PreviousReport {
  readonly reportDate: string;
  readonly generatedAt: Date;
  readonly generatedAtExact: string;
  /** The positions it left out (its issues), by keyOf: it reported nothing of them, not that they were flat. */
  readonly issueKeys: ReadonlySet<string>;
}

/**
 * The previous report's line of a position whose stored close is not trusted: its figures (the opening as
 * reported), and what a replay needs to value it when no live trade of it is left.
 */
interface StaleLine extends StoredCloseFigures {
  readonly line: { readonly currency: string; readonly baseCurrency: string; readonly costMethod: CostMethod | null };
}

interface Opening extends PositionKey {
  readonly costMethod: CostMethod;
  readonly currency: string;
  readonly baseCurrency: string;
  /**
   * The stored closing position as JSON text, parsed only when the position is valued: 14,000 positions parsed up
   * front would keep some 250,000 decimals alive through the run, and the garbage collector copying them around.
   */
  readonly snapshot: string;
  /** The stored close it was read from (daily_pnl_closes), or null for a close stored inline on an older line. */
  readonly closeId: string | null;
  /** What the previous line says of that close. */
  readonly figures: StoredCloseFigures | null;
}

export interface ReportStatistics {
  /** Positions valued from a stored close. */
  readonly fromSnapshot: number;
  /** Positions replayed from flat (no usable stored close). */
  readonly replayed: number;
}

/** What `generate` returns: the stored report's totals and issues, without its lines (`get` has them). */
export type GeneratedReport = Omit<DailyReportDoc, 'lines' | 'history'> & {
  readonly lineCount: number;
  readonly statistics: ReportStatistics;
};

export interface DailyReportOptions {
  /** Default IN_FLIGHT_MARGIN_SECONDS; tests set 0 to exercise the stored-close path. */
  readonly inFlightMarginSeconds?: number;
  /**
   * Positions valued in code between two looks at the connection (default VALUATION_BATCH): each look sends what
   * is valued so far. Tests set 1 to send in many small COPYs.
   */
  readonly valuationBatch?: number;
  /** Told as each step of `generate` ends (ReportStep), so that a benchmark can say where the time goes. */
  readonly onStep?: (step: ReportStep) => void;
}

/** The steps of `generate`, in the order they usually end (the quiet lines' INSERT runs alongside the others). */
export type ReportStep =
  | 'read'
  | 'replaced run deleted'
  | 'read for the code path'
  | 'valued in code'
  | 'quiet lines inserted'
  | 'rows copied'
  | 'stored';

export class PgDailyReportService {
  private readonly inFlightMarginSeconds: number;
  private readonly step: (step: ReportStep) => void;
  private readonly valuationBatch: number;

  constructor(
    private readonly pool: Pool,
    options: DailyReportOptions = {},
  ) {
    this.inFlightMarginSeconds = options.inFlightMarginSeconds ?? IN_FLIGHT_MARGIN_SECONDS;
    this.step = options.onStep ?? ((): void => undefined);
    this.valuationBatch = options.valuationBatch ?? VALUATION_BATCH;
  }

  /**
   * Computes the report for `reportDate` (YYYY-MM-DD), stores it in place of any earlier run, and returns its
   * totals and issues; `get` reads the whole report back (its lines are not shipped back from the store: 50,000
   * lines cost more to return than to compute).
   */
  async generate(reportDate: string): Promise<GeneratedReport> {
    const { rows: clock } = await this.pool.query<{ started: string }>(
      `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started`,
    );
    const generatedAt = clock[0]?.started ?? new Date().toISOString();

    const previous = await this.previousReport(reportDate);
    // The report's own transaction holds one connection while the reads below use others.
    if ((this.pool.options.max ?? 10) < 2) {
      throw new Error('the daily report needs a pool of at least 2 connections (DB_POOL_MAX)');
    }
    return withTransaction(this.pool, async (client) => {
      // The run this one replaces is deleted while the report reads (a rerun's 50,000 lines take a while to go).
      const replaced = this.replaceReport(client, { reportDate, generatedAt, previous });
      // Awaited below; until then a failure must not count as unhandled.
      replaced.catch(() => undefined);
      return this.compute(client, { reportDate, generatedAt, previous, replaced });
    });
  }

  /** The report itself, in the transaction `client` holds (generate); `replaced` settles when the old run is gone. */
  private async compute(
    client: PoolClient,
    input: {
      readonly reportDate: string;
      readonly generatedAt: string;
      readonly previous: PreviousReport | undefined;
      readonly replaced: Promise<void>;
    },
  ): Promise<GeneratedReport> {
    const { reportDate, generatedAt, previous } = input;
    const after = previous?.reportDate ?? BEGINNING;
    const window = { after, through: reportDate };
    // The day runs from the previous report date's close (module note); with no report before, from the weekday
    // before's, as if the evening job had run then.
    const previousDate = previous?.reportDate ?? previousBusinessDay(reportDate);
    // Independent reads on separate connections: PostgreSQL works on them while this process parses the others.
    // They need not share a snapshot: a trade booked between them is either valued from flat (replayKeys below)
    // or, when only the stored-close read saw it, missed as any booking after the report's start would be, and its
    // position is replayed by the next report (the in-flight margin).
    const [recentRows, splitIsins, closes, market] = await Promise.all([
      loadLiveTradeRowsDated(this.pool, window),
      previous ? this.splitIsins(window) : [],
      previous
        ? this.storedCloses(previous, window)
        : { openings: new Map<string, Opening>(), stale: [], staleFigures: new Map<string, StaleLine>() },
      // Every instrument's prices and every currency pair's rates: the quiet positions, valued in PostgreSQL, use
      // the very prices and rates the code path uses, read once.
      this.marketData(reportDate, previousDate),
    ]);
    this.step('read');
    const recent = groupTradeRows(recentRows);
    const { openings, stale, staleFigures } = closes;

    // The quiet positions need nothing more: PostgreSQL values and inserts them while this process reads the rest
    // and values the others, once the replaced run is gone.
    await input.replaced;
    this.step('replaced run deleted');
    const quietLines =
      previous === undefined
        ? Promise.resolve<QuietLines>({ count: 0, issues: [], totals: new Map() })
        : this.storeQuietLines(client, {
            reportDate,
            previous,
            market,
            // Everything valued in code, or untrusted: never valued as quiet.
            inCode: [
              ...new Map([...openings.values(), ...recent.values(), ...stale].map((k) => [keyOf(k), k])).values(),
            ],
            splitIsins,
          });
    // Awaited in store; until then a failure must not count as unhandled.
    void quietLines.then(
      () => this.step('quiet lines inserted'),
      () => undefined,
    );

    // Positions without a trusted close that trade now or were touched by a late correction: replay from flat.
    const replayKeys = [
      ...new Map(
        [...recent.values(), ...stale].filter((key) => !openings.has(keyOf(key))).map((key) => [keyOf(key), key]),
      ).values(),
    ];
    const [replayed, windowSplits, replaySplits, closeIds] = await Promise.all([
      previous ? loadLiveTradeRows(this.pool, replayKeys, { through: reportDate }).then(groupTradeRows) : recent,
      loadSplits(this.pool, [...new Set([...openings.values()].map((o) => o.isin))], window),
      loadSplits(this.pool, [...new Set(replayKeys.map((k) => k.isin))], { through: reportDate }),
      // Ids for the closes the code path writes, one per position at most (an unused id is only a gap).
      this.drawCloseIds(openings.size + replayKeys.length),
    ]);

    this.step('read for the code path');
    const items: ValuationItem[] = [];
    for (const opening of openings.values()) {
      const entry = recent.get(keyOf(opening));
      items.push({
        accountId: opening.accountId,
        isin: opening.isin,
        costMethod: opening.costMethod,
        currency: opening.currency,
        baseCurrency: opening.baseCurrency,
        snapshot: opening.snapshot,
        storedCloseId: opening.closeId,
        storedFigures: opening.figures,
        reportedFlat: false,
        trades: entry?.rows ?? [],
        splits: windowSplits.get(opening.isin) ?? [],
        missingFx: entry?.missingFx ?? [],
      });
    }
    for (const key of replayKeys) {
      const figures = staleFigures.get(keyOf(key)) ?? null;
      // No live trade left (all cancelled since, or moved past the report date): flat now. Still a line when the
      // previous report had one, so that its figures are taken back in this day rather than leave the chain.
      const entry =
        replayed.get(keyOf(key)) ??
        (figures === null || figures.line.costMethod === null
          ? undefined
          : {
              accountId: key.accountId,
              isin: key.isin,
              costMethod: figures.line.costMethod,
              currency: figures.line.currency,
              baseCurrency: figures.line.baseCurrency,
              rows: [],
              missingFx: [],
            });
      if (entry === undefined) continue;
      items.push({
        accountId: entry.accountId,
        isin: entry.isin,
        costMethod: entry.costMethod,
        currency: entry.currency,
        baseCurrency: entry.baseCurrency,
        snapshot: null,
        storedCloseId: null,
        // The previous report's line when it has one (a correction since): the opening as reported. Without one,
        // it reported the position flat, unless it left it out.
        storedFigures: figures,
        reportedFlat: previous !== undefined && figures === null && !previous.issueKeys.has(keyOf(key)),
        trades: entry.rows,
        splits: replaySplits.get(entry.isin) ?? [],
        missingFx: entry.missingFx,
      });
    }
    const valuationInput: ValuationInput = {
      reportDate,
      previousDate,
      items,
      market,
      closeIds,
    };

    // Valued while PostgreSQL inserts the quiet lines, and then takes what is valued batch by batch: the cores work
    // at the same time.
    const valuation = new Valuation(valuationInput);
    const rows = new RowStream(client, quietLines);
    while (!valuation.done && rows.failure === undefined) {
      rows.add(valuation.batch(this.valuationBatch));
      // Lets the connection take the quiet lines' answer and the rows sent so far.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.step('valued in code');
    const { quietCount, ...stored } = await this.store(client, {
      reportDate,
      previousReportDate: previous?.reportDate ?? null,
      valuation,
      rows,
      quietLines,
    });
    return {
      reportDate,
      previousReportDate: previous?.reportDate ?? null,
      generatedAt,
      ...stored,
      statistics: { fromSnapshot: openings.size + quietCount, replayed: replayKeys.length },
    };
  }

  /** `generate`, then the stored report read back whole (what the CLI writes out and the tests inspect). */
  async generateDocument(reportDate: string): Promise<DailyReportDoc & { readonly statistics: ReportStatistics }> {
    const { statistics } = await this.generate(reportDate);
    const report = await this.get(reportDate);
    if (report === undefined) throw new Error(`report ${reportDate}: not found right after it was stored`);
    return { ...report, statistics };
  }

  /**
   * The stored report of a date, or undefined when it has not been run. With `accounts`, only their lines are read
   * (the totals and issues stay the whole report's: the caller narrows them).
   */
  async get(reportDate: string, accounts?: readonly string[]): Promise<DailyReportDoc | undefined> {
    const report = await this.summary(reportDate);
    if (report === undefined) return undefined;
    const lines = await this.lines({ reportDate, ...(accounts === undefined ? {} : { accounts }) });
    return { ...report, lines, history: await this.history(reportDate) };
  }

  /**
   * Stored lines of a date, optionally of some accounts only, ordered by account and instrument; with `after`
   * (an account and ISIN), only those after it, and with `limit`, at most that many (a page).
   */
  async lines(query: {
    readonly reportDate: string;
    readonly accounts?: readonly string[];
    readonly after?: readonly [string, string];
    readonly limit?: number;
  }): Promise<ReportLineDoc[]> {
    const { rows } = await this.pool.query<LineRow>(
      `SELECT ${LINE_COLUMNS.join(', ')} FROM daily_pnl_lines
       WHERE report_date = $1 AND ($2::text[] IS NULL OR account_id = ANY($2::text[]))
         AND ($3::text IS NULL OR (account_id, isin) > ($3::text, $4::text))
       ORDER BY account_id, isin LIMIT $5`,
      [
        query.reportDate,
        query.accounts ?? null,
        query.after?.[0] ?? null,
        query.after?.[1] ?? null,
        query.limit ?? null,
      ],
    );
    return rows.map(fromLineRow);
  }

  /** A stored report without its lines and history (its time, totals and issues), or undefined when not run. */
  async summary(reportDate: string): Promise<Omit<DailyReportDoc, 'lines' | 'history'> | undefined> {
    const { rows } = await this.pool.query<{ generated_at: string; summary: StoredSummary }>(
      `SELECT to_char(generated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS generated_at, summary
       FROM daily_pnl_reports WHERE report_date = $1`,
      [reportDate],
    );
    const report = rows[0];
    if (report === undefined) return undefined;
    const { previousReportDate, ...summary } = report.summary;
    return { reportDate, previousReportDate: previousReportDate ?? null, generatedAt: report.generated_at, ...summary };
  }

  /** Overall day's totals and cumulative P&L of the last report dates up to `reportDate`, oldest first. */
  async history(reportDate: string): Promise<HistoryPoint[]> {
    const { rows } = await this.pool.query<{ report_date: string; overall: TotalsDoc[] }>(
      `SELECT to_char(report_date, 'YYYY-MM-DD') AS report_date, summary->'overall' AS overall
       FROM daily_pnl_reports WHERE report_date <= $1 ORDER BY report_date DESC LIMIT $2`,
      [reportDate, HISTORY_DATES],
    );
    return rows.reverse().flatMap((row) =>
      row.overall.map((t) => ({
        reportDate: row.report_date,
        baseCurrency: t.baseCurrency,
        totalToday: t.totalToday,
        cumulative:
          t.realizedSinceInception === null
            ? null
            : new Dec(t.realizedSinceInception).plus(t.unrealizedAtClose).toFixed(minorUnits(t.baseCurrency)),
      })),
    );
  }

  private async previousReport(reportDate: string): Promise<PreviousReport | undefined> {
    const { rows } = await this.pool.query<{
      report_date: string;
      generated_at: Date;
      exact: string;
      issues: PositionKey[] | null;
    }>(
      `SELECT to_char(report_date, 'YYYY-MM-DD') AS report_date, generated_at, generated_at::text AS exact,
              (SELECT json_agg(json_build_object('accountId', i->>'accountId', 'isin', i->>'isin'))
               FROM jsonb_array_elements(summary->'issues') AS i) AS issues
       FROM daily_pnl_reports WHERE report_date < $1 ORDER BY report_date DESC LIMIT 1`,
      [reportDate],
    );
    const row = rows[0];
    return (
      row && {
        reportDate: row.report_date,
        generatedAt: row.generated_at,
        generatedAtExact: row.exact,
        issueKeys: new Set((row.issues ?? []).map(keyOf)),
      }
    );
  }

  /**
   * The previous report's closes that can still be trusted (see the module note) of the positions valued in code:
   * those that trade in the window or have a split in it, whole; and the positions whose stored close must not be
   * trusted (replayed), with the figures of their line in the previous report when it has one (their opening as
   * reported). The other trusted closes are the quiet positions, which storeQuietLines values where they are.
   */
  private async storedCloses(
    previous: { reportDate: string; generatedAt: Date },
    window: { after: string; through: string },
  ): Promise<{ openings: Map<string, Opening>; stale: PositionKey[]; staleFigures: Map<string, StaleLine> }> {
    const { rows } = await this.pool.query<{
      kind: 'CODE' | 'STALE';
      account_id: string;
      isin: string;
      currency: string;
      base_currency: string;
      cost_method: CostMethod;
      closing_position: string;
      close_id: string | null;
      closing_quantity: string | null;
      open_cost: string | null;
      open_cost_base: string | null;
      close_price: string | null;
      close_fx_rate: string | null;
      realized_exact: string | null;
      realized_base_exact: string | null;
    }>(
      `WITH ${STALE_CTES},
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
       LEFT JOIN accounts a ON a.id = u.account_id`,
      [previous.reportDate, previous.generatedAt, this.inFlightMarginSeconds, window.after, window.through],
    );
    const openings = new Map<string, Opening>();
    const stale: PositionKey[] = [];
    const staleFigures = new Map<string, StaleLine>();
    for (const row of rows) {
      const figures: StoredCloseFigures | null =
        row.closing_quantity === null ||
        row.open_cost === null ||
        row.open_cost_base === null ||
        row.close_price === null ||
        row.close_fx_rate === null
          ? null
          : {
              quantity: row.closing_quantity,
              openCost: row.open_cost,
              openCostBase: row.open_cost_base,
              closePrice: row.close_price,
              closeFxRate: row.close_fx_rate,
              realizedExact:
                row.realized_exact === null || row.realized_base_exact === null
                  ? null
                  : { local: row.realized_exact, base: row.realized_base_exact },
            };
      if (row.kind === 'STALE') {
        const key = { accountId: row.account_id, isin: row.isin };
        stale.push(key);
        if (figures !== null) {
          staleFigures.set(keyOf(key), {
            ...figures,
            line: { currency: row.currency, baseCurrency: row.base_currency, costMethod: row.cost_method },
          });
        }
      } else {
        const opening: Opening = {
          accountId: row.account_id,
          isin: row.isin,
          costMethod: row.cost_method,
          currency: row.currency,
          baseCurrency: row.base_currency,
          snapshot: row.closing_position,
          closeId: row.close_id,
          figures,
        };
        openings.set(keyOf(opening), opening);
      }
    }
    return { openings, stale, staleFigures };
  }

  /** `count` unused ids of daily_pnl_closes' identity (drawn outside the report's transaction: gaps are harmless). */
  private async drawCloseIds(count: number): Promise<string[]> {
    if (count === 0) return [];
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT nextval(pg_get_serial_sequence('daily_pnl_closes', 'close_id'))::text AS id FROM generate_series(1, $1)`,
      [count],
    );
    return rows.map((row) => row.id);
  }

  /** Instruments with a split whose ex-date falls in the window: their positions are valued in code. */
  private async splitIsins(window: { after: string; through: string }): Promise<string[]> {
    const { rows } = await this.pool.query<{ isin: string }>(
      `SELECT DISTINCT isin::text AS isin FROM corporate_action_splits WHERE effective_date > $1 AND effective_date <= $2`,
      [window.after, window.through],
    );
    return rows.map((row) => row.isin);
  }

  /**
   * End-of-day prices of every instrument and FX rates of every pair of an instrument currency and an account base
   * currency, at the report date and at the previous report date (each within the lookback), where a position the
   * previous report has no line of opens. Everything, not just what is held: it is small, and the quiet positions
   * need no list of their own.
   */
  private async marketData(reportDate: string, previousDate: string): Promise<MarketData> {
    const { rows: priceRows } = await this.pool.query<{ isin: string; close: string | null; previous: string | null }>(
      `SELECT i.isin::text AS isin,
         (SELECT p.price FROM reference_prices p WHERE p.isin = i.isin AND p.price_date <= $1::date
            AND p.price_date > $1::date - $2::int ORDER BY p.price_date DESC LIMIT 1) AS close,
         (SELECT p.price FROM reference_prices p WHERE p.isin = i.isin AND p.price_date <= $3::date
            AND p.price_date > $3::date - $2::int ORDER BY p.price_date DESC LIMIT 1) AS previous
       FROM instruments i`,
      [reportDate, PRICE_LOOKBACK_DAYS, previousDate],
    );
    const { rows: fxRows } = await this.pool.query<{
      c: string;
      b: string;
      close: string | null;
      previous: string | null;
    }>(
      `SELECT x.c, x.b, fx_rate_to_base(x.c, x.b, $1::date) AS close, fx_rate_to_base(x.c, x.b, $2::date) AS previous
       FROM (SELECT DISTINCT i.currency::text AS c, a.base_currency::text AS b
             FROM (SELECT DISTINCT currency FROM instruments) AS i
             CROSS JOIN (SELECT DISTINCT base_currency FROM accounts) AS a) AS x`,
      [reportDate, previousDate],
    );
    const dec = (text: string | null): Dec | undefined => (text === null ? undefined : new Dec(text));
    return {
      prices: new Map(priceRows.map((r) => [r.isin, { close: dec(r.close), previous: dec(r.previous) }])),
      fx: new Map(
        fxRows.map((r) => [
          `${r.c}/${r.b}`,
          { currency: r.c, baseCurrency: r.b, close: dec(r.close), previous: dec(r.previous) },
        ]),
      ),
    };
  }

  /**
   * Takes the date's lock, checks that the previous report read is still the stored one, and deletes the run this
   * one replaces, in the report's transaction: the new run's rows follow (store).
   */
  private async replaceReport(
    client: PoolClient,
    input: {
      readonly reportDate: string;
      readonly generatedAt: string;
      readonly previous: { readonly reportDate: string; readonly generatedAtExact: string } | undefined;
    },
  ): Promise<void> {
    const { reportDate, previous } = input;
    // Two runs for the same date queue up rather than interleave their delete and insert.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [REPORT_LOCK_CLASS, reportDate]);
    if (previous !== undefined) {
      // Closes are copied from the run of the previous report this one read, and only from it: a rerun of that
      // date meanwhile aborts this one (retry it) instead of silently valuing nothing. FOR SHARE holds it still.
      const { rowCount } = await client.query(
        `SELECT 1 FROM daily_pnl_reports WHERE report_date = $1 AND generated_at = $2::timestamptz FOR SHARE`,
        // As text: a JS Date would drop the microseconds and never match.
        [previous.reportDate, previous.generatedAtExact],
      );
      if (rowCount !== 1) {
        throw new Error(`report ${reportDate}: the report of ${previous.reportDate} was replaced while it ran`);
      }
    }
    // The replaced run, its lines, and the closes they pointed at that no other line points at (a trigger,
    // migration 1732407200000).
    await client.query('DELETE FROM daily_pnl_reports WHERE report_date = $1', [reportDate]);
    // Totals and line count are aggregated from the stored lines (store), then written here.
    await client.query(
      `INSERT INTO daily_pnl_reports (report_date, generated_at, line_count, summary) VALUES ($1, $2, 0, '{}')`,
      [reportDate, input.generatedAt],
    );
  }

  /**
   * Stores the report, in the transaction replaceReport began: the rest of the lines valued in code, the quiet lines
   * valued set-based from the previous report (module note), then the totals of both. Returns the totals.
   */
  private async store(
    client: PoolClient,
    input: {
      readonly reportDate: string;
      readonly previousReportDate: string | null;
      /** The positions valued in code. */
      readonly valuation: Valuation;
      /** Their rows, partly sent already. */
      readonly rows: RowStream;
      /** The quiet lines' INSERT (storeQuietLines), under way on `client`. */
      readonly quietLines: Promise<QuietLines>;
    },
  ): Promise<Pick<GeneratedReport, 'lineCount' | 'accounts' | 'overall' | 'issues'> & { quietCount: number }> {
    const { reportDate, valuation, rows, quietLines } = input;
    await rows.finish();
    this.step('rows copied');
    const quiet = await quietLines;
    const lineCount = rows.lineCount + quiet.count - quiet.issues.length;
    const issues = [...valuation.issues, ...quiet.issues];
    issues.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));

    const { accounts, overall } = reportTotals(reportDate, [valuation.totals, quiet.totals]);
    await client.query(`UPDATE daily_pnl_reports SET line_count = $2, summary = $3 WHERE report_date = $1`, [
      reportDate,
      lineCount,
      JSON.stringify({
        previousReportDate: input.previousReportDate,
        accounts,
        overall,
        issues,
      } satisfies StoredSummary),
    ]);
    this.step('stored');
    return { lineCount, accounts, overall, issues, quietCount: quiet.count };
  }

  /**
   * Values the quiet positions from the previous report's lines in one INSERT … SELECT (module note) and reports
   * those it cannot value for want of a price or rate, with the code path's codes and messages.
   */
  private async storeQuietLines(
    client: PoolClient,
    input: {
      readonly reportDate: string;
      readonly previous: { readonly reportDate: string };
      readonly market: MarketData;
      readonly inCode: readonly PositionKey[];
      readonly splitIsins: readonly string[];
    },
  ): Promise<QuietLines> {
    const text = (value: Dec | undefined): string | null => value?.toFixed() ?? null;
    const params = [
      input.previous.reportDate,
      input.reportDate,
      // A jsonb object: `?` finds a key by binary search whatever the plan, where a join on unnest()ed arrays let a
      // misestimate pick nested loops (the bench saw 75 s for 36,000 × 14,000 comparisons).
      JSON.stringify(Object.fromEntries(input.inCode.map((k) => [keyOf(k), true]))),
      input.splitIsins,
      // Today's closes only: a quiet position opens at its previous line's close price and rate.
      JSON.stringify(Object.fromEntries([...input.market.prices].map(([isin, p]) => [isin, text(p.close)]))),
      JSON.stringify(Object.fromEntries([...input.market.fx].map(([pair, r]) => [pair, text(r.close)]))),
      JSON.stringify(MINOR_UNITS),
    ];
    // A quiet position: trusted close (same cost method, not listed as in code or stale), open cost and realized
    // since inception stored, no split of its instrument in the window, and something held or realized (a flat
    // quiet position with nothing realized is no line at all). Prices, rates and minor units are small tables,
    // joined once per line; the lines are read once (MATERIALIZED) for both the insert and the list of those that
    // cannot be valued. `priced` says whether today's price and rate are known; a flat position needs neither.
    const quiet = `
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
    // Nothing traded: realized and fees are zero, the day's total is the change in unrealized, and the realized
    // since inception and the unrealized at the previous close are the previous line's, as it reported them. One statement, one answer: how many lines were inserted, their
    // totals per account, and the positions not valued, as ONE json value.
    const { rows } = await client.query<{
      inserted: number;
      totals: [string, string, number, ...string[]][] | null;
      unvalued: [string, string, string, string, 'CURRENCY' | 'CLOSE'][] | null;
    }>(
      `${quiet},
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
               WHERE NOT (priced OR q = 0) OR dl IS NULL OR db IS NULL) AS unvalued`,
      params,
    );
    const answer = rows[0];
    const issues: ReportIssue[] = [];
    for (const [accountId, isin, currency, baseCurrency, missing] of answer?.unvalued ?? []) {
      // A currency without known minor units fails the report, as it does in code (minorUnits throws).
      if (missing === 'CURRENCY') [currency, baseCurrency].forEach(minorUnits);
      issues.push({ accountId, isin, code: 'MISSING_PRICE', message: missingPriceMessage(input.reportDate) });
    }
    const totals = new Map<string, PnlTotals>();
    for (const [accountId, baseCurrency, lineCount, ...sums] of answer?.totals ?? []) {
      if (totals.has(accountId)) throw new Error(baseCurrencies(input.reportDate, accountId));
      const amounts = Object.fromEntries(TOTAL_AMOUNTS.map((name, i) => [name, new Dec(sums[i] ?? '0')])) as Record<
        TotalAmount,
        Dec
      >;
      totals.set(accountId, { baseCurrency, lineCount, ...amounts });
    }
    return { count: (answer?.inserted ?? 0) + issues.length, issues, totals };
  }
}

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
 * left out of that report (a missing price, a replay
 * error) which have no stored close and would otherwise vanish from every later report until they trade again.
 * Joins, not an OR of subplans (that ran the stale list once per line: 1.5 s at 50,000). A key may repeat.
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

/** Positions valued in code per batch: about 30 ms of work between two looks at the connection. */
const VALUATION_BATCH = 500;

/**
 * Sends the valued rows to PostgreSQL while the rest are valued: once the quiet lines' INSERT has left the report's
 * connection (one statement at a time on a connection), every batch valued so far goes in by COPY, closes then
 * lines, one pair of COPYs at a time. No foreign key joins them: either may come first. A failed COPY aborts the
 * transaction; `failure` says so at once and `finish` throws it.
 */
class RowStream {
  failure: unknown = undefined;
  lineCount = 0;
  private closeRows: string[] = [];
  private lineRows: string[] = [];
  private ready = false;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly client: PoolClient,
    private readonly quietLines: Promise<unknown>,
  ) {
    quietLines.then(
      () => {
        this.ready = true;
        this.send();
      },
      () => undefined,
    );
  }

  add(rows: ValuedRows): void {
    for (const row of rows.closeRows) this.closeRows.push(row);
    for (const row of rows.lineRows) this.lineRows.push(row);
    this.lineCount += rows.lineRows.length;
    this.send();
  }

  /** Resolves once every row added has been taken (after the quiet lines' INSERT); rejects with the first failure. */
  async finish(): Promise<void> {
    await this.quietLines;
    this.send();
    while (this.sending !== undefined) await this.sending;
    if (this.failure !== undefined) throw this.failure;
  }

  private send(): void {
    if (!this.ready || this.sending !== undefined || this.failure !== undefined) return;
    if (this.closeRows.length === 0 && this.lineRows.length === 0) return;
    const closeRows = this.closeRows;
    const lineRows = this.lineRows;
    this.closeRows = [];
    this.lineRows = [];
    this.sending = (async (): Promise<void> => {
      if (closeRows.length > 0) await copyRows(this.client, 'daily_pnl_closes', CLOSE_COLUMNS, closeRows);
      if (lineRows.length > 0) {
        await copyRows(this.client, 'daily_pnl_lines', [...LINE_COLUMNS, 'close_id', ...COST_COLUMNS], lineRows);
      }
    })().then(
      () => {
        this.sending = undefined;
        this.send();
      },
      (error: unknown) => {
        this.failure = error;
        this.sending = undefined;
      },
    );
  }
}

/** What storeQuietLines inserted: the count, the positions it could not value, and the totals per account. */
interface QuietLines {
  readonly count: number;
  readonly issues: ReportIssue[];
  readonly totals: Map<string, PnlTotals>;
}

function baseCurrencies(reportDate: string, accountId: string): string {
  // An account has exactly one base currency (summarizeByAccount refuses the same).
  return `report ${reportDate}: account ${accountId} has lines in more than one base currency`;
}

/**
 * The report's totals per account and per base currency, from the totals per account of its parts (the lines
 * valued in code, the quiet lines): sums of rounded figures, exact.
 */
function reportTotals(
  reportDate: string,
  parts: readonly ReadonlyMap<string, PnlTotals>[],
): { accounts: AccountTotalsDoc[]; overall: TotalsDoc[] } {
  const byAccount = new Map<string, PnlTotals>();
  for (const part of parts) {
    for (const [accountId, totals] of part) {
      const sum = byAccount.get(accountId);
      if (sum !== undefined && sum.baseCurrency !== totals.baseCurrency) {
        throw new Error(baseCurrencies(reportDate, accountId));
      }
      byAccount.set(accountId, addTotals(sum, totals));
    }
  }
  const byBase = new Map<string, PnlTotals>();
  for (const totals of byAccount.values()) {
    byBase.set(totals.baseCurrency, addTotals(byBase.get(totals.baseCurrency), totals));
  }
  const accounts: AccountPnlSummary[] = [...byAccount].map(([accountId, totals]) => ({ accountId, ...totals }));
  accounts.sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  const overall = [...byBase.values()].sort((a, b) => (a.baseCurrency < b.baseCurrency ? -1 : 1));
  return { accounts: accounts.map(accountTotalsDoc), overall: overall.map(totalsDoc) };
}

interface StoredSummary {
  /** Absent on reports stored before migration 1732407400000. */
  readonly previousReportDate?: string | null;
  readonly accounts: readonly AccountTotalsDoc[];
  readonly overall: readonly TotalsDoc[];
  readonly issues: readonly ReportIssue[];
}

type LineRow = Record<(typeof LINE_COLUMNS)[number], string> & {
  trade_count: number;
  realized_since_inception: string | null;
  realized_since_inception_base: string | null;
  price_effect_today_base: string | null;
  fx_effect_today_base: string | null;
};

function fromLineRow(row: LineRow): ReportLineDoc {
  return {
    accountId: row.account_id,
    isin: row.isin,
    costMethod: row.cost_method,
    currency: row.currency,
    baseCurrency: row.base_currency,
    openingQuantity: row.opening_quantity,
    closingQuantity: row.closing_quantity,
    tradeCount: row.trade_count,
    boughtQuantity: row.bought_quantity,
    soldQuantity: row.sold_quantity,
    closePrice: row.close_price,
    closeFxRate: row.close_fx_rate,
    local: {
      realizedToday: row.realized_today,
      unrealizedChangeToday: row.unrealized_change_today,
      feesToday: row.fees_today,
      totalToday: row.total_today,
      realizedSinceInception: row.realized_since_inception,
      unrealizedAtPreviousClose: row.unrealized_at_previous_close,
      unrealizedAtClose: row.unrealized_at_close,
    },
    base: {
      realizedToday: row.realized_today_base,
      unrealizedChangeToday: row.unrealized_change_today_base,
      feesToday: row.fees_today_base,
      totalToday: row.total_today_base,
      realizedSinceInception: row.realized_since_inception_base,
      unrealizedAtPreviousClose: row.unrealized_at_previous_close_base,
      unrealizedAtClose: row.unrealized_at_close_base,
      priceEffectToday: row.price_effect_today_base,
      fxEffectToday: row.fx_effect_today_base,
    },
  };
}
