/**
 * Wire schema of `prices.eod`, version 1: one end-of-day (closing) price of one instrument on one date, from a
 * pricing source (a vendor, the venue's official close, a manual override). Keyed by ISIN. The same price may be
 * sent again (a redelivery or a vendor correction): the latest record for an ISIN and date wins.
 */
import { z } from 'zod';

import { parseDecimal, type Dec } from '../../domain/money';
import { decimalString, identifier, isoDate } from './storable';
import type { DecodeResult } from './trade-event';
import { mapDecoded, versionedDecoder } from './versioning';

export const EodPriceV1Schema = z.object({
  /** Optional on the wire for producers that predate versioning; always 1 today. */
  schemaVersion: z.literal(1).default(1),
  isin: z.string().regex(/^[A-Z]{2}[A-Z0-9]{9}[0-9]$/, 'must be an ISIN (12 characters, check digit last)'),
  date: isoDate,
  /** A decimal STRING in the instrument's currency, never a JSON number (binary floating point). */
  price: decimalString.refine(
    (t) => parseDecimal(t)?.isPositive() === true && parseDecimal(t)?.isZero() === false,
    'must be > 0',
  ),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  source: identifier,
});
export type EodPriceV1 = z.infer<typeof EodPriceV1Schema>;

/** A decoded end-of-day price, its amount a decimal. */
export interface EodPrice {
  readonly isin: string;
  readonly date: string;
  readonly price: Dec;
  readonly currency: string;
  readonly source: string;
}

/** Decodes a parsed JSON `prices.eod` value, reporting every field error at once. */
export const decodeEodPrice = mapDecoded(
  versionedDecoder({ version: 1, schema: EodPriceV1Schema }),
  ({ isin, date, price, currency, source }): DecodeResult<EodPrice> => {
    const amount = parseDecimal(price);
    if (amount === undefined) return { ok: false, errors: [{ path: 'price', message: 'not a decimal' }] };
    return { ok: true, value: { isin, date, price: amount, currency, source } };
  },
);
