/**
 * `npm run demo [-- --days N --from YYYY-MM-DD --trades N --seed S --undecodable-rate P --keep --stall-timeout SEC]`: the platform's
 * main job over several business days, the way an operations desk lives them. Starts the local stack (or uses a
 * running one), then for each day (lib/demo/day.ts): trades published and taken through the pipeline, the
 * custodian simulator answering every instruction at the close of its status date, end-of-day prices (and, past
 * the seed data, generated prices and FX rates), the custodian's statements with a few deliberate differences
 * reconciled, and the day's P&L report written as HTML and JSON under `<data dir>/reports`. Then a summary per day
 * whose figures are checked against each other (lib/demo/summary.ts), and the stack it started is stopped unless
 * --keep. Exit 0 when every check holds, 1 when one does not or something failed.
 *
 * The days are weekdays on which some venue trades, from --from on (lib/demo/days.ts): by default six from
 * Thursday 2024-05-23, across a weekend, Memorial Day and the US move to T+1.
 */
import fs from 'node:fs';
import path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';
import type { Pool } from 'pg';

import {
  DEFAULT_TRADES_PER_DAY,
  DEFAULT_UNDECODABLE_RATE,
  demoSpec,
  parseOptions,
  type DemoCliOptions,
} from '../cli/commands';
import { ExitCode } from '../cli/errors';
import type { CommandContext } from '../cli/program';
import { calendarsFromReferenceData } from '../custodian/cli';
import { DEFAULT_CUSTODIAN_RATES } from '../custodian/decide';
import { LastingDifferences } from '../custodian/lasting-breaks';
import { runCustodian, type RunningCustodian } from '../custodian/loop';
import { PgAccountOwners } from '../db/account-owners';
import { createPool } from '../db/pool';
import { messageOf } from '../kafka/errors';
import { patiently } from '../kafka/patiently';
import { createKafkaProducer, KafkaPublisher } from '../kafka/producer';
import { Topics } from '../kafka/topics';
import { PgDailyReportService } from '../pnl/service';
import { DEFAULT_SEED_DIR, loadSimulatorData } from '../simulator/cli';
import { simulateTrades, type SimulatedTrade } from '../simulator/generate';
import { undecodableRecord, undecodableSchedule, type UndecodableRecord } from '../simulator/undecodable';
import { generateMarketData, withMarketData } from '../simulator/market-data';
import { runDay, type DayResult } from './day';
import { readExactCloses, readLastReportDateBefore, readReportDatesFrom } from './day-queries';
import { demoDays, endOfDayData, venuesOpen, weekdayName } from './days';
import { chainDay, PnlChainInputError, type ChainDay } from './pnl-chain';
import { ProgressLine, type PipelineShape } from './progress';
import { readUsedSeeds } from './queries';
import {
  readStackEnv,
  ROOT,
  startStack,
  stackPaths,
  stackState,
  StackState,
  stopStack,
  type StartedStack,
} from './stack';
import { formatDemoSummary } from './summary';

export interface DemoOptions {
  readonly days: number;
  readonly from: string;
  /** Trades (simulated events) a day. */
  readonly trades: number;
  readonly seed: number | undefined;
  readonly keep: boolean;
  readonly stallTimeoutMs: number;
  /** Share of undecodable records published besides the trades, so the summary shows the dead-letter path. */
  readonly undecodableRate: number;
}

export { DEFAULT_TRADES_PER_DAY, DEFAULT_UNDECODABLE_RATE };
/** Deliberate differences the custodian opens a day, and the most statement dates one lasts. */
const DIFFERENCES_PER_DAY = 2;
const DIFFERENCE_MAX_DAYS = 3;

export class DemoError extends Error {
  override readonly name: string = 'DemoError';
}

/** The demo's options from the command line's form of them. */
export function demoOptions(cli: DemoCliOptions): DemoOptions {
  return {
    days: cli.days,
    from: cli.from,
    trades: cli.trades,
    seed: cli.seed,
    keep: cli.keep,
    stallTimeoutMs: cli.stallTimeout * 1000,
    undecodableRate: cli.undecodableRate,
  };
}

/** The demo's options from its arguments, parsed as `posttrade demo` does (UsageError on a bad one). */
export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  return demoOptions(parseOptions<DemoCliOptions>(demoSpec, argv));
}

const say = (text: string): void => {
  process.stdout.write(`[demo] ${text}\n`);
};

/** End offsets of trades.captured per partition. */
async function capturedEndOffsets(brokers: string): Promise<Map<number, number>> {
  const admin = new Kafka({
    clientId: 'posttrade-demo',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const offsets = await patiently(() => admin.fetchTopicOffsets(Topics.TRADES_CAPTURED), {
      forMs: 60_000,
      onRetry: (error) => say(`end offsets of ${Topics.TRADES_CAPTURED} not read (${messageOf(error)}); trying again`),
    });
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** The first seed (from 1) whose ExecIDs are not in the database yet, so a rerun books new trades. */
async function freshSeed(pool: Pool): Promise<number> {
  const used = await readUsedSeeds(pool);
  let seed = 1;
  while (used.has(seed)) seed += 1;
  return seed;
}

/** The settlement stage runs when serverless.yml has a function on its handler. */
function pipelineShape(): PipelineShape {
  const yml = fs.readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8');
  return { settlement: /handler:\s*functions\/settle-trades\.handler/.test(yml) };
}

/**
 * The undecodable records among the run's trades, at `share` of them, on the schedule `posttrade produce
 * --undecodable-rate` follows (lib/simulator/undecodable.ts): each made from the trade it follows.
 */
class UndecodableRecords {
  private readonly next: () => number;
  private upcoming: number;
  private trades = 0;
  private made = 0;

  constructor(seed: number, share: number) {
    this.next = undecodableSchedule(seed, share);
    this.upcoming = this.next();
  }

  /** Those that follow these trades, the next ones of the run. */
  after(trades: readonly SimulatedTrade[]): UndecodableRecord[] {
    const records: UndecodableRecord[] = [];
    for (const trade of trades) {
      this.trades += 1;
      while (this.upcoming === this.trades) {
        records.push(undecodableRecord(trade.event, this.made));
        this.made += 1;
        this.upcoming = this.next();
      }
    }
    return records;
  }
}

/** One line per day as it ends: what happened, in the order it happened. */
function dayLine(day: DayResult): string {
  const c = day.counts;
  const opened = day.breakEvents.filter((e) => e.event === 'OPENED').length;
  const cleared = day.breakEvents.filter((e) => e.event === 'RESOLVED').length;
  const totals = day.report.chain.totals.map((t) => `${t.totalToday} ${t.baseCurrency}`).join(', ');
  return (
    `${day.date}: ${c.captured} captured, ${c.booked} booked · ${day.statusReports} custodian reports · ` +
    `${day.prices.count} closes (${day.prices.source})` +
    (day.fxRatesLoaded === 0 ? '' : ` and ${day.fxRatesLoaded} FX rates (simulator)`) +
    ` · ${day.statements} statements: ${opened} breaks opened, ${cleared} cleared, ${day.openBreaks} open · ` +
    `P&L ${totals || 'nothing held'} · ${(day.elapsedMs / 1000).toFixed(1)} s ` +
    `(${day.steps.map((s) => `${s.step} ${(s.ms / 1000).toFixed(1)}`).join(', ')})`
  );
}

/**
 * The close the P&L chain starts from: the last report before the first day, as reported and as stored exactly, or
 * none (the chain starts flat). A report stored before migration 1732407400000 kept no exact close to open from.
 */
async function readChainOrigin(
  pool: Pool,
  reports: PgDailyReportService,
  firstDay: string,
): Promise<ChainDay | undefined> {
  const date = await readLastReportDateBefore(pool, firstDay);
  if (date === undefined) return undefined;
  const report = await reports.get(date);
  if (report === undefined) return undefined;
  try {
    return chainDay(report, await readExactCloses(pool, date));
  } catch (error) {
    if (error instanceof PnlChainInputError) {
      throw new DemoError(`the days open from the ${date} report, which cannot start the P&L chain: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** The whole demo; resolves with the process exit code. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const began = Date.now();
  const paths = stackPaths();
  const seedData = loadSimulatorData(DEFAULT_SEED_DIR);
  let days: string[];
  try {
    days = demoDays(seedData, options.from, options.days);
  } catch (error) {
    throw new DemoError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const status = stackState();
  let started: StartedStack | undefined;
  if (status.state === StackState.PARTIAL) {
    throw new DemoError(
      `part of a stack is running in ${paths.dataDir} (see below); stop it with 'npm run stop' first\n${status.output}`,
    );
  }
  const stopAfter = status.state === StackState.STOPPED && !options.keep;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = true;
    process.stderr.write(`\n[demo] ${signal}: stopping\n`);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const checkInterrupted = (): void => {
    if (interrupted) throw new DemoError('interrupted');
  };
  let pool: Pool | undefined;
  let publisher: KafkaPublisher | undefined;
  let custodian: RunningCustodian | undefined;
  try {
    if (status.state === StackState.RUNNING) {
      say(`a stack is already running (data ${paths.dataDir}); using it and leaving it running`);
    } else {
      say(`starting the local stack (data ${paths.dataDir}, log ${path.join(paths.logDir, 'demo-stack.log')})`);
      const line = new ProgressLine(process.stderr);
      started = await startStack(paths, 300_000, (ms) => {
        checkInterrupted();
        line.show(`[demo] starting the stack… ${(ms / 1000).toFixed(0)}s`, Date.now());
      });
      line.end();
      say('stack ready');
    }
    checkInterrupted();
    const stackEnv = readStackEnv(paths);
    const databaseUrl = stackEnv.DATABASE_URL ?? '';
    const brokers = stackEnv.KAFKA_BROKERS ?? '';
    if (databaseUrl === '' || brokers === '')
      throw new DemoError(`${paths.stackEnv} lacks DATABASE_URL or KAFKA_BROKERS`);
    // The daily report reads on several connections at once while its transaction holds one.
    pool = createPool({ url: databaseUrl, poolMax: 6, statementTimeoutMs: 240_000, applicationName: 'posttrade-demo' });

    const reported = await readReportDatesFrom(pool, days[0] ?? '');
    if (reported.length > 0) {
      throw new DemoError(
        `${paths.dataDir} already holds daily reports from ${reported[0] ?? ''} on (${reported.length}): a run ` +
          'must start after the last report so that each day follows the one before. Use another ' +
          `POSTTRADE_DATA_DIR (or remove ${paths.dataDir}), or --from a later date`,
      );
    }
    const seed = options.seed ?? (await freshSeed(pool));
    const through = days.at(-1) ?? options.from;
    const generated = generateMarketData(seedData, { seed, through });
    const data = withMarketData(seedData, generated);
    const stream = simulateTrades(data, { seed, errorRate: 0.05, days, eventsPerDay: options.trades });
    const broken = new UndecodableRecords(seed, options.undecodableRate);
    const logFile = path.join(paths.logDir, 'demo-custodian.log');
    fs.writeFileSync(logFile, '');
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: brokers.split(','), clientId: 'posttrade-demo' }));
    custodian = await runCustodian({
      brokers: brokers.split(','),
      seed,
      rates: DEFAULT_CUSTODIAN_RATES,
      delayMs: 0,
      calendarFor: calendarsFromReferenceData(DEFAULT_SEED_DIR),
      serves: [],
      defaultBic: 'IRVTUS3N',
      clock: 'business-date',
      log: (line) => fs.appendFileSync(logFile, `${line}\n`),
    });
    const context = {
      pool,
      publisher,
      owners: new PgAccountOwners(pool),
      custodian,
      lasting: new LastingDifferences({ seed, perDay: DIFFERENCES_PER_DAY, maxDays: DIFFERENCE_MAX_DAYS }),
      reports: new PgDailyReportService(pool),
      capturedEndOffsets: () => capturedEndOffsets(brokers),
      shape: pipelineShape(),
      stallTimeoutMs: options.stallTimeoutMs,
      dataDir: paths.dataDir,
      logDir: paths.logDir,
      checkInterrupted,
      progress: new ProgressLine(process.stderr),
    };
    const origin = await readChainOrigin(pool, context.reports, days[0] ?? '');
    const generatedDays = new Set(generated.closes.map((c) => c.date));
    say(
      `${days.length} business day(s) from ${days[0] ?? ''} to ${through}, ${options.trades} simulated trades a day ` +
        `(seed ${seed})` +
        (generatedDays.size > 0 ? `; prices and FX rates past the seed data's end generated by the simulator` : ''),
    );
    const results: DayResult[] = [];
    for (const date of days) {
      checkInterrupted();
      const trades = Array.from({ length: options.trades }, () => stream.next().value);
      const undecodable = broken.after(trades);
      say(
        `${date} ${weekdayName(date)}: trading on ${venuesOpen(data, date).join(', ')}` +
          (undecodable.length === 0 ? '' : `; ${undecodable.length} undecodable records among the trades`),
      );
      const result = await runDay(context, {
        date,
        trades,
        undecodable,
        endOfDay: endOfDayData(data, generated, date),
      });
      say(dayLine(result));
      results.push(result);
    }

    const summary = formatDemoSummary({
      days: results,
      origin,
      seed,
      tradesPerDay: options.trades,
      elapsedMs: Date.now() - began,
    });
    process.stdout.write(summary.lines.join('\n'));
    if (!summary.ok) say('some figures do not agree (✗ above)');
    if (options.keep || status.state === StackState.RUNNING) {
      const http = stackEnv.HTTP_URL ?? '';
      say(`the stack is still running${http === '' ? '' : ` (API ${http})`}; stop it with: npm run stop`);
    }
    return summary.ok ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await custodian?.stop();
    await publisher?.disconnect();
    await pool?.end();
    if (started !== undefined && (stopAfter || interrupted)) {
      say('stopping the stack');
      await stopStack(started);
      say('stack stopped');
    }
  }
}

/** `posttrade demo` (`npm run demo`): exit 0 when every check holds. */
export async function demoCommand(options: DemoCliOptions, _context: CommandContext): Promise<ExitCode> {
  return (await runDemo(demoOptions(options))) === 0 ? ExitCode.OK : ExitCode.FAILURE;
}
