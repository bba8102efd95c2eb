import {
  applyEvents,
  CostMethod,
  Direction,
  inCurrency,
  liveEvents,
  openCost,
  positionQuantity,
  type LocalAndBase,
  type Position,
  type PositionEvent,
  type PositionResult,
  Side,
} from './lots';
import { Dec, Rounding, roundToCurrency } from './money';

/**
 * Unrealized and daily P&L against end-of-day prices, in the trade currency ("local") and the account's base
 * currency.
 *
 * Multi-currency: cost is carried in base at each lot's TRADE-DATE FX rate (lots.ts); market value converts at
 * the report-date rate. With Q the signed open quantity, C the signed open cost in local currency, B the same cost
 * in base at trade-date rates, P the end-of-day price and X the FX rate (base per local unit):
 *
 *   local unrealized  u = Q·P − C
 *   base unrealized   U = Q·P·X − B
 *
 * The day. A report's day runs from the previous report date's close to this report date's close (over a weekend
 * or a market holiday too: the previous report date, not the previous weekday). Its figures, per line:
 *
 *   realized today              = realized since inception at close − realized since inception at the opening
 *   unrealized change today     = unrealized at close − unrealized at the previous report date's close
 *   total today                 = realized today + unrealized change today
 *   fees today                  = commission and fees of the day's trades (already inside cost and realized)
 *
 * The opening is the previous report date's close AS THAT REPORT REPORTED IT: its position, its realized P&L
 * since inception and its unrealized P&L at its own close price and FX rate. A correction booked after that
 * report (a late trade, an amend, a cancel) therefore lands in the next report's day, and every price or rate move
 * in exactly one day, so that over any span the daily totals add up to the change in cumulative P&L (realized
 * since inception + unrealized at close) at full precision.
 *
 * Price and FX effects split the day's change in base unrealized exactly (DOMAIN.md). Per lot of quantity q,
 * local cost c and base cost C, marked at price p0 and rate x0 at the opening and p1, x1 at the close:
 *
 *   price effect = q·(p1 − p0)·x0        FX effect = q·p1·(x1 − x0)        (the cross term is in the FX effect)
 *
 * A lot held through the day is marked at the previous close (p0, x0) and this close (p1, x1). A lot opened in the
 * day is marked from its cost at the opening (q·p0 = c, x0 = its trade-date rate, so its opening unrealized is
 * zero); a lot relieved in the day is marked at its cost at the close (its unrealized is then zero: the rest is
 * realized). So a lot opened and relieved in the day has no effect; a relieved part contributes FX C − c·x0. The
 * FX effect is computed; the price effect is the change in unrealized less the FX effect, which is the sum of the
 * per-lot price effects exactly (and also takes the effect of a correction to the opening).
 *
 * Rounding: each reported figure that has a meaning of its own is computed exactly and rounded ONCE, at the end,
 * to the currency's ISO 4217 minor units, half-even unless the caller asks for half-up: total today, realized
 * today, fees today, the FX effect, and the three cumulative figures (realized since inception, unrealized at
 * close, unrealized at the previous close). Two are derived so that the day foots to the minor unit, and never
 * rounded again: unrealized change today = total today − realized today, and price effect = unrealized change
 * today − FX effect. The cumulative figures are each rounded once too, so they need not differ by exactly the day's
 * rounded figures (by a minor unit at most per figure); the exact figures do.
 */

export interface MarketClose {
  /** End-of-day price per unit in the trade currency. */
  readonly price: Dec;
  /** Units of base currency per unit of trade currency at the report date. */
  readonly fxRateToBase: Dec;
}

export interface PnlCurrencies {
  readonly currency: string;
  readonly baseCurrency: string;
}

const ZERO = new Dec(0);
const NONE: LocalAndBase = { local: ZERO, base: ZERO };

/** Unrealized P&L of the open lots at a price and rate, exact (unrounded), in local and base currency. */
export function unrealizedExact(position: Position, market: MarketClose): LocalAndBase {
  if (position.lots.length === 0) return NONE;
  const marketValue = positionQuantity(position).times(market.price);
  const cost = openCost(position);
  return {
    local: marketValue.minus(cost.local),
    base: marketValue.times(market.fxRateToBase).minus(cost.base),
  };
}

/**
 * Unrealized P&L of the open lots against an end-of-day price, in local and base currency, each rounded once. A
 * short position gains when the price falls: Q is negative and so is its cost.
 */
export function unrealizedPnl(
  position: Position,
  market: MarketClose,
  currencies: PnlCurrencies,
  rounding: Rounding = Rounding.HALF_EVEN,
): LocalAndBase {
  return roundPair(unrealizedExact(position, market), currencies, rounding);
}

/** Realized P&L of a position so far, rounded once. */
export function realizedPnl(
  position: Position,
  currencies: PnlCurrencies,
  rounding: Rounding = Rounding.HALF_EVEN,
): LocalAndBase {
  return roundPair(position.realized, currencies, rounding);
}

function roundPair(amount: LocalAndBase, currencies: PnlCurrencies, rounding: Rounding): LocalAndBase {
  return {
    local: roundToCurrency(amount.local, currencies.currency, rounding),
    base: roundToCurrency(amount.base, currencies.baseCurrency, rounding),
  };
}

/** A close as a report reported it: what the next report opens from. Exact, unrounded. */
export interface ReportedClose {
  /** Signed closing quantity. */
  readonly quantity: Dec;
  readonly realizedSinceInception: LocalAndBase;
  /** At that report's close price and FX rate. */
  readonly unrealized: LocalAndBase;
}

export interface DailyPnlInput {
  readonly accountId: string;
  readonly instrumentId: string;
  /** ISO date of the report. */
  readonly businessDate: string;
  readonly currency: string;
  readonly baseCurrency: string;
  /**
   * The position at the previous report date's close: the lots the day's events apply to (a stored close, or a
   * replay from flat when a correction was booked since).
   */
  readonly previousClose: Position;
  /** The price and FX rate the previous close is marked at; required when it holds open lots. */
  readonly previousMarket: MarketClose | undefined;
  /**
   * Realized P&L since inception that `previousClose.realized` does not hold (a stored close starts from zero;
   * a replay from flat holds it all: zero then). Exact.
   */
  readonly realizedBefore?: LocalAndBase;
  /**
   * The previous report's close as it was reported, when the caller has it (a stored line): the opening. When
   * omitted, the opening is `previousClose` at `previousMarket` with `realizedBefore`. When a correction since
   * makes `previousClose` differ from it, the difference lands in this day.
   */
  readonly reportedOpening?: ReportedClose;
  /**
   * The day's trade versions and splits (dated after the previous report date, through this one), in any order;
   * replayed as the live set (see `liveEvents`).
   */
  readonly events: readonly PositionEvent[];
  readonly market: MarketClose;
  readonly rounding?: Rounding;
}

/** A line's figures in one currency, rounded to its minor units (see the module note for what is derived). */
export interface PnlFigures {
  /** The day's: realized P&L since the previous report date's close (fees are inside it). */
  readonly realizedToday: Dec;
  /** The day's: totalToday − realizedToday (unrealized at close − unrealized at the previous close, exactly). */
  readonly unrealizedChangeToday: Dec;
  /** The day's: commission and fees of the day's trades; already inside realized and cost, shown for information. */
  readonly feesToday: Dec;
  /** The day's P&L: realized today + the change in unrealized, exact, rounded once. */
  readonly totalToday: Dec;
  /** Cumulative: realized P&L since inception at the close. */
  readonly realizedSinceInception: Dec;
  /** Cumulative: unrealized P&L of the open lots at the previous report date's close, as reported then. */
  readonly unrealizedAtPreviousClose: Dec;
  /** Cumulative: unrealized P&L of the open lots at this close, against their cost. */
  readonly unrealizedAtClose: Dec;
}

export interface DailyPnlLine {
  readonly accountId: string;
  readonly instrumentId: string;
  readonly businessDate: string;
  readonly currency: string;
  readonly baseCurrency: string;
  /** Signed: negative for a short. The previous report's closing quantity (before the day's splits). */
  readonly openingQuantity: Dec;
  readonly closingQuantity: Dec;
  readonly tradeCount: number;
  readonly boughtQuantity: Dec;
  readonly soldQuantity: Dec;
  readonly local: PnlFigures;
  /** Base figures; priceEffectToday + fxEffectToday = unrealizedChangeToday. */
  readonly base: PnlFigures & { readonly priceEffectToday: Dec; readonly fxEffectToday: Dec };
  /** Carried into the next report's line as `previousClose`. */
  readonly closingPosition: Position;
  /** Realized since inception at the close, exact: the next report's `realizedBefore` and opening. */
  readonly realizedSinceInceptionExact: LocalAndBase;
}

/**
 * One day's P&L line for one account and instrument: replays the day's live events onto the previous close and
 * values the result at the end-of-day price and FX rate (module note). The day's total P&L is the same under every
 * cost method; its split into realized and unrealized is not.
 *
 * `events` must be the day's own trade versions and splits. An amend or cancel of an EARLIER day's trade changes
 * the previous close itself: the caller rebuilds that with `buildPosition` over the full live set (replay) and
 * passes the previous report's figures as `reportedOpening`.
 */
export function dailyPnlLine(input: DailyPnlInput): PositionResult<DailyPnlLine> {
  const rounding = input.rounding ?? Rounding.HALF_EVEN;
  const previous = input.previousClose;
  if (previous.currency !== undefined && previous.currency !== input.currency) {
    return failure('CURRENCY_MISMATCH', input.instrumentId, `previous close is in ${previous.currency}`);
  }
  const previousMarket = input.previousMarket;
  if (previous.lots.length > 0 && previousMarket === undefined) {
    return failure('INVALID_TRADE', input.instrumentId, 'previous close holds open lots but has no previous market');
  }
  const live = liveEvents(input.events);
  if (!live.ok) return live;
  const closed = applyEvents(inCurrency(previous, input.currency), live.value);
  if (!closed.ok) return closed;
  const position = closed.value;

  const before = input.realizedBefore ?? NONE;
  const opening: ReportedClose = input.reportedOpening ?? {
    quantity: positionQuantity(previous),
    realizedSinceInception: sum(before, previous.realized),
    unrealized: previousMarket === undefined ? NONE : unrealizedExact(previous, previousMarket),
  };
  const sinceInception = sum(before, position.realized);
  const realizedToday = difference(sinceInception, opening.realizedSinceInception);
  const unrealized = unrealizedExact(position, input.market);
  const totalToday = sum(realizedToday, difference(unrealized, opening.unrealized));
  const fx = fxEffectToday(previous, previousMarket?.fxRateToBase ?? ZERO, live.value, position, input.market);

  const trades = live.value.filter((event) => event.kind === 'TRADE');
  const quantityOf = (side: Side): Dec =>
    trades.filter((t) => t.side === side).reduce((total, t) => total.plus(t.quantity), ZERO);
  const figures = (pick: (amount: LocalAndBase) => Dec, currency: string): PnlFigures => {
    const round = (amount: LocalAndBase): Dec => roundToCurrency(pick(amount), currency, rounding);
    const total = round(totalToday);
    const realized = round(realizedToday);
    return {
      realizedToday: realized,
      unrealizedChangeToday: total.minus(realized),
      feesToday: round(difference(position.fees, previous.fees)),
      totalToday: total,
      realizedSinceInception: round(sinceInception),
      unrealizedAtPreviousClose: round(opening.unrealized),
      unrealizedAtClose: round(unrealized),
    };
  };
  const base = figures((amount) => amount.base, input.baseCurrency);
  const fxEffect = roundToCurrency(fx, input.baseCurrency, rounding);

  return {
    ok: true,
    value: {
      accountId: input.accountId,
      instrumentId: input.instrumentId,
      businessDate: input.businessDate,
      currency: input.currency,
      baseCurrency: input.baseCurrency,
      openingQuantity: opening.quantity,
      closingQuantity: positionQuantity(position),
      tradeCount: trades.length,
      boughtQuantity: quantityOf(Side.BUY),
      soldQuantity: quantityOf(Side.SELL),
      local: figures((amount) => amount.local, input.currency),
      base: { ...base, priceEffectToday: base.unrealizedChangeToday.minus(fxEffect), fxEffectToday: fxEffect },
      closingPosition: position,
      realizedSinceInceptionExact: sinceInception,
    },
  };
}

/**
 * The day's FX effect in base currency, exact (module note): Σ q·p1·(x1 − x0) over the lots held at the close, x0
 * the previous close's rate `x0` for a lot held since the opening and its trade-date rate for a lot opened in the
 * day, plus C − c·x0 for the cost relieved in the day from lots held at the opening. Lots keep their opening
 * trade's id through partial reliefs under FIFO and LIFO, so the lots of the day's trades are told apart by it;
 * AVERAGE pools every lot into one, so its pool is followed through the day's events as the part held since the
 * opening and one part per trade, each relieved pro rata as the pool is.
 */
export function fxEffectToday(
  opening: Position,
  x0: Dec,
  events: readonly PositionEvent[],
  closing: Position,
  market: MarketClose,
): Dec {
  const openingCost = openCost(opening);
  const rates = new Map<string, Dec>();
  for (const event of events) if (event.kind === 'TRADE') rates.set(event.tradeId, event.fxRateToBase);
  // Held since the opening at the close: signed quantity and cost; opened in the day: Σ signed q × trade rate.
  let heldQuantity = ZERO;
  let heldCost = NONE;
  let openedWeighted = ZERO;
  let openedQuantity = ZERO;
  if (closing.method === CostMethod.AVERAGE) {
    const parts = averageParts(opening, events);
    heldQuantity = parts.held;
    heldCost = { local: openingCost.local.times(parts.heldShare), base: openingCost.base.times(parts.heldShare) };
    for (const part of parts.opened) {
      openedQuantity = openedQuantity.plus(part.quantity);
      openedWeighted = openedWeighted.plus(part.quantity.times(part.rate));
    }
  } else {
    // Only the lots of the day's trades are looked at (a stored lot's decimals are parsed when first read): the
    // lots held since the opening are the rest, from the position's remembered sums.
    let openedCost = NONE;
    for (const lot of closing.lots) {
      const rate = rates.get(lot.tradeId);
      if (rate === undefined) continue;
      const long = lot.direction === Direction.LONG;
      const quantity = long ? lot.quantity : lot.quantity.negated();
      openedQuantity = openedQuantity.plus(quantity);
      openedWeighted = openedWeighted.plus(quantity.times(rate));
      openedCost = {
        local: openedCost.local.plus(long ? lot.cost : lot.cost.negated()),
        base: openedCost.base.plus(long ? lot.costBase : lot.costBase.negated()),
      };
    }
    const closingCost = openCost(closing);
    heldQuantity = positionQuantity(closing).minus(openedQuantity);
    heldCost = { local: closingCost.local.minus(openedCost.local), base: closingCost.base.minus(openedCost.base) };
  }
  const x1 = market.fxRateToBase;
  const held = heldQuantity.times(market.price).times(x1.minus(x0));
  const opened = openedQuantity.times(x1).minus(openedWeighted).times(market.price);
  const relievedLocal = openingCost.local.minus(heldCost.local);
  const relievedBase = openingCost.base.minus(heldCost.base);
  return held.plus(opened).plus(relievedBase.minus(relievedLocal.times(x0)));
}

/**
 * An AVERAGE pool followed through the day's ordered live events (as applyTrade relieves it: pro rata, and a
 * flip empties it): the signed quantity still held of the part held at the opening, the share of its cost still
 * held, and the signed quantity and trade-date rate of what each of the day's trades opened that is still held.
 */
function averageParts(
  opening: Position,
  events: readonly PositionEvent[],
): { held: Dec; heldShare: Dec; opened: { quantity: Dec; rate: Dec }[] } {
  let held = positionQuantity(opening);
  let heldShare = new Dec(1);
  let opened: { quantity: Dec; rate: Dec }[] = [];
  for (const event of events) {
    if (event.kind === 'SPLIT') {
      const ratio = (q: Dec): Dec => q.times(event.numerator).div(event.denominator);
      held = ratio(held);
      opened = opened.map((part) => ({ quantity: ratio(part.quantity), rate: part.rate }));
      continue;
    }
    const total = opened.reduce((q, part) => q.plus(part.quantity), held);
    const buying = event.side === Side.BUY;
    const against = !total.isZero() && total.isNegative() === buying;
    const closingQuantity = against ? Dec.min(total.abs(), event.quantity) : ZERO;
    if (closingQuantity.gt(0)) {
      if (closingQuantity.eq(total.abs())) {
        held = ZERO;
        heldShare = ZERO;
        opened = [];
      } else {
        const kept = total.abs().minus(closingQuantity).div(total.abs());
        held = held.times(kept);
        heldShare = heldShare.times(kept);
        opened = opened.map((part) => ({ quantity: part.quantity.times(kept), rate: part.rate }));
      }
    }
    const rest = event.quantity.minus(closingQuantity);
    if (rest.gt(0)) opened.push({ quantity: buying ? rest : rest.negated(), rate: event.fxRateToBase });
  }
  return { held, heldShare, opened };
}

function sum(a: LocalAndBase, b: LocalAndBase): LocalAndBase {
  return { local: a.local.plus(b.local), base: a.base.plus(b.base) };
}

function difference(after: LocalAndBase, before: LocalAndBase): LocalAndBase {
  return { local: after.local.minus(before.local), base: after.base.minus(before.base) };
}

function failure(code: 'CURRENCY_MISMATCH' | 'INVALID_TRADE', ref: string, message: string) {
  return { ok: false as const, errors: [{ code, ref, message }] };
}

/** Base-currency sums of daily lines. Local amounts are not summed: they may be in different currencies. */
export interface PnlTotals {
  readonly baseCurrency: string;
  readonly lineCount: number;
  readonly realizedToday: Dec;
  readonly unrealizedChangeToday: Dec;
  readonly feesToday: Dec;
  readonly totalToday: Dec;
  readonly priceEffectToday: Dec;
  readonly fxEffectToday: Dec;
  readonly realizedSinceInception: Dec;
  readonly unrealizedAtPreviousClose: Dec;
  readonly unrealizedAtClose: Dec;
}

export interface AccountPnlSummary extends PnlTotals {
  readonly accountId: string;
}

/** The amounts of PnlTotals, by name. */
export const TOTAL_AMOUNTS = [
  'realizedToday',
  'unrealizedChangeToday',
  'feesToday',
  'totalToday',
  'priceEffectToday',
  'fxEffectToday',
  'realizedSinceInception',
  'unrealizedAtPreviousClose',
  'unrealizedAtClose',
] as const satisfies readonly (keyof PnlTotals)[];
export type TotalAmount = (typeof TOTAL_AMOUNTS)[number];

function addLine(totals: PnlTotals, line: DailyPnlLine): PnlTotals {
  return addTotals(totals, lineTotals(line));
}

/** One line's base figures as totals of one line. */
export function lineTotals(line: DailyPnlLine): PnlTotals {
  const b = line.base;
  return {
    baseCurrency: line.baseCurrency,
    lineCount: 1,
    realizedToday: b.realizedToday,
    unrealizedChangeToday: b.unrealizedChangeToday,
    feesToday: b.feesToday,
    totalToday: b.totalToday,
    priceEffectToday: b.priceEffectToday,
    fxEffectToday: b.fxEffectToday,
    realizedSinceInception: b.realizedSinceInception,
    unrealizedAtPreviousClose: b.unrealizedAtPreviousClose,
    unrealizedAtClose: b.unrealizedAtClose,
  };
}

/**
 * The sum of two totals in the same base currency (`sum` undefined: `totals` alone). Lines are already rounded,
 * so these sums are exact and a summary foots to its lines. Totals in different base currencies are never added:
 * that is an error.
 */
export function addTotals(sum: PnlTotals | undefined, totals: PnlTotals): PnlTotals {
  if (sum === undefined) return totals;
  if (sum.baseCurrency !== totals.baseCurrency) {
    throw new Error(`totals in base ${sum.baseCurrency} and ${totals.baseCurrency} cannot be added`);
  }
  return {
    baseCurrency: sum.baseCurrency,
    lineCount: sum.lineCount + totals.lineCount,
    realizedToday: sum.realizedToday.plus(totals.realizedToday),
    unrealizedChangeToday: sum.unrealizedChangeToday.plus(totals.unrealizedChangeToday),
    feesToday: sum.feesToday.plus(totals.feesToday),
    totalToday: sum.totalToday.plus(totals.totalToday),
    priceEffectToday: sum.priceEffectToday.plus(totals.priceEffectToday),
    fxEffectToday: sum.fxEffectToday.plus(totals.fxEffectToday),
    realizedSinceInception: sum.realizedSinceInception.plus(totals.realizedSinceInception),
    unrealizedAtPreviousClose: sum.unrealizedAtPreviousClose.plus(totals.unrealizedAtPreviousClose),
    unrealizedAtClose: sum.unrealizedAtClose.plus(totals.unrealizedAtClose),
  };
}

function emptyTotals(baseCurrency: string): PnlTotals {
  const amounts = Object.fromEntries(TOTAL_AMOUNTS.map((name) => [name, ZERO])) as Record<TotalAmount, Dec>;
  return { baseCurrency, lineCount: 0, ...amounts };
}

/**
 * One base-currency summary per account, sorted by accountId. An account whose lines disagree on the base
 * currency is an error: an account has exactly one base currency.
 */
export function summarizeByAccount(lines: readonly DailyPnlLine[]): PositionResult<readonly AccountPnlSummary[]> {
  const byAccount = new Map<string, PnlTotals>();
  for (const line of lines) {
    const totals = byAccount.get(line.accountId) ?? emptyTotals(line.baseCurrency);
    if (totals.baseCurrency !== line.baseCurrency) {
      return failure(
        'CURRENCY_MISMATCH',
        line.accountId,
        `account has lines in base ${totals.baseCurrency} and ${line.baseCurrency}`,
      );
    }
    byAccount.set(line.accountId, addLine(totals, line));
  }
  const summaries = [...byAccount].map(([accountId, totals]) => ({ accountId, ...totals }));
  return { ok: true, value: summaries.sort((a, b) => (a.accountId < b.accountId ? -1 : 1)) };
}

/** Overall totals, one per base currency (amounts in different base currencies are never added together). */
export function overallTotals(lines: readonly DailyPnlLine[]): readonly PnlTotals[] {
  const byBase = new Map<string, PnlTotals>();
  for (const line of lines) {
    byBase.set(line.baseCurrency, addLine(byBase.get(line.baseCurrency) ?? emptyTotals(line.baseCurrency), line));
  }
  return [...byBase.values()].sort((a, b) => (a.baseCurrency < b.baseCurrency ? -1 : 1));
}
