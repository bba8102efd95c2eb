/**
 * `posttrade status` on the real broker and PostgreSQL: the lag a paused consumer builds, per partition, and exit 1
 * over STATUS_LAG_MAX; healthy (exit 0) when the lag is under it and the stage ran recently; the last batch written
 * by the failure policy's heartbeat; exit 2 when the broker or the database does not answer.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';

import { PgDeadLetterStore } from '../../../lib/db/dead-letter-store';
import { PgStageHeartbeatStore } from '../../../lib/db/stage-heartbeat-store';
import { Stage } from '../../../lib/kafka/dead-letter';
import type { KafkaEvent } from '../../../lib/kafka/decode';
import { KafkaPublisher, createKafkaProducer } from '../../../lib/kafka/producer';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { withFailurePolicy } from '../../../lib/lambda/kafka-failures';
import type { StatusReport } from '../../../lib/status/collect';
import { consumerGroupOf } from '../../../lib/status/stages';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, freePort, type TestDatabase } from '../helpers/postgres';

const CLI = path.join(__dirname, '..', '..', '..', 'scripts', 'posttrade.js');
/** The settings a child must not inherit from this process, so that only what a test gives it counts. */
const SETTINGS = ['DATABASE_URL', 'KAFKA_BROKERS', 'KAFKA_PORT', 'PG_PORT', 'HTTP_PORT', 'POSTTRADE_DATA_DIR', 'STAGE'];
const STATUS_SETTINGS = ['STATUS_LAG_MAX', 'STATUS_DEAD_LETTERS_PER_HOUR_MAX', 'STATUS_STALE_STAGE_SECONDS'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('posttrade status', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let db: TestDatabase;
  let dataDir: string;
  const group = consumerGroupOf(Stage.VALIDATE_TRADES, 'local');

  /** `posttrade status` as a person runs it (scripts/posttrade.js, a child process), on the test's broker and database. */
  function status(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => ![...SETTINGS, ...STATUS_SETTINGS].includes(name)),
    );
    const settings = { POSTTRADE_DATA_DIR: dataDir, KAFKA_BROKERS: broker.address, DATABASE_URL: db.url, ...env };
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'status', ...args], { env: { ...base, ...settings } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  async function produce(count: number, from: number): Promise<void> {
    const messages = Array.from({ length: count }, (_, i) => ({
      key: `ACC-00${(from + i) % 4}`,
      value: `{"n":${from + i}}`,
    }));
    await producer.send({ topic: Topics.TRADES_CAPTURED, messages });
  }

  /** A consumer of the stage's group reads `count` records, commits them and leaves: the stage paused. */
  async function consumeAndPause(count: number): Promise<void> {
    const consumer = kafka.consumer({ groupId: group });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.TRADES_CAPTURED, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
          seen += 1;
          if (seen === count) resolve();
        },
      });
    });
    await consumer.disconnect();
  }

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ brokers: [broker.address], clientId: 'status-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    producer = kafka.producer();
    await producer.connect();
    db = await createTestDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'status-it-'));
  });
  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
    await broker.destroy();
    await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports the lag a paused consumer builds, per partition, and exits 1 over STATUS_LAG_MAX', async () => {
    await produce(12, 0);
    await consumeAndPause(12);
    await produce(20, 12);

    const run = await status(['--json'], { STATUS_LAG_MAX: '5' });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as StatusReport;
    expect(report.verdict).toBe('degraded');
    const validate = report.groups.find((g) => g.stage === Stage.VALIDATE_TRADES);
    expect(validate).toMatchObject({ group, topic: Topics.TRADES_CAPTURED, lag: 20 });
    expect(validate?.partitions.reduce((sum, p) => sum + (p.committed ?? 0), 0)).toBe(12);
    expect(validate?.partitions.reduce((sum, p) => sum + p.end, 0)).toBe(32);
    expect(report.reasons).toEqual(
      expect.arrayContaining([expect.stringContaining('validateTrades: lag 20 on trades.captured > STATUS_LAG_MAX 5')]),
    );
    // Nothing else is behind: persistence's topic is empty.
    expect(report.groups.find((g) => g.stage === Stage.PERSIST_TRADES)?.lag).toBe(0);
  });

  it("shows the stage's last batch from the failure policy's heartbeat, and healthy (exit 0) under the thresholds", async () => {
    const publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'status-it' }));
    const policy = withFailurePolicy(Stage.VALIDATE_TRADES, () => Promise.resolve('done'), {
      deadLetters: new PgDeadLetterStore(db.pool),
      heartbeats: new PgStageHeartbeatStore(db.pool),
      publisher,
    });
    const event: KafkaEvent = {
      eventSource: 'SelfManagedKafka',
      bootstrapServers: broker.address,
      records: {
        'trades.captured-0': [0, 1, 2].map((offset) => ({
          topic: Topics.TRADES_CAPTURED,
          partition: 0,
          offset,
          timestamp: Date.now(),
          value: Buffer.from('{}').toString('base64'),
        })),
      },
    };
    await policy(event);
    await publisher.disconnect();

    const json = await status(['--json'], { STATUS_LAG_MAX: '1000' });
    const text = await status([], { STATUS_LAG_MAX: '1000' });

    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as StatusReport;
    expect(report).toMatchObject({ verdict: 'healthy', reasons: [], database: { reachable: true } });
    expect(report.lastBatches).toEqual([
      expect.objectContaining({ stage: Stage.VALIDATE_TRADES, records: 3, outcome: 'OK' }),
    ]);
    expect(report.counts).toMatchObject({ trades: { PENDING: 0 }, instructions: {}, openBreaks: [] });
    expect(report.counts?.lastDailyReport).toBeUndefined();
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^pipeline HEALTHY at /);
    expect(text.stdout).toMatch(/validateTrades\s+trades\.captured\s+lag\s+20/);
    expect(text.stdout).toMatch(/validateTrades\s+ended\s+\d+ s ago .* 3 record\(s\)\s+OK/);
    expect(text.stdout).toContain('last daily report: none stored');
  });

  it('exits 2 (down) when the broker does not answer, still showing what the database holds', async () => {
    const port = await freePort();

    const run = await status([], { KAFKA_BROKERS: `127.0.0.1:${port}` });

    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^pipeline DOWN at /);
    expect(run.stdout).toContain('Kafka unreachable');
    expect(run.stdout).toMatch(/validateTrades\s+ended/);
  });

  it('exits 2 (down) when PostgreSQL does not answer', async () => {
    const port = await freePort();

    const run = await status(['--json'], {
      DATABASE_URL: `postgres://posttrade:posttrade@127.0.0.1:${port}/posttrade`,
    });

    expect(run.code).toBe(2);
    const report = JSON.parse(run.stdout) as StatusReport;
    expect(report).toMatchObject({ verdict: 'down', kafka: { reachable: true }, database: { reachable: false } });
    expect(report.reasons).toEqual([expect.stringContaining('PostgreSQL unreachable')]);
  });
});
