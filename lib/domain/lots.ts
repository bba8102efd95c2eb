import { Dec } from './money';

/**
 * Positions per account and instrument, built from lots.
 *
 * Conventions every function here keeps:
 * - A lot carries its total `cost` (and `costBase`), never a unit price: unit cost is derived as cost / quantity.
 *   Relieving part of a lot takes cost × relieved / quantity and leaves the REMAINDER by subtraction, so cost is
 *   conserved and realized + unrealized P&L is the same under FIFO, LIFO and AVERAGE: exactly whenever the
 *   divisions terminate, otherwise to Dec's 40 significant digits, far below any currency's minor unit.
 * - For a LONG lot, `cost` = quantity × price + buy fees. For a SHORT lot, `cost` is the short's basis: the net
 *   proceeds received when it was opened, quantity × price − sell fees.
 * - `costBase` is `cost` converted at the opening trade's trade-date FX rate; it is never revalued.
 * - Nothing is rounded here. Rounding to currency minor units happens once, at the end, in pnl.ts.
 */

export const Side = { BUY: 'BUY', SELL: 'SELL' } as const;
export type Side = (typeof Side)[keyof typeof Side];

/** NEW and AMEND are live versions; CANCEL ends the trade (FIX 487 TradeReportTransType 0 / 2 / 1). */
export const TradeAction = { NEW: 'NEW', AMEND: 'AMEND', CANCEL: 'CANCEL' } as const;
export type TradeAction = (typeof TradeAction)[keyof typeof TradeAction];

export const CostMethod = { FIFO: 'FIFO', LIFO: 'LIFO', AVERAGE: 'AVERAGE' } as const;
export type CostMethod = (typeof CostMethod)[keyof typeof CostMethod];

export const Direction = { LONG: 'LONG', SHORT: 'SHORT', FLAT: 'FLAT' } as const;
export type Direction = (typeof Direction)[keyof typeof Direction];

/** One version of a booked trade, as the persistence stage stores it (append-only, versioned). */
export interface TradeEvent {
  readonly kind: 'TRADE';
  readonly tradeId: string;
  /** 1 for the first booking; each amend or cancel is a higher version. */
  readonly version: number;
  readonly action: TradeAction;
  readonly side: Side;
  /** Positive. */
  readonly quantity: Dec;
  /** Price per unit in the trade currency. */
  readonly price: Dec;
  /** Commission plus fees in the trade currency, never negative. Buys add it to cost, sells take it off proceeds. */
  readonly fees: Dec;
  /** ISO date, YYYY-MM-DD. */
  readonly tradeDate: string;
  /** ISO 8601 timestamp with an offset or Z; orders trades within a day. */
  readonly tradeTime: string;
  readonly currency: string;
  /** Units of the account's base currency per unit of `currency`, at the trade date. 1 when they are the same. */
  readonly fxRateToBase: Dec;
}

/**
 * A stock split (or reverse split): `numerator` new shares for every `denominator` old ones, e.g. 2:1 or 3:2.
 * It takes effect at the start of `effectiveDate` (the ex-date): trades dated that day are already post-split.
 */
export interface SplitEvent {
  readonly kind: 'SPLIT';
  readonly corporateActionId: string;
  readonly numerator: Dec;
  readonly denominator: Dec;
  /** ISO date, YYYY-MM-DD. */
  readonly effectiveDate: string;
}

export type PositionEvent = TradeEvent | SplitEvent;

export interface Lot {
  readonly direction: typeof Direction.LONG | typeof Direction.SHORT;
  /** Positive. */
  readonly quantity: Dec;
  /** Total cost in the trade currency (for a short: net proceeds received), see the module note. */
  readonly cost: Dec;
  /** `cost` at the opening trade's trade-date FX rate. */
  readonly costBase: Dec;
  /** The trade that opened the lot; for the AVERAGE method, the trade that opened the pool. */
  readonly tradeId: string;
  readonly tradeDate: string;
}

export interface LocalAndBase {
  readonly local: Dec;
  readonly base: Dec;
}

/** A position in one instrument for one account. All lots point the same way. */
export interface Position {
  readonly method: CostMethod;
  /** The instrument's trade currency; undefined until the first trade. */
  readonly currency: string | undefined;
  /** In opening order; for AVERAGE, at most one pooled lot. */
  readonly lots: readonly Lot[];
  /** Cumulative realized P&L, fees already inside it; base at the trade-date rates of both legs. */
  readonly realized: LocalAndBase;
  /** Cumulative commission and fees paid (informational: they are already inside cost, proceeds and realized). */
  readonly fees: LocalAndBase;
}

export type PositionErrorCode =
  'INVALID_TRADE' | 'INVALID_SPLIT' | 'CONFLICTING_VERSION' | 'CURRENCY_MISMATCH' | 'INEXACT_SPLIT';

export interface PositionError {
  readonly code: PositionErrorCode;
  /** tradeId or corporateActionId the error is about. */
  readonly ref: string;
  readonly message: string;
}

export type PositionResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly PositionError[] };

const ZERO = new Dec(0);

/** A flat position with nothing realized: the start of every replay. */
export function emptyPosition(method: CostMethod, currency?: string): Position {
  return {
    method,
    currency,
    lots: [],
    realized: { local: ZERO, base: ZERO },
    fees: { local: ZERO, base: ZERO },
  };
}

/** Signed quantity: positive long, negative short, zero flat. */
export function positionQuantity(position: Position): Dec {
  let quantity = quantities.get(position);
  if (quantity === undefined) {
    quantity = position.lots.reduce((sum, lot) => sum.plus(signed(lot, lot.quantity)), ZERO);
    quantities.set(position, quantity);
  }
  return quantity;
}

// Positions are immutable values, so their sums are remembered per object: a trade, the day's P&L line and the
// report each ask for them again (a large share of the daily report's arithmetic before they were). applyTrade,
// applySplit and inCurrency carry them to the position they make, so that a position read back with its sums is
// never added up lot by lot again. The carried sums equal the lots added up: exactly whenever the divisions of a
// partial relief terminate, otherwise to Dec's 40 significant digits, as the module note says of cost itself.
const quantities = new WeakMap<Position, Dec>();
const openCosts = new WeakMap<Position, LocalAndBase>();

/**
 * Remembers `positionQuantity` and `openCost` of a position: one read back from storage together with the sums
 * computed from the very same lots when it was stored (the daily report keeps both), or one a trade made from a
 * position whose sums were known, so that they are not added up again. The caller vouches that they are that
 * position's sums, as these functions return them.
 */
export function rememberSums(position: Position, sums: { quantity: Dec; cost: LocalAndBase }): Position {
  quantities.set(position, sums.quantity);
  openCosts.set(position, sums.cost);
  return position;
}

/** The position with its trade currency set (a position starts without one), keeping its remembered sums. */
export function inCurrency(position: Position, currency: string): Position {
  if (position.currency === currency) return position;
  const value: Position = { ...position, currency };
  const quantity = quantities.get(position);
  const cost = openCosts.get(position);
  if (quantity !== undefined && cost !== undefined) rememberSums(value, { quantity, cost });
  return value;
}

/** LONG, SHORT or FLAT, from the lots. */
export function positionDirection(position: Position): Direction {
  return position.lots[0]?.direction ?? Direction.FLAT;
}

/**
 * Signed cost of the open lots in the trade currency and in base currency at trade-date rates:
 * positive for a long (what was paid), negative for a short (what was received).
 */
export function openCost(position: Position): LocalAndBase {
  let cost = openCosts.get(position);
  if (cost === undefined) {
    cost = position.lots.reduce<LocalAndBase>(
      (sum, lot) => ({ local: sum.local.plus(signed(lot, lot.cost)), base: sum.base.plus(signed(lot, lot.costBase)) }),
      { local: ZERO, base: ZERO },
    );
    openCosts.set(position, cost);
  }
  return cost;
}

function signed(lot: Lot, amount: Dec): Dec {
  return lot.direction === Direction.LONG ? amount : amount.negated();
}

/** What relieving lots took out of the position. */
export interface Relief {
  readonly quantity: Dec;
  readonly cost: Dec;
  readonly costBase: Dec;
}

/**
 * Takes `quantity` out of `lots` in the order the cost method prescribes: FIFO oldest lot first, LIFO newest
 * first, AVERAGE from the single pooled lot (pro rata). A partly relieved lot keeps its remainder by subtraction,
 * so cost is conserved exactly. `quantity` must not exceed the lots' total; callers split larger trades.
 */
export function relieveLots(
  lots: readonly Lot[],
  quantity: Dec,
  method: CostMethod,
): { readonly relief: Relief; readonly remaining: readonly Lot[] } {
  const ordered = method === CostMethod.LIFO ? [...lots].reverse() : [...lots];
  const kept: Lot[] = [];
  let toRelieve = quantity;
  let cost = ZERO;
  let costBase = ZERO;
  for (const lot of ordered) {
    if (toRelieve.isZero()) {
      kept.push(lot);
    } else if (lot.quantity.lte(toRelieve)) {
      cost = cost.plus(lot.cost);
      costBase = costBase.plus(lot.costBase);
      toRelieve = toRelieve.minus(lot.quantity);
    } else {
      const relievedCost = lot.cost.times(toRelieve).div(lot.quantity);
      const relievedCostBase = lot.costBase.times(toRelieve).div(lot.quantity);
      cost = cost.plus(relievedCost);
      costBase = costBase.plus(relievedCostBase);
      // Fields named one by one: a lot read from storage may carry its decimals as getters, which a spread drops.
      kept.push({
        direction: lot.direction,
        quantity: lot.quantity.minus(toRelieve),
        cost: lot.cost.minus(relievedCost),
        costBase: lot.costBase.minus(relievedCostBase),
        tradeId: lot.tradeId,
        tradeDate: lot.tradeDate,
      });
      toRelieve = ZERO;
    }
  }
  const remaining = method === CostMethod.LIFO ? kept.reverse() : kept;
  return { relief: { quantity: quantity.minus(toRelieve), cost, costBase }, remaining };
}

/**
 * Books one live trade version onto a position. Buy fees add to cost, sell fees reduce proceeds. A trade against
 * the position first relieves lots (realizing P&L); whatever is left of it opens a new lot the other way at the
 * trade price, so a sell larger than the long closes it and opens a short, and a buy larger than a short the
 * reverse. The trade's fees are shared between its closing and opening parts pro rata to quantity (the opening
 * part gets the remainder, so nothing is lost). Input is assumed valid: `buildPosition` checks it.
 */
export function applyTrade(position: Position, trade: TradeEvent): Position {
  const opens = trade.side === Side.BUY ? Direction.LONG : Direction.SHORT;
  const quantityBefore = positionQuantity(position);
  const costBefore = openCost(position);
  const against = positionDirection(position) !== Direction.FLAT && positionDirection(position) !== opens;
  const closingQuantity = against ? Dec.min(quantityBefore.abs(), trade.quantity) : ZERO;
  const closingFees = closingQuantity.eq(trade.quantity)
    ? trade.fees
    : trade.fees.times(closingQuantity).div(trade.quantity);

  let lots = position.lots;
  let realized = position.realized;
  // The open cost follows the trade (the relieved cost leaves, the opened lot's comes in) rather than being added
  // up again over every lot: see rememberSums.
  let cost = costBefore;
  if (closingQuantity.gt(0)) {
    const { relief, remaining } = relieveLots(lots, closingQuantity, position.method);
    const gross = closingQuantity.times(trade.price);
    // Closing a long sells: realized = net proceeds − cost. Closing a short buys: realized = basis − cover cost.
    const realizedLocal =
      trade.side === Side.SELL
        ? gross.minus(closingFees).minus(relief.cost)
        : relief.cost.minus(gross.plus(closingFees));
    const realizedBase =
      trade.side === Side.SELL
        ? gross.minus(closingFees).times(trade.fxRateToBase).minus(relief.costBase)
        : relief.costBase.minus(gross.plus(closingFees).times(trade.fxRateToBase));
    lots = remaining;
    realized = { local: realized.local.plus(realizedLocal), base: realized.base.plus(realizedBase) };
    // Relieving a long (a sell) takes positive cost out, relieving a short (a buy) negative cost.
    cost =
      trade.side === Side.SELL
        ? { local: cost.local.minus(relief.cost), base: cost.base.minus(relief.costBase) }
        : { local: cost.local.plus(relief.cost), base: cost.base.plus(relief.costBase) };
  }

  const openingQuantity = trade.quantity.minus(closingQuantity);
  if (openingQuantity.gt(0)) {
    const openingFees = trade.fees.minus(closingFees);
    const gross = openingQuantity.times(trade.price);
    const lotCost = opens === Direction.LONG ? gross.plus(openingFees) : gross.minus(openingFees);
    const lot: Lot = {
      direction: opens,
      quantity: openingQuantity,
      cost: lotCost,
      costBase: lotCost.times(trade.fxRateToBase),
      tradeId: trade.tradeId,
      tradeDate: trade.tradeDate,
    };
    lots = addLot(lots, lot, position.method);
    cost =
      opens === Direction.LONG
        ? { local: cost.local.plus(lot.cost), base: cost.base.plus(lot.costBase) }
        : { local: cost.local.minus(lot.cost), base: cost.base.minus(lot.costBase) };
  }

  const booked: Position = {
    method: position.method,
    currency: position.currency ?? trade.currency,
    lots,
    realized,
    fees: {
      local: position.fees.local.plus(trade.fees),
      base: position.fees.base.plus(trade.fees.times(trade.fxRateToBase)),
    },
  };
  // A buy adds its quantity to the signed position, a sell takes it off, whatever it closes or opens.
  const quantity = trade.side === Side.BUY ? quantityBefore.plus(trade.quantity) : quantityBefore.minus(trade.quantity);
  return rememberSums(booked, { quantity, cost });
}

function addLot(lots: readonly Lot[], lot: Lot, method: CostMethod): readonly Lot[] {
  const pool = lots[0];
  if (method !== CostMethod.AVERAGE || pool === undefined) return [...lots, lot];
  // Average cost keeps one pooled lot: quantities and costs add, so the average unit cost is cost / quantity.
  return [
    {
      direction: pool.direction,
      quantity: pool.quantity.plus(lot.quantity),
      cost: pool.cost.plus(lot.cost),
      costBase: pool.costBase.plus(lot.costBase),
      tradeId: pool.tradeId,
      tradeDate: pool.tradeDate,
    },
  ];
}

/**
 * Applies a split: every lot's quantity is multiplied by numerator / denominator and its total cost is left
 * untouched, so unit cost falls by the same ratio and no P&L moves.
 *
 * Fractional shares: they are KEPT in the position, exactly, at their full share of cost; nothing is cashed out
 * or rounded here. Cash in lieu of a fraction is a separate event booked by corporate actions as a SELL of the
 * fraction at the cash-in-lieu price, which realizes P&L like any other sale. A ratio whose result has no exact
 * decimal (e.g. 1:3 on 100 shares) is refused with INEXACT_SPLIT rather than silently rounded, because rounding
 * the quantity would strand a sliver of cost or quantity forever.
 */
export function applySplit(position: Position, split: SplitEvent): PositionResult<Position> {
  const lots: Lot[] = [];
  for (const lot of position.lots) {
    const scaled = lot.quantity.times(split.numerator);
    const quantity = scaled.div(split.denominator);
    if (!quantity.times(split.denominator).eq(scaled)) {
      return {
        ok: false,
        errors: [
          {
            code: 'INEXACT_SPLIT',
            ref: split.corporateActionId,
            message: `split ${split.numerator.toFixed()}:${split.denominator.toFixed()} of lot ${lot.tradeId} (${lot.quantity.toFixed()}) has no exact decimal quantity`,
          },
        ],
      };
    }
    lots.push({
      direction: lot.direction,
      quantity,
      cost: lot.cost,
      costBase: lot.costBase,
      tradeId: lot.tradeId,
      tradeDate: lot.tradeDate,
    });
  }
  const value: Position = { ...position, lots };
  // A split moves no cost: the open cost is the one before.
  const cost = openCosts.get(position);
  if (cost !== undefined) openCosts.set(value, cost);
  return { ok: true, value };
}

/** The fields that make two deliveries of the same trade version the same booking. */
function sameBooking(a: TradeEvent, b: TradeEvent): boolean {
  return (
    a.action === b.action &&
    a.side === b.side &&
    a.quantity.eq(b.quantity) &&
    a.price.eq(b.price) &&
    a.fees.eq(b.fees) &&
    a.tradeDate === b.tradeDate &&
    a.tradeTime === b.tradeTime &&
    a.currency === b.currency &&
    a.fxRateToBase.eq(b.fxRateToBase)
  );
}

function sameSplit(a: SplitEvent, b: SplitEvent): boolean {
  return a.numerator.eq(b.numerator) && a.denominator.eq(b.denominator) && a.effectiveDate === b.effectiveDate;
}

/**
 * Replay order, deterministic whatever the arrival order: by date (trade date, or a split's effective date),
 * splits before trades on the same date (they take effect at the start of the ex-date), then trade time
 * (compared as instants, so offsets do not matter), then tradeId, then corporateActionId.
 */
export function comparePositionEvents(a: PositionEvent, b: PositionEvent): number {
  const dateA = a.kind === 'TRADE' ? a.tradeDate : a.effectiveDate;
  const dateB = b.kind === 'TRADE' ? b.tradeDate : b.effectiveDate;
  if (dateA !== dateB) return dateA < dateB ? -1 : 1;
  if (a.kind !== b.kind) return a.kind === 'SPLIT' ? -1 : 1;
  if (a.kind === 'SPLIT' && b.kind === 'SPLIT') return compareText(a.corporateActionId, b.corporateActionId);
  if (a.kind === 'TRADE' && b.kind === 'TRADE') {
    const timeA = Date.parse(a.tradeTime);
    const timeB = Date.parse(b.tradeTime);
    if (timeA !== timeB) return timeA - timeB;
    return compareText(a.tradeId, b.tradeId);
  }
  return 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The live set a position is a pure function of: the latest version of each trade, trades whose latest version
 * (or any version: a cancel is terminal) is a CANCEL removed, redelivered versions and splits collapsed to one,
 * all sorted by `comparePositionEvents`. Two different bookings under the same tradeId and version, or the same
 * corporateActionId, are a CONFLICTING_VERSION error rather than a guess.
 */
export function liveEvents(events: readonly PositionEvent[]): PositionResult<readonly PositionEvent[]> {
  const errors: PositionError[] = [];
  const latest = new Map<string, TradeEvent>();
  const cancelled = new Set<string>();
  const versions = new Map<string, TradeEvent>();
  const splits = new Map<string, SplitEvent>();

  for (const event of events) {
    if (event.kind === 'SPLIT') {
      const seen = splits.get(event.corporateActionId);
      if (seen && !sameSplit(seen, event)) {
        errors.push(conflict(event.corporateActionId, 'corporate action delivered twice with different terms'));
      }
      splits.set(event.corporateActionId, seen ?? event);
      continue;
    }
    const versionKey = `${event.tradeId}\u0000${event.version}`;
    const seen = versions.get(versionKey);
    if (seen) {
      if (!sameBooking(seen, event)) {
        errors.push(conflict(event.tradeId, `version ${event.version} delivered twice with different contents`));
      }
      continue;
    }
    versions.set(versionKey, event);
    if (event.action === TradeAction.CANCEL) cancelled.add(event.tradeId);
    const current = latest.get(event.tradeId);
    if (current === undefined || event.version > current.version) latest.set(event.tradeId, event);
  }
  if (errors.length > 0) return { ok: false, errors };

  const live: PositionEvent[] = [...splits.values()];
  for (const [tradeId, trade] of latest) if (!cancelled.has(tradeId)) live.push(trade);
  return { ok: true, value: live.sort(comparePositionEvents) };
}

function conflict(ref: string, message: string): PositionError {
  return { code: 'CONFLICTING_VERSION', ref, message };
}

/** Checks what a trade version needs before it may touch a position. */
export function tradeErrors(trade: TradeEvent): PositionError[] {
  const problems: string[] = [];
  if (!Number.isInteger(trade.version) || trade.version < 1) problems.push('version must be a positive integer');
  if (!trade.quantity.isFinite() || trade.quantity.lte(0)) problems.push('quantity must be positive');
  if (!trade.price.isFinite() || trade.price.lt(0)) problems.push('price must not be negative');
  if (!trade.fees.isFinite() || trade.fees.lt(0)) problems.push('fees must not be negative');
  if (!trade.fxRateToBase.isFinite() || trade.fxRateToBase.lte(0)) problems.push('fxRateToBase must be positive');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(trade.tradeDate)) problems.push('tradeDate must be YYYY-MM-DD');
  // Without an explicit offset Date.parse reads local time, which would make replay order depend on the host.
  if (!/(Z|[+-]\d{2}:\d{2})$/.test(trade.tradeTime) || Number.isNaN(Date.parse(trade.tradeTime))) {
    problems.push('tradeTime must be an ISO 8601 timestamp with Z or an offset');
  }
  return problems.map((message) => ({ code: 'INVALID_TRADE', ref: trade.tradeId, message }));
}

function splitErrors(split: SplitEvent): PositionError[] {
  const wholePositive = (n: Dec): boolean => n.isFinite() && n.isInteger() && n.gt(0);
  const problems: string[] = [];
  if (!wholePositive(split.numerator) || !wholePositive(split.denominator)) {
    problems.push('split ratio must be two positive whole numbers');
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(split.effectiveDate)) problems.push('effectiveDate must be YYYY-MM-DD');
  return problems.map((message) => ({ code: 'INVALID_SPLIT', ref: split.corporateActionId, message }));
}

/**
 * Applies already-ordered live events to a position, in the order given. Used both by `buildPosition` (from
 * flat) and by the daily P&L line (from the previous close). Every trade must be valid and in the position's
 * currency; the first error stops the replay.
 */
export function applyEvents(start: Position, ordered: readonly PositionEvent[]): PositionResult<Position> {
  let position = start;
  for (const event of ordered) {
    if (event.kind === 'SPLIT') {
      const invalid = splitErrors(event);
      if (invalid.length > 0) return { ok: false, errors: invalid };
      const split = applySplit(position, event);
      if (!split.ok) return split;
      position = split.value;
      continue;
    }
    const invalid = tradeErrors(event);
    if (invalid.length > 0) return { ok: false, errors: invalid };
    if (position.currency !== undefined && position.currency !== event.currency) {
      return {
        ok: false,
        errors: [
          {
            code: 'CURRENCY_MISMATCH',
            ref: event.tradeId,
            message: `trade in ${event.currency} on a position in ${position.currency}`,
          },
        ],
      };
    }
    position = applyTrade(position, event);
  }
  return { ok: true, value: position };
}

/**
 * The position as a pure function of its events: replays the live set (see `liveEvents`) from flat. An amend
 * therefore gives exactly the position as if the trade had always been as amended, a cancel as if it had never
 * existed, and any arrival order or redelivery the same position as the ordered, once-only stream.
 */
export function buildPosition(events: readonly PositionEvent[], method: CostMethod): PositionResult<Position> {
  const live = liveEvents(events);
  if (!live.ok) return live;
  return applyEvents(emptyPosition(method), live.value);
}
