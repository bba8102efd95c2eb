/**
 * Wire schema of trade events on Kafka, version 1. Amounts travel as canonical decimal strings (never JSON
 * numbers, which are binary floating point); identifiers are checked, including their check digits.
 * A record that fails here is rejected at the boundary and never reaches domain code.
 */
import { z } from 'zod';
import { Dec, parseDecimal } from '../../domain/money';
import { isValidIsin, isValidLei } from '../../domain/refdata';
import { Side, Trade, TradeLifecycle } from '../../domain/trade';
import { decimalString, identifier, isoDate, positiveInteger, timestamp } from './storable';
import { mapDecoded, versionedDecoder } from './versioning';

export const TradeEventV1Schema = z.object({
  schemaVersion: z.literal(1),
  execId: identifier,
  tradeId: identifier,
  version: positiveInteger,
  lifecycle: z.enum([TradeLifecycle.NEW, TradeLifecycle.AMEND, TradeLifecycle.CANCEL]),
  account: identifier,
  counterpartyLei: z.string().refine(isValidLei, 'must be an ISO 17442 LEI (20 characters, valid check digits)'),
  isin: z.string().refine(isValidIsin, 'must be an ISO 6166 ISIN (12 characters, valid check digit)'),
  mic: z.string().regex(/^[A-Z0-9]{4}$/, 'must be an ISO 10383 MIC (4 upper-case letters or digits)'),
  side: z.enum([Side.BUY, Side.SELL]),
  quantity: decimalString,
  price: decimalString,
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code (3 upper-case letters)'),
  tradeDate: isoDate,
  tradeTime: timestamp,
  settlementDate: isoDate.optional(),
  commission: decimalString,
  fees: decimalString,
  beneficialOwner: identifier.optional(),
  source: identifier.optional(),
});
export type TradeEventV1 = z.infer<typeof TradeEventV1Schema>;

/** A trade that passed validation, as published for settlement: the settlement date is always resolved. */
export const ValidatedTradeEventV1Schema = TradeEventV1Schema.extend({
  settlementDate: isoDate,
  validatedAt: timestamp,
});
export type ValidatedTradeEventV1 = z.infer<typeof ValidatedTradeEventV1Schema>;

/** Why a trade was rejected: a stable code (see ValidationCode) and a message for people. */
export const RejectionReasonSchema = z.object({ code: z.string().min(1), message: z.string() });
export type RejectionReason = z.infer<typeof RejectionReasonSchema>;

/** Code of the one reason given for a record that could not be decoded at all. */
export const SCHEMA_INVALID = 'SCHEMA_INVALID';

/**
 * A rejected trade, kept with every reason. `trade` when the record decoded but failed validation; `raw` (the
 * record as received) when it did not decode.
 */
export const RejectedTradeEventV1Schema = z.object({
  schemaVersion: z.literal(1),
  rejectedAt: z.iso.datetime({ offset: true }),
  trade: TradeEventV1Schema.optional(),
  raw: z.unknown().optional(),
  reasons: z.array(RejectionReasonSchema).min(1),
});
export type RejectedTradeEventV1 = z.infer<typeof RejectedTradeEventV1Schema>;

export interface FieldError {
  /** Dotted path of the offending field ('price', 'reasons.0.code'); '' for the record itself. */
  readonly path: string;
  readonly message: string;
}

export type DecodeResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: FieldError[] };

function toDec(text: string): Dec {
  // The schema has already proved the text canonical; a failure here is a programming error.
  const value = parseDecimal(text);
  if (value === undefined) throw new Error(`schema let through a non-decimal: ${text}`);
  return value;
}

function toTrade(event: TradeEventV1): Trade {
  return {
    execId: event.execId,
    tradeId: event.tradeId,
    version: event.version,
    lifecycle: event.lifecycle,
    account: event.account,
    counterpartyLei: event.counterpartyLei,
    isin: event.isin,
    mic: event.mic,
    side: event.side,
    quantity: toDec(event.quantity),
    price: toDec(event.price),
    currency: event.currency,
    tradeDate: event.tradeDate,
    tradeTime: event.tradeTime,
    commission: toDec(event.commission),
    fees: toDec(event.fees),
    ...(event.settlementDate === undefined ? {} : { settlementDate: event.settlementDate }),
    ...(event.beneficialOwner === undefined ? {} : { beneficialOwner: event.beneficialOwner }),
    ...(event.source === undefined ? {} : { source: event.source }),
  };
}

/**
 * Decodes a parsed JSON trade event into a domain {@link Trade}. Reports every field error at once, each with
 * its path, so a rejected record carries all its reasons. Decimals keep the precision they were sent with:
 * too many decimals are for validation to reject, never for decoding to round.
 */
export const decodeTradeEvent = mapDecoded(
  versionedDecoder({ version: 1, schema: TradeEventV1Schema }),
  (event): DecodeResult<Trade> => ({ ok: true, value: toTrade(event) }),
);

/** Encodes a domain trade as a version 1 event; decimals are written in plain (non-exponent) notation. */
export function encodeTradeEvent(trade: Trade): TradeEventV1 {
  return {
    schemaVersion: 1,
    execId: trade.execId,
    tradeId: trade.tradeId,
    version: trade.version,
    lifecycle: trade.lifecycle,
    account: trade.account,
    counterpartyLei: trade.counterpartyLei,
    isin: trade.isin,
    mic: trade.mic,
    side: trade.side,
    quantity: trade.quantity.toFixed(),
    price: trade.price.toFixed(),
    currency: trade.currency,
    tradeDate: trade.tradeDate,
    tradeTime: trade.tradeTime,
    commission: trade.commission.toFixed(),
    fees: trade.fees.toFixed(),
    ...(trade.settlementDate === undefined ? {} : { settlementDate: trade.settlementDate }),
    ...(trade.beneficialOwner === undefined ? {} : { beneficialOwner: trade.beneficialOwner }),
    ...(trade.source === undefined ? {} : { source: trade.source }),
  };
}

/** The event published for a trade that passed validation; `settlementDate` is the resolved one. */
export function encodeValidatedTradeEvent(
  trade: Trade & { readonly settlementDate: string },
  validatedAt: string,
): ValidatedTradeEventV1 {
  return { ...encodeTradeEvent(trade), settlementDate: trade.settlementDate, validatedAt };
}

/** The event published for a decoded trade that failed validation, with every reason. */
export function encodeRejectedTradeEvent(
  trade: Trade,
  reasons: readonly RejectionReason[],
  rejectedAt: string,
): RejectedTradeEventV1 {
  return { schemaVersion: 1, rejectedAt, trade: encodeTradeEvent(trade), reasons: [...reasons] };
}

/** The event published for a record that could not be decoded: the raw record and one reason per field error. */
export function encodeUndecodableTradeEvent(
  raw: unknown,
  errors: readonly FieldError[],
  rejectedAt: string,
): RejectedTradeEventV1 {
  return {
    schemaVersion: 1,
    rejectedAt,
    raw,
    reasons: errors.map((error) => ({
      code: SCHEMA_INVALID,
      message: error.path === '' ? error.message : `${error.path}: ${error.message}`,
    })),
  };
}
