import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { spawnBroker } from '../../helpers/broker-process';

describe('broker durability across kill -9', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-durable-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const client = (address: string) =>
    new Kafka({ clientId: 'durability', brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 1 } });

  it('serves every acknowledged record and committed offset after a crash, cutting a torn tail', async () => {
    // Arrange: acknowledged records, a committed group offset, then a crash mid-stream.
    const first = await spawnBroker(['--port', '0', '--data-dir', dataDir]);
    const kafka = client(first.address);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    const acknowledged: string[] = [];
    for (let b = 0; b < 20; b++) {
      const values = Array.from({ length: 50 }, (_, i) => `m-${b * 50 + i}`);
      await producer.send({ topic: 'durable', acks: -1, messages: values.map((value) => ({ key: value, value })) });
      acknowledged.push(...values);
    }
    await admin.setOffsets({ groupId: 'reader', topic: 'durable', partitions: [{ partition: 0, offset: '7' }] });
    // One more send in flight when the process dies: it may or may not have landed, but must not corrupt the rest.
    const inFlight = producer.send({ topic: 'durable', messages: [{ value: 'maybe' }] }).catch(() => undefined);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await inFlight;
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    // A torn write: half a batch at the end of partition 1's log.
    const segDir = path.join(dataDir, 'durable-1');
    const segment = path.join(segDir, fs.readdirSync(segDir).filter((f) => f.endsWith('.log'))[0] as string);
    fs.appendFileSync(segment, Buffer.from([0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 1, 0, 1, 2, 3]));

    // Act: restart on the same data directory.
    const second = await spawnBroker(['--port', '0', '--data-dir', dataDir]);
    const kafka2 = client(second.address);
    const admin2 = kafka2.admin();
    await admin2.connect();
    const offsets = await admin2.fetchOffsets({ groupId: 'reader', topics: ['durable'] });
    const consumer = kafka2.consumer({ groupId: 'verify', maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'durable', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          seen.push(message.value?.toString() ?? '');
          if (seen.filter((v) => v !== 'maybe').length >= acknowledged.length) resolve();
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();
    await admin2.disconnect();
    second.child.kill('SIGTERM');
    const exit = await second.exited;

    // Assert
    expect(seen.filter((v) => v !== 'maybe').sort()).toEqual([...acknowledged].sort());
    expect(seen.filter((v) => v === 'maybe').length).toBeLessThanOrEqual(1);
    expect(offsets[0]?.partitions.find((p) => p.partition === 0)?.offset).toBe('7');
    expect(second.output()).toMatch(/torn or corrupt batch .* truncating/);
    expect(exit).toBe(0);
  });
});
