import {
  applyEvents,
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
 * the REPORT-DATE rate. With Q the signed open quantity, C the signed open cost in local currency, B the same cost
 * in base at trade-date rates, P1 the end-of-day price and X1 the report-date FX rate (base per local unit):
 *
 *   local unrealized  u = Q·P1 − C
 *   base unrealized   U = Q·P1·X1 − B
 *   price effect        = u · X1            = (P1 − P0)·Q·X1
 *   FX effect           = C·X1 − B          = P0·Q·(X1 − X0)
 *
 * where P0 = C / Q is the unit cost and X0 = B / C the cost-weighted trade-date rate (neither is ever computed,
 * so no division enters). price + FX = U exactly. The cross term (P1 − P0)·Q·(X1 − X0) is assigned to the PRICE
 * effect: the price move is valued at today's rate, and the FX effect is the revaluation of the cost alone.
 *
 * Rounding: every independent amount is computed exactly and rounded ONCE, at the end, to the currency's ISO 4217
 * minor units, half-even (banker's) unless the caller asks for half-up. Derived columns are differences or sums
 * of already-rounded figures and are never rounded again, so a report foots to the minor unit: the price effect
 * is the rounded base unrealized minus the rounded FX effect (it absorbs the rounding residual), a day's
 * unrealized change is closing minus opening unrealized as reported, and total = realized + unrealized change.
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

export interface UnrealizedPnl {
  readonly local: Dec;
  readonly base: Dec;
  /** Base currency; the cross term is included here. */
  readonly priceEffect: Dec;
  /** Base currency: the open cost revalued at the report-date rate minus the cost at trade-date rates. */
  readonly fxEffect: Dec;
}

const ZERO = new Dec(0);

function unrealizedExact(position: Position, market: MarketClose): UnrealizedPnl {
  const marketValue = positionQuantity(position).times(market.price);
  const cost = openCost(position);
  const local = marketValue.minus(cost.local);
  const fxEffect = cost.local.times(market.fxRateToBase).minus(cost.base);
  return {
    local,
    base: marketValue.times(market.fxRateToBase).minus(cost.base),
    priceEffect: local.times(market.fxRateToBase),
    fxEffect,
  };
}

/**
 * Unrealized P&L of the open lots against an end-of-day price, in local and base currency, with the base amount
 * split into price and FX effects (see the module note for the decomposition and the rounding). A short position
 * gains when the price falls: Q is negative and so is its cost.
 */
export function unrealizedPnl(
  position: Position,
  market: MarketClose,
  currencies: PnlCurrencies,
  rounding: Rounding = Rounding.HALF_EVEN,
): UnrealizedPnl {
  const exact = unrealizedExact(position, market);
  const base = roundToCurrency(exact.base, currencies.baseCurrency, rounding);
  const fxEffect = roundToCurrency(exact.fxEffect, currencies.baseCurrency, rounding);
  return {
    local: roundToCurrency(exact.local, currencies.currency, rounding),
    base,
    priceEffect: base.minus(fxEffect),
    fxEffect,
  };
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

export interface DailyPnlInput {
  readonly accountId: string;
  readonly instrumentId: string;
  /** ISO date of the report. */
  readonly businessDate: string;
  readonly currency: string;
  readonly baseCurrency: string;
  /** The position at the previous close (from `buildPosition` or yesterday's line). */
  readonly previousClose: Position;
  /** Yesterday's end-of-day price and FX rate; required when the previous close holds open lots. */
  readonly previousMarket: MarketClose | undefined;
  /**
   * The previous close's unrealized P&L at `previousMarket`, rounded as `unrealizedPnl` rounds it, when the caller
   * already has it (the previous report's line, valued at the same prices): it is then not computed again.
   */
  readonly openingUnrealized?: { readonly local: Dec; readonly base: Dec };
  /** The day's trade versions and splits, in any order; replayed as the live set (see `liveEvents`). */
  readonly events: readonly PositionEvent[];
  readonly market: MarketClose;
  readonly rounding?: Rounding;
}

export interface PnlFigures {
  readonly realized: Dec;
  /** Unrealized at the previous close, as it was reported then. */
  readonly openingUnrealized: Dec;
  /** Unrealized at today's close against cost (inception to date). */
  readonly unrealized: Dec;
  /** unrealized − openingUnrealized. */
  readonly unrealizedChange: Dec;
  /** The day's P&L: realized + unrealizedChange. */
  readonly total: Dec;
  /** Commission and fees paid today; already inside realized and cost, shown for information. */
  readonly fees: Dec;
}

export interface DailyPnlLine {
  readonly accountId: string;
  readonly instrumentId: string;
  readonly businessDate: string;
  readonly currency: string;
  readonly baseCurrency: string;
  /** Signed: negative for a short. Before the day's splits. */
  readonly openingQuantity: Dec;
  readonly closingQuantity: Dec;
  readonly tradeCount: number;
  readonly boughtQuantity: Dec;
  readonly soldQuantity: Dec;
  readonly local: PnlFigures;
  /** Base figures; priceEffect + fxEffect = unrealized (closing, inception to date). */
  readonly base: PnlFigures & { readonly priceEffect: Dec; readonly fxEffect: Dec };
  /** Carried into tomorrow's line as `previousClose`. */
  readonly closingPosition: Position;
}

/**
 * One day's P&L line for one account and instrument: replays the day's live events onto the previous close and
 * values the result at the end-of-day price and FX rate. The day's total P&L is realized today plus the change in
 * unrealized, which is the same under every cost method.
 *
 * `events` must be the day's own trade versions and splits. An amend or cancel of an EARLIER day's trade changes
 * the previous close itself: the caller rebuilds that with `buildPosition` over the full live set (replay) rather
 * than passing the correction here.
 */
export function dailyPnlLine(input: DailyPnlInput): PositionResult<DailyPnlLine> {
  const currencies = { currency: input.currency, baseCurrency: input.baseCurrency };
  const rounding = input.rounding ?? Rounding.HALF_EVEN;
  const previous = input.previousClose;
  if (previous.currency !== undefined && previous.currency !== input.currency) {
    return failure('CURRENCY_MISMATCH', input.instrumentId, `previous close is in ${previous.currency}`);
  }
  if (previous.lots.length > 0 && input.previousMarket === undefined) {
    return failure('INVALID_TRADE', input.instrumentId, 'previous close holds open lots but has no previous market');
  }
  const live = liveEvents(input.events);
  if (!live.ok) return live;
  const closed = applyEvents(inCurrency(previous, input.currency), live.value);
  if (!closed.ok) return closed;
  const position = closed.value;

  const opening = !input.previousMarket
    ? none()
    : input.openingUnrealized
      ? { ...none(), ...input.openingUnrealized }
      : unrealizedPnl(previous, input.previousMarket, currencies, rounding);
  const closing = unrealizedPnl(position, input.market, currencies, rounding);
  const realized = roundPair(difference(position.realized, previous.realized), currencies, rounding);
  const fees = roundPair(difference(position.fees, previous.fees), currencies, rounding);

  const trades = live.value.filter((event) => event.kind === 'TRADE');
  const quantityOf = (side: Side): Dec =>
    trades.filter((t) => t.side === side).reduce((sum, t) => sum.plus(t.quantity), ZERO);

  const figures = (realizedAmount: Dec, openingAmount: Dec, closingAmount: Dec, feesAmount: Dec): PnlFigures => {
    const unrealizedChange = closingAmount.minus(openingAmount);
    return {
      realized: realizedAmount,
      openingUnrealized: openingAmount,
      unrealized: closingAmount,
      unrealizedChange,
      total: realizedAmount.plus(unrealizedChange),
      fees: feesAmount,
    };
  };

  return {
    ok: true,
    value: {
      accountId: input.accountId,
      instrumentId: input.instrumentId,
      businessDate: input.businessDate,
      currency: input.currency,
      baseCurrency: input.baseCurrency,
      openingQuantity: positionQuantity(previous),
      closingQuantity: positionQuantity(position),
      tradeCount: trades.length,
      boughtQuantity: quantityOf(Side.BUY),
      soldQuantity: quantityOf(Side.SELL),
      local: figures(realized.local, opening.local, closing.local, fees.local),
      base: {
        ...figures(realized.base, opening.base, closing.base, fees.base),
        priceEffect: closing.priceEffect,
        fxEffect: closing.fxEffect,
      },
      closingPosition: position,
    },
  };
}

function none(): UnrealizedPnl {
  return { local: ZERO, base: ZERO, priceEffect: ZERO, fxEffect: ZERO };
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
  readonly realized: Dec;
  readonly unrealized: Dec;
  readonly unrealizedChange: Dec;
  readonly total: Dec;
  readonly fees: Dec;
  readonly priceEffect: Dec;
  readonly fxEffect: Dec;
}

export interface AccountPnlSummary extends PnlTotals {
  readonly accountId: string;
}

function addLine(totals: PnlTotals, line: DailyPnlLine): PnlTotals {
  return addTotals(totals, lineTotals(line));
}

/** One line's base figures as totals of one line. */
export function lineTotals(line: DailyPnlLine): PnlTotals {
  return {
    baseCurrency: line.baseCurrency,
    lineCount: 1,
    realized: line.base.realized,
    unrealized: line.base.unrealized,
    unrealizedChange: line.base.unrealizedChange,
    total: line.base.total,
    fees: line.base.fees,
    priceEffect: line.base.priceEffect,
    fxEffect: line.base.fxEffect,
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
    realized: sum.realized.plus(totals.realized),
    unrealized: sum.unrealized.plus(totals.unrealized),
    unrealizedChange: sum.unrealizedChange.plus(totals.unrealizedChange),
    total: sum.total.plus(totals.total),
    fees: sum.fees.plus(totals.fees),
    priceEffect: sum.priceEffect.plus(totals.priceEffect),
    fxEffect: sum.fxEffect.plus(totals.fxEffect),
  };
}

function emptyTotals(baseCurrency: string): PnlTotals {
  return {
    baseCurrency,
    lineCount: 0,
    realized: ZERO,
    unrealized: ZERO,
    unrealizedChange: ZERO,
    total: ZERO,
    fees: ZERO,
    priceEffect: ZERO,
    fxEffect: ZERO,
  };
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
