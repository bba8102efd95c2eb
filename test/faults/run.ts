/**
 * `npm run test:faults [-- --seed S --trades N --days D --minutes M --no-baseline --keep-data]`: the
 * fault-injection suite (issue 13). On a local stack of its own (scripts/start.sh: embedded PostgreSQL, the
 * development broker, the handlers under sls offline through the event-source emulator, supervised):
 *
 * 1. the workload: the demo's days (lib/demo, run as its own process against this stack): the simulator's trades
 *    with amends, cancels, late corrections, 5 % invalid, 1 % undecodable; the custodian answering; prices,
 *    statements, the day's report; meanwhile the handlers' process is killed with SIGKILL at seeded random moments
 *    (the stack restarts it);
 * 2. then every record of trades.captured republished (duplicates) with a poison record among them, and while
 *    they drain: kill -9 of the broker, kill -9 of the PostgreSQL postmaster, SIGTERM of the whole stack (timed)
 *    and a fresh start;
 * 3. once nothing moves, the checks (checks.ts) from the database and the topics, the positions against an
 *    independent recomputation from the workload (recompute.ts), and, unless --no-baseline, every position and
 *    report line against the same workload run with no faults on a second stack.
 *
 * Prints each fault with its time and each check with its counts; exit 0 when every check holds.
 * --minutes M (soak): repeats step 2's faults on the same stack until M minutes have passed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { Pool } from 'pg';

import { demoDays } from '../../lib/demo/days';
import { DEFAULT_SEED_DIR, loadSimulatorData } from '../../lib/simulator/cli';
import { simulateTrades } from '../../lib/simulator/generate';
import { generateMarketData, withMarketData } from '../../lib/simulator/market-data';
import {
  capturesAddUp,
  deadLettersKept,
  netEqualsGross,
  noConsumerLag,
  oneInstructionPerLiveVersion,
  outboxesEmpty,
  poisonDeadLettered,
  positionsRecomputed,
  readPositions,
  readReportLines,
  transitionsOnce,
  type Check,
} from './checks';
import { awaitHeadway, describeHeadway, progressNow, type Progress } from './progress';
import type { WorkloadEvent } from './recompute';
import { FaultStack, pause, ROOT } from './stack-control';

const FIRST_DAY = '2024-05-23';

interface Options {
  seed: number;
  trades: number;
  days: number;
  minutes: number;
  baseline: boolean;
  keepData: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      trades: { type: 'string', default: '20000' },
      days: { type: 'string', default: '5' },
      minutes: { type: 'string', default: '0' },
      'no-baseline': { type: 'boolean', default: false },
      'keep-data': { type: 'boolean', default: false },
    },
  });
  const seed = values.seed === undefined ? Math.floor(Math.random() * 1_000_000) + 1 : Number(values.seed);
  const options = {
    seed,
    trades: Number(values.trades),
    days: Number(values.days),
    minutes: Number(values.minutes),
    baseline: !values['no-baseline'],
    keepData: values['keep-data'],
  };
  if (!Number.isInteger(options.seed) || options.seed < 1) throw new Error('--seed must be a positive integer');
  if (!Number.isInteger(options.trades) || options.trades < options.days) throw new Error('--trades: too few');
  if (!Number.isInteger(options.days) || options.days < 1) throw new Error('--days must be a positive integer');
  if (!(options.minutes >= 0)) throw new Error('--minutes must be a number of minutes');
  return options;
}

const began = Date.now();
const stamp = (): string => `+${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s`;
const say = (text: string): void => {
  process.stdout.write(`[faults ${stamp()}] ${text}\n`);
};

/** A seeded stream of numbers in [0, 1) (mulberry32), so that the fault moments replay with the seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The demo's workload, regenerated in this process from the seed exactly as lib/demo/cli.ts builds it. */
function workloadOf(options: Options): WorkloadEvent[] {
  const seedData = loadSimulatorData(DEFAULT_SEED_DIR);
  const days = demoDays(seedData, FIRST_DAY, options.days);
  const generated = generateMarketData(seedData, { seed: options.seed, through: days.at(-1) ?? FIRST_DAY });
  const data = withMarketData(seedData, generated);
  const perDay = Math.ceil(options.trades / options.days);
  const stream = simulateTrades(data, { seed: options.seed, errorRate: 0.05, days, eventsPerDay: perDay });
  return Array.from({ length: perDay * days.length }, () => {
    const t = stream.next().value;
    return { event: t.event, builtToFail: t.intendedFault !== undefined };
  });
}

/** Runs the demo against `stack` as its own process; `onTick` is called every second while it runs. */
async function runDemoOn(stack: FaultStack, options: Options, tag: string): Promise<number | null> {
  const log = path.join(stack.dataDir, 'logs', `faults-demo-${tag}.log`);
  const out = fs.openSync(log, 'w');
  const perDay = Math.ceil(options.trades / options.days);
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'lib/cli/main.ts',
      'demo',
      ...['--days', String(options.days), '--from', FIRST_DAY, '--trades', String(perDay)],
      ...['--seed', String(options.seed), '--undecodable-rate', '0.01', '--stall-timeout', '300', '--keep'],
    ],
    { cwd: ROOT, env: stack.env, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const tail = fs.readFileSync(log, 'utf8').trimEnd().split('\n').slice(-4).join('\n    ');
  say(`demo (${tag}) exited ${String(code)}; its last lines:\n    ${tail}`);
  return code;
}

async function retrying<T>(what: string, run: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(`${what}: still failing after ${timeoutMs / 1000} s: ${String(error)}`, { cause: error });
      }
      await pause(1_000);
    }
  }
}

interface Connections {
  pool: Pool;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
}

async function connect(stack: FaultStack): Promise<Connections> {
  const env = stack.stackEnv();
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 4 });
  // A postmaster killed under us breaks idle clients: the next query gets a new connection.
  pool.on('error', () => undefined);
  const kafka = new Kafka({
    clientId: 'posttrade-faults',
    brokers: (env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer();
  await producer.connect();
  return { pool, kafka, admin, producer };
}

async function disconnect(c: Connections | undefined): Promise<void> {
  if (c === undefined) return;
  await Promise.allSettled([c.admin.disconnect(), c.producer.disconnect(), c.pool.end()]);
}

/** Every record of `topic` so far, as written (key and value), to republish. */
async function readTopic(
  c: Connections,
  topic: string,
  count: number,
): Promise<{ key: Buffer | null; value: Buffer | null }[]> {
  const groupId = `faults-republish-${Date.now()}`;
  const consumer = c.kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: { key: Buffer | null; value: Buffer | null }[] = [];
  if (count === 0) return records;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: ({ message }) => {
        records.push({ key: message.key, value: message.value });
        if (records.length === count) resolve();
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  // The suite's reader is no consumer of the platform's: gone, so that the lag check sees only the platform's.
  await c.admin.deleteGroups([groupId]);
  return records;
}

/** Waits until every group has consumed everything and no outbox holds a message, twice in a row. */
async function drained(c: Connections, timeoutMs = 600_000): Promise<number> {
  const started = Date.now();
  let calm = 0;
  while (calm < 2) {
    const ok = await retrying('reading lag and outboxes', async () => {
      const lag = await noConsumerLag(c.admin);
      const outbox = await outboxesEmpty(c.pool);
      return lag.ok && outbox.ok;
    });
    calm = ok ? calm + 1 : 0;
    if (Date.now() - started > timeoutMs) throw new Error(`the pipeline did not drain in ${timeoutMs / 1000} s`);
    await pause(2_000);
  }
  return Date.now() - started;
}

/** A trade event PostgreSQL cannot store (a NUL in a text field): the record that made validation throw. */
function poisonRecord(seed: number): { key: string; value: string } {
  const event = {
    schemaVersion: 1,
    execId: `POISON-${seed}\u0000X`,
    tradeId: `POISON-${seed}`,
    version: 1,
    lifecycle: 'NEW',
    account: 'ACC-001',
    counterpartyLei: '529900T8BM49AURSDO55',
    isin: 'US0378331005',
    mic: 'XNYS',
    side: 'BUY',
    quantity: '1',
    price: '170.00',
    currency: 'USD',
    tradeDate: '2024-05-23',
    tradeTime: '2024-05-23T14:00:00Z',
    commission: '0',
    fees: '0',
  };
  return { key: 'ACC-001', value: JSON.stringify(event) };
}

interface Fault {
  readonly at: string;
  readonly what: string;
}

/**
 * Every connection through one of the proxies reset, once the handlers hold some (a cut with nothing open injects
 * nothing): they open them for the batches in flight, so the cut lands mid-batch or mid-transaction.
 */
async function cutMidBatch(stack: FaultStack, side: 'postgres' | 'broker', faults: Fault[]): Promise<number> {
  const openBy = Date.now() + 30_000;
  while (stack.proxies[side].open() === 0 && Date.now() < openBy) await pause(50);
  const at = stamp();
  const cut = stack.proxies[side].cutAll();
  faults.push({
    at,
    what:
      side === 'postgres'
        ? `${cut} connections from the handlers to PostgreSQL cut (TCP reset)`
        : `${cut} connections to the broker cut (TCP reset)`,
  });
  say(`fault ${faults.length}: ${faults.at(-1)?.what ?? ''}`);
  return cut;
}

/** Phase 1: the demo's days with the handlers' process killed at seeded random moments. */
async function workloadUnderHandlerKills(
  stack: FaultStack,
  options: Options,
  faults: Fault[],
): Promise<{ code: number | null; kills: number }> {
  const next = random(options.seed);
  say("a second handlers' process joins the same consumer groups");
  const second = await stack.startSecondHandlers();
  faults.push({ at: stamp(), what: `a second handlers' process (pid ${second.pid}) in the same consumer groups` });
  let done = false;
  let secondKilled = false;
  const demo = runDemoOn(stack, options, 'faulted').finally(() => {
    done = true;
  });
  const demoLog = path.join(stack.dataDir, 'logs', 'faults-demo-faulted.log');
  /** Waits `ms`, or less when the workload ends first. */
  const awhile = async (ms: number): Promise<void> => {
    const until = Date.now() + ms;
    while (!done && Date.now() < until) await pause(100);
  };
  const watch = await connect(stack);
  const killer = (async () => {
    let kills = 0;
    /** The pipeline's progress when the handlers were last back from a kill (undefined: none yet). */
    let back: Progress | undefined;
    let restarted = false;
    // The demo refuses a stack that is partly down when it starts: the faults begin once its days do.
    while (!done && !fs.readFileSync(demoLog, 'utf8').includes(' business day(s) from ')) await pause(250);
    // Up to 5 kills while the demo runs (the rest while the duplicates flow). Restarts are awaited as events
    // (stack-control: the supervisor saw the death, the new process polls with every mapping in its group); the
    // next kill waits until the handlers back have committed records again (progress.ts: on a loaded machine a
    // kill 2 s after the restart left them no time to do anything), then lands at a seeded moment 2-10 s later:
    // busy with the day's trades again.
    while (!done && kills < 5) {
      const headway = restarted ? await awaitHeadway(watch.admin, back, () => done) : undefined;
      await awhile(2_000 + Math.floor(next() * 8_000));
      if (done) break;
      const after = headway === undefined ? '' : ` ${describeHeadway(headway)}`;
      const at = stamp();
      if (kills === 1 && !secondKilled) {
        // One of the two scaled-out processes dies alone; the other must take over its partitions (no lag at the
        // end) while it keeps serving.
        process.kill(second.pid, 'SIGKILL');
        await second.exited;
        secondKilled = true;
        faults.push({
          at,
          what: `kill -9 of the second handlers' process (pid ${second.pid})${after}; the survivor takes over`,
        });
        say(`fault ${faults.length}: ${faults.at(-1)?.what ?? ''}`);
        continue;
      }
      const { pid, downMs } = await stack.killAndAwaitRestart('offline');
      back = await progressNow(watch.admin);
      restarted = true;
      kills += 1;
      faults.push({
        at,
        what: `kill -9 of the handlers' process (sls offline pid ${pid})${after}; back in ${downMs} ms`,
      });
      say(`fault ${faults.length}: ${faults.at(-1)?.what ?? ''}`);
      // Between two kills, the network: every connection from the handlers to PostgreSQL cut, or every
      // connection to the broker, mid-batch (the handlers are busy with the day's trades).
      const side = next() < 0.5 ? 'postgres' : 'broker';
      await awhile(1_000 + Math.floor(next() * 3_000));
      if (done) break;
      await cutMidBatch(stack, side, faults);
    }
    return kills;
  })();
  const [code, kills] = await Promise.all([demo, killer]).finally(() => disconnect(watch));
  if (!secondKilled) {
    // The workload ended before its turn: stopped here, as it is not the stack's to stop.
    try {
      process.kill(second.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await second.exited;
  }
  if (kills < 5) say(`${kills} handler kills while the workload ran; the other ${5 - kills} while duplicates flow`);
  return { code, kills };
}

/** Records per send when republishing. */
const REPUBLISH_SLICE = 1_000;

/** The record counts of trades.captured and settlement.status when phase 2 first ran (the workload's own). */
let firstRound: { readonly captured: number; readonly status: number } | undefined;

/** Phase 2: duplicates and a poison record in flight while the broker, the postmaster and the stack go down. */
async function duplicatesUnderInfrastructureFaults(
  stack: FaultStack,
  options: Options,
  faults: Fault[],
  handlerKills: number,
): Promise<{ terminateMs: number; terminateCode: number | null }> {
  let c = await connect(stack);
  const count = await retrying('counting trades.captured', async () =>
    (await c.admin.fetchTopicOffsets('trades.captured')).reduce((s, o) => s + Number(o.high), 0),
  );
  const statusCount = await retrying('counting settlement.status', async () =>
    (await c.admin.fetchTopicOffsets('settlement.status')).reduce((s, o) => s + Number(o.high), 0),
  );
  // A soak comes here again and again: it republishes as many records as the workload wrote, not the topics' whole
  // content (which doubles with every round).
  firstRound ??= { captured: count, status: statusCount };
  const records = await readTopic(c, 'trades.captured', Math.min(count, firstRound.captured));
  // The custodian's reports again, duplicated and late (the instructions have moved on since).
  const statuses = await readTopic(c, 'settlement.status', Math.min(statusCount, firstRound.status));
  // In slices: one send of every report at once outlasts the request timeout on a busy broker, and each retry of it
  // wrote them all again (half a million duplicates in one try).
  for (let i = 0; i < statuses.length; i += REPUBLISH_SLICE) {
    const slice = statuses.slice(i, i + REPUBLISH_SLICE);
    await retrying('republishing settlement.status', () =>
      c.producer.send({ topic: 'settlement.status', messages: slice }),
    );
  }
  say(
    `republished ${statuses.length} status reports (duplicated, late); republishing ${records.length} records of ` +
      'trades.captured (duplicates) with a poison record among them',
  );
  const poison = poisonRecord(options.seed);
  const chunks: { key: Buffer | string | null; value: Buffer | string | null }[][] = [];
  for (let i = 0; i < records.length; i += REPUBLISH_SLICE) chunks.push(records.slice(i, i + REPUBLISH_SLICE));
  chunks[0]?.splice(10, 0, poison);
  const inject = async (n: number): Promise<void> => {
    if (n === 1) {
      const at = stamp();
      const { pid, downMs } = await stack.killAndAwaitRestart('broker');
      faults.push({ at, what: `kill -9 of the broker (pid ${pid}); back on its data directory in ${downMs} ms` });
      say(`fault ${faults.length}: ${faults.at(-1)?.what ?? ''}`);
    } else if (n === 3) {
      const at = stamp();
      const { pid, downMs } = await stack.killAndAwaitRestart('postmaster');
      faults.push({ at, what: `kill -9 of the PostgreSQL postmaster (pid ${pid}); back in ${downMs} ms` });
      say(`fault ${faults.length}: ${faults.at(-1)?.what ?? ''}`);
    }
  };
  for (const [n, chunk] of chunks.entries()) {
    await retrying(`republishing chunk ${n}`, () => c.producer.send({ topic: 'trades.captured', messages: chunk }));
    await inject(n);
  }
  for (let n = chunks.length; n <= 3; n += 1) await inject(n);
  // The handler kills the workload left over (it ended first), while the duplicates are in flight: after each
  // restart a slice of the records again, and the handlers' connections to PostgreSQL cut while they book it.
  // Each kill, as in phase 1, once the handlers have made headway since the fault before (the postmaster's
  // restart, or the last kill's).
  const next = random(options.seed + handlerKills + 1);
  let back = await progressNow(c.admin);
  for (let k = handlerKills; k < 5; k += 1) {
    const headway = await awaitHeadway(c.admin, back);
    await pause(1_000 + Math.floor(next() * 3_000));
    const killAt = stamp();
    const { pid, downMs } = await stack.killAndAwaitRestart('offline');
    back = await progressNow(c.admin);
    faults.push({
      at: killAt,
      what: `kill -9 of the handlers' process (sls offline pid ${pid}) ${describeHeadway(headway)}; back in ${downMs} ms`,
    });
    say(`fault ${faults.length}: ${faults.at(-1)?.what ?? ''}`);
    await retrying('republishing a slice', () =>
      c.producer.send({ topic: 'trades.captured', messages: records.slice(k * 500, k * 500 + 500) }),
    );
    await cutMidBatch(stack, 'postgres', faults);
  }
  // The stack stopped mid-run: SIGTERM as a person's Ctrl-C, timed, then started again.
  await pause(3_000);
  await disconnect(c);
  const at = stamp();
  const { code, ms } = await stack.terminate();
  faults.push({ at, what: `SIGTERM of the stack mid-run: exited ${String(code)} in ${ms} ms; started again` });
  say(`fault ${faults.length}: ${faults.at(-1)?.what ?? ''}`);
  await stack.start();
  c = await connect(stack);
  say(`drained after the restart in ${await drained(c)} ms`);
  await disconnect(c);
  return { terminateMs: ms, terminateCode: code };
}

async function runChecks(stack: FaultStack, workload: WorkloadEvent[], seed: number): Promise<Check[]> {
  const c = await connect(stack);
  try {
    return [
      await capturesAddUp(c.pool, c.admin),
      await deadLettersKept(c.pool, c.admin),
      await poisonDeadLettered(c.pool, seed),
      await oneInstructionPerLiveVersion(c.pool),
      await netEqualsGross(c.pool),
      await transitionsOnce(c.pool, c.admin),
      ...(await positionsRecomputed(c.pool, workload)),
      await noConsumerLag(c.admin),
      await outboxesEmpty(c.pool),
    ];
  } finally {
    await disconnect(c);
  }
}

/**
 * The held-event sweep ran on its schedule (serverless.yml sweepPendingEvents, every minute under sls offline) in
 * the handlers' processes, from their logs. One that failed while PostgreSQL or the broker was down is counted, not
 * a problem: the next minute's sweeps again.
 */
function scheduledSweepsRan(stack: FaultStack): Check {
  const logs = path.join(stack.dataDir, 'logs');
  let ran = 0;
  let failed = 0;
  for (const name of fs.readdirSync(logs).filter((f) => f.startsWith('offline'))) {
    const text = fs.readFileSync(path.join(logs, name), 'utf8');
    ran += text.split('Successfully invoked scheduled function: [sweepPendingEvents]').length - 1;
    failed += text.split('Failed to execute scheduled function: [sweepPendingEvents]').length - 1;
  }
  return {
    name: 'the held-event sweep ran on its schedule',
    ok: ran > 0,
    counts: `${ran} scheduled sweeps, ${failed} failed (during an outage)`,
    problems: ran === 0 ? ['no scheduled sweep in the offline logs'] : [],
  };
}

function compareMaps(name: string, a: Map<string, unknown>, b: Map<string, unknown>): Check {
  const problems: string[] = [];
  for (const [key, value] of a) {
    if (JSON.stringify(b.get(key)) !== JSON.stringify(value)) {
      problems.push(`${key}: faulted ${JSON.stringify(value)}, no-fault ${JSON.stringify(b.get(key))}`);
    }
  }
  for (const key of b.keys()) if (!a.has(key)) problems.push(`${key}: only in the no-fault run`);
  return {
    name,
    ok: problems.length === 0,
    counts: `${a.size} faulted, ${b.size} no-fault`,
    problems: problems.slice(0, 8),
  };
}

/** What the no-fault run left: the demo's exit, its positions and report lines; or why it could not run. */
type BaselineResult =
  | { code: number | null; positions: Map<string, unknown>; lines: Map<string, unknown>; ms: number }
  | { error: unknown };

/**
 * The same workload with no faults on a second stack, through the same pipeline from the same bundle of the
 * handlers. Its stack starts while the faulted run's workload begins (`ready`: the start's outcome, never a
 * rejection) and its workload runs once the faulted workload has ended, alongside the infrastructure faults, the
 * drain and the checks: the two demos never run at once. Never rejects: a failure is a result.
 */
async function runBaseline(baseline: FaultStack, ready: Promise<unknown>, options: Options): Promise<BaselineResult> {
  const started = Date.now();
  try {
    const startError = await ready;
    if (startError !== undefined) return { error: startError };
    say('the same workload with no faults, on the second stack (alongside the faulted run)');
    const code = await runDemoOn(baseline, options, 'no-fault');
    const b = await connect(baseline);
    try {
      return {
        code,
        positions: await readPositions(b.pool),
        lines: await readReportLines(b.pool),
        ms: Date.now() - started,
      };
    } finally {
      await disconnect(b);
    }
  } catch (error) {
    return { error };
  }
}

/** Every position and every daily report line of the faulted run against the no-fault run's. */
async function compareWithBaseline(
  stack: FaultStack,
  baseline: FaultStack,
  run: Promise<BaselineResult>,
): Promise<Check[]> {
  const c = await connect(stack);
  const faultedPositions = await readPositions(c.pool);
  const faultedLines = await readReportLines(c.pool);
  await disconnect(c);
  // The faulted stack is done with: the no-fault run, if it is still going, gets the machine.
  await stack.stop();
  const result = await run;
  if ('error' in result) {
    return [{ name: 'no-fault run completed', ok: false, counts: 'failed', problems: [String(result.error)] }];
  }
  say(`no-fault run done (${(result.ms / 1000).toFixed(0)} s from its start)`);
  return [
    {
      name: 'no-fault run completed',
      ok: result.code === 0,
      counts: `demo exit ${String(result.code)}`,
      problems: result.code === 0 ? [] : [`see ${baseline.dataDir}/logs/faults-demo-no-fault.log`],
    },
    compareMaps('positions = the no-fault run', faultedPositions, result.positions),
    compareMaps('daily report lines = the no-fault run', faultedLines, result.lines),
  ];
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  say(
    `seed ${options.seed} (replay: npm run test:faults -- --seed ${options.seed}); ${options.trades} trades over ` +
      `${options.days} days${options.minutes > 0 ? `; soak ${options.minutes} min` : ''}`,
  );
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `posttrade-faults-${options.seed}-`));
  fs.chmodSync(root, 0o755);
  // The handlers are bundled once, by the faulted stack's first start; every later handlers' process runs that.
  // Two levels under the service directory, as serverless-esbuild's .esbuild/.build: the source maps' relative
  // paths then lead to the sources (stack traces name lib/..., not /tmp/lib/...).
  const bundle = path.join(ROOT, '.local', `faults-handlers-${process.pid}`);
  const stack = await FaultStack.create(path.join(root, 'faulted'), bundle);
  const baseline = options.baseline ? await FaultStack.create(path.join(root, 'no-fault'), bundle) : undefined;
  let baselineReady: Promise<unknown> = Promise.resolve();
  const faults: Fault[] = [];
  const checks: Check[] = [];
  try {
    say(`starting the stack (data ${stack.dataDir})`);
    await stack.start();
    if (baseline !== undefined) {
      say(`starting the no-fault stack (data ${baseline.dataDir})`);
      // Resolves with the error, if any: it is awaited only later.
      baselineReady = baseline.start().then(
        () => undefined,
        (error: unknown) => error ?? new Error('the no-fault stack did not start'),
      );
    }
    say('stack ready; the workload runs with the handlers killed at random moments');
    const { code: demoCode, kills } = await workloadUnderHandlerKills(stack, options, faults);
    const baselineRun = baseline === undefined ? undefined : runBaseline(baseline, baselineReady, options);
    const phase2 = await duplicatesUnderInfrastructureFaults(stack, options, faults, kills);
    const soakEnd = began + options.minutes * 60_000;
    while (Date.now() < soakEnd) await duplicatesUnderInfrastructureFaults(stack, options, faults, 0);

    say('checking');
    const workload = workloadOf(options);
    checks.push({
      name: 'the workload ran to its end (the demo exited 0)',
      ok: demoCode === 0,
      counts: `demo exit ${String(demoCode)}`,
      problems: demoCode === 0 ? [] : [`see ${stack.dataDir}/logs/faults-demo-faulted.log`],
    });
    checks.push({
      name: 'SIGTERM: the stack exited cleanly within 10 s',
      ok: phase2.terminateCode === 0 && phase2.terminateMs <= 10_000,
      counts: `exit ${String(phase2.terminateCode)} after ${phase2.terminateMs} ms`,
      problems: phase2.terminateMs <= 10_000 ? [] : [`took ${phase2.terminateMs} ms`],
    });
    checks.push(...(await runChecks(stack, workload, options.seed)));
    checks.push(scheduledSweepsRan(stack));

    if (baseline !== undefined && baselineRun !== undefined) {
      checks.push(...(await compareWithBaseline(stack, baseline, baselineRun)));
    }
  } finally {
    await stack.stop();
    await stack.closeProxies();
    if (baseline !== undefined) {
      await baselineReady;
      await baseline.stop();
      await baseline.closeProxies();
    }
    if (!options.keepData) {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(bundle, { recursive: true, force: true });
    } else say(`data kept in ${root} (the handlers' bundle in ${bundle})`);
  }
  say(`faults injected (${faults.length}):`);
  for (const f of faults) process.stdout.write(`  ${f.at}  ${f.what}\n`);
  say('checks:');
  for (const c of checks) {
    process.stdout.write(`  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.counts}\n`);
    for (const p of c.problems) process.stdout.write(`      ${p}\n`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  say(
    `${checks.length - failed} of ${checks.length} checks hold; seed ${options.seed}; ` +
      `${((Date.now() - began) / 1000).toFixed(0)} s`,
  );
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `[faults] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
