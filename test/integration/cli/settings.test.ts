/**
 * `posttrade` reaches the stack its settings name, as a person runs it (scripts/posttrade.js, the built JavaScript,
 * in a child process): a real broker and a real PostgreSQL on ports that are not the defaults, found through the
 * running stack's file in POSTTRADE_DATA_DIR, through KAFKA_PORT, or through DATABASE_URL; and when nothing
 * listens where the settings point, the command says which address it tried, where that came from, and how to start
 * the stack, exit 1.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Kafka, logLevel, type Admin } from 'kafkajs';

import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, freePort, type TestDatabase } from '../helpers/postgres';

const CLI = path.join(__dirname, '..', '..', '..', 'scripts', 'posttrade.js');
/** The settings a child must not inherit from this process, so that only what a test gives it counts. */
const SETTINGS = ['DATABASE_URL', 'KAFKA_BROKERS', 'KAFKA_PORT', 'PG_PORT', 'HTTP_PORT', 'POSTTRADE_DATA_DIR'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function posttrade(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SETTINGS.includes(name)));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('posttrade settings against a real broker and PostgreSQL on other ports', () => {
  let broker: TestBroker;
  let admin: Admin;
  let db: TestDatabase;
  let dataDir: string;
  let emptyDataDir: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    admin = new Kafka({ brokers: [broker.address], clientId: 'cli-settings-it', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    db = await createTestDatabase();
    // What `npm start` writes into its data directory once the stack is ready.
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-stack-'));
    fs.mkdirSync(path.join(dataDir, 'run'));
    fs.writeFileSync(
      path.join(dataDir, 'run', 'stack.env'),
      `DATABASE_URL=${db.url}\nKAFKA_BROKERS=${broker.address}\nHTTP_URL=http://localhost:1\nEXTERNAL_DATABASE=\n`,
    );
    emptyDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-nostack-'));
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.destroy();
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(emptyDataDir, { recursive: true, force: true });
  });

  async function capturedRecords(): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(Topics.TRADES_CAPTURED);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  }

  it("finds the running stack's broker and database through POSTTRADE_DATA_DIR alone", async () => {
    const before = await capturedRecords();

    const produced = await posttrade(['produce', '--count', '7', '--seed', '601', '--error-rate', '0'], {
      POSTTRADE_DATA_DIR: dataDir,
    });
    const report = await posttrade(['recon', 'report', '--date', '2024-05-28'], { POSTTRADE_DATA_DIR: dataDir });
    const shown = await posttrade(['config', '--format', 'json'], { POSTTRADE_DATA_DIR: dataDir });

    expect(produced).toMatchObject({ code: 0, stdout: expect.stringContaining('published 7') as unknown });
    expect(await capturedRecords()).toBe(before + 7);
    expect(report).toMatchObject({ code: 0, stdout: 'reconciliation breaks open at close of 2024-05-28: 0\n' });
    const settings = JSON.parse(shown.stdout) as Record<string, { value: string; from: string }>;
    expect(settings.KAFKA_BROKERS).toEqual({
      value: broker.address,
      from: `the running stack's ${path.join(dataDir, 'run', 'stack.env')}`,
    });
    expect(settings.DATABASE_URL?.value).not.toContain(':posttrade@'); // the password is hidden
  });

  it('dials KAFKA_PORT on this machine, and DATABASE_URL as given, with no stack file', async () => {
    const port = broker.address.split(':')[1] ?? '';
    const before = await capturedRecords();

    const produced = await posttrade(['produce', '--count', '3', '--seed', '602', '--error-rate', '0'], {
      POSTTRADE_DATA_DIR: emptyDataDir,
      KAFKA_PORT: port,
    });
    const report = await posttrade(['recon', 'report', '--date', '2024-05-28'], {
      POSTTRADE_DATA_DIR: emptyDataDir,
      DATABASE_URL: db.url,
    });

    expect(produced.code).toBe(0);
    expect(await capturedRecords()).toBe(before + 3);
    expect(report.code).toBe(0);
  });

  it('says which broker address it tried, from which setting, and how to start the stack', async () => {
    const port = await freePort();

    const result = await posttrade(['produce', '--count', '1'], {
      POSTTRADE_DATA_DIR: emptyDataDir,
      KAFKA_PORT: String(port),
    });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `posttrade produce: cannot reach the Kafka broker at 127.0.0.1:${port} (from KAFKA_PORT in the environment): ` +
        'connection refused.',
    );
    expect(result.stderr).toContain('Start the local stack with `npm start`');
    expect(result.stderr).not.toContain('publishing failed');
  });

  it('says which PostgreSQL address it tried when nothing listens there', async () => {
    const port = await freePort();

    const fromPort = await posttrade(['recon', 'report', '--date', '2024-05-28'], {
      POSTTRADE_DATA_DIR: emptyDataDir,
      PG_PORT: String(port),
    });
    const fromDefault = await posttrade(['report', 'positions'], {
      POSTTRADE_DATA_DIR: emptyDataDir,
      DATABASE_URL: `postgres://u:p@127.0.0.1:${port}/x`,
    });

    expect(fromPort.code).toBe(1);
    expect(fromPort.stderr).toContain(
      `posttrade recon report: cannot reach PostgreSQL at 127.0.0.1:${port} (from PG_PORT in the environment)`,
    );
    expect(fromDefault.code).toBe(1);
    expect(fromDefault.stderr).toContain(`at 127.0.0.1:${port} (from DATABASE_URL in the environment)`);
  });
});
