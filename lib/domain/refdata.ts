/**
 * Reference (static) data the platform validates and settles against, as pure domain types, plus the
 * check-digit rules of the identifiers it carries (ISO 17442 LEI, ISO 6166 ISIN).
 * Stores load these from PostgreSQL; nothing here knows where they come from.
 */
import { Dec } from './money';

/** How an account relieves lots on a sell (FIFO is the default). */
export const CostMethod = { FIFO: 'FIFO', LIFO: 'LIFO', AVERAGE: 'AVERAGE' } as const;
export type CostMethod = (typeof CostMethod)[keyof typeof CostMethod];

/** Instrument types the settlement-cycle table knows; other strings are allowed but need their own cycle rows. */
export const InstrumentType = { EQUITY: 'EQUITY', ETF: 'ETF' } as const;

/** An instrument as listed on one venue (ISIN + MIC). */
export interface Instrument {
  readonly isin: string;
  /** Listing venue (ISO 10383 MIC). */
  readonly mic: string;
  readonly name?: string;
  /** Trading currency: a trade in another currency is rejected. */
  readonly currency: string;
  /** Round lot: quantities must be a positive multiple of it. */
  readonly lotSize: Dec;
  /** Price decimals the venue allows (tick precision); more decimals are rejected, never rounded. */
  readonly priceDecimals: number;
  /** e.g. 'EQUITY'; with `settlementMarket` selects the settlement cycle. */
  readonly instrumentType: string;
  /** Settlement market of the settlement-cycle table, e.g. 'US', 'EU', 'UK'. */
  readonly settlementMarket: string;
  /** MIC whose holiday calendar settlement dates skip (e.g. XNYS for US equities). */
  readonly settlementCalendarMic: string;
  readonly active: boolean;
}

export interface Account {
  readonly id: string;
  /** Currency P&L is reported in and limits are expressed in. */
  readonly baseCurrency: string;
  readonly costMethod: CostMethod;
  /** Largest notional of one trade, in `baseCurrency`. */
  readonly notionalLimit: Dec;
  /** Largest absolute position (long or short) in any one instrument, in units. */
  readonly positionLimit: Dec;
  /** The ultimate owner; several accounts may share one (wash trades are detected per owner). */
  readonly beneficialOwner: string;
  readonly active: boolean;
}

export interface Counterparty {
  /** ISO 17442 Legal Entity Identifier. */
  readonly lei: string;
  readonly name: string;
  readonly active: boolean;
}

/**
 * Standing settlement instructions: where and through whom an account settles in a market and currency.
 * A row without `counterpartyLei` applies to every counterparty; a counterparty-specific row wins.
 * Field names match what the settlement-instruction builder (sese.023 / MT54x) consumes.
 */
export interface Ssi {
  readonly id: string;
  readonly account: string;
  readonly counterpartyLei?: string;
  /** Settlement market, as in {@link Instrument.settlementMarket}. */
  readonly market: string;
  readonly currency: string;
  /** BIC of the central securities depository (place of settlement), e.g. DTCYUS33. */
  readonly placeOfSettlement: string;
  /** Our safekeeping account at our agent. */
  readonly safekeepingAccount: string;
  /** BIC of our settlement agent (custodian). */
  readonly ownAgentBic: string;
  /** BIC of the counterparty's settlement agent. */
  readonly counterpartyAgentBic: string;
  readonly counterpartySafekeepingAccount?: string;
  readonly active: boolean;
}

/** An instrument on the restricted list between `from` and `to` (inclusive; open-ended without `to`). */
export interface RestrictedEntry {
  readonly isin: string;
  readonly from: string;
  readonly to?: string;
  readonly reason?: string;
}

/** The price fat-finger checks compare against (typically the previous close), in the instrument's currency. */
export interface ReferencePrice {
  readonly isin: string;
  readonly date: string;
  readonly price: Dec;
}

/** Policy numbers of validation: data, not code. */
export interface ValidationThresholds {
  /** Largest allowed distance of a price from the reference price, in basis points (1 bp = 0.01%). */
  readonly priceToleranceBps: Dec;
  /** Two opposite executions of one beneficial owner this close in time (seconds) are a wash trade. */
  readonly washTradeWindowSeconds: number;
  /** Whether a trade with no reference price is rejected (true) or passes the tolerance check (false). */
  readonly requireReferencePrice: boolean;
}

/** Policy defaults: 10% fat-finger band, 60 s wash window, missing reference prices tolerated. */
export const DEFAULT_VALIDATION_THRESHOLDS: ValidationThresholds = {
  priceToleranceBps: new Dec(1000),
  washTradeWindowSeconds: 60,
  requireReferencePrice: false,
};

/**
 * The SSI a trade settles with: active rows of the account in the market and currency, the counterparty's own
 * row before the generic one. Inactive rows are returned only when no active row exists, so that the caller
 * can tell "inactive" from "missing".
 */
export function selectSsi(
  ssis: Iterable<Ssi>,
  criteria: { account: string; counterpartyLei: string; market: string; currency: string },
): Ssi | undefined {
  const candidates = [...ssis].filter(
    (ssi) =>
      ssi.account === criteria.account &&
      ssi.market === criteria.market &&
      ssi.currency === criteria.currency &&
      (ssi.counterpartyLei === undefined || ssi.counterpartyLei === criteria.counterpartyLei),
  );
  const rank = (ssi: Ssi): number => (ssi.active ? 0 : 2) + (ssi.counterpartyLei === undefined ? 1 : 0);
  return candidates.sort((a, b) => rank(a) - rank(b))[0];
}

/** Value of a character in ISO 7064 / ISO 6166 check-digit schemes: 0-9 are themselves, A=10 … Z=35. */
function alphanumericValue(char: string): number {
  const code = char.charCodeAt(0);
  return code <= 57 ? code - 48 : code - 55;
}

/**
 * ISO 17442 LEI: 18 upper-case alphanumerics and 2 check digits; the whole code, letters expanded to numbers,
 * is 1 modulo 97 (ISO 7064 MOD 97-10).
 */
export function isValidLei(lei: string): boolean {
  if (!/^[A-Z0-9]{18}[0-9]{2}$/.test(lei)) return false;
  let remainder = 0;
  for (const char of lei) {
    const value = alphanumericValue(char);
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

/**
 * ISO 6166 ISIN: 2-letter country prefix, 9 alphanumerics, 1 check digit; letters expand to two digits and the
 * Luhn sum over all digits is a multiple of 10.
 */
export function isValidIsin(isin: string): boolean {
  if (!/^[A-Z]{2}[A-Z0-9]{9}[0-9]$/.test(isin)) return false;
  const digits = [...isin].map((char) => String(alphanumericValue(char))).join('');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // Luhn doubles every second digit counting from the right, the check digit itself not doubled.
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
