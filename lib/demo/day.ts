/**
 * One day of the multi-day demo, the way an operations desk lives it, as named steps in the order they happen:
 *
 * 1. the morning: the custodian's business date becomes D, and FX rates the seed data lacks for D (generated) are
 *    loaded, so that the day's trades convert at their trade-date rate;
 * 2. the day's trades are published to trades.captured and the pipeline takes each through validation, booking,
 *    publication, positions and settlement instructions (waitUntilProcessed);
 * 3. the instructions and cancellations reach the custodian (the settlement outbox drained), and at the close the
 *    custodian sends every report due by D: matched, settled, settled in part, failed (closeDay); the
 *    settlementStatus handler records each;
 * 4. D's end-of-day prices go out on prices.eod and the eodPrices handler stores them; meanwhile
 * 5. the custodian sends D's statements, with the differences it has open (lasting-breaks.ts), and reconciliation
 *    compares them with our books;
 * 6. D's daily P&L report is generated and written as HTML and JSON;
 * 7. the day's figures are read at its close (instructions by state, breaks).
 *
 * Every wait is for an event the demo can observe in the database, and fails naming the step that stopped moving.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { Pool } from 'pg';

import type { RunningCustodian } from '../custodian/loop';
import type { LastingBreak, LastingDifferences } from '../custodian/lasting-breaks';
import type { EventPublisher } from '../kafka/producer';
import type { EodPriceV1 } from '../kafka/schemas/eod-price';
import { Topics } from '../kafka/topics';
import { captureTrades } from '../pipeline/capture';
import type { AccountOwners } from '../pipeline/trade-keys';
import type { PgDailyReportService } from '../pnl/service';
import { writeReport } from '../pnl/writers';
import { loadReferenceData } from '../refdata/load';
import type { SimulatedTrade } from '../simulator/generate';
import type { UndecodableRecord } from '../simulator/undecodable';
import type { EndOfDayData } from './days';
import {
  readBreakEvents,
  readExactCloses,
  readInstructionStates,
  readOpenBreaks,
  readPricesStored,
  readStatementsReceived,
  readStatusRecorded,
  readUnpublishedOutbox,
  type BreakEvent,
  type InstructionStates,
} from './day-queries';
import {
  formatProgress,
  pendingStage,
  progressKey,
  ProgressLine,
  type PipelineCounts,
  type PipelineShape,
} from './progress';
import { capturedCount, readPipelineCounts, type CapturedRange } from './queries';
import { chainDay, type ChainDay } from './pnl-chain';

/** The source the demo's end-of-day prices carry on prices.eod (and so in reference_prices). */
export const DEMO_PRICE_SOURCE = 'posttrade-demo';

export class DemoStepError extends Error {
  override readonly name: string = 'DemoStepError';
}

/** What a day needs from the run: connections, the custodian, and where output goes. */
export interface DayContext {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
  /** The accounts' owners: the trade topics' key. */
  readonly owners: AccountOwners;
  readonly custodian: RunningCustodian;
  readonly lasting: LastingDifferences;
  readonly reports: PgDailyReportService;
  /** End offsets of trades.captured per partition (to tell this day's records from the rest). */
  readonly capturedEndOffsets: () => Promise<Map<number, number>>;
  readonly shape: PipelineShape;
  readonly stallTimeoutMs: number;
  /** Where the reports and the day's files (FX rates loaded) go. */
  readonly dataDir: string;
  readonly logDir: string;
  /** Throws when the run was interrupted (checked between steps). */
  readonly checkInterrupted: () => void;
  readonly progress: ProgressLine;
}

export interface DayPlan {
  readonly date: string;
  readonly trades: readonly SimulatedTrade[];
  /** Records no consumer can decode, published among the day's trades (`--undecodable-rate`): dead-lettered. */
  readonly undecodable: readonly UndecodableRecord[];
  readonly endOfDay: EndOfDayData;
}

export interface DayResult {
  readonly date: string;
  readonly counts: PipelineCounts;
  /** Of the day's events, those the simulator built to fail validation. */
  readonly builtToFail: number;
  readonly fxRatesLoaded: number;
  readonly statusReports: number;
  readonly prices: { readonly count: number; readonly source: EndOfDayData['source'] };
  readonly instructions: InstructionStates;
  readonly statements: number;
  /** The custodian's deliberate differences on D's statements, and those it caught up with on D. */
  readonly differences: { readonly shown: readonly LastingBreak[]; readonly caughtUp: readonly LastingBreak[] };
  readonly breakEvents: readonly BreakEvent[];
  readonly openBreaks: number;
  readonly report: {
    /** Its lines' and base currencies' figures as reported, with each line's stored exact close (pnl-chain.ts). */
    readonly chain: ChainDay;
    /** Lines of a foreign instrument held from the previous close whose FX effect is not zero. */
    readonly fxEffectLines: number;
    readonly htmlPath: string;
    readonly jsonPath: string;
  };
  /** How long each step took (what the day's time went on). */
  readonly steps: readonly { readonly step: string; readonly ms: number }[];
  readonly elapsedMs: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `read` until `done`; fails when `key` has not changed for the stall timeout (nothing moved), naming
 * `step` and what it last read.
 */
async function waitFor<T>(
  context: DayContext,
  step: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  describe: (value: T) => string,
  key: (value: T) => string = describe,
): Promise<T> {
  let lastKey = '';
  let lastChange = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    const now = Date.now();
    if (key(value) !== lastKey) {
      lastKey = key(value);
      lastChange = now;
    } else if (now - lastChange > context.stallTimeoutMs) {
      throw new DemoStepError(
        `${step} stalled: no progress for ${context.stallTimeoutMs / 1000} s (${describe(value)}); ` +
          `see the function logs in ${context.logDir}/offline.log`,
      );
    }
    context.checkInterrupted();
    await pause(250);
  }
}

/** Step 2's wait: every captured record of the day decided, booked, published, positioned and instructed. */
async function waitUntilProcessed(
  context: DayContext,
  date: string,
  ranges: readonly CapturedRange[],
): Promise<PipelineCounts> {
  const started = Date.now();
  let previousKey = '';
  const counts = await waitFor(
    context,
    `${date}: the pipeline`,
    async () => {
      const value = await readPipelineCounts(context.pool, ranges);
      context.progress.show(
        formatProgress(value, context.shape, Date.now() - started).replace(/^\[demo\] /, `[demo] ${date} `),
        Date.now(),
      );
      return value;
    },
    (value) => {
      // Persistence no-ops are inferred (readPipelineCounts): one of them may yet turn out to be a conflict being
      // recorded, so a finish that counts them is only taken when the next read agrees.
      const key = progressKey(value);
      const finished =
        pendingStage(value, context.shape) === undefined && (value.persistDuplicates === 0 || key === previousKey);
      previousKey = key;
      return finished;
    },
    (value) =>
      `${pendingStage(value, context.shape) ?? 'booking'} stage: ${formatProgress(value, context.shape, Date.now() - started)}`,
    progressKey,
  );
  context.progress.end();
  return counts;
}

/** Step 1: the day's FX rates the seed lacks, through the reference-data loader (a one-file directory). */
async function loadFxRates(context: DayContext, plan: DayPlan): Promise<number> {
  const rates = plan.endOfDay.fxRates;
  if (rates.length === 0) return 0;
  const dir = path.join(context.dataDir, 'demo', 'fx', plan.date);
  fs.mkdirSync(dir, { recursive: true });
  const csv = ['base,quote,rate_date,rate', ...rates.map((r) => `${r.base},${r.quote},${r.date},${r.rate.toFixed()}`)];
  fs.writeFileSync(path.join(dir, 'fx_rates.csv'), `${csv.join('\n')}\n`);
  await loadReferenceData(context.pool, dir);
  return rates.length;
}

/**
 * Step 2: the day's trades to trades.captured, in the simulator's order, and the day's undecodable records after
 * them (keyed by the account of the trade each was made from); the offsets they were written at.
 */
async function publishTrades(context: DayContext, plan: DayPlan): Promise<CapturedRange[]> {
  const before = await context.capturedEndOffsets();
  for (let start = 0; start < plan.trades.length; start += 500) {
    await captureTrades(
      plan.trades.slice(start, start + 500).map((t) => t.event),
      context.publisher,
      context.owners,
    );
  }
  if (plan.undecodable.length > 0) {
    await context.publisher.publish(
      plan.undecodable.map((record) => ({ topic: Topics.TRADES_CAPTURED, key: record.key, value: record.value })),
    );
  }
  const after = await context.capturedEndOffsets();
  const ranges = [...after].map(([partition, to]) => ({ partition, from: before.get(partition) ?? 0, to }));
  const expected = plan.trades.length + plan.undecodable.length;
  if (capturedCount(ranges) !== expected) {
    throw new DemoStepError(
      `${plan.date}: trades.captured grew by ${capturedCount(ranges)} records, not ${expected}: ` +
        'another producer is writing to this stack; run the demo on a stack of its own',
    );
  }
  return ranges;
}

/** Step 3: the custodian answers what is due by the close of D, and the status handler records every report. */
async function settleTheDay(context: DayContext, date: string): Promise<number> {
  await waitFor(
    context,
    `${date}: publishing the settlement instructions`,
    () => readUnpublishedOutbox(context.pool),
    (n) => n === 0,
    (n) => `${n} outbox messages unpublished`,
  );
  const sent = await context.custodian.closeDay(date);
  await waitFor(
    context,
    `${date}: the settlementStatus function`,
    () => readStatusRecorded(context.pool, sent),
    (n) => n === sent.length,
    (n) => `${n} of ${sent.length} status reports recorded`,
  );
  return sent.length;
}

/** Step 4: D's closes on prices.eod, stored by the eodPrices function. */
async function loadClosingPrices(context: DayContext, plan: DayPlan): Promise<number> {
  const { closes } = plan.endOfDay;
  const messages = closes.map((c) => {
    const value: EodPriceV1 = {
      schemaVersion: 1,
      isin: c.isin,
      date: plan.date,
      price: c.price,
      currency: c.currency,
      source: DEMO_PRICE_SOURCE,
    };
    return { topic: Topics.PRICES_EOD, key: c.isin, value };
  });
  await context.publisher.publish(messages);
  await waitFor(
    context,
    `${plan.date}: the eodPrices function`,
    () => readPricesStored(context.pool, plan.date, DEMO_PRICE_SOURCE, closes),
    (n) => n === closes.length,
    (n) => `${n} of ${closes.length} closes stored`,
  );
  return closes.length;
}

/** Step 5: D's statements with the custodian's open differences, reconciled by the reconcile function. */
async function reconcileTheDay(
  context: DayContext,
  date: string,
): Promise<{ statementIds: string[]; shown: readonly LastingBreak[]; caughtUp: readonly LastingBreak[] }> {
  const result = await context.custodian.publishLastingStatements(date, context.lasting);
  const statementIds = result.statements.map((s) => s.statement.statementId);
  await waitFor(
    context,
    `${date}: the reconcile function`,
    () => readStatementsReceived(context.pool, statementIds),
    (n) => n === statementIds.length,
    (n) => `${n} of ${statementIds.length} statements reconciled`,
  );
  return { statementIds, shown: result.shown, caughtUp: result.caughtUp };
}

/** Step 6: D's daily P&L report, stored and written out, with the exact closes its lines stored. */
async function reportTheDay(context: DayContext, date: string): Promise<DayResult['report']> {
  const report = await context.reports.generateDocument(date);
  const dir = path.join(context.dataDir, 'reports');
  fs.mkdirSync(dir, { recursive: true });
  const htmlPath = path.join(dir, `daily-${date}.html`);
  const jsonPath = path.join(dir, `daily-${date}.json`);
  fs.writeFileSync(htmlPath, writeReport(report, 'html'));
  fs.writeFileSync(jsonPath, writeReport(report, 'json'));
  const chain = chainDay(report, await readExactCloses(context.pool, date));
  return {
    chain,
    fxEffectLines: chain.lines.filter((line) => line.fxEffectToday).length,
    htmlPath,
    jsonPath,
  };
}

/** The whole day (see the module note). */
export async function runDay(context: DayContext, plan: DayPlan): Promise<DayResult> {
  const started = Date.now();
  const steps: { step: string; ms: number }[] = [];
  const timed = async <T>(step: string, run: () => Promise<T>): Promise<T> => {
    const at = Date.now();
    const value = await run();
    steps.push({ step, ms: Date.now() - at });
    context.checkInterrupted();
    return value;
  };
  context.custodian.openDay(plan.date);
  const fxRatesLoaded = await loadFxRates(context, plan);
  const counts = await timed('trades', async () =>
    waitUntilProcessed(context, plan.date, await publishTrades(context, plan)),
  );
  const statusReports = await timed('settlement', () => settleTheDay(context, plan.date));
  // Independent of each other: the closes go to the eodPrices function while the reconcile function compares the
  // statements (the report needs both done).
  const [prices, reconciled] = await Promise.all([
    timed('prices', () => loadClosingPrices(context, plan)),
    timed('reconciliation', () => reconcileTheDay(context, plan.date)),
  ]);
  const report = await timed('report', () => reportTheDay(context, plan.date));
  const [instructions, breakEvents, openBreaks] = await Promise.all([
    readInstructionStates(context.pool, plan.date),
    readBreakEvents(context.pool, reconciled.statementIds),
    readOpenBreaks(context.pool),
  ]);
  return {
    date: plan.date,
    counts,
    builtToFail: plan.trades.filter((t) => t.intendedFault !== undefined).length,
    fxRatesLoaded,
    statusReports,
    prices: { count: prices, source: plan.endOfDay.source },
    instructions,
    statements: reconciled.statementIds.length,
    differences: { shown: reconciled.shown, caughtUp: reconciled.caughtUp },
    breakEvents,
    openBreaks,
    report,
    steps,
    elapsedMs: Date.now() - started,
  };
}
