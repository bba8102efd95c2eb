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
 * code path to the minor unit: test/integration/pnl/report-quiet-sql.test.ts runs the SQL against dailyPnlLine on
 * generated positions, prices and rates, and report-quiet-lines.test.ts compares whole reports both ways. Q, C, B,
 * prices and rates are the same exact decimals on both sides, PostgreSQL multiplies exactly and Dec to 40
 * significant digits, which is exact for prices, quantities and rates; only a cost left by a pro-rata relief can
 * carry 40 digits, and then the two could differ only for an amount within ~1e-25 of half a minor unit.
 *
 * Closing positions are stored once (daily_pnl_closes, migration 1732407100000) and shared: a quiet line points at
 * the close its previous line points at, so the evening's writes are the lines plus the closes of the positions that
 * traded. Where the time goes, and why it is spent this way (`npm run bench:report`, 1,000,000 trades / 50,000
 * positions): the reads run side by side on separate connections while the report's own connection deletes the
 * run it replaces; the quiet lines' INSERT starts as soon as the first reads say which positions are quiet, and the
 * positions valued in code are valued while PostgreSQL inserts them (the two cores work at once), each turned
 * straight into its COPY rows so its decimals die young; once the INSERT is done, what is valued goes in by COPY
 * batch by batch while the rest is valued. `compute` below is that timeline, step by step. The totals are the sums
 * of both parts (the INSERT returns its own), not a scan of the stored lines. Nothing is read back: `generate`
 * returns totals, `get` the lines.
 *
 * The modules: report-inputs.ts reads (steps 1 and 3), report-writes.ts writes on the report's connection (steps 0,
 * 2 and 6), row-stream.ts COPYs (step 5), report-sql.ts holds their SQL, valuation.ts values in code (step 4), and
 * stored-reports.ts is the read side for everything that only reads stored reports.
 */
import type { Pool, PoolClient } from 'pg';

import { withTransaction } from '../db/pool';
import type { DailyReportDoc, HistoryPoint, ReportLineDoc } from './document';
import { previousBusinessDay } from './dates';
import {
  positionsInCode,
  readForCodePath,
  readPreviousReport,
  readReportInputs,
  replayKeys,
  valuationItems,
  type PreviousReport,
} from './report-inputs';
import { insertQuietLines, NO_QUIET_LINES, replaceReport, storeSummary, type QuietLines } from './report-writes';
import { RowStream } from './row-stream';
import { CLOCK } from './report-sql';
import { Started } from './started';
import { PgStoredReports, type LineQuery, type ReportSummary } from './stored-reports';
import { Valuation } from './valuation';

export { PRICE_LOOKBACK_DAYS } from './valuation';
export { HISTORY_DATES } from './stored-reports';

/** Policy: how far before a report's start a booking may have begun and still be missing from what it read. */
export const IN_FLIGHT_MARGIN_SECONDS = 300;

/** Positions valued in code per batch: about 30 ms of work between two looks at the connection. */
const VALUATION_BATCH = 500;

const BEGINNING = '0001-01-01';

export interface ReportStatistics {
  /** Positions valued from a stored close. */
  readonly fromSnapshot: number;
  /** Positions replayed from flat (no usable stored close). */
  readonly replayed: number;
}

/** What `generate` returns: the stored report's totals and issues, without its lines (`get` has them). */
export type GeneratedReport = ReportSummary & {
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
export const REPORT_STEPS = [
  'read',
  'replaced run deleted',
  'read for the code path',
  'valued in code',
  'quiet lines inserted',
  'rows copied',
  'stored',
] as const;

export type ReportStep = (typeof REPORT_STEPS)[number];

/** The report being computed: what `generate` knows before the transaction, and where it runs. */
interface ReportRun {
  readonly client: PoolClient;
  readonly reportDate: string;
  readonly generatedAt: string;
  readonly previous: PreviousReport | undefined;
}

/**
 * Computes and stores the daily P&L report (module note). Reading stored reports needs none of this:
 * PgStoredReports does it, and the read methods here are its, for the callers that do both.
 */
export class PgDailyReportService {
  private readonly inFlightMarginSeconds: number;
  private readonly step: (step: ReportStep) => void;
  private readonly valuationBatch: number;
  private readonly stored: PgStoredReports;

  constructor(
    private readonly pool: Pool,
    options: DailyReportOptions = {},
  ) {
    this.inFlightMarginSeconds = options.inFlightMarginSeconds ?? IN_FLIGHT_MARGIN_SECONDS;
    this.step = options.onStep ?? ((): void => undefined);
    this.valuationBatch = options.valuationBatch ?? VALUATION_BATCH;
    this.stored = new PgStoredReports(pool);
  }

  /**
   * Computes the report for `reportDate` (YYYY-MM-DD), stores it in place of any earlier run, and returns its
   * totals and issues; `get` reads the whole report back (its lines are not shipped back from the store: 50,000
   * lines cost more to return than to compute).
   */
  async generate(reportDate: string): Promise<GeneratedReport> {
    const { rows: clock } = await this.pool.query<{ started: string }>(CLOCK);
    const generatedAt = clock[0]?.started ?? new Date().toISOString();
    const previous = await readPreviousReport(this.pool, reportDate);
    // The report's own transaction holds one connection while the reads use others.
    if ((this.pool.options.max ?? 10) < 2) {
      throw new Error('the daily report needs a pool of at least 2 connections (DB_POOL_MAX)');
    }
    return withTransaction(this.pool, (client) => this.compute({ client, reportDate, generatedAt, previous }));
  }

  /**
   * The report itself, in the transaction `run.client` holds. Three lanes work at once, and the code below is
   * their timeline, in order:
   *
   *   the report's connection            the pool's other connections     this process
   *   0. lock, delete the replaced run   1. read the inputs
   *   2. INSERT the quiet lines          3. read for the code path
   *      (needs 0 and 1)                                                   4. value in code, batch by batch
   *   5. COPY each valued batch (after 2: one statement at a time on a connection)
   *   6. store the totals (after 2 and 5)
   *
   * Steps 0 and 2 are Started: begun, left to run, and awaited where the next step needs them (Started says why
   * their failures are safe to hold until then).
   */
  private async compute(run: ReportRun): Promise<GeneratedReport> {
    const { client, reportDate, previous } = run;
    const window = { after: previous?.reportDate ?? BEGINNING, through: reportDate };
    // The day runs from the previous report date's close (module note); with no report before, from the weekday
    // before's, as if the evening job had run then.
    const previousDate = previous?.reportDate ?? previousBusinessDay(reportDate);

    // 0. The run this one replaces is deleted while the report reads (a rerun's 50,000 lines take a while to go).
    const replaced = Started.step(replaceReport(client, run));
    // 1.
    const inputs = await readReportInputs(this.pool, {
      reportDate,
      previousDate,
      previous,
      window,
      inFlightMarginSeconds: this.inFlightMarginSeconds,
    });
    this.step('read');
    await replaced.result();
    this.step('replaced run deleted');

    // 2. The quiet positions need nothing more: PostgreSQL values and inserts them while the rest goes on.
    const quietLines = Started.step(
      previous === undefined
        ? Promise.resolve(NO_QUIET_LINES)
        : insertQuietLines(client, {
            reportDate,
            previousReportDate: previous.reportDate,
            market: inputs.market,
            inCode: positionsInCode(inputs),
            splitIsins: inputs.splitIsins,
          }),
    );
    quietLines.whenDone(() => this.step('quiet lines inserted'));

    // 3.
    const replay = replayKeys(inputs);
    const codePath = await readForCodePath(this.pool, { inputs, replay, previous, reportDate, window });
    this.step('read for the code path');

    // 4 and 5. Valued while PostgreSQL inserts the quiet lines, then sent batch by batch as the rest is valued.
    const valuation = new Valuation({
      reportDate,
      previousDate,
      items: valuationItems({ inputs, codePath, replay, previous }),
      market: inputs.market,
      closeIds: codePath.closeIds,
    });
    const rows = new RowStream(client, quietLines);
    await this.valueInCode(valuation, rows);
    this.step('valued in code');

    // 6.
    const stored = await this.store(run, { valuation, rows, quietLines });
    return {
      reportDate,
      previousReportDate: previous?.reportDate ?? null,
      generatedAt: run.generatedAt,
      ...stored.summary,
      statistics: { fromSnapshot: inputs.openings.size + stored.quietCount, replayed: replay.length },
    };
  }

  /** Step 4: values batch by batch, handing each to `rows`, until done or a COPY has failed. */
  private async valueInCode(valuation: Valuation, rows: RowStream): Promise<void> {
    while (!valuation.done && rows.failure === undefined) {
      rows.add(valuation.batch(this.valuationBatch));
      // Lets the connection take the quiet lines' answer and the rows sent so far.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Step 6: once every row is in and the quiet lines' INSERT has answered, the totals of both parts. */
  private async store(
    run: ReportRun,
    parts: { readonly valuation: Valuation; readonly rows: RowStream; readonly quietLines: Started<QuietLines> },
  ): Promise<{ summary: Pick<GeneratedReport, 'lineCount' | 'accounts' | 'overall' | 'issues'>; quietCount: number }> {
    const { valuation, rows } = parts;
    await rows.finish();
    this.step('rows copied');
    const quiet = await parts.quietLines.result();
    const lineCount = rows.lineCount + quiet.count - quiet.issues.length;
    const summary = await storeSummary(run.client, {
      reportDate: run.reportDate,
      previousReportDate: run.previous?.reportDate ?? null,
      lineCount,
      totals: [valuation.totals, quiet.totals],
      issues: [...valuation.issues, ...quiet.issues],
    });
    this.step('stored');
    return { summary: { lineCount, ...summary }, quietCount: quiet.count };
  }

  /** `generate`, then the stored report read back whole (what the CLI writes out and the tests inspect). */
  async generateDocument(reportDate: string): Promise<DailyReportDoc & { readonly statistics: ReportStatistics }> {
    const { statistics } = await this.generate(reportDate);
    const report = await this.get(reportDate);
    if (report === undefined) throw new Error(`report ${reportDate}: not found right after it was stored`);
    return { ...report, statistics };
  }

  /** PgStoredReports.get. */
  get(reportDate: string, accounts?: readonly string[]): Promise<DailyReportDoc | undefined> {
    return this.stored.get(reportDate, accounts);
  }

  /** PgStoredReports.lines. */
  lines(query: LineQuery): Promise<ReportLineDoc[]> {
    return this.stored.lines(query);
  }

  /** PgStoredReports.summary. */
  summary(reportDate: string): Promise<ReportSummary | undefined> {
    return this.stored.summary(reportDate);
  }

  /** PgStoredReports.history. */
  history(reportDate: string): Promise<HistoryPoint[]> {
    return this.stored.history(reportDate);
  }
}
