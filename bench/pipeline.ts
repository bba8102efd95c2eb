/**
 * Pipeline benchmark: the whole local pipeline (broker, PostgreSQL, every Kafka-triggered stage through the
 * in-process event-source runner with serverless.yml's batch sizes and windows) on a generated workload; see
 * bench/pipeline/run.ts for what each run measures.
 *
 *   npm run bench [-- --trades 200000 --accounts 2000 --instruments 500 --rate 2000 --quick --out FILE]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startPostgres } from '../localstack/postgres';
import { runPipelineBench, type PipelineBenchResult } from './pipeline/run';

export const BENCH_USAGE = `usage: npm run bench -- [options]
  --trades N            trades of the workload (default 200000; --quick 2000)
  --accounts N          accounts of the reference data (default 2000)
  --instruments N       instruments of the reference data (default 500)
  --error-rate P        share built to fail validation (default 0.02)
  --amend-rate P        share of amends (default 0.08)   --cancel-rate P   share of cancels (default 0.04)
  --seed S              simulator seed (default 1)
  --rate R              offered rate of the latency run, trades/s (default 2000)
  --latency-trades N    trades offered in the latency run (default 20000; --quick 1000)
  --naive-sample N      trades of the naive reference's sample (default 300; --quick 100)
  --scaling LIST        partition counts of the scaling curve (default 1,2,4,8)
  --scaling-trades N    trades of each scaling run (default 20000; --quick 1000)
  --cpu-prof DIR        write the handler process's CPU profile of the throughput run to DIR
  --quick               small sizes: what the integration suite runs
  --out FILE            results (default bench/results/pipeline.json)
environment: POSTTRADE_DATA_DIR (default /tmp/bench-data), BENCH_PG_PORT (19500), BENCH_KAFKA_PORT (19501),
  DATABASE_URL to use a running PostgreSQL server instead of the embedded one (its databases bench_* are replaced)
`;

export function printTable(result: PipelineBenchResult, write: (line: string) => void): void {
  const rows: [string, string][] = [
    [
      'workload',
      `${result.workload.trades} trades, ${result.workload.accounts} accounts, ${result.workload.instruments} instruments; ${result.workload.faulty} invalid, ${result.workload.amends} amends, ${result.workload.cancels} cancels`,
    ],
    ['producer (before timing)', `${result.workload.publishPerSecond} trades/s (${result.workload.publishMs} ms)`],
    [
      'throughput',
      `${result.tradesPerSecond} trades/s (${result.throughput.seconds} s, ${result.throughput.partitions} partitions)`,
    ],
    ['rows written', `${result.throughput.rowsWritten} (${result.throughput.rowsPerSecond}/s)`],
    [
      'COPY ceiling',
      `${result.copy.tradesPerSecond} trades/s (${result.copy.ms} ms); pipeline = ${(result.copyShare * 100).toFixed(1)} %`,
    ],
    [
      'naive (batch size 1)',
      `${result.naive.tradesPerSecond} trades/s on a sample of ${result.naive.sample} (≈ ${result.naive.scaledSeconds} s for the workload); pipeline = ${result.naiveRatio}×`,
    ],
    [
      'latency',
      `p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, p99.9 ${result.latencyMs.p999} ms, max ${result.latencyMs.max} ms at ${result.latency.offeredRate}/s offered (${result.latency.achievedRate}/s sent, ${result.latency.samples} samples)`,
    ],
    ['handler process peak RSS', `${result.peakRssMb} MB`],
    ['reconciliation', `${result.reconciliation.statements} statements in ${result.reconciliation.ms} ms`],
    ['scaling', result.scaling.map((s) => `${s.partitions}p ${s.tradesPerSecond}/s`).join(', ')],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) write(`${k.padEnd(width)}  ${v}`);
  write('');
  write(
    `${'stage'.padEnd(18)}${'invocations'.padStart(12)}${'records'.padStart(10)}${'busy ms'.padStart(10)}${'share'.padStart(8)}`,
  );
  for (const s of result.throughput.stages) {
    write(
      `${s.stage.padEnd(18)}${String(s.invocations).padStart(12)}${String(s.records).padStart(10)}${String(s.busyMs).padStart(10)}${`${(s.share * 100).toFixed(1)}%`.padStart(8)}`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trades: { type: 'string' },
      accounts: { type: 'string', default: '2000' },
      instruments: { type: 'string', default: '500' },
      'error-rate': { type: 'string', default: '0.02' },
      'amend-rate': { type: 'string', default: '0.08' },
      'cancel-rate': { type: 'string', default: '0.04' },
      seed: { type: 'string', default: '1' },
      rate: { type: 'string', default: '2000' },
      'latency-trades': { type: 'string' },
      'naive-sample': { type: 'string' },
      scaling: { type: 'string', default: '1,2,4,8' },
      'scaling-trades': { type: 'string' },
      'cpu-prof': { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results/pipeline.json' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(BENCH_USAGE);
    return;
  }
  const quick = values.quick;
  const num = (value: string | undefined, normal: number, small: number): number => {
    const n = Number(value ?? (quick ? small : normal));
    if (!(n > 0)) throw new Error(`not a positive number: ${String(value)}`);
    return n;
  };
  const dataDir = path.resolve(process.env.POSTTRADE_DATA_DIR || '/tmp/bench-data');
  const pg =
    process.env.DATABASE_URL === undefined || process.env.DATABASE_URL === ''
      ? await startPostgres({
          dataDir: path.join(dataDir, 'postgres'),
          port: Number(process.env.BENCH_PG_PORT || 19500),
        })
      : undefined;
  const serverUrl = pg?.url ?? process.env.DATABASE_URL ?? '';
  try {
    const result = await runPipelineBench({
      serverUrl,
      dataDir,
      seedDir: path.resolve(__dirname, '..', 'migrations', 'seed'),
      brokerPort: Number(process.env.BENCH_KAFKA_PORT || 19501),
      trades: num(values.trades, 200_000, 2_000),
      accounts: num(values.accounts, 2_000, 2_000),
      instruments: num(values.instruments, 500, 500),
      errorRate: Number(values['error-rate']),
      amendRate: Number(values['amend-rate']),
      cancelRate: Number(values['cancel-rate']),
      seed: Number(values.seed),
      rate: num(values.rate, 2_000, 2_000),
      latencyTrades: num(values['latency-trades'], 20_000, 1_000),
      naiveSample: num(values['naive-sample'], 300, 100),
      scalingPartitions: values.scaling.split(',').map(Number),
      scalingTrades: num(values['scaling-trades'], 20_000, 1_000),
      ...(values['cpu-prof'] === undefined ? {} : { cpuProfileDir: path.resolve(values['cpu-prof']) }),
      log: (line) => process.stderr.write(`${line}\n`),
      progress: process.stderr,
    });
    printTable(result, (line) => process.stdout.write(`${line}\n`));
    fs.mkdirSync(path.dirname(values.out), { recursive: true });
    fs.writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nwrote ${values.out}\n`);
  } finally {
    await pg?.stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
