/**
 * The Kafka ESM emulator against the real development broker and KafkaJS: event shape, batching by size and by
 * window, filtering, and the starting position of a new group.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MSKEvent } from 'aws-lambda';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startBroker, type RunningBroker } from '../../../../localstack/broker';
import type { Logger } from '../../../../localstack/broker/types';
import {
  parseEventSourceMappings,
  startEventSourceRunner,
  type EventSourceMapping,
  type EventSourceRunner,
  type KafkaLambdaEvent,
} from '../../../../localstack/esm';
import { loadEvent } from '../../../helpers/events';
import { within } from '../../../helpers/within';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/11111111-2222-3333-4444-555555555555-1';

/** Records the events a handler receives and lets a test await a condition on them. */
function recorder() {
  const events: { event: KafkaLambdaEvent; at: number }[] = [];
  const waiters: (() => void)[] = [];
  return {
    events,
    handler: (event: KafkaLambdaEvent): Promise<void> => {
      events.push({ event, at: Date.now() });
      for (const w of waiters.splice(0)) w();
      return Promise.resolve();
    },
    until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
      const wait = new Promise<void>((resolve) => {
        const test = (): void => {
          if (check()) resolve();
          else waiters.push(test);
        };
        test();
      });
      return within(ms, what, wait);
    },
  };
}

function offsets(event: KafkaLambdaEvent): number[] {
  return Object.values(event.records).flatMap((rs) => rs.map((r) => r.offset));
}

function values(event: KafkaLambdaEvent): string[] {
  return Object.values(event.records).flatMap((rs) => rs.map((r) => Buffer.from(r.value ?? '', 'base64').toString()));
}

function mappingsFor(fn: string, msk: object, extension?: object): EventSourceMapping[] {
  const sls = {
    functions: { [fn]: { events: [{ msk: { arn: ARN, ...msk } }] } },
    resources: { extensions: extension ?? {} },
  };
  const parsed = parseEventSourceMappings(sls);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.value;
}

describe('ESM emulator: events and batching', () => {
  let dataDir: string;
  let broker: RunningBroker;
  let admin: Admin;
  let producer: Producer;
  const runners: EventSourceRunner[] = [];

  const run = async (
    mappings: EventSourceMapping[],
    handlers: Record<string, (e: KafkaLambdaEvent) => Promise<unknown>>,
  ) => {
    const runner = await startEventSourceRunner({
      brokers: broker.address,
      mappings,
      handlers,
      retryBackoff: { initialMs: 20, maxMs: 200 },
    });
    runners.push(runner);
    return runner;
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esm-delivery-'));
    broker = await startBroker({ port: 0, dataDir, logger: quiet });
    const kafka = new Kafka({ brokers: [broker.address], clientId: 'esm-it', logLevel: logLevel.NOTHING });
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

  it('delivers an event shaped exactly like the recorded MSK event (and AWS sample)', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'mytopic', numPartitions: 1 }] });
    await producer.send({
      topic: 'mytopic',
      messages: [
        {
          key: Buffer.from('trade-42'),
          value: Buffer.from('Hello, this is a test.'),
          timestamp: '1545084650987',
          headers: { headerKey: Buffer.from('headerValue'), schema: ['v1', 'v2'] },
        },
        { key: null, value: Buffer.from('{"type":"TRADE"}'), timestamp: '1545084650988' },
      ],
    });
    const rec = recorder();
    const expected = loadEvent<MSKEvent>('msk-local-recorded');

    // Act
    await run(mappingsFor('capture', { topic: 'mytopic', maximumBatchingWindow: 0 }), { capture: rec.handler });
    await rec.until('the event', () => rec.events.length > 0);

    // Assert
    const [first] = rec.events;
    expect({ ...first?.event, bootstrapServers: 'localhost:9092' }).toEqual(expected);
    expect(first?.event.bootstrapServers).toBe(broker.address);
    // The same fields, types and encodings as AWS's documented sample.
    const sample = loadEvent<MSKEvent>('msk-aws-sample').records['mytopic-0']?.[0];
    const ours = first?.event.records['mytopic-0']?.[0];
    expect(Object.keys(ours ?? {}).sort()).toEqual(Object.keys(sample ?? {}).sort());
    expect(ours?.value).toBe(sample?.value);
    expect(ours?.headers[0]).toEqual(sample?.headers[0]);
  });

  it('invokes as soon as batchSize records are there, and with the rest when the window passes', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'batched', numPartitions: 1 }] });
    const rec = recorder();
    const runner = await run(mappingsFor('batch', { topic: 'batched', batchSize: 4, maximumBatchingWindow: 2 }), {
      batch: rec.handler,
    });

    // Act
    const sentAt = Date.now();
    await producer.send({ topic: 'batched', messages: ['a', 'b', 'c', 'd', 'e', 'f'].map((value) => ({ value })) });
    await rec.until('two events', () => rec.events.length === 2);
    await runner.idle();

    // Assert: a full batch does not wait for the 2 s window; the remainder does.
    const [full, rest] = rec.events;
    expect(full && values(full.event)).toEqual(['a', 'b', 'c', 'd']);
    expect(rest && values(rest.event)).toEqual(['e', 'f']);
    expect((full?.at ?? Infinity) - sentAt).toBeLessThan(1_500);
    expect((rest?.at ?? 0) - sentAt).toBeGreaterThanOrEqual(1_900);
  });

  it('drops records no filter matches and still commits past them', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'filtered', numPartitions: 1 }] });
    const rec = recorder();
    const runner = await run(
      mappingsFor('filter', {
        topic: 'filtered',
        maximumBatchingWindow: 0,
        filterPatterns: [{ value: { type: ['TRADE'] } }],
      }),
      { filter: rec.handler },
    );
    const docs = [
      { type: 'TRADE', n: 1 },
      { type: 'HEARTBEAT' },
      { type: 'TRADE', n: 2 },
      'not json',
      { type: 'HEARTBEAT' },
    ];

    // Act
    await producer.send({
      topic: 'filtered',
      messages: docs.map((d) => ({ value: typeof d === 'string' ? d : JSON.stringify(d) })),
    });
    await runner.idle();

    // Assert
    expect(rec.events.flatMap((e) => values(e.event))).toEqual(['{"type":"TRADE","n":1}', '{"type":"TRADE","n":2}']);
    expect(rec.events.flatMap((e) => offsets(e.event))).toEqual([0, 2]);
    const committed = await admin.fetchOffsets({
      groupId: mappingsFor('filter', { topic: 'filtered' })[0]?.consumerGroupId ?? '',
      topics: ['filtered'],
    });
    expect(committed[0]?.partitions[0]?.offset).toBe('5');
  });

  it('starts a new group at LATEST, but a group with committed offsets resumes from them', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'positions', numPartitions: 2 }] });
    await producer.send({
      topic: 'positions',
      messages: [
        { value: 'old-0', partition: 0 },
        { value: 'old-1', partition: 1 },
      ],
    });
    const mapping = mappingsFor('latest', { topic: 'positions', startingPosition: 'LATEST', maximumBatchingWindow: 0 });
    const rec = recorder();

    // Act: a new group skips what is there already
    const first = await run(mapping, { latest: rec.handler });
    await producer.send({ topic: 'positions', messages: [{ value: 'new-0', partition: 0 }] });
    await first.idle();
    await first.stop();
    runners.splice(0);
    await producer.send({ topic: 'positions', messages: [{ value: 'while-down', partition: 1 }] });
    const second = await run(mapping, { latest: rec.handler });
    await second.idle();

    // Assert: after the restart LATEST no longer applies — the record produced while down is delivered.
    expect(rec.events.flatMap((e) => values(e.event))).toEqual(['new-0', 'while-down']);
  });

  it('keeps partitions of one batch window apart: one event per partition, each in offset order', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'fills', numPartitions: 3 }] });
    const rec = recorder();
    const runner = await run(mappingsFor('fills', { topic: 'fills', batchSize: 100, maximumBatchingWindow: 1 }), {
      fills: rec.handler,
    });
    const messages = Array.from({ length: 30 }, (_, i) => ({ value: `f${i}`, partition: i % 3 }));

    // Act
    await producer.send({ topic: 'fills', messages });
    await runner.idle();

    // Assert
    const byPartition = new Map<string, number[]>();
    for (const { event } of rec.events) {
      for (const [key, rs] of Object.entries(event.records))
        byPartition.set(key, [...(byPartition.get(key) ?? []), ...rs.map((r) => r.offset)]);
    }
    expect([...byPartition.keys()].sort()).toEqual(['fills-0', 'fills-1', 'fills-2']);
    for (const list of byPartition.values()) expect(list).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
