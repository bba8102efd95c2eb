/**
 * `npm run demo [-- --trades N --date YYYY-MM-DD --seed S --keep --stall-timeout SECONDS]`: the platform's main job
 * in one command. Starts the local stack (or uses a running one), publishes a simulated trading day, waits until
 * every trade is fully processed (lib/demo/progress.ts says what that means), writes the daily report as HTML and
 * JSON under `<data dir>/reports`, prints a summary, and stops the stack it started unless --keep.
 *
 * The simulator walks the reference data's calendar, EVENTS_PER_DAY trades a day, and cannot target one date; so
 * the report date is the last trade date of the run unless --date names another.
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

export interface DemoOptions {
  readonly trades: number;
  readonly date: string | undefined;
  readonly seed: number | undefined;
  readonly keep: boolean;
  readonly stallTimeoutMs: number;
}

export class DemoError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DemoError';
  }
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
  return { trades, date: values.date, seed, keep: values.keep, stallTimeoutMs: stall * 1000 };
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
    line.show(formatProgress(counts, shape, now - started), now, pending === undefined);
    if (pending === undefined) return counts;
    const key = progressKey(counts);
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
    say(`publishing ${options.trades} simulated trades (seed ${seed}) to ${Topics.TRADES_CAPTURED}`);
    const before = await capturedEndOffsets(brokers);
    await posttrade(['produce', '--count', String(options.trades), '--seed', String(seed)], env);
    const after = await capturedEndOffsets(brokers);
    const ranges = [...after].map(([partition, to]) => ({ partition, from: before.get(partition) ?? 0, to }));
    if (capturedCount(ranges) !== options.trades) {
      say(`note: trades.captured grew by ${capturedCount(ranges)} records, not ${options.trades} (another producer?)`);
    }
    checkInterrupted();

    say('waiting until every trade is fully processed');
    const counts = await waitUntilProcessed(pool, ranges, shape, options.stallTimeoutMs);
    checkInterrupted();

    const dates = await readTradeDates(pool, ranges);
    const lastDate = dates.at(-1)?.date;
    const reportDate = options.date ?? lastDate;
    if (reportDate === undefined) throw new DemoError('no trade was booked, so there is no day to report');
    if (options.date !== undefined && !dates.some((d) => d.date === options.date)) {
      say(`note: no trade of this run is dated ${options.date}; its dates: ${dates.map((d) => d.date).join(', ')}`);
    }
    const reportsDir = path.join(paths.dataDir, 'reports');
    fs.mkdirSync(reportsDir, { recursive: true });
    const html = path.join(reportsDir, `daily-${reportDate}.html`);
    const json = path.join(reportsDir, `daily-${reportDate}.json`);
    say(`writing the daily report for ${reportDate}`);
    await posttrade(['report', 'daily', '--date', reportDate, '--format', 'html', '--out', html], env);
    await posttrade(['report', 'daily', '--date', reportDate, '--format', 'json', '--out', json], env);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as DailyReportDoc;

    const positions = await readPositionCounts(pool);
    const instructions = shape.settlement ? await readInstructionStates(pool, ranges) : [];
    const rejected = counts.rejected + counts.persistRejected;
    const accepted = counts.booked;
    const decidedForStp = accepted + rejected + counts.deadLettered;
    const stp = decidedForStp === 0 ? 0 : (accepted / decidedForStp) * 100;
    const summary = [
      '',
      `Demo summary (trade dates ${dates[0]?.date ?? '-'} to ${lastDate ?? '-'}, report date ${reportDate})`,
      `  trades captured      ${counts.captured}`,
      `  accepted (booked)    ${accepted}`,
      `  rejected             ${rejected}`,
      `  dead-lettered        ${counts.deadLettered}`,
      ...(counts.held > 0 ? [`  held (awaiting trade) ${counts.held}`] : []),
      ...(counts.duplicates > 0 ? [`  duplicates (no-op)   ${counts.duplicates}`] : []),
      `  STP rate             ${stp.toFixed(1)}%`,
      `  positions            ${positions.total} (${positions.open} open)`,
      ...report.overall.map(
        (t) => `  total P&L ${t.baseCurrency}        ${t.total} (realized ${t.realized}, unrealized ${t.unrealized})`,
      ),
      ...(instructions.length > 0
        ? [`  settlement instr.    ${instructions.map((i) => `${i.state} ${i.count}`).join(', ')}`]
        : []),
      `  HTML report          ${html}`,
      `  JSON report          ${json}`,
      '',
    ];
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

const USAGE = `usage: npm run demo [-- options]
  --trades N            simulated trades (default 3000; the simulator walks the seed calendar at 100 a trading day)
  --date YYYY-MM-DD     report date (default: the run's last trade date)
  --seed S              simulator seed (default: the first not used in this data directory)
  --keep                leave the stack running afterwards (npm run stop ends it)
  --stall-timeout SEC   fail when no stage moves for this long (default 120)
environment: POSTTRADE_DATA_DIR, KAFKA_PORT, PG_PORT, HTTP_PORT, LAMBDA_PORT, DATABASE_URL (see npm start)
`;

if (require.main === module && (process.argv.includes('--help') || process.argv.includes('-h'))) {
  process.stdout.write(USAGE);
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
