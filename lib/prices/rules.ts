/**
 * Whether an end-of-day price may value positions: pure checks against the instrument's static data. A price
 * that fails is not stored (and not rounded): the instrument's price decimals and currency are the rule, as for
 * trades (DOMAIN.md, "an input price with more decimals than the instrument allows is rejected").
 */
import { hasAtMostDecimals } from '../domain/money';
import type { EodPrice } from '../kafka/schemas/eod-price';

export const EodPriceRejection = {
  UNKNOWN_INSTRUMENT: 'UNKNOWN_INSTRUMENT',
  CURRENCY_MISMATCH: 'CURRENCY_MISMATCH',
  TOO_MANY_DECIMALS: 'TOO_MANY_DECIMALS',
} as const;
export type EodPriceRejection = (typeof EodPriceRejection)[keyof typeof EodPriceRejection];

/** What a price is checked against. */
export interface PricedInstrument {
  readonly isin: string;
  readonly currency: string;
  readonly priceDecimals: number;
}

export interface EodPriceReason {
  readonly code: EodPriceRejection;
  readonly message: string;
}

/** Every reason the price cannot be stored; empty when it can. */
export function eodPriceReasons(price: EodPrice, instrument: PricedInstrument | undefined): EodPriceReason[] {
  if (instrument === undefined) {
    return [{ code: EodPriceRejection.UNKNOWN_INSTRUMENT, message: `no instrument ${price.isin}` }];
  }
  const reasons: EodPriceReason[] = [];
  if (price.currency !== instrument.currency) {
    reasons.push({
      code: EodPriceRejection.CURRENCY_MISMATCH,
      message: `price in ${price.currency}, instrument trades in ${instrument.currency}`,
    });
  }
  if (!hasAtMostDecimals(price.price, instrument.priceDecimals)) {
    reasons.push({
      code: EodPriceRejection.TOO_MANY_DECIMALS,
      message: `${price.price.toFixed()} has more than ${instrument.priceDecimals} decimals`,
    });
  }
  return reasons;
}
