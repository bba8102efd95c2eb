/**
 * A second, deliberately simple implementation of what the pipeline must end with, computed from the input
 * workload alone (the simulator's events, regenerated from the seed) with decimal.js: which trade versions are
 * live, and per account and instrument the signed quantity, the open cost and the realized P&L in the trade
 * currency under the account's cost method. It shares no code with lib/domain/lots.ts; it follows the rules of
 * /work/shared/DOMAIN.md: buy fees add to cost, sell fees reduce proceeds, a trade through the position closes it
 * and opens the other way at the trade price, its fees shared pro rata to quantity.
 */
import Decimal from 'decimal.js';

import type { TradeEventV1 } from '../../lib/kafka/schemas/trade-event';

const D = Decimal.clone({ precision: 60 });
type D = Decimal;

export interface WorkloadEvent {
  readonly event: TradeEventV1;
  /** Built by the simulator to fail validation. */
  readonly builtToFail: boolean;
}

/** The latest version of every trade the workload means to be live: good events only, a CANCEL ends the trade. */
export function expectedLiveTrades(events: readonly WorkloadEvent[]): Map<string, TradeEventV1> {
  const latest = new Map<string, TradeEventV1>();
  const cancelled = new Set<string>();
  for (const { event, builtToFail } of events) {
    if (builtToFail) continue;
    if (event.lifecycle === 'CANCEL') cancelled.add(event.tradeId);
    const seen = latest.get(event.tradeId);
    if (seen === undefined || seen.version < event.version) latest.set(event.tradeId, event);
  }
  for (const id of cancelled) latest.delete(id);
  return latest;
}

interface OwnLot {
  quantity: D;
  /** Long: quantity × price + fees; short: quantity × price − fees (the proceeds received). */
  cost: D;
}

export interface ExpectedPosition {
  readonly account: string;
  readonly isin: string;
  /** Signed: negative for a short. */
  readonly quantity: D;
  /** Signed like the quantity: + for a long's cost, − for a short's proceeds. */
  readonly openCost: D;
  readonly realized: D;
  readonly trades: number;
}

function byReplayOrder(a: TradeEventV1, b: TradeEventV1): number {
  if (a.tradeDate !== b.tradeDate) return a.tradeDate < b.tradeDate ? -1 : 1;
  const t = Date.parse(a.tradeTime) - Date.parse(b.tradeTime);
  if (t !== 0) return t;
  return a.tradeId < b.tradeId ? -1 : a.tradeId > b.tradeId ? 1 : 0;
}

/** One position from its live trades, in date and time order, under `method`. */
function positionOf(trades: readonly TradeEventV1[], method: string): Omit<ExpectedPosition, 'account' | 'isin'> {
  let lots: OwnLot[] = [];
  let long = true;
  let realized = new D(0);
  for (const trade of [...trades].sort(byReplayOrder)) {
    const quantity = new D(trade.quantity);
    const price = new D(trade.price);
    const fees = new D(trade.commission).plus(trade.fees);
    const buying = trade.side === 'BUY';
    const held = lots.reduce((sum, lot) => sum.plus(lot.quantity), new D(0));
    let closing = new D(0);
    if (held.gt(0) && long !== buying) closing = D.min(held, quantity);
    const closingFees = closing.eq(quantity) ? fees : fees.times(closing).div(quantity);
    if (closing.gt(0)) {
      // Which lots go first: FIFO the oldest, LIFO the newest; AVERAGE keeps one pool, relieved pro rata.
      const order = method === 'LIFO' ? [...lots].reverse() : [...lots];
      let left = closing;
      let relievedCost = new D(0);
      const kept: OwnLot[] = [];
      for (const lot of order) {
        if (left.isZero()) {
          kept.push(lot);
        } else if (lot.quantity.lte(left)) {
          relievedCost = relievedCost.plus(lot.cost);
          left = left.minus(lot.quantity);
        } else {
          const part = lot.cost.times(left).div(lot.quantity);
          relievedCost = relievedCost.plus(part);
          kept.push({ quantity: lot.quantity.minus(left), cost: lot.cost.minus(part) });
          left = new D(0);
        }
      }
      lots = method === 'LIFO' ? kept.reverse() : kept;
      const gross = closing.times(price);
      realized = buying
        ? realized.plus(relievedCost.minus(gross.plus(closingFees)))
        : realized.plus(gross.minus(closingFees).minus(relievedCost));
    }
    const opening = quantity.minus(closing);
    if (opening.gt(0)) {
      if (lots.length === 0) long = buying;
      const openingFees = fees.minus(closingFees);
      const cost = buying ? opening.times(price).plus(openingFees) : opening.times(price).minus(openingFees);
      const pool = lots[0];
      if (method === 'AVERAGE' && pool !== undefined) {
        lots = [{ quantity: pool.quantity.plus(opening), cost: pool.cost.plus(cost) }];
      } else {
        lots.push({ quantity: opening, cost });
      }
    }
  }
  const quantity = lots.reduce((sum, lot) => sum.plus(lot.quantity), new D(0));
  const cost = lots.reduce((sum, lot) => sum.plus(lot.cost), new D(0));
  return {
    quantity: long ? quantity : quantity.negated(),
    openCost: long ? cost : cost.negated(),
    realized,
    trades: trades.length,
  };
}

/** Every account and instrument with a live trade, keyed `account|isin`. */
export function expectedPositions(
  live: ReadonlyMap<string, TradeEventV1>,
  costMethod: (account: string) => string,
): Map<string, ExpectedPosition> {
  const groups = new Map<string, TradeEventV1[]>();
  for (const trade of live.values()) {
    const key = `${trade.account}|${trade.isin}`;
    const group = groups.get(key) ?? [];
    group.push(trade);
    groups.set(key, group);
  }
  const positions = new Map<string, ExpectedPosition>();
  for (const [key, trades] of groups) {
    const first = trades[0];
    if (first === undefined) continue;
    positions.set(key, {
      account: first.account,
      isin: first.isin,
      ...positionOf(trades, costMethod(first.account)),
    });
  }
  return positions;
}

/**
 * Half-even to `places` decimals, as text: the comparison "to the cent". Digits past the 20th place are the residue
 * of an inexact pro-rata quotient (here at 60 digits, in the pipeline at 40), so they are cut first: an amount that
 * is exactly a half-cent tie rounds as the tie, whichever way each implementation's residue happens to fall (the
 * rule of lib/domain/money.ts roundToCurrency, DOMAIN.md "rounded once").
 */
export function toMinor(value: D | string, places: number): string {
  return new D(value)
    .toDecimalPlaces(20, Decimal.ROUND_HALF_EVEN)
    .toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN)
    .toFixed(places);
}

export { D as Dec6 };
