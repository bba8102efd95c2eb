/**
 * The simulator's NEW trades meant to pass validation (lib/simulator/generate.ts says what "good" means): a trade of
 * today at a good price, inside the account's limits with headroom and never a wash, or, in multi-day mode, one
 * against a position carried from an earlier day.
 */
import { Dec, Rounding } from '../domain/money';
import type { TradeEventV1 } from '../kafka/schemas/trade-event';
import type { Book } from './book';
import type { Calendar } from './calendar';
import {
  commissionOf,
  goodPriceRange,
  pick,
  type Market,
  type SimulatorAccount,
  type SimulatorData,
  type SimulatorInstrument,
} from './market';

/**
 * Good trades keep positions within this share of the account's position limit and notionals within this share of
 * its notional limit: the validator's one-position-per-key snapshot excludes a batch's amended trades (see
 * PgReferenceDataStore.positions), so the position it sees may differ from the true one by a trade or two.
 */
export const LIMIT_HEADROOM = new Dec('0.8');

/** A position held at the start of a day of multi-day mode. */
export interface CarriedPosition {
  readonly account: string;
  readonly isin: string;
  readonly quantity: Dec;
}

/** What GoodTrades draws from and checks against: the simulator's own, shared. */
export interface GoodTradeContext {
  readonly random: () => number;
  readonly market: Market;
  readonly book: Book;
  readonly calendar: Calendar;
  /** Of every execution and trade id. */
  readonly prefix: string;
}

export class GoodTrades {
  private readonly random: () => number;
  private readonly market: Market;
  private readonly book: Book;
  private readonly calendar: Calendar;
  private readonly prefix: string;
  /** Active accounts and counterparties, listed on first use: filtering 2,000 accounts per trade cost a fifth of a run. */
  private active: { accounts: SimulatorAccount[]; counterparties: SimulatorData['counterparties'] } | undefined;

  constructor(context: GoodTradeContext) {
    ({
      random: this.random,
      market: this.market,
      book: this.book,
      calendar: this.calendar,
      prefix: this.prefix,
    } = context);
  }

  windowSeconds(): number {
    return this.market.data.washTradeWindowSeconds;
  }

  /** Notional and resulting position inside the account's limits with {@link LIMIT_HEADROOM}. */
  withinLimits(event: TradeEventV1, account: SimulatorAccount): boolean {
    const fx = this.market.fx(event.currency, account.baseCurrency, event.tradeDate);
    if (fx === undefined) return false;
    const notional = new Dec(event.quantity).times(event.price).times(fx);
    if (notional.greaterThan(account.notionalLimit.times(LIMIT_HEADROOM))) return false;
    const before = this.book.position(event.account, event.isin);
    const after = before.plus(new Dec(event.quantity).times(event.side === 'BUY' ? 1 : -1));
    return (
      after.abs().lessThanOrEqualTo(account.positionLimit.times(LIMIT_HEADROOM)) || after.abs().lessThan(before.abs())
    );
  }

  /** Whether the trade may go out: inside the limits and not the mirror of a live execution of its owner. */
  private acceptable(event: TradeEventV1, account: SimulatorAccount): boolean {
    return this.withinLimits(event, account) && !this.book.washes(event, account.beneficialOwner, this.windowSeconds());
  }

  /**
   * A price for a good trade on the close's day: somewhere on the day's path from the previous close to the
   * close, with a little noise, inside the band (goodPriceRange); undefined when the day leaves no such price.
   */
  private goodPrice(
    close: { isin: string; date: string; price: Dec },
    instrument: SimulatorInstrument,
  ): Dec | undefined {
    const previous = this.market.reference(close.isin, close.date);
    const range = goodPriceRange(previous, close.price, this.market.data.priceToleranceBps);
    if (range === undefined) return undefined;
    const path = previous === undefined ? close.price : previous.plus(close.price.minus(previous).times(this.random()));
    const noisy = path.times(new Dec(Math.round((this.random() * 2 - 1) * 30)).div(10_000).plus(1));
    const price = Dec.min(Dec.max(noisy, range.low), range.high).toDecimalPlaces(
      instrument.priceDecimals,
      Rounding.HALF_EVEN,
    );
    return price.lessThan(range.low) || price.greaterThan(range.high) ? undefined : price;
  }

  /** A NEW trade of today (its time drawn from the clock). */
  private newTrade(trade: {
    readonly instrument: SimulatorInstrument;
    readonly account: SimulatorAccount;
    readonly lei: string;
    readonly date: string;
    readonly side: 'BUY' | 'SELL';
    readonly quantity: Dec;
    readonly price: Dec;
  }): TradeEventV1 {
    const { instrument, price, quantity } = trade;
    return {
      schemaVersion: 1,
      execId: `${this.prefix}-E${this.calendar.n}`,
      tradeId: `${this.prefix}-T${this.calendar.n}`,
      version: 1,
      lifecycle: 'NEW',
      account: trade.account.id,
      counterpartyLei: trade.lei,
      isin: instrument.isin,
      mic: instrument.mic,
      side: trade.side,
      quantity: quantity.toFixed(),
      price: price.toFixed(instrument.priceDecimals),
      currency: instrument.currency,
      tradeDate: trade.date,
      tradeTime: this.calendar.time(instrument.mic, trade.date),
      commission: commissionOf(price, quantity),
      fees: '0.00',
      source: 'simulator',
    };
  }

  /** A trade of today meant to pass validation (see the module's TSDoc); retries its choices until they fit. */
  goodTrade(): TradeEventV1 {
    const today = this.calendar.today();
    const closes = this.market.closesOn(today);
    this.active ??= {
      accounts: this.market.data.accounts.filter((account) => account.active),
      counterparties: this.market.data.counterparties.filter((cp) => cp.active),
    };
    const { accounts, counterparties } = this.active;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const close = pick(this.random, closes);
      const instrument = this.market.instruments.get(close.isin);
      const account = pick(this.random, accounts);
      const lei = pick(this.random, counterparties).lei;
      if (instrument === undefined || this.market.restricted(close.isin, close.date)) continue;
      if (!this.market.settles(account.id, lei, instrument.mic, instrument.currency)) continue;
      const price = this.goodPrice(close, instrument);
      if (price === undefined) continue;
      const quantity = instrument.lotSize.times(10 * (1 + Math.floor(this.random() * 20)));
      const side = this.random() < 0.5 ? 'BUY' : 'SELL';
      const event = this.newTrade({ instrument, account, lei, date: close.date, side, quantity, price });
      const flipped: TradeEventV1 = { ...event, side: event.side === 'BUY' ? 'SELL' : 'BUY' };
      const fitting = [event, flipped].find((candidate) => this.acceptable(candidate, account));
      if (fitting !== undefined) return fitting;
    }
    throw new Error('the reference data leaves no trade that would pass validation');
  }

  /**
   * Multi-day mode: a trade against a position carried from an earlier day, on the other side: it closes the
   * position out (half the time), reduces it, or goes through it and opens the other way (a flip); a short is
   * covered by a buy. At a good price of today; undefined when no carried position can trade today within the
   * limits (a new trade is made instead).
   */
  closingTrade(carriedPositions: readonly CarriedPosition[]): TradeEventV1 | undefined {
    const today = this.calendar.today();
    const candidates = carriedPositions.filter(
      (carried) =>
        this.market.close(carried.isin, today) !== undefined &&
        !this.market.restricted(carried.isin, today) &&
        this.market.accounts.get(carried.account)?.active === true &&
        this.book.position(carried.account, carried.isin).times(carried.quantity).greaterThan(0),
    );
    if (candidates.length === 0) return undefined;
    const carried = pick(this.random, candidates);
    const instrument = this.market.instruments.get(carried.isin);
    const account = this.market.accounts.get(carried.account);
    const close = this.market.close(carried.isin, today);
    if (instrument === undefined || account === undefined || close === undefined) return undefined;
    const counterparties = this.market.data.counterparties.filter(
      (cp) => cp.active && this.market.settles(account.id, cp.lei, instrument.mic, instrument.currency),
    );
    if (counterparties.length === 0) return undefined;
    const lei = pick(this.random, counterparties).lei;
    const price = this.goodPrice({ isin: carried.isin, date: today, price: close }, instrument);
    if (price === undefined) return undefined;
    const held = this.book.position(carried.account, carried.isin);
    const whole = held.abs();
    const lots = whole.div(instrument.lotSize).floor();
    const roll = this.random();
    const partLots = Dec.max(lots.times(0.3 + 0.4 * this.random()).floor(), 1);
    const flipLots = new Dec(10 * (1 + Math.floor(this.random() * 5)));
    const quantity =
      roll < 0.5
        ? whole
        : roll < 0.85
          ? partLots.times(instrument.lotSize)
          : whole.plus(flipLots.times(instrument.lotSize));
    const side = held.greaterThan(0) ? 'SELL' : 'BUY';
    const event = this.newTrade({ instrument, account, lei, date: today, side, quantity, price });
    const closeOut: TradeEventV1 = {
      ...event,
      quantity: whole.toFixed(),
      commission: commissionOf(price, whole),
    };
    return [event, closeOut].find(
      (candidate) => new Dec(candidate.quantity).greaterThan(0) && this.acceptable(candidate, account),
    );
  }
}
