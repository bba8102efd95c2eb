/**
 * From a Lambda Kafka event (MSK or self-managed) to typed records. Every record comes back, decoded or not, with
 * its coordinates, key, headers and raw bytes: a record that fails decoding never reaches domain code, and it is
 * dead-lettered in the one wrapper (lib/kafka/dead-letter.ts) instead of stopping its partition.
 */
import type { MSKEvent, SelfManagedKafkaEvent } from 'aws-lambda';

import { SCHEMA_INVALID, type DecodeResult, type FieldError } from './schemas/trade-event';
import { KafkaEventShapeError } from './errors';
import { JsonErrorCode, parseStrictJson, unstorableTextReason } from './strict-json';
import { SCHEMA_VERSION_HEADER, schemaVersionOf, unsupportedVersionMessage } from './schemas/versioning';

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
  readonly timestampType?: string;
  /** The key as text when it is UTF-8 that PostgreSQL can store (trade topics are keyed by account or its owner). */
  readonly key: string | undefined;
  /** The key's exact bytes; undefined for a record without a key. */
  readonly keyBytes: Buffer | undefined;
  /** The raw value bytes; empty for a null value. */
  readonly value: Buffer;
  /** The value was null on the wire (a tombstone), not merely empty. */
  readonly valueIsNull: boolean;
  /** Headers in their order, values as bytes (Lambda delivers each as an array of byte values). */
  readonly headers: readonly { readonly key: string; readonly value: Buffer }[];
}

/** Why a record did not decode: a stable code (also the dead letter's reason code), the field and a message. */
export interface DecodeError extends FieldError {
  readonly code: string;
}

/** Field errors of a schema that has this path are about the schema version, not the content. */
const SCHEMA_VERSION_PATH = 'schemaVersion';
export const UNSUPPORTED_SCHEMA_VERSION = 'UNSUPPORTED_SCHEMA_VERSION';

export type DecodedRecord<T> =
  | { readonly ok: true; readonly value: T; readonly record: ConsumedRecord }
  | { readonly ok: false; readonly errors: readonly DecodeError[]; readonly record: ConsumedRecord };

/** The records of an event in delivery order: partitions as the event lists them, offsets ascending within each. */
export function consumedRecords(event: KafkaEvent): ConsumedRecord[] {
  if (typeof event !== 'object' || event === null || typeof event.records !== 'object' || event.records === null) {
    throw new KafkaEventShapeError('not a Kafka event: no records object');
  }
  return Object.values(event.records).flatMap((records) =>
    [...records]
      .sort((a, b) => a.offset - b.offset)
      .map((record) => {
        const keyBytes =
          record.key === undefined || record.key === null ? undefined : Buffer.from(record.key, 'base64');
        const valueIsNull = record.value === undefined || record.value === null;
        return {
          source: { topic: record.topic, partition: record.partition, offset: record.offset },
          timestamp: record.timestamp,
          ...(record.timestampType === undefined ? {} : { timestampType: record.timestampType }),
          key: keyBytes === undefined ? undefined : storableUtf8(keyBytes),
          keyBytes,
          value: valueIsNull ? Buffer.alloc(0) : Buffer.from(record.value ?? '', 'base64'),
          valueIsNull,
          headers: (record.headers ?? []).flatMap((header) =>
            Object.entries(header).map(([key, bytes]) => ({ key, value: Buffer.from(bytes) })),
          ),
        };
      }),
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text when they are UTF-8 that PostgreSQL can store; undefined otherwise. */
function storableUtf8(bytes: Buffer): string | undefined {
  try {
    const text = utf8.decode(bytes);
    return unstorableTextReason(text) === undefined ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A topic's decoder: parsed JSON in, a typed value or field errors out. A versioned one (`versionedDecoder`) names the
 * schema versions it reads, so that a record whose `schema-version` header names another is refused even when its
 * body does not say (a schema whose version field has a default).
 */
export type RecordDecoder<T> = ((json: unknown) => DecodeResult<T>) & { readonly versions?: readonly number[] };

/**
 * Parses a record's value as strict JSON (UTF-8, one value, no duplicate key, no text PostgreSQL cannot store:
 * lib/kafka/strict-json.ts) and runs `decode` on it; every failure is reported, none thrown.
 */
export function decodeRecord<T>(record: ConsumedRecord, decode: RecordDecoder<T>): DecodedRecord<T> {
  if (record.value.length === 0) {
    const message = record.valueIsNull ? 'null value' : 'empty value';
    return { ok: false, errors: [{ code: JsonErrorCode.EMPTY, path: '', message }], record };
  }
  const json = parseStrictJson(record.value);
  if (!json.ok) return { ok: false, errors: json.errors, record };
  const disagreement = headerDisagreement(record, json.value) ?? unreadHeaderVersion(record, json.value, decode);
  if (disagreement !== undefined) {
    return {
      ok: false,
      errors: [{ code: UNSUPPORTED_SCHEMA_VERSION, path: SCHEMA_VERSION_PATH, message: disagreement }],
      record,
    };
  }
  const decoded = decode(json.value);
  if (decoded.ok) return { ok: true, value: decoded.value, record };
  const versionError = decoded.errors.find((error) => error.path === SCHEMA_VERSION_PATH);
  // A version this consumer does not know says nothing about the other fields: one reason, not a list of guesses.
  const errors: DecodeError[] =
    versionError === undefined
      ? decoded.errors.map((error) => ({ ...error, code: SCHEMA_INVALID }))
      : [
          {
            ...versionError,
            code: UNSUPPORTED_SCHEMA_VERSION,
            // A versioned decoder's own message names the versions it reads; zod's literal message does not.
            message: versionError.message.startsWith('version ')
              ? versionError.message
              : schemaVersionMessage(json.value),
          },
        ];
  return { ok: false, errors, record };
}

/** Why the `schema-version` header and the body's `schemaVersion` disagree; undefined when they do not. */
function headerDisagreement(record: ConsumedRecord, json: unknown): string | undefined {
  const header = record.headers.find((h) => h.key === SCHEMA_VERSION_HEADER);
  const body = schemaVersionOf(json);
  if (header === undefined || body === undefined) return undefined;
  const text = header.value.toString('utf8');
  return text === String(body)
    ? undefined
    : `header ${SCHEMA_VERSION_HEADER} ${JSON.stringify(text)} disagrees with the body's schemaVersion ${body}`;
}

/** Why a record whose body names no version is refused: its header names one `decode` does not read. */
function unreadHeaderVersion(
  record: ConsumedRecord,
  json: unknown,
  decode: RecordDecoder<unknown>,
): string | undefined {
  if (decode.versions === undefined || schemaVersionOf(json) !== undefined) return undefined;
  const header = record.headers.find((h) => h.key === SCHEMA_VERSION_HEADER);
  if (header === undefined) return undefined;
  const text = header.value.toString('utf8');
  return decode.versions.some((version) => String(version) === text)
    ? undefined
    : `header ${SCHEMA_VERSION_HEADER}: ${unsupportedVersionMessage(text, decode.versions)}`;
}

function schemaVersionMessage(json: unknown): string {
  const version =
    typeof json === 'object' && json !== null ? (json as Record<string, unknown>).schemaVersion : undefined;
  return version === undefined ? 'missing' : `version ${JSON.stringify(version)} is not one this consumer reads`;
}

/** Every record of the event, decoded with `decode`. */
export function decodeRecords<T>(event: KafkaEvent, decode: RecordDecoder<T>): DecodedRecord<T>[] {
  return consumedRecords(event).map((record) => decodeRecord(record, decode));
}
