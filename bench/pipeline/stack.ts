/**
 * What each measured run of the pipeline benchmark stands on: a fresh broker in its own process (fresh data
 * directory, the topics at the run's partition count) and a fresh database cloned from a template that holds the
 * migrations and the scaled reference data; and the worker process that runs the handlers.
 */
import { execFile, fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

import { createPool } from '../../lib/db/pool';
import { topicSpecs } from '../../lib/kafka/topics';
import { loadReferenceData } from '../../lib/refdata/load';
import type { WorkerReport, WorkerRequest, WorkerStart } from './protocol';

const ROOT = path.resolve(__dirname, '..', '..');

export interface BrokerProcess {
  readonly address: string;
  stop(): Promise<void>;
}

/** The development broker in a process of its own, as in the local stack; `port` 0 picks a free one. */
export async function startBrokerProcess(dataDir: string, port: number, partitions: number): Promise<BrokerProcess> {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'localstack/broker/cli.ts'),
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--partitions',
      String(partitions),
      '--log-level',
      'warn',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (data: Buffer) => {
      out += data.toString();
      const match = /listening on (\S+:\d+)/.exec(out);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${String(code)} before listening`)));
  });
  child.stdout?.resume();
  return {
    address,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every platform topic, those with more than one partition at `partitions`. */
export async function createTopics(address: string, partitions: number): Promise<void> {
  const admin = new Kafka({ brokers: [address], clientId: 'bench-admin', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topicSpecs().map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.numPartitions > 1 ? partitions : 1,
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `npm run migrate` on `url`, in a child process: node-pg-migrate is ESM-only, which Jest's registry cannot load. */
function migrateInChild(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), path.join(ROOT, 'lib/cli/main.ts'), 'migrate'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } },
      (error, stdout, stderr) => {
        if (error === null) resolve();
        else reject(new Error(`migrations failed: ${stderr || stdout}`, { cause: error }));
      },
    );
  });
}

/** A migrated database holding the reference data of `refdataDir`, to clone each run's database from. */
export async function createTemplate(serverUrl: string, name: string, refdataDir: string): Promise<string> {
  await onServer(serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
    await client.query(`CREATE DATABASE ${name}`);
  });
  const url = databaseUrl(serverUrl, name);
  await migrateInChild(url);
  const pool = createPool({ url, poolMax: 2, statementTimeoutMs: 300_000 });
  try {
    await loadReferenceData(pool, refdataDir);
    await pool.query('VACUUM ANALYZE');
  } finally {
    await pool.end();
  }
  return name;
}

export async function cloneDatabase(serverUrl: string, template: string, name: string): Promise<string> {
  await onServer(serverUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  });
  return databaseUrl(serverUrl, name);
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await onServer(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** The handler process (bench/pipeline/worker.ts), started and ready. */
export class Worker {
  private readonly waiting: ((report: WorkerReport) => void)[] = [];
  private onProgress: ((records: number) => void) | undefined;
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (report: WorkerReport) => {
      if (report.type === 'progress') {
        this.onProgress?.(report.records);
        return;
      }
      this.waiting.shift()?.(report);
    });
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    void this.exited.then((code) => {
      for (const waiter of this.waiting.splice(0)) waiter({ type: 'error', message: `worker exited (${code})` });
    });
  }

  static async start(request: Omit<WorkerStart, 'type'>, cpuProfileDir?: string): Promise<Worker> {
    const worker = new Worker(
      fork(path.join(__dirname, 'worker.ts'), [], {
        cwd: ROOT,
        execArgv: [
          '--import',
          'tsx',
          ...(cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`]),
        ],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const ready = await worker.ask({ type: 'start', ...request });
    if (ready.type !== 'ready') throw new Error(`worker did not start: ${JSON.stringify(ready)}`);
    return worker;
  }

  ask(request: WorkerRequest): Promise<WorkerReport> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(request);
    });
  }

  /** Waits until every stage has drained; `onProgress` is told the records this drain has handled so far. */
  async drain(onProgress?: (records: number) => void): Promise<Extract<WorkerReport, { type: 'drained' }>> {
    this.onProgress = onProgress;
    try {
      const report = await this.ask({ type: 'drain' });
      if (report.type !== 'drained') throw new Error(`worker failed: ${JSON.stringify(report)}`);
      return report;
    } finally {
      this.onProgress = undefined;
    }
  }

  /** Stops the runner (committing), ends the pools, waits for the process to exit. */
  async stop(): Promise<number> {
    const report = await this.ask({ type: 'stop' });
    await this.exited;
    if (report.type !== 'stopped') throw new Error(`worker failed to stop: ${JSON.stringify(report)}`);
    return report.maxRssMb;
  }
}
