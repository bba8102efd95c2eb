import { CompressionCodecs, CompressionTypes, Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { ApiKey } from '../../../../localstack/broker/protocol/api';
import { ErrorCode } from '../../../../localstack/broker/protocol/errors';
import { buildBatch } from '../../helpers/batches';
import { startTestBroker, type TestBroker } from '../../helpers/broker';
import { RawKafkaClient } from '../../helpers/raw-kafka';

describe('development broker with KafkaJS 2.2.4', () => {
  let broker: TestBroker;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startTestBroker({ defaultPartitions: 2 });
    kafka = new Kafka({
      clientId: 'conformance',
      brokers: [broker.address],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    });
  });
  afterAll(() => broker.destroy());

  /** Consumes with a fresh group until `count` messages have arrived. */
  async function consumeAll(topic: string, count: number): Promise<EachMessagePayload[]> {
    const consumer: Consumer = kafka.consumer({ groupId: `g-${topic}-${Date.now()}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: EachMessagePayload[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: (payload) => {
          seen.push(payload);
          if (seen.length >= count) resolve();
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();
    return seen;
  }

  it('administers topics: create, describe, list, add partitions, configs, delete', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({
          topics: [{ topic: 'adm', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '60000' }] }],
        }),
      ).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 3 }] })).toBe(false);
      const cluster = await admin.describeCluster();
      expect(cluster.controller).toBe(cluster.brokers[0]?.nodeId);
      expect(await admin.listTopics()).toContain('adm');
      await admin.createPartitions({ topicPartitions: [{ topic: 'adm', count: 5 }] });
      const meta = await admin.fetchTopicMetadata({ topics: ['adm'] });
      expect(meta.topics[0]?.partitions).toHaveLength(5);
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'adm' }], includeSynonyms: false });
      const entries = configs.resources[0]?.configEntries ?? [];
      expect(entries.find((e) => e.configName === 'retention.ms')?.configValue).toBe('60000');
      expect(entries.find((e) => e.configName === 'max.message.bytes')?.configValue).toBe(String(1024 * 1024));
      await admin.deleteTopics({ topics: ['adm'] });
      expect(await admin.listTopics()).not.toContain('adm');
    } finally {
      await admin.disconnect();
    }
  });

  it('honours topic-level configs and refuses ones it cannot honour', async () => {
    const admin = kafka.admin();
    const producer = kafka.producer({ retry: { retries: 0 } });
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({
      topics: [
        { topic: 'small-messages', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '512' }] },
      ],
    });
    await expect(
      producer.send({ topic: 'small-messages', messages: [{ value: Buffer.alloc(1024) }] }),
    ).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
    await producer.send({ topic: 'small-messages', messages: [{ value: 'fits' }] });
    await expect(
      admin.createTopics({
        topics: [{ topic: 'compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      }),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
    expect(await admin.listTopics()).not.toContain('compacted');
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it('produces with acks -1, 1 and 0, gzip, keys and headers, and consumes them back in a group', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'roundtrip',
      acks: -1,
      messages: [{ key: 'k1', value: 'all', headers: { h: 'v1' } }],
    });
    await producer.send({
      topic: 'roundtrip',
      acks: 1,
      compression: CompressionTypes.GZIP,
      messages: [{ key: 'k2', value: 'gzipped' }],
    });
    await producer.send({ topic: 'roundtrip', acks: 0, messages: [{ key: 'k3', value: 'fire-and-forget' }] });
    await producer.disconnect();

    const seen = await consumeAll('roundtrip', 3);
    const byKey = new Map(seen.map((s) => [s.message.key?.toString(), s.message]));
    expect(byKey.get('k1')?.value?.toString()).toBe('all');
    expect(byKey.get('k1')?.headers?.h?.toString()).toBe('v1');
    expect(byKey.get('k2')?.value?.toString()).toBe('gzipped');
    expect(byKey.get('k3')?.value?.toString()).toBe('fire-and-forget');
  });

  it('long-polls: a waiting consumer gets a record as soon as it is produced', async () => {
    const consumer = kafka.consumer({ groupId: 'long-poll', maxWaitTimeInMs: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'late', fromBeginning: true });
    const arrived = new Promise<number>((resolve) => {
      void consumer.run({ eachMessage: () => Promise.resolve(resolve(Date.now())) });
    });
    await new Promise<void>((resolve) => consumer.on(consumer.events.FETCH_START, () => resolve()));
    const producer = kafka.producer();
    await producer.connect();
    const sentAt = Date.now();
    await producer.send({ topic: 'late', messages: [{ value: 'now' }] });
    const latency = (await arrived) - sentAt;
    await producer.disconnect();
    await consumer.disconnect();
    expect(latency).toBeLessThan(5_000);
  });

  it('answers offsets by earliest, latest and timestamp', async () => {
    const admin = kafka.admin();
    const producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({ topics: [{ topic: 'times', numPartitions: 1 }] });
    await producer.send({
      topic: 'times',
      messages: [
        { value: 'a', timestamp: '1000' },
        { value: 'b', timestamp: '2000' },
      ],
    });
    await producer.send({ topic: 'times', messages: [{ value: 'c', timestamp: '3000' }] });
    expect(await admin.fetchTopicOffsets('times')).toEqual([{ partition: 0, offset: '3', high: '3', low: '0' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp('times', 1500)).toEqual([{ partition: 0, offset: '1' }]);
    expect(await admin.fetchTopicOffsetsByTimestamp('times', 2500)).toEqual([{ partition: 0, offset: '2' }]);
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it('writes an idempotent producer batch once even when it is sent twice', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 1 }] });
    const raw = await RawKafkaClient.connect(broker.port);
    const init = await raw.request(ApiKey.InitProducerId, 0, (w) => w.nullableString(null).int32(60_000));
    init.int32();
    expect(init.int16()).toBe(ErrorCode.NONE);
    const producerId = init.int64();
    const produce = async (batch: Buffer) => {
      const r = await raw.request(ApiKey.Produce, 7, (w) =>
        w
          .nullableString(null)
          .int16(-1)
          .int32(5000)
          .array([0], (t) => t.string('idem').array([0], (p) => p.int32(0).nullableBytes(batch))),
      );
      r.int32();
      r.string();
      r.int32();
      r.int32();
      return { error: r.int16(), baseOffset: r.int64() };
    };
    const first = buildBatch({ values: ['a', 'b'], producerId, producerEpoch: 0, baseSequence: 0 });
    expect(await produce(Buffer.from(first))).toEqual({ error: ErrorCode.NONE, baseOffset: 0 });
    expect(await produce(Buffer.from(first))).toEqual({ error: ErrorCode.NONE, baseOffset: 0 });
    const gap = buildBatch({ values: ['c'], producerId, producerEpoch: 0, baseSequence: 5 });
    expect((await produce(gap)).error).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const next = buildBatch({ values: ['c'], producerId, producerEpoch: 0, baseSequence: 2 });
    expect(await produce(next)).toEqual({ error: ErrorCode.NONE, baseOffset: 2 });
    raw.close();
    expect(await admin.fetchTopicOffsets('idem')).toEqual([{ partition: 0, offset: '3', high: '3', low: '0' }]);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: 'idem', messages: [{ value: 'from-kafkajs' }] });
    await producer.disconnect();
    const values = (await consumeAll('idem', 4)).map((m) => m.message.value?.toString());
    expect(values).toEqual(['a', 'b', 'c', 'from-kafkajs']);
  });

  it('refuses what it does not support with the right error, and keeps serving', async () => {
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    await expect(
      producer.send({ topic: 'limits', messages: [{ value: Buffer.alloc(1024 * 1024 + 1) }] }),
    ).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });

    // KafkaJS has no LZ4 codec of its own: a stand-in that produces LZ4-flagged batches is enough.
    CompressionCodecs[CompressionTypes.LZ4] = () => ({
      compress: (e: { buffer: Buffer }) => Promise.resolve(e.buffer),
      decompress: (b: Buffer) => Promise.resolve(b),
    });
    await expect(
      producer.send({ topic: 'limits', compression: CompressionTypes.LZ4, messages: [{ value: 'x' }] }),
    ).rejects.toMatchObject({ type: 'UNSUPPORTED_COMPRESSION_TYPE' });
    await producer.send({ topic: 'limits', messages: [{ value: 'still serving' }] });
    await producer.disconnect();

    const transactional = kafka.producer({
      transactionalId: 'tx-1',
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: 1 },
    });
    await expect(transactional.connect().then(() => transactional.transaction())).rejects.toMatchObject({
      type: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
    });
    await transactional.disconnect();
    expect(broker.logger.warnings.join('\n')).toMatch(/does not support transactions/);
  });

  it('answers an unknown API version with UNSUPPORTED_VERSION, ApiVersions v3 in full, and a newer one in the v0 layout', async () => {
    const raw = await RawKafkaClient.connect(broker.port);
    const bad = await raw.request(ApiKey.Metadata, 99, () => undefined);
    expect(bad.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const versions = await raw.request(ApiKey.ApiVersions, 9, (w) => w.int8(0));
    expect(versions.int16()).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const ranges = versions.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
    expect(ranges).toContainEqual({ key: ApiKey.ApiVersions, min: 0, max: 3 });
    // v3, the flexible version librdkafka opens with: tagged fields in the header, compact strings in the body.
    const flexible = await raw.request(ApiKey.ApiVersions, 3, (w) =>
      w.uvarint(0).uvarint(5).raw(Buffer.from('test')).uvarint(4).raw(Buffer.from('1.0')).uvarint(0),
    );
    expect(flexible.int16()).toBe(ErrorCode.NONE);
    const count = flexible.uvarint() - 1;
    const flexRanges = Array.from({ length: count }, () => {
      const range = { key: flexible.int16(), min: flexible.int16(), max: flexible.int16() };
      flexible.uvarint();
      return range;
    });
    expect(flexRanges).toEqual(ranges);
    expect([flexible.int32(), flexible.uvarint(), flexible.remaining]).toEqual([0, 0, 0]);
    const ok = await raw.request(ApiKey.ApiVersions, 2, () => undefined);
    expect(ok.int16()).toBe(ErrorCode.NONE);
    raw.close();
  });
});

describe('development broker with auto-creation off', () => {
  it('answers UNKNOWN_TOPIC_OR_PARTITION for a topic nobody created', async () => {
    const broker = await startTestBroker({ autoCreateTopics: false });
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await expect(producer.send({ topic: 'nobody', messages: [{ value: 'x' }] })).rejects.toThrow(
      /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION/,
    );
    await producer.disconnect();
    await broker.destroy();
  });
});
