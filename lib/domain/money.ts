import { Dec, RoundingMode } from './decimal';

/**
 * The platform's one decimal type for prices, quantities and amounts (decimal.ts): never binary floating point;
 * 40 significant digits, half-even.
 */
export { Dec };

/** The two rounding conventions the platform documents; half-even (banker's) is the default. */
export const Rounding = {
  HALF_EVEN: RoundingMode.HALF_EVEN,
  HALF_UP: RoundingMode.HALF_UP,
} as const;
export type Rounding = (typeof Rounding)[keyof typeof Rounding];

/** ISO 4217 minor units for the currencies the platform knows; anything else is refused, not guessed. */
export const MINOR_UNITS: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CHF: 2,
  CAD: 2,
  AUD: 2,
  HKD: 2,
  SGD: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  JPY: 0,
  KRW: 0,
  BHD: 3,
  KWD: 3,
  OMR: 3,
};

export class UnknownCurrencyError extends Error {
  override readonly name: string = 'UnknownCurrencyError';
  constructor(readonly currency: string) {
    super(`unknown currency ${currency}: no ISO 4217 minor units configured`);
  }
}

/** Minor units of an ISO 4217 currency (USD 2, JPY 0, BHD 3). */
export function minorUnits(currency: string): number {
  const units = MINOR_UNITS[currency];
  if (units === undefined) throw new UnknownCurrencyError(currency);
  return units;
}

/**
 * Decimal places beyond which an amount's digits are the residue of a quotient, not a figure. Every input has at
 * most a few places (prices, quantities, charges, FX rates), so their sums and products stay far inside 20; only a
 * division (a pro-rata share of cost or fees, lib/domain/lots.ts) is inexact, rounded at 40 significant digits,
 * and the errors of two such shares that cancel exactly leave a residue near 1e-38. Left in, that residue decides
 * a half-cent tie: a realized P&L of exactly -270.495 computed as -270.494999…996 rounded to -270.49, not the
 * half-even -270.50 (issue 13, seed 4242, ACC-008 GB0009895292). So an amount is first cut to these places.
 */
export const EXACT_PLACES = 20;

/**
 * Rounds an amount once, at the end, to the currency's minor units: the amount as computed at full precision,
 * without the quotient residue below {@link EXACT_PLACES} places, rounded half-even (or half-up) to minor units.
 */
export function roundToCurrency(amount: Dec, currency: string, rounding: Rounding = Rounding.HALF_EVEN): Dec {
  return amount.toDecimalPlaces(EXACT_PLACES, Rounding.HALF_EVEN).toDecimalPlaces(minorUnits(currency), rounding);
}

/** True when a value has no more decimal places than allowed: such input is rejected, never rounded. */
export function hasAtMostDecimals(value: Dec, decimals: number): boolean {
  return value.decimalPlaces() <= decimals;
}

const DECIMAL_STRING = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Parses a canonical decimal string ("123.45"); exponents, blanks and NaN are refused. */
export function parseDecimal(text: string): Dec | undefined {
  return DECIMAL_STRING.test(text) ? new Dec(text) : undefined;
}
