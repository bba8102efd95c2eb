/**
 * Schema versions of the platform's events (README "Schema versions").
 *
 * - The version is the body's `schemaVersion` field: it travels with the value wherever the value goes (dead
 *   letters, files, the HTTP API, replays). Every publish also copies it into the Kafka header `schema-version`, so
 *   that tooling and a registry-aware consumer can route a record without parsing it; when both are present they
 *   must agree, or the record is refused as UNSUPPORTED_SCHEMA_VERSION (lib/kafka/decode.ts).
 * - Adding an optional field is compatible and keeps the version: old consumers drop the field (zod objects strip
 *   unknown keys), new ones read old records without it. Anything else — a new required field, a removed or renamed
 *   field, a narrower type — is a new version.
 * - A consumer reads its topic's current version and the previous one (`versionedDecoder`, the previous upgraded to
 *   the current shape); any other version is dead-lettered with the reason UNSUPPORTED_SCHEMA_VERSION, never dropped
 *   or guessed.
 */
import type { z } from 'zod';

import type { DecodeResult, FieldError } from './trade-event';

/** The Kafka header that carries the body's schema version, as decimal text. */
export const SCHEMA_VERSION_HEADER = 'schema-version';

/** The `schemaVersion` of a JSON value, if it has a whole-number one. */
export function schemaVersionOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) return undefined;
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  return typeof version === 'number' && Number.isInteger(version) ? version : undefined;
}

/** The `schema-version` header for a message value: none for a value without a version (raw bytes). */
export function schemaVersionHeader(value: unknown): Record<string, string> {
  const version = schemaVersionOf(value);
  return version === undefined ? {} : { [SCHEMA_VERSION_HEADER]: String(version) };
}

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

export interface CurrentVersion<T> {
  readonly version: number;
  readonly schema: z.ZodType<T>;
}

export interface PreviousVersion<P, T> {
  readonly version: number;
  readonly schema: z.ZodType<P>;
  /** The previous version's value in the current shape (a default for what it lacks, a rename undone). */
  readonly upgrade: (previous: P) => T;
}

/** A decoder of one topic's events that says which schema versions it reads (decodeRecord checks the header too). */
export type VersionedDecoder<T> = ((json: unknown) => DecodeResult<T>) & { readonly versions: readonly number[] };

/**
 * A decoder that reads `current` and, when given, `previous` (upgraded). A record of any other version fails with
 * one error at `schemaVersion`, which decodeRecord reports as UNSUPPORTED_SCHEMA_VERSION. A record without a
 * version is read as `current` (whose schema decides whether that is allowed, e.g. with a default).
 */
export function versionedDecoder<T, P = never>(
  current: CurrentVersion<T>,
  previous?: PreviousVersion<P, T>,
): VersionedDecoder<T> {
  const versions = previous === undefined ? [current.version] : [current.version, previous.version];
  const decode = (json: unknown): DecodeResult<T> => {
    const version =
      typeof json === 'object' && json !== null ? (json as { schemaVersion?: unknown }).schemaVersion : undefined;
    if (previous !== undefined && version === previous.version) {
      const parsed = previous.schema.safeParse(json);
      return parsed.success
        ? { ok: true, value: previous.upgrade(parsed.data) }
        : { ok: false, errors: fieldErrors(parsed.error) };
    }
    if (version !== undefined && version !== current.version) {
      return { ok: false, errors: [{ path: 'schemaVersion', message: unsupportedVersionMessage(version, versions) }] };
    }
    const parsed = current.schema.safeParse(json);
    return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: fieldErrors(parsed.error) };
  };
  return Object.assign(decode, { versions });
}

/** The one wording of an unsupported version, naming the versions the consumer reads. */
export function unsupportedVersionMessage(version: unknown, versions: readonly number[]): string {
  return `version ${JSON.stringify(version)} is not one this consumer reads (${versions.join(' and ')})`;
}

/**
 * `decoder` with its value mapped by `map` (to a domain type, or through a further check that may fail), reading
 * the same versions.
 */
export function mapDecoded<T, U>(
  decoder: VersionedDecoder<T>,
  map: (value: T) => DecodeResult<U>,
): VersionedDecoder<U> {
  const decode = (json: unknown): DecodeResult<U> => {
    const decoded = decoder(json);
    return decoded.ok ? map(decoded.value) : decoded;
  };
  return Object.assign(decode, { versions: decoder.versions });
}
