/** The serverless-offline Kafka plugin's pure parts and localstack/topics.ts's topic list, without osls or a broker. */
import type { OfflineLambdaFunction } from 'serverless-offline/lambda';
import {
  kafkaMappings,
  offlineHandler,
  offlineRuntimeOptions,
  readSettings,
  ServerlessOfflineKafka,
} from '../../../../localstack/serverless-offline-kafka/plugin';
import { requiredTopics } from '../../../../localstack/topics';

const ARN = 'arn:aws:kafka:us-east-1:000000000000:cluster/posttrade/1';

const service = (functions: unknown, resources: unknown = {}) => ({
  functions,
  resources,
  custom: {},
  getFunction: () => ({}),
});

describe('readSettings', () => {
  test('custom brokers win over KAFKA_BROKERS, which wins over the default', () => {
    expect(
      readSettings({ 'serverless-offline-kafka': { brokers: 'a:1, b:2' } }, { KAFKA_BROKERS: 'c:3' }).brokers,
    ).toEqual(['a:1', 'b:2']);
    expect(readSettings({}, { KAFKA_BROKERS: 'c:3' }).brokers).toEqual(['c:3']);
    expect(readSettings(undefined, {}).brokers).toEqual(['127.0.0.1:9092']);
  });

  test('retry backoff and pollers are read as positive integers; the maximum is never below the initial', () => {
    const s = readSettings({ 'serverless-offline-kafka': { pollers: '3', retryBackoffMs: 800 } }, {});
    expect(s.pollers).toBe(3);
    expect(s.retryBackoff).toEqual({ initialMs: 800, maxMs: 30_000 });
    expect(
      readSettings({ 'serverless-offline-kafka': { retryBackoffMs: 50, maxRetryBackoffMs: 10 } }, {}).retryBackoff,
    ).toEqual({
      initialMs: 50,
      maxMs: 50,
    });
    expect(() => readSettings({ 'serverless-offline-kafka': { pollers: 0 } }, {})).toThrow(
      'custom.serverless-offline-kafka.pollers: must be a positive integer (got 0)',
    );
  });
});

test('offlineRuntimeOptions: serverless-offline defaults, then custom.serverless-offline, then the command line', () => {
  const options = offlineRuntimeOptions(
    { 'serverless-offline': { location: '.esbuild/.build', noTimeout: true, lambdaPort: 4002 } },
    { lambdaPort: 5002 },
  );
  expect(options).toMatchObject({
    location: '.esbuild/.build',
    noTimeout: true,
    lambdaPort: 5002,
    useInProcess: false,
    terminateIdleLambdaTime: 60,
  });
});

describe('kafkaMappings', () => {
  test('reads msk events and their resources.extensions like the engine does', () => {
    const mappings = kafkaMappings(
      service(
        {
          validateTrades: { events: [{ httpApi: '*' }, { msk: { arn: ARN, topic: 'trades.captured', batchSize: 5 } }] },
        },
        {
          extensions: {
            ValidateTradesEventSourceMappingMSKPosttradeTradescaptured: {
              Properties: {
                ProvisionedPollerConfig: { MinimumPollers: 1 },
                FunctionResponseTypes: ['ReportBatchItemFailures'],
              },
            },
          },
        },
      ),
    );
    expect(mappings.map((m) => [m.functionName, m.topic, m.batchSize, m.reportBatchItemFailures])).toEqual([
      ['validateTrades', 'trades.captured', 5, true],
    ]);
  });

  test('an invalid mapping stops offline with every problem named', () => {
    expect(() =>
      kafkaMappings(service({ f: { events: [{ msk: { arn: ARN, topic: 't', batchSize: 20_000 } }] } })),
    ).toThrow('functions.f.events[0].msk.batchSize: must be an integer from 1 to 10000 (got 20000)');
  });
});

describe('offlineHandler', () => {
  /** A pool like serverless-offline's: an idle instance, else a new one; runHandler marks it busy at once. */
  function fakePool() {
    const instances: { event: unknown; busy: boolean; release: () => void }[] = [];
    const get = (): OfflineLambdaFunction => {
      let inst = instances.find((i) => !i.busy);
      if (inst === undefined) {
        inst = { event: undefined, busy: false, release: () => {} };
        instances.push(inst);
      }
      const self = inst;
      return {
        setEvent: (e) => {
          self.event = e;
        },
        runHandler: () => {
          self.busy = true;
          return new Promise((resolve) => {
            self.release = () => {
              self.busy = false;
              resolve({ got: self.event });
            };
          });
        },
      };
    };
    return { instances, lambda: { get } };
  }

  test('concurrent invocations get their own instances and their own events', async () => {
    // Arrange
    const pool = fakePool();
    const handler = offlineHandler(pool.lambda, 'validateTrades');
    const ctx = {} as Parameters<typeof handler>[1];

    // Act
    const first = handler({ n: 1 } as never, ctx);
    const second = handler({ n: 2 } as never, ctx);
    pool.instances.forEach((i) => i.release());

    // Assert
    expect(await Promise.all([first, second])).toEqual([{ got: { n: 1 } }, { got: { n: 2 } }]);
    expect(pool.instances).toHaveLength(2);
  });

  test("a handler's error rejects the invocation (the engine then retries the batch)", async () => {
    const failing = {
      get: (): OfflineLambdaFunction => ({ setEvent: () => {}, runHandler: () => Promise.reject(new Error('boom')) }),
    };
    await expect(offlineHandler(failing, 'f')({} as never, {} as never)).rejects.toThrow('boom');
  });
});

test('the plugin stops its mappings before serverless-offline ends (its end hook exits the process)', () => {
  const plugin = new ServerlessOfflineKafka(
    { service: service({}) },
    {},
    { log: { notice() {}, info() {}, warning() {}, error() {}, debug() {} } },
  );
  expect(Object.keys(plugin.hooks)).toEqual(
    expect.arrayContaining(['offline:start:init', 'before:offline:start:end', 'offline:functionsUpdated:cleanup']),
  );
  expect(Object.keys(plugin.hooks)).not.toContain('offline:start:end');
});

test('requiredTopics: event topics, kafka:// destinations and known topics, with known partition counts', () => {
  const config = {
    functions: {
      validate: { events: [{ msk: { arn: ARN, topic: 'trades.captured' } }] },
      audit: { events: [{ kafka: { bootstrapServers: ['x:9092'], topic: 'audit.in' } }] },
    },
    resources: {
      extensions: {
        ValidateEventSourceMappingMSKPosttradeTradescaptured: {
          Properties: {
            ProvisionedPollerConfig: { MinimumPollers: 1 },
            DestinationConfig: { OnFailure: { Destination: 'kafka://trades.deadletter' } },
          },
        },
      },
    },
  };
  expect(
    requiredTopics(config, [
      { topic: 'trades.captured', numPartitions: 4 },
      { topic: 'prices.eod', numPartitions: 2 },
    ]),
  ).toEqual([
    { topic: 'audit.in', numPartitions: 1 },
    { topic: 'prices.eod', numPartitions: 2 },
    { topic: 'trades.captured', numPartitions: 4 },
    { topic: 'trades.deadletter', numPartitions: 1 },
  ]);
});
