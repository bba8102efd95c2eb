/**
 * The Kafka ESM emulator's error handling against the real development broker and KafkaJS: whole-batch retries
 * in order, bisect, partial batch responses, the Kafka on-failure destination, graceful stop, and isolation of a
 * failing partition or function.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin, type KafkaMessage, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../../../localstack/broker';
import type { Logger } from '../../../../localstack/broker/types';
import {
  parseEventSourceMappings,
  startEventSourceRunner,
  type EventSourceMapping,
  type EventSourceRunner,
  type KafkaLambdaEvent,
} from '../../../../localstack/esm';
import { within } from '../../../helpers/within';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/11111111-2222-3333-4444-555555555555-1';

/** Calls of a handler, with a way to await a condition on them. */
function calls() {
  const seen: KafkaLambdaEvent[] = [];
  const waiters: (() => void)[] = [];
  return {
    seen,
    record(event: KafkaLambdaEvent): void {
      seen.push(event);
      for (const w of waiters.splice(0)) w();
    },
    until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
      return within(
        ms,
        what,
        new Promise<void>((resolve) => {
          const test = (): void => (check() ? resolve() : void waiters.push(test));
          test();
        }),
      );
    },
  };
}

const valuesOf = (event: KafkaLambdaEvent): string[] =>
  Object.values(event.records).flatMap((rs) => rs.map((r) => Buffer.from(r.value ?? '', 'base64').toString()));

function mapping(fn: string, msk: object, properties: object = {}): EventSourceMapping {
  const provisioned =
    Object.keys(properties).length > 0 ? { provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 2 } } : {};
  const logicalId = `${fn.charAt(0).toUpperCase()}${fn.slice(1)}EventSourceMappingMSKPosttrade${String(
    (msk as { topic: string }).topic,
  )
    .replace(/[^A-Za-z0-9]/g, '')
    .replace(/^./, (c) => c.toUpperCase())}`;
  const parsed = parseEventSourceMappings({
    functions: { [fn]: { events: [{ msk: { arn: ARN, maximumBatchingWindow: 0, ...provisioned, ...msk } }] } },
    resources: { extensions: { [logicalId]: { Properties: properties } } },
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const [m] = parsed.value;
  if (m === undefined) throw new Error('no mapping');
  return m;
}

describe('ESM emulator: failures', () => {
  let dataDir: string;
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const runners: EventSourceRunner[] = [];

  const start = async (
    mappings: EventSourceMapping[],
    handlers: Record<string, (e: KafkaLambdaEvent) => Promise<unknown>>,
  ) => {
    const runner = await startEventSourceRunner({
      brokers: [broker.address],
      mappings,
      handlers,
      retryBackoff: { initialMs: 20, maxMs: 100 },
    });
    runners.push(runner);
    return runner;
  };

  const committed = async (m: EventSourceMapping): Promise<Record<number, string>> => {
    const [t] = await admin.fetchOffsets({ groupId: m.consumerGroupId, topics: [m.topic] });
    return Object.fromEntries((t?.partitions ?? []).map((p) => [p.partition, p.offset]));
  };

  /** Reads `count` messages of a topic from the beginning with a throwaway group. */
  const readTopic = async (topic: string, count: number): Promise<KafkaMessage[]> => {
    const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}`, maxWaitTimeInMs: 200 });
    const got: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const all = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          got.push(message);
          if (got.length >= count) resolve();
          return Promise.resolve();
        },
      });
    });
    try {
      await within(10_000, `${count} messages on ${topic}`, all);
    } finally {
      await consumer.disconnect();
    }
    return got;
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esm-failures-'));
    broker = await startBroker({ port: 0, dataDir, logger: quiet });
    kafka = new Kafka({ brokers: [broker.address], clientId: 'esm-failures-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('retries the whole batch in order and commits only after success', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'retry', numPartitions: 1 }] });
    const m = mapping('retrying', { topic: 'retry' });
    const c = calls();
    await producer.send({ topic: 'retry', messages: ['a', 'b', 'c'].map((value) => ({ value })) });
    const offsetsWhileFailing: Record<number, string>[] = [];

    // Act
    const runner = await start([m], {
      retrying: async (e) => {
        c.record(e);
        if (c.seen.length <= 2) {
          offsetsWhileFailing.push(await committed(m));
          throw new Error('database unavailable');
        }
      },
    });
    await runner.idle();

    // Assert
    expect(c.seen.map(valuesOf)).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
    expect(offsetsWhileFailing).toEqual([{ 0: '0' }, { 0: '0' }]);
    expect(await committed(m)).toEqual({ 0: '3' });
  });

  it('bisects to the poison record and sends it, bytes and headers intact, with the error to the kafka:// destination', async () => {
    // Arrange
    await admin.createTopics({
      topics: [
        { topic: 'bisect', numPartitions: 1 },
        { topic: 'bisect.failed', numPartitions: 1 },
      ],
    });
    const m = mapping(
      'bisecting',
      { topic: 'bisect' },
      {
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: 'kafka://bisect.failed' } },
      },
    );
    const c = calls();
    await producer.send({
      topic: 'bisect',
      messages: ['a', 'b', 'poison', 'd'].map((value) => ({
        key: `k-${value}`,
        value,
        headers: { trace: `t-${value}` },
      })),
    });

    // Act
    const runner = await start([m], {
      bisecting: (e) => {
        c.record(e);
        return valuesOf(e).includes('poison')
          ? Promise.reject(new RangeError('quantity out of range'))
          : Promise.resolve();
      },
    });
    await runner.idle();
    const [dead] = await readTopic('bisect.failed', 1);

    // Assert
    expect(c.seen.map(valuesOf)).toEqual([
      ['a', 'b', 'poison', 'd'],
      ['a', 'b'],
      ['poison', 'd'],
      ['poison'],
      ['poison'],
      ['d'],
    ]);
    expect(dead?.value?.toString()).toBe('poison');
    expect(dead?.key?.toString()).toBe('k-poison');
    const header = (name: string): string | undefined => dead?.headers?.[name]?.toString();
    expect(header('trace')).toBe('t-poison');
    expect(header('x-esm-source-topic')).toBe('bisect');
    expect(header('x-esm-source-offset')).toBe('2');
    expect(header('x-esm-condition')).toBe('RetryAttemptsExhausted');
    expect(header('x-esm-error-type')).toBe('RangeError');
    expect(header('x-esm-error-message')).toBe('quantity out of range');
    expect(await committed(m)).toEqual({ 0: '4' });
  });

  it('fetches a partition again from a delivery that could not complete: no later batch commits past its records', async () => {
    // Arrange: the on-failure destination does not exist yet, so discarding the failed batch throws.
    await admin.createTopics({ topics: [{ topic: 'rewind', numPartitions: 1 }] });
    const m = mapping(
      'rewinding',
      { topic: 'rewind', batchSize: 2 },
      { MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: 'kafka://rewind.failed' } } },
    );
    const c = calls();
    await producer.send({ topic: 'rewind', messages: ['bad-1', 'bad-2', 'ok-3', 'ok-4'].map((value) => ({ value })) });
    let badInvocations = 0;

    // Act
    const runner = await start([m], {
      rewinding: async (e) => {
        c.record(e);
        if (!valuesOf(e).some((v) => v.startsWith('bad'))) return;
        badInvocations++;
        // Only a partition fetched again from the failed batch invokes it a second time: then the destination appears.
        if (badInvocations === 2) await admin.createTopics({ topics: [{ topic: 'rewind.failed', numPartitions: 1 }] });
        throw new Error('refused');
      },
    });
    await c.until('the failed batch invoked again', () => badInvocations >= 2, 60_000);
    await runner.idle();
    const dead = await readTopic('rewind.failed', 2);

    // Assert: the failed records reached the destination, and the good ones were handled, before the commit passed them.
    expect(dead.map((d) => d.value?.toString())).toEqual(['bad-1', 'bad-2']);
    expect(c.seen.map(valuesOf).filter((vs) => vs.includes('ok-3'))).not.toHaveLength(0);
    expect(await committed(m)).toEqual({ 0: '4' });
  }, 90_000);

  it('with ReportBatchItemFailures commits up to the first failed record and retries from it', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'partial', numPartitions: 1 }] });
    const m = mapping('partial', { topic: 'partial' }, { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const c = calls();
    await producer.send({ topic: 'partial', messages: ['a', 'b', 'c', 'd'].map((value) => ({ value })) });
    let committedAtRetry: Record<number, string> = {};

    // Act
    const runner = await start([m], {
      partial: async (e) => {
        c.record(e);
        if (c.seen.length === 1) return { batchItemFailures: [{ itemIdentifier: 'partial-0-2' }] };
        committedAtRetry = await committed(m);
        return { batchItemFailures: [] };
      },
    });
    await runner.idle();

    // Assert
    expect(c.seen.map(valuesOf)).toEqual([
      ['a', 'b', 'c', 'd'],
      ['c', 'd'],
    ]);
    expect(committedAtRetry).toEqual({ 0: '2' });
    expect(await committed(m)).toEqual({ 0: '4' });
  });

  it('stops gracefully mid-batch: the batch in flight finishes and is committed once, nothing is lost', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'stopping', numPartitions: 1 }] });
    const m = mapping('slow', { topic: 'stopping', batchSize: 3 });
    const c = calls();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    await producer.send({ topic: 'stopping', messages: ['a', 'b', 'c', 'd', 'e'].map((value) => ({ value })) });
    const first = await start([m], {
      slow: async (e) => {
        c.record(e);
        await gate;
      },
    });
    await c.until('the first batch to be in flight', () => c.seen.length === 1);

    // Act
    const stopped = first.stop();
    release();
    await stopped;
    runners.splice(0);
    const afterStop = await committed(m);
    const again = calls();
    const second = await start([m], {
      slow: (e) => {
        again.record(e);
        return Promise.resolve();
      },
    });
    await second.idle();

    // Assert
    expect(c.seen.map(valuesOf)).toEqual([['a', 'b', 'c']]);
    expect(afterStop).toEqual({ 0: '3' });
    expect(again.seen.flatMap(valuesOf)).toEqual(['d', 'e']);
  });

  it('a function that always throws blocks only its own partition: other partitions and functions keep flowing', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }] });
    const brokenMapping = mapping('broken', { topic: 'orders' });
    const healthyMapping = mapping('healthy', { topic: 'orders' });
    const broken = calls();
    const healthy = calls();
    await start([brokenMapping, healthyMapping], {
      broken: (e) => {
        broken.record(e);
        return Object.keys(e.records).includes('orders-0') ? Promise.reject(new Error('always')) : Promise.resolve();
      },
      healthy: (e) => {
        healthy.record(e);
        return Promise.resolve();
      },
    });

    // Act
    await producer.send({
      topic: 'orders',
      messages: [
        { value: 'p0-a', partition: 0 },
        { value: 'p1-a', partition: 1 },
        { value: 'p1-b', partition: 1 },
      ],
    });
    await producer.send({ topic: 'orders', messages: [{ value: 'p1-c', partition: 1 }] });
    await broken.until(
      'partition 1 to be delivered while partition 0 retries',
      () =>
        ['p1-a', 'p1-b', 'p1-c'].every((v) => broken.seen.some((e) => valuesOf(e).includes(v))) &&
        broken.seen.filter((e) => valuesOf(e).includes('p0-a')).length >= 3,
    );
    await healthy.until('the other function to get everything', () => healthy.seen.flatMap(valuesOf).length === 4);

    // Assert
    expect((await committed(brokenMapping))[0]).toBe('0');
    expect((await committed(brokenMapping))[1]).toBe('3');
    expect(await committed(healthyMapping)).toEqual({ 0: '1', 1: '3' });
  });
});
