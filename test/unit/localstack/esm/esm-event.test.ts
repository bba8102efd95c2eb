import type { MSKEvent, SelfManagedKafkaEvent } from 'aws-lambda';
import {
  buildKafkaEvent,
  eventEnvelope,
  parseEventSourceMappings,
  eventRecordBytes,
  payloadBytes,
  splitByPayloadLimit,
  toEventRecord,
  type EventSourceMapping,
  type FetchedRecord,
} from '../../../../localstack/esm';
import { loadEvent } from '../../../helpers/events';

const SAMPLE_ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2';
const SAMPLE_SERVERS =
  'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092';

function mapping(event: object): EventSourceMapping {
  const r = parseEventSourceMappings({ functions: { f: { events: [event] } } });
  if (!r.ok || r.value[0] === undefined) throw new Error('bad mapping');
  return r.value[0];
}

function sampleRecord(overrides: Partial<FetchedRecord> = {}): FetchedRecord {
  return {
    topic: 'mytopic',
    partition: 0,
    offset: 15,
    timestamp: 1545084650987,
    timestampType: 'CREATE_TIME',
    key: Buffer.from('abcDEFghiJKLmnoPQRstuVWXyz1234==', 'base64'),
    value: Buffer.from('Hello, this is a test.'),
    headers: [{ name: 'headerKey', value: Buffer.from('headerValue') }],
    ...overrides,
  };
}

describe('Kafka event building', () => {
  it("reproduces AWS's documented MSK sample event", () => {
    // Arrange
    const expected = loadEvent<MSKEvent>('msk-aws-sample');
    const [sample] = expected.records['mytopic-0'] ?? [];
    // AWS's sample key is not canonical base64 (its last digit carries stray bits), so no bytes encode to it
    // exactly; compare with the canonical encoding of the same bytes.
    if (sample) sample.key = Buffer.from(sample.key, 'base64').toString('base64');
    const envelope = eventEnvelope(mapping({ msk: { arn: SAMPLE_ARN, topic: 'mytopic' } }), SAMPLE_SERVERS);

    // Act
    const event = buildKafkaEvent(envelope, [sampleRecord()]);

    // Assert
    expect(event).toEqual(expected);
  });

  it("reproduces AWS's self-managed sample: no ARN, and no key when the record has none", () => {
    // Arrange
    const expected = loadEvent<SelfManagedKafkaEvent>('self-managed-kafka-aws-sample');
    const envelope = eventEnvelope(
      mapping({ kafka: { accessConfigurations: {}, bootstrapServers: SAMPLE_SERVERS.split(','), topic: 'mytopic' } }),
      'localhost:9092',
    );

    // Act
    const event = buildKafkaEvent(envelope, [sampleRecord({ key: null })]);

    // Assert
    expect(event).toEqual(expected);
    expect(Object.keys(event.records['mytopic-0']?.[0] ?? {})).not.toContain('key');
  });

  it('groups records by topic-partition in offset order, keeps repeated headers, and encodes empty/null values', () => {
    // Arrange
    const envelope = eventEnvelope(mapping({ msk: { arn: SAMPLE_ARN, topic: 't' } }), 'localhost:9092');
    const records = [
      sampleRecord({
        topic: 't',
        partition: 1,
        offset: 7,
        headers: [
          { name: 'h', value: Buffer.from([1]) },
          { name: 'h', value: Buffer.from([2]) },
        ],
      }),
      sampleRecord({ topic: 't', partition: 0, offset: 3, value: null, headers: [] }),
      sampleRecord({
        topic: 't',
        partition: 1,
        offset: 8,
        value: Buffer.alloc(0),
        headers: [{ name: 'n', value: null }],
      }),
    ];

    // Act
    const event = buildKafkaEvent(envelope, records);

    // Assert
    expect(Object.keys(event.records)).toEqual(['t-1', 't-0']);
    expect(event.records['t-1']?.map((r) => r.offset)).toEqual([7, 8]);
    expect(event.records['t-1']?.[0]?.headers).toEqual([{ h: [1] }, { h: [2] }]);
    expect(event.records['t-1']?.[1]?.value).toBe('');
    expect(event.records['t-1']?.[1]?.headers).toEqual([{ n: [] }]);
    expect(event.records['t-0']?.[0]).not.toHaveProperty('value');
  });
});

describe('6 MB payload split', () => {
  const envelope = eventEnvelope(mapping({ msk: { arn: SAMPLE_ARN, topic: 't' } }), 'localhost:9092');
  const oneMiB = (offset: number, partition = 0): FetchedRecord =>
    sampleRecord({ topic: 't', partition, offset, key: null, headers: [], value: Buffer.alloc(1024 * 1024, 1) });

  it('keeps a batch that fits in one invocation', () => {
    // Arrange: 4 records of 1 MiB are ~5.33 MiB once base64-encoded.
    const records = [0, 1, 2, 3].map((o) => oneMiB(o));

    // Act
    const chunks = splitByPayloadLimit(envelope, records);

    // Assert
    expect(chunks.map((c) => c.length)).toEqual([4]);
  });

  it('splits into consecutive chunks that each stay under the limit', () => {
    // Arrange: each 1 MiB record is 1,398,104 base64 characters; four fit in 6 MiB (6,291,456), five do not.
    const records = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((o) => oneMiB(o, o < 5 ? 0 : 1));

    // Act
    const chunks = splitByPayloadLimit(envelope, records);

    // Assert
    expect(chunks.map((c) => c.map((r) => r.offset))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    for (const c of chunks) expect(payloadBytes(envelope, c)).toBeLessThanOrEqual(6 * 1024 * 1024);
  });

  it('measures exactly: a limit equal to the payload size keeps the chunk whole, one byte less splits it', () => {
    // Arrange
    const records = [
      sampleRecord({ topic: 't', partition: 0, offset: 1 }),
      sampleRecord({ topic: 't', partition: 1, offset: 2 }),
      sampleRecord({ topic: 't', partition: 1, offset: 3 }),
    ];
    const exact = payloadBytes(envelope, records);

    // Act
    const whole = splitByPayloadLimit(envelope, records, exact);
    const split = splitByPayloadLimit(envelope, records, exact - 1);

    // Assert
    expect(whole.map((c) => c.length)).toEqual([3]);
    expect(split.map((c) => c.length)).toEqual([2, 1]);
  });

  it("sizes a record without serialising it, to the byte of JSON.stringify's size", () => {
    // Arrange: no key, empty and null values, headers repeated, empty, null, non-ASCII and with quotes, every byte.
    const records: FetchedRecord[] = [
      sampleRecord(),
      sampleRecord({ key: null, value: null, headers: [] }),
      sampleRecord({ key: Buffer.alloc(0), value: Buffer.alloc(0), offset: 0, partition: 12, timestamp: 0 }),
      sampleRecord({
        topic: 'trades.captured',
        offset: 123_456_789_012,
        timestampType: 'LOG_APPEND_TIME',
        value: Buffer.from('{"a":"é\\u0000"}'),
        headers: [
          { name: 'x', value: Buffer.from([0, 9, 10, 99, 100, 255]) },
          { name: 'x', value: null },
          { name: 'ünï "q"\\', value: Buffer.alloc(0) },
          { name: 'all', value: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
        ],
      }),
      ...[1, 2, 3, 4, 5].map((n) => sampleRecord({ key: Buffer.alloc(n, 7), value: Buffer.alloc(n * 7, 200) })),
    ];

    // Act
    const sizes = records.map(eventRecordBytes);

    // Assert
    expect(sizes).toEqual(records.map((r) => Buffer.byteLength(JSON.stringify(toEventRecord(r)), 'utf8')));
  });

  it('gives an oversized record a chunk of its own', () => {
    // Arrange
    const huge = sampleRecord({ topic: 't', offset: 1, key: null, headers: [], value: Buffer.alloc(5 * 1024 * 1024) });

    // Act
    const chunks = splitByPayloadLimit(envelope, [oneMiB(0), huge, oneMiB(2)]);

    // Assert
    expect(chunks.map((c) => c.map((r) => r.offset))).toEqual([[0], [1], [2]]);
  });
});
