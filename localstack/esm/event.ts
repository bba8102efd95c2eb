/**
 * Builds the event Lambda hands a Kafka-triggered function, byte for byte in AWS's shape: records grouped under
 * "<topic>-<partition>", offsets and timestamps as numbers, key and value base64, headers as lists of bytes.
 */
import type { MSKEvent, MSKRecord, SelfManagedKafkaEvent } from 'aws-lambda';
import { ESM_LIMITS, EventSourceKind, type EventSourceMapping } from './config';

export const TimestampType = { create: 'CREATE_TIME', logAppend: 'LOG_APPEND_TIME' } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

/** A record as fetched from the broker, before it becomes part of an event. */
export interface FetchedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: TimestampType;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** In wire order; a header name may repeat. */
  readonly headers: readonly { readonly name: string; readonly value: Buffer | null }[];
}

/**
 * A record in the event. AWS leaves `key` out when the record has none (its documented self-managed sample has no
 * key), which @types/aws-lambda's MSKRecord does not model; `value` is likewise left out for a tombstone.
 */
export type KafkaEventRecord = Omit<MSKRecord, 'key' | 'value'> & { key?: string; value?: string };
export type EventEnvelope = Omit<MSKEvent, 'records'> | Omit<SelfManagedKafkaEvent, 'records'>;
export type KafkaLambdaEvent =
  | (Omit<MSKEvent, 'records'> & { records: Record<string, KafkaEventRecord[]> })
  | (Omit<SelfManagedKafkaEvent, 'records'> & { records: Record<string, KafkaEventRecord[]> });

export function toEventRecord(r: FetchedRecord): KafkaEventRecord {
  // Property order as in AWS's samples: key and value sit between timestampType and headers.
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType,
    ...(r.key === null ? {} : { key: r.key.toString('base64') }),
    ...(r.value === null ? {} : { value: r.value.toString('base64') }),
    headers: r.headers.map((h) => ({ [h.name]: h.value === null ? [] : [...h.value] })),
  };
}

/** The event source fields of a mapping's events (everything but `records`). */
export function eventEnvelope(mapping: EventSourceMapping, bootstrapServers: string): EventEnvelope {
  if (mapping.kind === EventSourceKind.msk) {
    return { eventSource: 'aws:kafka', eventSourceArn: mapping.eventSourceArn ?? '', bootstrapServers };
  }
  return {
    eventSource: 'SelfManagedKafka',
    bootstrapServers: (mapping.bootstrapServers ?? [bootstrapServers]).join(','),
  };
}

/** Groups records under "<topic>-<partition>" keys, each list in offset order as fetched. */
export function buildKafkaEvent(envelope: EventEnvelope, records: readonly FetchedRecord[]): KafkaLambdaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const r of records) {
    const key = `${r.topic}-${r.partition}`;
    (grouped[key] ??= []).push(toEventRecord(r));
  }
  return { ...envelope, records: grouped };
}

function jsonBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v), 'utf8');
}

const base64Bytes = (n: number): number => 4 * Math.ceil(n / 3);
const digits = (n: number): number => String(n).length;

/**
 * `jsonBytes(toEventRecord(r))` without building or serialising the record: the fixed keys, the numbers' digits,
 * the base64 lengths and each header byte's digits. The emulator sizes every record of every batch, so this is on
 * the hot path; the unit test holds it equal to the serialised size.
 */
export function eventRecordBytes(r: FetchedRecord): number {
  // {"topic":,"partition":,"offset":,"timestamp":,"timestampType":,"headers":[]} = 76 bytes around the values.
  let bytes = 76 + jsonBytes(r.topic) + digits(r.partition) + digits(r.offset) + digits(r.timestamp);
  bytes += r.timestampType.length + 2;
  if (r.key !== null) bytes += 9 /* ,"key":"" */ + base64Bytes(r.key.length);
  if (r.value !== null) bytes += 11 /* ,"value":"" */ + base64Bytes(r.value.length);
  for (let h = 0; h < r.headers.length; h += 1) {
    const header = r.headers[h];
    if (header === undefined) continue;
    // {"name":[1,22,255]} and a comma before every header but the first.
    bytes += (h > 0 ? 1 : 0) + 5 + jsonBytes(header.name);
    const value = header.value;
    if (value === null || value.length === 0) continue;
    bytes += value.length - 1;
    for (const byte of value) bytes += byte < 10 ? 1 : byte < 100 ? 2 : 3;
  }
  return bytes;
}

/**
 * Splits records into consecutive chunks whose events each fit in `limitBytes` (6 MB by default), keeping order.
 * A record too large to fit even alone gets a chunk of its own: invoking with it fails, as it would in Lambda.
 */
export function splitByPayloadLimit(
  envelope: EventEnvelope,
  records: readonly FetchedRecord[],
  limitBytes: number = ESM_LIMITS.maxPayloadBytes,
): FetchedRecord[][] {
  const chunks: FetchedRecord[][] = [];
  // Exact sizes: the envelope with an empty record map, plus per group its key and brackets, plus each record and
  // the comma between records. Computed incrementally so a 10,000-record batch is not re-serialised per record.
  const base = jsonBytes({ ...envelope, records: {} });
  let current: FetchedRecord[] = [];
  let size = base;
  const groups = new Set<string>();
  for (const r of records) {
    const group = `${r.topic}-${r.partition}`;
    const recordBytes = eventRecordBytes(r);
    const groupOverhead = groups.has(group)
      ? 1 /* comma */
      : jsonBytes(group) + 3 /* :[] */ + (groups.size > 0 ? 1 : 0);
    if (current.length > 0 && size + groupOverhead + recordBytes > limitBytes) {
      chunks.push(current);
      current = [];
      size = base;
      groups.clear();
      const fresh = jsonBytes(group) + 3;
      current.push(r);
      groups.add(group);
      size += fresh + recordBytes;
      continue;
    }
    current.push(r);
    groups.add(group);
    size += groupOverhead + recordBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Serialised size of the event for these records, as Lambda measures the invocation payload. */
export function payloadBytes(envelope: EventEnvelope, records: readonly FetchedRecord[]): number {
  return jsonBytes(buildKafkaEvent(envelope, records));
}
