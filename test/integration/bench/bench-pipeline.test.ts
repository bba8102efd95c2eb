/**
 * The pipeline benchmark (`npm run bench`) at small sizes on the test PostgreSQL server and a broker process of its
 * own, so that it cannot rot: every run completes, the results have the keys bench/results/pipeline.json promises,
 * and the accounting holds (every captured trade validated or rejected, every validated one booked or refused, every
 * booked one instructed and positioned). No timing is asserted: figures are what the benchmark prints.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { runPipelineBench, type PipelineBenchResult } from '../../../bench/pipeline/run';
import { TEST_PG_ENV } from '../helpers/postgres';

const TRADES = 600;

describe('npm run bench (pipeline benchmark) at quick sizes', () => {
  let result: PipelineBenchResult;
  let dataDir: string;
  // Where the phases' progress goes: a log, not a terminal (lib/cli/progress.ts).
  const progress = {
    isTTY: false,
    text: '',
    write(text: string) {
      this.text += text;
      return true;
    },
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pipeline-'));
    const serverUrl = process.env[TEST_PG_ENV.serverUrl];
    if (serverUrl === undefined) throw new Error(`${TEST_PG_ENV.serverUrl} is not set: run through jest's globalSetup`);
    result = await runPipelineBench({
      serverUrl,
      dataDir,
      seedDir: path.join(__dirname, '..', '..', '..', 'migrations', 'seed'),
      brokerPort: 0,
      trades: TRADES,
      accounts: 200,
      instruments: 60,
      errorRate: 0.05,
      amendRate: 0.08,
      cancelRate: 0.04,
      seed: 7,
      rate: 200,
      latencyTrades: 200,
      naiveSample: 40,
      scalingPartitions: [1, 2],
      scalingTrades: 200,
      log: () => undefined,
      progress,
    });
  }, 600_000);

  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const stage = (name: string) => {
    const found = result.throughput.stages.find((s) => s.stage === name);
    if (found === undefined) throw new Error(`no stage ${name}`);
    return found;
  };

  it('shows progress as plain lines, if at all (phases under a second stay quiet)', () => {
    expect(progress.text).not.toContain('\u001b');
    for (const line of progress.text.split('\n').filter((l) => l !== '')) {
      expect(line).toMatch(/^[\w ]+: (published \d+\/\d+|records handled \d+) \(\d[\d,]*\/s\)$/);
    }
  });

  it('reports the keys of bench/results/pipeline.json, each a sane figure', () => {
    expect(result.tradesPerSecond).toBeGreaterThan(0);
    expect(result.naiveRatio).toBeGreaterThan(0);
    // Nothing loads the same rows faster than COPY: the share is a fraction.
    expect(result.copyShare).toBeGreaterThan(0);
    expect(result.copyShare).toBeLessThan(1);
    expect(result.peakRssMb).toBeGreaterThan(0);
    const { p50, p99, p999, max } = result.latencyMs;
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(p99);
    expect(p99).toBeLessThanOrEqual(p999);
    expect(p999).toBeLessThanOrEqual(max);
    expect(result.scaling.map((s) => s.partitions)).toEqual([1, 2]);
    for (const point of result.scaling) expect(point.tradesPerSecond).toBeGreaterThan(0);
    expect(result.workload).toMatchObject({ trades: TRADES, accounts: 200, instruments: 60 });
    expect(result.naive.sample).toBe(40);
  });

  it('accounts for every trade of the throughput run: captured → validated or rejected → booked → instructed and positioned', () => {
    const validate = stage('validateTrades').summary;
    const persist = stage('persistTrades').summary;
    expect(validate.captured).toBe(TRADES);
    expect((validate.validated ?? 0) + (validate.rejected ?? 0) + (validate.deadLettered ?? 0)).toBe(TRADES);
    expect(validate.rejected).toBeGreaterThan(0);
    expect(persist.received).toBe(validate.validated);
    expect((persist.booked ?? 0) + (persist.rejected ?? 0) + (persist.duplicates ?? 0)).toBe(persist.received);
    expect(stage('settleTrades').records).toBe(persist.booked);
    expect(stage('positions').records).toBe(persist.booked);
    // The custodian answers asynchronously: its reports count once it has answered everything and they are applied.
    expect(result.reconciliation.statusReports).toBeGreaterThan(0);
    expect(result.reconciliation.statementRecords).toBe(result.reconciliation.statements);
  });

  it('counts the rows the run wrote and loads the same rows by COPY', () => {
    const tables = new Map(result.throughput.tables.map((t) => [t.table, t.rows]));
    expect(tables.get('trade_versions')).toBe(stage('persistTrades').summary.booked);
    expect(result.throughput.rowsWritten).toBe([...tables.values()].reduce((a, b) => a + b, 0));
    expect(result.copy.rows).toBe(result.throughput.rowsWritten);
  });

  it('times latency on the trades that reached their position, at most one sample per trade offered', () => {
    expect(result.latency.samples).toBeGreaterThan(0);
    expect(result.latency.samples).toBeLessThanOrEqual(result.latency.trades);
  });
});
