/**
 * SIGTERM of `sls offline start` with a batch in flight (the local stack stopped mid-run): the Kafka plugin stops
 * polling, abandons the batch after its grace period without committing its offset, the function workers end and
 * with them their database connections (the batch's open transaction rolls back), and the process exits 0 within a
 * few seconds. Started again, the group delivers the abandoned records once more: each effect is there exactly once.
 */
import fs from 'node:fs';
import path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';

import { startTestBroker, type TestBroker } from '../../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres';
import { eventually, freePort, makeServiceDir, OSLS, run, slsEnv, type RunningCommand } from '../../offline-helpers';

const TOPIC = 'shutdown.in';
const GROUP = 'shutdown-consumer';
const APPLICATION = 'offline-shutdown-fixture';

const SERVERLESS_YML = `
service: offline-shutdown-fixture
plugins:
  - serverless-esbuild
  - serverless-offline
  - ./kafka-plugin
provider:
  name: aws
  runtime: nodejs20.x
  environment:
    FIXTURE_DIR: \${env:FIXTURE_DIR}
    FIXTURE_DB_URL: \${env:FIXTURE_DB_URL}
custom:
  esbuild: { bundle: true, target: node20, platform: node, external: [pg-native] }
  serverless-offline-kafka:
    brokers: \${env:KAFKA_BROKERS}
    shutdownGraceMs: 1000
functions:
  consume:
    handler: handler.consume
    timeout: 600
    events:
      - msk:
          arn: arn:aws:kafka:us-east-1:000000000000:cluster/fixture/1
          topic: ${TOPIC}
          consumerGroupId: ${GROUP}
          batchSize: 10
          maximumBatchingWindow: 0
`;

// Writes the batch's effects in one transaction; while the marker file exists it never commits (a batch that
// outlives any grace period).
const HANDLER_TS = `
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.FIXTURE_DB_URL, application_name: '${APPLICATION}', max: 1 });

interface Event { records: Record<string, { value: string }[]> }

export const consume = async (event: Event): Promise<void> => {
  const dir = process.env.FIXTURE_DIR ?? '.';
  const hang = existsSync(join(dir, 'hang'));
  const values = Object.values(event.records).flat().map((r) => Buffer.from(r.value, 'base64').toString());
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('INSERT INTO shutdown_effects (value) SELECT unnest($1::text[])', [values]);
    appendFileSync(join(dir, 'invocations.log'), JSON.stringify({ hang, values }) + '\\n');
    if (hang) await new Promise(() => undefined);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
};
`;

let broker: TestBroker;
let db: TestDatabase;
let serviceDir: string;
let offline: RunningCommand | undefined;
const kafka = (): Kafka => new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });

function invocations(): { hang: boolean; values: string[] }[] {
  const file = path.join(serviceDir, 'invocations.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { hang: boolean; values: string[] });
}

async function committedOffset(): Promise<string | undefined> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    return topic?.partitions.find((p) => p.partition === 0)?.offset;
  } finally {
    await admin.disconnect();
  }
}

async function startOffline(): Promise<RunningCommand> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const started = run(
    process.execPath,
    [OSLS, 'offline', 'start', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)],
    {
      cwd: serviceDir,
      env: slsEnv({ KAFKA_BROKERS: broker.address, FIXTURE_DIR: serviceDir, FIXTURE_DB_URL: db.url }),
    },
  );
  await started.waitForOutput('[serverless-offline-kafka] polling 1 Kafka event source mapping', 60_000);
  return started;
}

beforeAll(async () => {
  [broker, db] = await Promise.all([startTestBroker({ autoCreateTopics: false }), createTestDatabase()]);
  await db.pool.query('CREATE TABLE shutdown_effects (value text NOT NULL)');
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  serviceDir = makeServiceDir({ 'serverless.yml': SERVERLESS_YML, 'handler.ts': HANDLER_TS, 'package.json': '{}' });
});

afterAll(async () => {
  if (offline && offline.child.exitCode === null) {
    offline.child.kill('SIGKILL');
    await offline.exited;
  }
  await broker.destroy();
  await db.drop();
  fs.rmSync(serviceDir, { recursive: true, force: true });
});

test('SIGTERM abandons the batch in flight uncommitted, closes the connections and exits 0 in seconds; a restart delivers it once more', async () => {
  // Arrange: a batch in flight that will not finish by itself
  fs.writeFileSync(path.join(serviceDir, 'hang'), '');
  offline = await startOffline();
  const producer = kafka().producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: ['s1', 's2', 's3'].map((value) => ({ value })) });
  await producer.disconnect();
  await eventually(() => (invocations().length > 0 ? true : undefined), 30_000, 'the batch in flight');

  // Act 1
  const signalledAt = Date.now();
  offline.child.kill('SIGTERM');
  const code = await offline.exited;
  const exitMs = Date.now() - signalledAt;

  // Assert 1: exit 0 within the 10 s; the offset not committed; the transaction rolled back with its
  // connection closed
  console.log(`sls offline exited ${String(code)} ${exitMs} ms after SIGTERM`);
  expect({ code, withinTenSeconds: exitMs <= 10_000 }).toEqual({ code: 0, withinTenSeconds: true });
  expect(offline.output()).toContain('abandoned the batch in flight on partition(s) 0');
  expect(await committedOffset()).toBe('0');
  await eventually(
    async () => {
      const { rows } = await db.pool.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
        APPLICATION,
      ]);
      return rows.length === 0 ? true : undefined;
    },
    10_000,
    'the fixture’s connections closed',
  );
  expect((await db.pool.query('SELECT value FROM shutdown_effects')).rows).toEqual([]);

  // Act 2: started again, with a function that finishes
  fs.rmSync(path.join(serviceDir, 'hang'));
  offline = await startOffline();
  await eventually(async () => ((await committedOffset()) === '3' ? true : undefined), 30_000, 'offset 3 committed');
  offline.child.kill('SIGTERM');
  const secondCode = await offline.exited;

  // Assert 2: the abandoned records delivered once more, their effects there exactly once
  expect(invocations()).toEqual([
    { hang: true, values: ['s1', 's2', 's3'] },
    { hang: false, values: ['s1', 's2', 's3'] },
  ]);
  const effects = await db.pool.query<{ value: string }>('SELECT value FROM shutdown_effects ORDER BY value');
  expect(effects.rows.map((r) => r.value)).toEqual(['s1', 's2', 's3']);
  expect(secondCode).toBe(0);
}, 180_000);
