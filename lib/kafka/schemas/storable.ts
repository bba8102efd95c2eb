/**
 * The zod building blocks every wire schema uses for its scalar fields, each refusing at the boundary what
 * PostgreSQL would refuse later — when one bad record would fail the whole batch's transaction, again on every
 * retry, and hold the good records behind it:
 * - text: U+0000 and unpaired surrogates (lib/kafka/strict-json.ts), and a bounded length, so that a key column's
 *   B-tree entry (at most ~2,700 bytes) always fits;
 * - decimals: canonical strings of at most 40 characters (the platform's Dec keeps 40 significant digits, and an
 *   unconstrained NUMERIC holds them all);
 * - integers: PostgreSQL `integer` range where a column is `integer`;
 * - dates and timestamps: years 0001–9999 (PostgreSQL has no year 0; a four-digit year is what the ISO form says),
 *   time-zone offsets within ±15:59 (PostgreSQL's limit).
 * The checks are in terms of the wire format, not of the domain's rules, which run later on typed values.
 */
import { z } from 'zod';

import { isIsoDate } from '../../domain/calendar';
import { parseDecimal } from '../../domain/money';
import { unstorableTextReason } from '../strict-json';

/** Longest decimal string accepted: Dec keeps 40 significant digits, so nothing longer can be exact. */
export const MAX_DECIMAL_LENGTH = 40;

/** Largest value of a PostgreSQL `integer` column. */
export const PG_INTEGER_MAX = 2_147_483_647;

/** Longest free text a wire field may carry unless it says otherwise. */
export const DEFAULT_TEXT_MAX = 256;

/** A string PostgreSQL can store, `min`..`max` characters. */
export function storableText(options: { readonly min?: number; readonly max?: number } = {}) {
  const min = options.min ?? 0;
  const max = options.max ?? DEFAULT_TEXT_MAX;
  return z
    .string()
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .superRefine((text, context) => {
      const reason = unstorableTextReason(text);
      if (reason !== undefined) context.addIssue({ code: 'custom', message: reason });
    });
}

/** An identifier: 1–64 characters of storable text. */
export const identifier = storableText({ min: 1, max: 64 });

/** A canonical decimal string ("1234.5"; no exponent, sign only "-"), at most 40 characters. */
export const decimalString = z
  .string()
  .refine(
    (text) => text.length <= MAX_DECIMAL_LENGTH && parseDecimal(text) !== undefined,
    `must be a canonical decimal string such as "1234.5" (no exponent, sign only "-", at most ${MAX_DECIMAL_LENGTH} characters)`,
  );

/** A calendar date YYYY-MM-DD, years 0001–9999. */
export const isoDate = z.string().refine(isIsoDate, 'must be a calendar date YYYY-MM-DD');

const OFFSET = /(?:Z|([+-])(\d{2}):?(\d{2}))$/i;

/** An ISO 8601 timestamp with `Z` or an offset, as PostgreSQL's `timestamptz` takes it. */
export const timestamp = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 timestamp with offset or Z' })
  .refine((text) => text.slice(0, 4) !== '0000', 'year 0000 does not exist in PostgreSQL (use 0001–9999)')
  .refine((text) => {
    const match = OFFSET.exec(text);
    if (match?.[2] === undefined || match[3] === undefined) return true;
    return Number(match[2]) < 16;
  }, 'time-zone offset must be within ±15:59');

/** A positive integer that fits a PostgreSQL `integer` column. */
export const positiveInteger = z.number().int().positive().max(PG_INTEGER_MAX, `must be at most ${PG_INTEGER_MAX}`);
