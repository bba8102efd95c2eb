/**
 * The pipeline benchmark's runs, on one PostgreSQL server (`serverUrl`) and a broker process per run:
 *
 * 1. throughput: the workload published first (the producer timed on its own), then the handler process starts
 *    and drains it; trades/s from the first validateTrades invocation to the end of the last invocation of
 *    persistTrades, settleTrades and positions (every trade booked, instructed and positioned). The custodian
 *    simulator answers the instructions meanwhile (settlementStatus), and afterwards sends one statement date
 *    (reconcile), timed on its own.
 * 2. COPY ceiling: the rows run 1 wrote, COPYed into a fresh database.
 * 3. latency: the handler process running, a fresh workload sample offered at a paced rate, each record stamped
 *    as it leaves; capture timestamp → end of the positions invocation that applied it.
 * 4. naive: a sample with every mapping at batch size 1 (so each handler writes each row in its own statements
 *    and transaction), published first, scaled to the workload by its rate.
 * 5. scaling: the workload at 1, 2, 4, 8 partitions per topic with one concurrent batch per partition.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { CountProgress } from '../../lib/cli/progress';
import type { OutputStream } from '../../lib/cli/program';
import { calendarsFromReferenceData } from '../../lib/custodian/cli';
import { runCustodian } from '../../lib/custodian/loop';
import { TopicPartitions, Topics } from '../../lib/kafka/topics';
import { copyCeilingMs, rowsWritten, type TableRows } from './copy-ceiling';
import type { StageStats } from './protocol';
import { writeScaledReferenceData } from './refdata';
import {
  cloneDatabase,
  createTemplate,
  createTopics,
  databaseUrl,
  dropDatabase,
  startBrokerProcess,
  Worker,
} from './stack';
import { capturePublisher, workload, type Publisher, type Workload } from './workload';

export interface PipelineBenchOptions {
  readonly serverUrl: string;
  readonly dataDir: string;
  readonly seedDir: string;
  /** Broker port of every run (0: a free one each time). */
  readonly brokerPort: number;
  readonly trades: number;
  readonly accounts: number;
  readonly instruments: number;
  readonly errorRate: number;
  readonly amendRate: number;
  readonly cancelRate: number;
  readonly seed: number;
  /** Offered rate of the latency run (trades/s) and how many trades it offers. */
  readonly rate: number;
  readonly latencyTrades: number;
  /** Trades of the naive reference's sample. */
  readonly naiveSample: number;
  readonly scalingPartitions: readonly number[];
  /** Trades of each scaling run. */
  readonly scalingTrades: number;
  /** Write the handler process's CPU profile of the throughput run here. */
  readonly cpuProfileDir?: string;
  readonly log: (line: string) => void;
  /** Where each phase's progress goes (publishing, draining; lib/cli/progress.ts); none when absent. */
  readonly progress?: OutputStream;
}

export interface StageFigure {
  readonly stage: string;
  readonly invocations: number;
  readonly records: number;
  readonly busyMs: number;
  /** Share of the handler process's busy time. */
  readonly share: number;
  readonly summary: Record<string, number>;
}

export interface RunFigures {
  readonly trades: number;
  readonly partitions: number;
  readonly seconds: number;
  readonly tradesPerSecond: number;
  readonly stages: StageFigure[];
  readonly maxRssMb: number;
}

export interface PipelineBenchResult {
  readonly machine: { readonly cpus: number; readonly loadAverage: number[]; readonly node: string };
  readonly workload: {
    readonly trades: number;
    readonly accounts: number;
    readonly instruments: number;
    readonly faulty: number;
    readonly amends: number;
    readonly cancels: number;
    readonly generatedMs: number;
    readonly publishMs: number;
    readonly publishPerSecond: number;
  };
  readonly tradesPerSecond: number;
  readonly throughput: RunFigures & {
    readonly rowsWritten: number;
    readonly rowsPerSecond: number;
    readonly tables: TableRows[];
  };
  readonly reconciliation: {
    readonly statements: number;
    readonly ms: number;
    /** Records settlementStatus and reconcile had handled once the custodian had answered everything. */
    readonly statusReports: number;
    readonly statementRecords: number;
  };
  readonly copy: { readonly ms: number; readonly rows: number; readonly tradesPerSecond: number };
  readonly copyShare: number;
  readonly naive: { readonly sample: number; readonly tradesPerSecond: number; readonly scaledSeconds: number };
  readonly naiveRatio: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly p999: number; readonly max: number };
  readonly latency: {
    readonly offeredRate: number;
    readonly trades: number;
    readonly samples: number;
    readonly achievedRate: number;
  };
  readonly peakRssMb: number;
  readonly scaling: { readonly partitions: number; readonly tradesPerSecond: number }[];
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** The stages whose last invocation marks a trade fully processed: booked, instructed, positioned. */
const FINISHING = ['persistTrades', 'settleTrades', 'positions'] as const;

function figures(stages: Record<string, StageStats>, trades: number, partitions: number, maxRssMb: number): RunFigures {
  const start = stages.validateTrades?.firstStartMs;
  const ends = FINISHING.map((name) => stages[name]?.lastEndMs).filter((end): end is number => end !== undefined);
  if (start === undefined || ends.length < FINISHING.length) {
    throw new Error(`a stage never ran: ${JSON.stringify(Object.keys(stages).filter((s) => stages[s]?.invocations))}`);
  }
  const seconds = (Math.max(...ends) - start) / 1000;
  const busy = Object.values(stages).reduce((sum, s) => sum + s.busyMs, 0);
  return {
    trades,
    partitions,
    seconds: round(seconds, 2),
    tradesPerSecond: Math.round(trades / seconds),
    stages: Object.entries(stages).map(([stage, s]) => ({
      stage,
      invocations: s.invocations,
      records: s.records,
      busyMs: Math.round(s.busyMs),
      share: busy === 0 ? 0 : round(s.busyMs / busy, 3),
      summary: s.summary,
    })),
    maxRssMb: Math.round(maxRssMb),
  };
}

interface Run {
  readonly url: string;
  readonly database: string;
  readonly address: string;
  close(): Promise<void>;
}

export async function runPipelineBench(options: PipelineBenchOptions): Promise<PipelineBenchResult> {
  const { log } = options;
  /** Runs a phase with its progress shown (after a second, so that short phases stay quiet). */
  const phase = async <T>(
    verb: string,
    total: number | undefined,
    work: (update: (done: number) => void) => Promise<T>,
  ) => {
    const stream = options.progress;
    if (stream === undefined) return work(() => undefined);
    const progress = new CountProgress(stream, verb, total, { quietMs: 1_000 });
    try {
      return await work((done) => progress.update(done));
    } finally {
      progress.end();
    }
  };
  const publish = (what: string, publisher: Publisher, records: Workload['records']) =>
    phase(`${what}: published`, records.length, (update) => publisher.publish(records, update));
  const drain = (what: string, worker: Worker) =>
    phase(`${what}: records handled`, undefined, (update) => worker.drain(update));
  fs.mkdirSync(options.dataDir, { recursive: true });
  const refdata = writeScaledReferenceData(
    options.seedDir,
    path.join(options.dataDir, `refdata-${options.accounts}-${options.instruments}`),
    { accounts: options.accounts, instruments: options.instruments },
  );
  const wl = (trades: number, seed: number): Workload =>
    workload(refdata.dir, options.dataDir, {
      trades,
      seed,
      errorRate: options.errorRate,
      amendRate: options.amendRate,
      cancelRate: options.cancelRate,
    });
  log(`reference data: ${refdata.accounts} accounts, ${refdata.instruments} instruments`);
  const template = await createTemplate(options.serverUrl, 'bench_template', refdata.dir);
  let runs = 0;

  const fresh = async (partitions: number): Promise<Run> => {
    runs += 1;
    const database = `bench_run_${runs}`;
    const [url, broker] = await Promise.all([
      cloneDatabase(options.serverUrl, template, database),
      startBrokerProcess(path.join(options.dataDir, 'kafka'), options.brokerPort, partitions),
    ]);
    await createTopics(broker.address, partitions);
    return {
      url,
      database,
      address: broker.address,
      close: async () => {
        await broker.stop();
        await dropDatabase(options.serverUrl, database);
      },
    };
  };

  // 1. Throughput.
  const main = wl(options.trades, options.seed);
  log(
    `workload: ${options.trades} trades (${main.faulty} built to fail, ${main.amends} amends, ${main.cancels} cancels)` +
      (main.generatedMs > 0 ? `, generated in ${(main.generatedMs / 1000).toFixed(1)} s` : ', from the cache'),
  );
  const partitions = TopicPartitions[Topics.TRADES_CAPTURED];
  const run1 = await fresh(partitions);
  const publisher = await capturePublisher(run1.address);
  const publishMs = await publish('throughput run', publisher, main.records);
  await publisher.disconnect();
  log(`published ${options.trades} in ${publishMs} ms (${Math.round(options.trades / (publishMs / 1000))}/s)`);
  const custodian = await runCustodian({
    brokers: [run1.address],
    seed: options.seed,
    rates: { matchRate: 1, settleRate: 0.8, partialRate: 0.1, failRate: 0.1, recoverRate: 0.5 },
    delayMs: 0,
    calendarFor: calendarsFromReferenceData(refdata.dir),
    defaultBic: 'IRVTUS3N',
    log: () => undefined,
  });
  const worker1 = await Worker.start(
    { brokers: [run1.address], databaseUrl: run1.url, overrides: {}, trackLatency: false },
    options.cpuProfileDir,
  );
  const drained = await drain('throughput run', worker1);
  const throughput = figures(drained.stages, options.trades, partitions, drained.maxRssMb);
  log(`throughput: ${throughput.tradesPerSecond} trades/s (${throughput.seconds} s)`);
  await custodian.idle();
  const reconStarted = Date.now();
  const statements = await custodian.publishStatements(lastTradeDate(main));
  // After the custodian has answered every instruction: the status reports and the statements, all applied.
  const settled = await drain('settlement and statements', worker1);
  const reconMs = Date.now() - reconStarted;
  await custodian.stop();
  const rss1 = await worker1.stop();
  const tables = await rowsWritten(run1.url, databaseUrl(options.serverUrl, template));
  const rows = tables.reduce((sum, t) => sum + t.rows, 0);

  // 2. COPY ceiling of the same rows.
  const copyDb = await cloneDatabase(options.serverUrl, template, 'bench_copy');
  const copyMs = await copyCeilingMs(run1.url, copyDb, tables);
  await dropDatabase(options.serverUrl, 'bench_copy');
  await run1.close();
  const copyRate = options.trades / (copyMs / 1000);
  log(`COPY ceiling: ${Math.round(copyMs)} ms for ${rows} rows (${Math.round(copyRate)} trades/s)`);

  // 3. Latency at a paced offered rate.
  const sample = wl(options.latencyTrades, options.seed + 1);
  const run3 = await fresh(partitions);
  const worker3 = await Worker.start({
    brokers: [run3.address],
    databaseUrl: run3.url,
    overrides: {},
    trackLatency: true,
  });
  const paced = await capturePublisher(run3.address);
  const pacedMs = await phase('latency run: published', sample.records.length, (update) =>
    paced.publishPaced(sample.records, options.rate, update),
  );
  await paced.disconnect();
  const latencyRun = await drain('latency run', worker3);
  await worker3.stop();
  await run3.close();
  const latencies = [...latencyRun.latencies].sort((a, b) => a - b);
  const latencyMs = {
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    p999: round(percentile(latencies, 99.9)),
    max: round(latencies.at(-1) ?? NaN),
  };
  log(`latency at ${options.rate}/s: p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms, p99.9 ${latencyMs.p999} ms`);

  // 4. Naive reference: batch size 1.
  const naiveWl = wl(options.naiveSample, options.seed + 2);
  const run4 = await fresh(partitions);
  const naivePublisher = await capturePublisher(run4.address);
  await publish('naive run', naivePublisher, naiveWl.records);
  await naivePublisher.disconnect();
  const worker4 = await Worker.start({
    brokers: [run4.address],
    databaseUrl: run4.url,
    overrides: { batchSize: 1 },
    trackLatency: false,
  });
  const naiveRun = figures((await drain('naive run', worker4)).stages, options.naiveSample, partitions, 0);
  await worker4.stop();
  await run4.close();
  log(`naive (batch size 1, sample ${options.naiveSample}): ${naiveRun.tradesPerSecond} trades/s`);

  // 5. Scaling with partitions, one concurrent batch per partition.
  const scaling: { partitions: number; tradesPerSecond: number }[] = [];
  const scalingWl = options.scalingTrades === options.trades ? main : wl(options.scalingTrades, options.seed);
  for (const p of options.scalingPartitions) {
    const run = await fresh(p);
    const pub = await capturePublisher(run.address);
    await publish(`scaling ${p}p`, pub, scalingWl.records);
    await pub.disconnect();
    const worker = await Worker.start({
      brokers: [run.address],
      databaseUrl: run.url,
      overrides: { pollers: p },
      trackLatency: false,
    });
    const result = figures((await drain(`scaling ${p}p`, worker)).stages, options.scalingTrades, p, 0);
    await worker.stop();
    await run.close();
    scaling.push({ partitions: p, tradesPerSecond: result.tradesPerSecond });
    log(`scaling: ${p} partition(s): ${result.tradesPerSecond} trades/s`);
  }
  await dropDatabase(options.serverUrl, template);

  return {
    machine: { cpus: os.cpus().length, loadAverage: os.loadavg().map((l) => round(l, 2)), node: process.version },
    workload: {
      trades: options.trades,
      accounts: refdata.accounts,
      instruments: refdata.instruments,
      faulty: main.faulty,
      amends: main.amends,
      cancels: main.cancels,
      generatedMs: main.generatedMs,
      publishMs,
      publishPerSecond: Math.round(options.trades / (publishMs / 1000)),
    },
    tradesPerSecond: throughput.tradesPerSecond,
    throughput: {
      ...throughput,
      maxRssMb: Math.round(rss1),
      rowsWritten: rows,
      rowsPerSecond: Math.round(rows / throughput.seconds),
      tables,
    },
    reconciliation: {
      statements: statements.length,
      ms: reconMs,
      statusReports: settled.stages.settlementStatus?.records ?? 0,
      statementRecords: settled.stages.reconcile?.records ?? 0,
    },
    copy: { ms: Math.round(copyMs), rows, tradesPerSecond: Math.round(copyRate) },
    copyShare: round(throughput.tradesPerSecond / copyRate, 3),
    naive: {
      sample: options.naiveSample,
      tradesPerSecond: naiveRun.tradesPerSecond,
      scaledSeconds: Math.round(options.trades / naiveRun.tradesPerSecond),
    },
    naiveRatio: round(throughput.tradesPerSecond / naiveRun.tradesPerSecond, 1),
    latencyMs,
    latency: {
      offeredRate: options.rate,
      trades: options.latencyTrades,
      samples: latencies.length,
      achievedRate: Math.round(options.latencyTrades / (pacedMs / 1000)),
    },
    peakRssMb: Math.round(rss1),
    scaling,
  };
}

/** The latest trade date of the workload: the statement date reconciliation runs on. */
function lastTradeDate(w: Workload): string {
  let last = '';
  for (const record of w.records) {
    const match = /"tradeDate":"(\d{4}-\d{2}-\d{2})"/.exec(record.value.toString('utf8'));
    if (match?.[1] !== undefined && match[1] > last) last = match[1];
  }
  return last;
}
