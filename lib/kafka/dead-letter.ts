/**
 * The one wrapper every stage puts around a record it cannot decode (docs/dead-letters.md): which stage refused
 * it and why, where it was read from, and the record itself — key, headers and value as raw bytes (base64) — so
 * that a person or a replay tool can rebuild and republish the original exactly.
 *
 * Schema version 2. Version 1 (validation only, until this wrapper) had no stage and no headers, named the time
 * `rejectedAt` and kept the key as text only.
 */
import { z } from 'zod';

import type { ConsumedRecord, DecodeError } from './decode';
import { RejectionReasonSchema } from './schemas/trade-event';
import { storableCopy } from './strict-json';

export const DEAD_LETTER_SCHEMA_VERSION = 2;

/** The stages that dead-letter, by their function name in serverless.yml. */
export const Stage = {
  VALIDATE_TRADES: 'validateTrades',
  PERSIST_TRADES: 'persistTrades',
  SETTLE_TRADES: 'settleTrades',
  SETTLEMENT_STATUS: 'settlementStatus',
  RECONCILE: 'reconcile',
  POSITIONS: 'positions',
  EOD_PRICES: 'eodPrices',
  RISK_POSITIONS: 'riskPositions',
} as const;
export type Stage = (typeof Stage)[keyof typeof Stage];

export const DeadLetterSchema = z.object({
  schemaVersion: z.literal(DEAD_LETTER_SCHEMA_VERSION),
  /** The function that could not decode the record. */
  stage: z.string().min(1),
  deadLetteredAt: z.iso.datetime({ offset: true }),
  /** The error: every reason, each a stable code and a message naming the field. */
  reasons: z.array(RejectionReasonSchema).min(1),
  /** Where the record was read from. */
  source: z.object({
    topic: z.string(),
    partition: z.number().int(),
    offset: z.number().int(),
    timestamp: z.number().int(),
    timestampType: z.string().optional(),
  }),
  /** The key as text, when it is UTF-8 that PostgreSQL can store; else null (keyBase64 has it). */
  key: z.string().nullable(),
  /** The key's exact bytes; null for a record without a key. */
  keyBase64: z.string().nullable(),
  /** The record's headers in their order; a name PostgreSQL could not store has those characters as U+FFFD. */
  headers: z.array(z.object({ key: z.string(), valueBase64: z.string() })),
  /** The value's exact bytes; null for a null value (a tombstone). */
  valueBase64: z.string().nullable(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

/** Wraps an undecodable record; `at` is the stage's clock (ISO 8601). */
export function encodeDeadLetter(
  record: ConsumedRecord,
  stage: Stage,
  errors: readonly DecodeError[],
  at: string,
): DeadLetter {
  return {
    schemaVersion: DEAD_LETTER_SCHEMA_VERSION,
    stage,
    deadLetteredAt: at,
    reasons: errors.map((error) => ({
      code: error.code,
      // A parser's message may quote the bytes it choked on: keep it storable.
      message: storableCopy(error.path === '' ? error.message : `${error.path}: ${error.message}`),
    })),
    source: {
      ...record.source,
      timestamp: record.timestamp,
      ...(record.timestampType === undefined ? {} : { timestampType: record.timestampType }),
    },
    key: record.key ?? null,
    keyBase64: record.keyBytes === undefined ? null : record.keyBytes.toString('base64'),
    headers: record.headers.map((header) => ({
      key: storableCopy(header.key),
      valueBase64: header.value.toString('base64'),
    })),
    valueBase64: record.valueIsNull ? null : record.value.toString('base64'),
  };
}

/**
 * Where a stage publishes the dead letters of records read from `topic`: one dead-letter topic per family of
 * topics (`trades.*` → `trades.deadletter`, `settlement.status` → `settlement.deadletter`, …); the wrapper's
 * `stage` tells which consumer refused a record when two read the same topic.
 */
export function deadLetterTopic(topic: string): string {
  return `${topic.split('.')[0] ?? topic}.deadletter`;
}

/** The message key of a dead letter: the record's own key, else its partition (so one partition's stay in order). */
export function deadLetterKey(record: ConsumedRecord): string {
  return record.key ?? `${record.source.topic}-${record.source.partition}`;
}
