/**
 * The serverless-offline plugin end to end: `sls offline start` (osls, serverless-esbuild, serverless-offline and
 * ./localstack/serverless-offline-kafka) against the real development broker, with a tiny function that fails while
 * a marker file exists. Records produced to the mapped topic reach the function through serverless-offline's
 * runtime, and the group's offset moves only once an invocation has succeeded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../../helpers/broker';
import { eventually, freePort, makeServiceDir, OSLS, run, slsEnv, type RunningCommand } from '../../offline-helpers';

const TOPIC = 'fixture.in';
const GROUP = 'fixture-consumer';

const SERVERLESS_YML = `
service: offline-kafka-fixture
plugins:
  - serverless-esbuild
  - serverless-offline
  - ./kafka-plugin
provider:
  name: aws
  runtime: nodejs20.x
  environment:
    MARK: from-serverless-yml
    FIXTURE_DIR: \${env:FIXTURE_DIR}
custom:
  esbuild: { bundle: true, target: node20, platform: node }
  serverless-offline-kafka:
    brokers: \${env:KAFKA_BROKERS}
    retryBackoffMs: 50
    maxRetryBackoffMs: 100
functions:
  consume:
    handler: handler.consume
    events:
      - msk:
          arn: arn:aws:kafka:us-east-1:000000000000:cluster/fixture/1
          topic: ${TOPIC}
          consumerGroupId: ${GROUP}
          batchSize: 10
          maximumBatchingWindow: 0
`;

// TypeScript, so the test also proves serverless-esbuild's output is what serverless-offline runs.
const HANDLER_TS = `
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

interface Event { eventSource: string; records: Record<string, { value: string }[]> }

export const consume = async (event: Event): Promise<void> => {
  const dir = process.env.FIXTURE_DIR ?? '.';
  const failing = existsSync(join(dir, 'fail'));
  const values = Object.values(event.records).flat().map((r) => Buffer.from(r.value, 'base64').toString());
  const line = { failing, values, eventSource: event.eventSource, mark: process.env.MARK, offline: process.env.IS_OFFLINE };
  appendFileSync(join(dir, 'invocations.log'), JSON.stringify(line) + '\\n');
  if (failing) throw new Error('told to fail');
};
`;

interface Invocation {
  failing: boolean;
  values: string[];
  eventSource: string;
  mark: string;
  offline: string;
}

let broker: TestBroker;
let serviceDir: string;
let offline: RunningCommand | undefined;
const kafka = (): Kafka => new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });

function invocations(): Invocation[] {
  const file = path.join(serviceDir, 'invocations.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Invocation);
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

beforeAll(async () => {
  broker = await startTestBroker({ autoCreateTopics: false });
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
  fs.rmSync(serviceDir, { recursive: true, force: true });
});

test('a record produced to the mapped topic invokes the function through serverless-offline; the offset is committed only after success', async () => {
  // Arrange: the function fails until the marker goes.
  fs.writeFileSync(path.join(serviceDir, 'fail'), '');
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  offline = run(
    process.execPath,
    [OSLS, 'offline', 'start', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)],
    { cwd: serviceDir, env: slsEnv({ KAFKA_BROKERS: broker.address, FIXTURE_DIR: serviceDir }) },
  );
  await offline.waitForOutput('[serverless-offline-kafka] polling 1 Kafka event source mapping', 45_000);
  const producer = kafka().producer();
  await producer.connect();

  // Act 1: two records while the function fails.
  await producer.send({ topic: TOPIC, messages: [{ value: 'r1' }, { value: 'r2' }] });
  await producer.disconnect();
  await eventually(
    () => (invocations().filter((i) => i.failing).length >= 2 ? true : undefined),
    20_000,
    'two failures',
  );

  // Assert 1: failed invocations retried the same records; the group stays at its starting position, the first
  // record (the engine commits a new group's TRIM_HORIZON position when it joins).
  expect(invocations().map((i) => i.values)).toEqual(invocations().map(() => ['r1', 'r2']));
  expect(await committedOffset()).toBe('0');

  // Act 2: the function recovers.
  fs.rmSync(path.join(serviceDir, 'fail'));
  const committed = await eventually(
    async () => ((await committedOffset()) === '2' ? '2' : undefined),
    20_000,
    'offset 2 committed',
  );

  // Assert 2: the successful invocation got both records, in order, as an MSK event, inside serverless-offline.
  const succeeded = invocations().filter((i) => !i.failing);
  expect(succeeded).toEqual([
    { failing: false, values: ['r1', 'r2'], eventSource: 'aws:kafka', mark: 'from-serverless-yml', offline: 'true' },
  ]);
  expect(committed).toBe('2');

  // Act 3 / Assert 3: Ctrl-C stops the mapping gracefully (leaves the group) and offline exits cleanly.
  offline.child.kill('SIGINT');
  expect(await offline.exited).toBe(0);
  expect(offline.output()).toContain('[serverless-offline-kafka] stopped: offsets committed, consumer groups left');
});
