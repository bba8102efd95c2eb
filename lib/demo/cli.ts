/**
 * `npm run demo [-- --trades N --date YYYY-MM-DD --seed S --keep --stall-timeout SECONDS]`: the platform's main job
 * in one command. Starts the local stack (or uses a running one), publishes N simulated trades all dated D (the
 * simulator's single-day mode: `posttrade produce --date D`), waits until every trade is fully processed
 * (lib/demo/progress.ts says what that means), writes D's daily report as HTML and JSON under
 * `<data dir>/reports`, prints a summary whose outcomes add up to the trades captured (lib/demo/summary.ts), and
 * stops the stack it started unless --keep.
 *
 * D defaults to the last date of the seed calendar on which some instrument closed (from the seed's reference
 * prices); a date with no closes is refused before the stack starts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { Kafka, logLevel } from 'kafkajs';
import type { Pool } from 'pg';

import { createPool } from '../db/pool';
import { Topics } from '../kafka/topics';
import type { DailyReportDoc } from '../pnl/document';
import { DEFAULT_SEED_DIR, loadSimulatorData } from '../simulator/cli';
import { lastTradingDay, simulateTrades } from '../simulator/generate';
import { undecodableCount } from '../simulator/undecodable';
import { formatProgress, pendingStage, progressKey, ProgressLine, type PipelineShape } from './progress';
import {
  capturedCount,
  readInstructionStates,
  readPipelineCounts,
  readPositionCounts,
  readTradeDates,
  readUsedSeeds,
  type CapturedRange,
} from './queries';
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
  readonly trades: number;
  readonly date: string | undefined;
  readonly seed: number | undefined;
  readonly keep: boolean;
  readonly stallTimeoutMs: number;
  /** Share of undecodable records published besides the trades, so the summary shows the dead-letter path. */
  readonly undecodableRate: number;
}

export class DemoError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DemoError';
  }
}

/**
 * The trade date of the run: `requested`, or the seed calendar's last date with closes. Refused (DemoError) when
 * the simulator cannot fill that day, so that nothing starts for a run that cannot work.
 */
export function demoTradeDate(requested: string | undefined, seedDir: string = DEFAULT_SEED_DIR): string {
  const data = loadSimulatorData(seedDir);
  const date = requested ?? lastTradingDay(data);
  if (date === undefined) throw new DemoError(`the reference prices in ${seedDir} have no closes to trade around`);
  try {
    simulateTrades(data, { seed: 1, errorRate: 0, date });
  } catch (error) {
    throw new DemoError(`--date ${date}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return date;
}

export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      trades: { type: 'string', default: '3000' },
      date: { type: 'string' },
      seed: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'stall-timeout': { type: 'string', default: '120' },
      'undecodable-rate': { type: 'string', default: '0.005' },
    },
  });
  const trades = Number(values.trades);
  if (!Number.isInteger(trades) || trades < 1) throw new DemoError('--trades must be a positive integer');
  if (values.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) {
    throw new DemoError('--date must be YYYY-MM-DD');
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new DemoError('--seed must be an integer');
  const stall = Number(values['stall-timeout']);
  if (!(stall > 0)) throw new DemoError('--stall-timeout must be a positive number of seconds');
  const undecodableRate = Number(values['undecodable-rate']);
  if (!(undecodableRate >= 0 && undecodableRate <= 1))
    throw new DemoError('--undecodable-rate must be between 0 and 1');
  return { trades, date: values.date, seed, keep: values.keep, stallTimeoutMs: stall * 1000, undecodableRate };
}

const say = (text: string): void => {
  process.stdout.write(`[demo] ${text}\n`);
};

/** Runs `posttrade <args>` with the stack's environment; output passes through; rejects on a non-zero exit. */
async function posttrade(args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'posttrade.js'), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new DemoError(`posttrade ${args.join(' ')} exited with ${String(code)}`);
}

/** End offsets of trades.captured per partition. */
async function capturedEndOffsets(brokers: string): Promise<Map<number, number>> {
  const admin = new Kafka({
    clientId: 'posttrade-demo',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(Topics.TRADES_CAPTURED);
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

/** Polls the stage counts until every trade is fully processed; fails naming the stage that stopped moving. */
async function waitUntilProcessed(
  pool: Pool,
  ranges: readonly CapturedRange[],
  shape: PipelineShape,
  stallTimeoutMs: number,
): Promise<Awaited<ReturnType<typeof readPipelineCounts>>> {
  const line = new ProgressLine(process.stderr);
  const started = Date.now();
  let lastKey = '';
  let lastChange = started;
  for (;;) {
    const counts = await readPipelineCounts(pool, ranges);
    const now = Date.now();
    const pending = pendingStage(counts, shape);
    const key = progressKey(counts);
    // Persistence no-ops are inferred (readPipelineCounts): one of them may yet turn out to be a conflict being
    // recorded, so a finish that counts them is only taken when a second read a second later agrees.
    const done = pending === undefined && (counts.persistDuplicates === 0 || key === lastKey);
    line.show(formatProgress(counts, shape, now - started), now, done);
    if (done) return counts;
    if (key !== lastKey) {
      lastKey = key;
      lastChange = now;
    } else if (now - lastChange > stallTimeoutMs) {
      line.end();
      throw new DemoError(
        `the ${pending} stage stalled: no progress for ${stallTimeoutMs / 1000} s ` +
          `(${formatProgress(counts, shape, now - started)}); see the function logs in ${stackPaths().logDir}/offline.log`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The whole demo; resolves with the process exit code. */
export async function runDemo(options: DemoOptions): Promise<number> {
  const paths = stackPaths();
  const tradeDate = demoTradeDate(options.date);
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
    const env = { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers };
    pool = createPool({ url: databaseUrl, poolMax: 2, statementTimeoutMs: 60_000, applicationName: 'posttrade-demo' });
    const shape = pipelineShape();

    const seed = options.seed ?? (await freshSeed(pool));
    const undecodable = undecodableCount(seed, options.undecodableRate, options.trades);
    say(
      `publishing ${options.trades} simulated trades dated ${tradeDate} (seed ${seed}) and ${undecodable} ` +
        `undecodable records to ${Topics.TRADES_CAPTURED}`,
    );
    const before = await capturedEndOffsets(brokers);
    await posttrade(
      [
        'produce',
        ...['--count', String(options.trades), '--seed', String(seed), '--date', tradeDate],
        ...['--undecodable-rate', String(options.undecodableRate)],
      ],
      env,
    );
    const after = await capturedEndOffsets(brokers);
    const ranges = [...after].map(([partition, to]) => ({ partition, from: before.get(partition) ?? 0, to }));
    if (capturedCount(ranges) !== options.trades + undecodable) {
      say(
        `note: trades.captured grew by ${capturedCount(ranges)} records, not ${options.trades + undecodable} ` +
          '(another producer?)',
      );
    }
    checkInterrupted();

    say('waiting until every trade is fully processed');
    const counts = await waitUntilProcessed(pool, ranges, shape, options.stallTimeoutMs);
    checkInterrupted();

    const dates = await readTradeDates(pool, ranges);
    const reportDate = tradeDate;
    if (dates.length === 0) throw new DemoError('no trade was booked, so there is no day to report');
    const reportsDir = path.join(paths.dataDir, 'reports');
    fs.mkdirSync(reportsDir, { recursive: true });
    const html = path.join(reportsDir, `daily-${reportDate}.html`);
    const json = path.join(reportsDir, `daily-${reportDate}.json`);
    say(`writing the daily report for ${reportDate}`);
    await posttrade(['report', 'daily', '--date', reportDate, '--format', 'html', '--out', html], env);
    await posttrade(['report', 'daily', '--date', reportDate, '--format', 'json', '--out', json], env);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as DailyReportDoc;

    const summary = formatDemoSummary({
      counts,
      reportDate,
      otherTradeDates: dates.map((d) => d.date).filter((date) => date !== reportDate),
      positions: await readPositionCounts(pool),
      // The summary's P&L line: the day's total and realized, and the unrealized at close, per base currency.
      totals: report.overall.map((t) => ({
        baseCurrency: t.baseCurrency,
        total: t.totalToday,
        realized: t.realizedToday,
        unrealized: t.unrealizedAtClose,
      })),
      instructions: shape.settlement ? await readInstructionStates(pool, ranges) : [],
      htmlPath: html,
      jsonPath: json,
    });
    process.stdout.write(summary.join('\n'));
    if (options.keep || status.state === StackState.RUNNING) {
      const http = stackEnv.HTTP_URL ?? '';
      say(`the stack is still running${http === '' ? '' : ` (API ${http})`}; stop it with: npm run stop`);
    }
    return 0;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await pool?.end();
    if (started !== undefined && (stopAfter || interrupted)) {
      say('stopping the stack');
      await stopStack(started);
      say('stack stopped');
    }
  }
}

/** The options; the default date is read from the seed data, so only when help is asked for. */
const usage = (): string => `usage: npm run demo [-- options]
  --trades N            simulated trades, all dated --date (default 3000)
  --date YYYY-MM-DD     their trade date and the report date: a date the seed prices have closes for
                        (default: the last such date, ${String(lastTradingDay(loadSimulatorData(DEFAULT_SEED_DIR)))})
  --seed S              simulator seed (default: the first not used in this data directory)
  --keep                leave the stack running afterwards (npm run stop ends it)
  --stall-timeout SEC   fail when no stage moves for this long (default 120)
  --undecodable-rate P  besides the trades, this share of records no consumer can decode, to show the
                        dead-letter path (default 0.005; see posttrade produce --help)
environment: POSTTRADE_DATA_DIR, KAFKA_PORT, PG_PORT, HTTP_PORT, LAMBDA_PORT, DATABASE_URL (see npm start)
`;

if (require.main === module && (process.argv.includes('--help') || process.argv.includes('-h'))) {
  process.stdout.write(usage());
} else if (require.main === module) {
  Promise.resolve()
    .then(() => runDemo(parseDemoArgs(process.argv.slice(2))))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        process.stderr.write(`[demo] failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      },
    );
}
