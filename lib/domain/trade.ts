/**
 * The executed trade as the platform's domain code sees it: typed, decimal and free of any wire format.
 * Wire shapes and their versions live in lib/kafka/schemas; this module never changes when a schema does.
 */
import { Dec } from './money';

/**
 * Where a trade is in its life: FIX TradeReportTransType 0 new / 2 replace / 1 cancel, ExecType F / G / H.
 * An amend is a new version of the same trade; a cancel ends it.
 */
export const TradeLifecycle = { NEW: 'NEW', AMEND: 'AMEND', CANCEL: 'CANCEL' } as const;
export type TradeLifecycle = (typeof TradeLifecycle)[keyof typeof TradeLifecycle];

/** FIX Side (54): 1 buy, 2 sell, from the account's point of view. */
export const Side = { BUY: 'BUY', SELL: 'SELL' } as const;
export type Side = (typeof Side)[keyof typeof Side];

/** An executed trade (one version of it). */
export interface Trade {
  /** FIX ExecID (17): unique per execution message; a second message with the same id is a duplicate. */
  readonly execId: string;
  /** FIX TradeID (1003): stable across the trade's amends and its cancel. */
  readonly tradeId: string;
  /** 1 for the new trade, then +1 for each amend or cancel; orders versions that arrive out of order. */
  readonly version: number;
  readonly lifecycle: TradeLifecycle;
  /** Our account (FIX Account, 1). */
  readonly account: string;
  /** The counterparty's ISO 17442 Legal Entity Identifier (FIX Parties, 453). */
  readonly counterpartyLei: string;
  /** ISO 6166 instrument identifier. */
  readonly isin: string;
  /** ISO 10383 market identifier code of the execution venue; its calendar decides the trade date's validity. */
  readonly mic: string;
  readonly side: Side;
  /** FIX LastQty (32); positive, a multiple of the instrument's lot size. */
  readonly quantity: Dec;
  /** FIX LastPx (31), per unit in `currency`. */
  readonly price: Dec;
  /** ISO 4217 currency of price, commission and fees. */
  readonly currency: string;
  /** FIX TradeDate (75), 'YYYY-MM-DD' in the venue's local calendar. */
  readonly tradeDate: string;
  /** Execution timestamp, ISO 8601 with offset (e.g. '2024-05-24T14:30:00.000Z'). */
  readonly tradeTime: string;
  /** FIX SettlDate (64) when the source states one; otherwise computed from the settlement cycle. */
  readonly settlementDate?: string;
  /** Broker commission (FIX 12) in `currency`. */
  readonly commission: Dec;
  /** Exchange, clearing and regulatory fees in `currency`. */
  readonly fees: Dec;
  /**
   * The ultimate owner behind the account, when the source knows it; otherwise the account's owner from
   * reference data. Wash-trade detection compares owners, not accounts.
   */
  readonly beneficialOwner?: string;
  /** Where the trade was captured from (venue, OMS, file, simulator): for lineage and STP statistics. */
  readonly source?: string;
}

/** Quantity × price, unrounded: rounding happens once, at the end, by whoever books the amount. */
export function grossAmount(trade: Pick<Trade, 'quantity' | 'price'>): Dec {
  return trade.quantity.times(trade.price);
}

/**
 * What the account pays (buy) or receives (sell): buy charges add to the cost, sell charges reduce the
 * proceeds. Unrounded.
 */
export function netAmount(trade: Pick<Trade, 'side' | 'quantity' | 'price' | 'commission' | 'fees'>): Dec {
  const charges = trade.commission.plus(trade.fees);
  const gross = grossAmount(trade);
  return trade.side === Side.BUY ? gross.plus(charges) : gross.minus(charges);
}

/** +quantity for a buy, -quantity for a sell: the trade's effect on the account's position. */
export function signedQuantity(trade: Pick<Trade, 'side' | 'quantity'>): Dec {
  return trade.side === Side.BUY ? trade.quantity : trade.quantity.negated();
}
