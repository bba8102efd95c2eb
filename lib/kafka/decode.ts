/**
 * From a Lambda Kafka event (MSK or self-managed) to typed records. Every record comes back, decoded or not, with
 * its coordinates: a record that fails decoding never reaches domain code, and it is dead-lettered with its raw
 * bytes instead of stopping its partition.
 */
import type { MSKEvent, SelfManagedKafkaEvent } from 'aws-lambda';

import { z } from 'zod';

import { RejectionReasonSchema, SCHEMA_INVALID, type DecodeResult, type FieldError } from './schemas/trade-event';
import { KafkaEventShapeError } from './errors';

/** The event both MSK and self-managed Kafka mappings deliver; key and value may be absent (null on the wire). */
export type KafkaEvent = (Omit<MSKEvent, 'records'> | Omit<SelfManagedKafkaEvent, 'records'>) & {
  readonly records: Readonly<Record<string, readonly KafkaEventRecord[]>>;
};

export interface KafkaEventRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType?: string;
  readonly key?: string | null;
  readonly value?: string | null;
  readonly headers?: readonly Readonly<Record<string, readonly number[]>>[];
}

/** Where a record was read from: its idempotency key across redeliveries. */
export interface RecordCoordinates {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface ConsumedRecord {
  readonly source: RecordCoordinates;
  readonly timestamp: number;
  /** The key as text (trade topics are keyed by account). */
  readonly key: string | undefined;
  /** The raw value bytes; empty for a null value. */
  readonly value: Buffer;
}

export type DecodedRecord<T> =
  | { readonly ok: true; readonly value: T; readonly record: ConsumedRecord }
  | { readonly ok: false; readonly errors: readonly FieldError[]; readonly record: ConsumedRecord };

/** The records of an event in delivery order: partitions as the event lists them, offsets ascending within each. */
export function consumedRecords(event: KafkaEvent): ConsumedRecord[] {
  if (typeof event !== 'object' || event === null || typeof event.records !== 'object' || event.records === null) {
    throw new KafkaEventShapeError('not a Kafka event: no records object');
  }
  return Object.values(event.records).flatMap((records) =>
    [...records]
      .sort((a, b) => a.offset - b.offset)
      .map((record) => ({
        source: { topic: record.topic, partition: record.partition, offset: record.offset },
        timestamp: record.timestamp,
        key: record.key === undefined || record.key === null ? undefined : base64Text(record.key),
        value:
          record.value === undefined || record.value === null ? Buffer.alloc(0) : Buffer.from(record.value, 'base64'),
      })),
  );
}

function base64Text(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8');
}

/** Parses a record's value as UTF-8 JSON and runs `decode` on it; every failure is reported, none thrown. */
export function decodeRecord<T>(record: ConsumedRecord, decode: (json: unknown) => DecodeResult<T>): DecodedRecord<T> {
  if (record.value.length === 0) return { ok: false, errors: [{ path: '', message: 'empty (null) value' }], record };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(record.value));
  } catch (error) {
    const message = error instanceof TypeError ? 'value is not valid UTF-8' : 'value is not valid JSON';
    return { ok: false, errors: [{ path: '', message }], record };
  }
  const decoded = decode(json);
  return decoded.ok ? { ok: true, value: decoded.value, record } : { ok: false, errors: decoded.errors, record };
}

/** Every record of the event, decoded with `decode`. */
export function decodeRecords<T>(event: KafkaEvent, decode: (json: unknown) => DecodeResult<T>): DecodedRecord<T>[] {
  return consumedRecords(event).map((record) => decodeRecord(record, decode));
}

/**
 * The event published to `trades.deadletter` for a record that could not be decoded: its raw bytes (base64), where
 * it was read from, and every error. A person (or a replay tool) can rebuild the original record from it.
 */
export const DeadLetterEventV1Schema = z.object({
  schemaVersion: z.literal(1),
  rejectedAt: z.iso.datetime({ offset: true }),
  source: z.object({
    topic: z.string(),
    partition: z.number().int(),
    offset: z.number().int(),
    timestamp: z.number().int(),
  }),
  key: z.string().optional(),
  /** The record's value exactly as received, base64. */
  valueBase64: z.string(),
  reasons: z.array(RejectionReasonSchema).min(1),
});
export type DeadLetterEventV1 = z.infer<typeof DeadLetterEventV1Schema>;

export function encodeDeadLetter(
  record: ConsumedRecord,
  errors: readonly FieldError[],
  rejectedAt: string,
): DeadLetterEventV1 {
  return {
    schemaVersion: 1,
    rejectedAt,
    source: { ...record.source, timestamp: record.timestamp },
    ...(record.key === undefined ? {} : { key: record.key }),
    valueBase64: record.value.toString('base64'),
    reasons: errors.map((error) => ({
      code: SCHEMA_INVALID,
      message: error.path === '' ? error.message : `${error.path}: ${error.message}`,
    })),
  };
}
