/**
 * custom.serverless-offline-kafka.handlersBundle (HANDLERS_BUNDLE_DIR) end to end: the first `sls offline start`
 * bundles with serverless-esbuild and keeps the bundle; the second runs that bundle through serverless-offline and
 * the Kafka event sources without building: a handler source changed in between is not what it runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker, type TestBroker } from '../../helpers/broker';
import { eventually, freePort, makeServiceDir, OSLS, run, slsEnv } from '../../offline-helpers';

const TOPIC = 'bundle.in';

const SERVERLESS_YML = `
service: offline-bundle-fixture
plugins:
  - serverless-esbuild
  - serverless-offline
  - ./kafka-plugin
provider:
  name: aws
  runtime: nodejs20.x
  environment:
    FIXTURE_DIR: \${env:FIXTURE_DIR}
custom:
  esbuild: { bundle: true, target: node20, platform: node }
  serverless-offline-kafka:
    brokers: \${env:KAFKA_BROKERS}
    handlersBundle: \${env:HANDLERS_BUNDLE_DIR, ''}
functions:
  consume:
    handler: handler.consume
    events:
      - msk:
          arn: arn:aws:kafka:us-east-1:000000000000:cluster/fixture/1
          topic: ${TOPIC}
          consumerGroupId: bundle-consumer
          batchSize: 10
          maximumBatchingWindow: 0
`;

const handler = (build: string): string => `
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

interface Event { records: Record<string, { value: string }[]> }

export const consume = async (event: Event): Promise<void> => {
  const values = Object.values(event.records).flat().map((r) => Buffer.from(r.value, 'base64').toString());
  appendFileSync(join(process.env.FIXTURE_DIR ?? '.', 'invocations.log'), JSON.stringify({ build: '${build}', values }) + '\\n');
};
`;

let broker: TestBroker;
let serviceDir: string;
const kafka = (): Kafka => new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });

function invocations(): { build: string; values: string[] }[] {
  const file = path.join(serviceDir, 'invocations.log');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { build: string; values: string[] });
}

beforeAll(async () => {
  broker = await startTestBroker({ autoCreateTopics: false });
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  serviceDir = makeServiceDir({
    'serverless.yml': SERVERLESS_YML,
    'handler.ts': handler('first'),
    'package.json': '{}',
  });
});

afterAll(async () => {
  await broker.destroy();
  fs.rmSync(serviceDir, { recursive: true, force: true });
});

/** One `sls offline start`: waits for it to poll, sends `value`, waits for its invocation, then Ctrl-C. */
async function startSendStop(value: string): Promise<string> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const offline = run(
    process.execPath,
    [OSLS, 'offline', 'start', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)],
    {
      cwd: serviceDir,
      env: slsEnv({
        KAFKA_BROKERS: broker.address,
        FIXTURE_DIR: serviceDir,
        HANDLERS_BUNDLE_DIR: path.join(serviceDir, '.local', 'bundle'),
      }),
    },
  );
  try {
    await offline.waitForOutput('[serverless-offline-kafka] polling 1 Kafka event source mapping', 60_000);
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: [{ value }] });
    await producer.disconnect();
    await eventually(
      () => (invocations().some((i) => i.values.includes(value)) ? true : undefined),
      30_000,
      `the invocation with ${value}`,
    );
  } finally {
    offline.child.kill('SIGINT');
    await offline.exited;
  }
  return offline.output();
}

test('the first start keeps its bundle; the next runs it without building (a changed source is not picked up)', async () => {
  const bundle = path.join(serviceDir, '.local', 'bundle');

  const first = await startSendStop('r1');
  expect(first).toContain(`[serverless-offline-kafka] the handlers' bundle kept in ${bundle} for later starts`);
  expect(fs.existsSync(path.join(bundle, '.bundle-complete'))).toBe(true);
  expect(fs.existsSync(path.join(bundle, 'handler.js'))).toBe(true);

  fs.writeFileSync(path.join(serviceDir, 'handler.ts'), handler('second'));
  const second = await startSendStop('r2');
  expect(second).toContain(`[serverless-offline-kafka] the handlers from the bundle in ${bundle} (not built again)`);

  expect(invocations()).toEqual([
    { build: 'first', values: ['r1'] },
    { build: 'first', values: ['r2'] },
  ]);
});
