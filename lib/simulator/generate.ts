/**
 * Realistic executed trades from the reference data, deterministic for a seed.
 *
 * A trade the simulator means to be good passes every validation rule against the same reference data: an account
 * with an active SSI for the venue and currency, an active counterparty, a trade date on which the instrument
 * closed (a business day of its venue) and is not restricted, a price between the previous and the day's close
 * kept inside the fat-finger band around the previous close (the validator's reference price) at the
 * instrument's decimals, whole lots, notional and position inside the account's limits (with headroom, see
 * {@link LIMIT_HEADROOM}), and never the mirror of a live execution of the same beneficial owner (a wash trade).
 * Amends (quantity or commission corrections) and cancels refer to earlier good trades still live.
 *
 * A share of events (`errorRate`) is built to fail: each such trade carries the rule code it is meant to break
 * (`intendedFault`), and the faults are spread over many rules. The share is exact by construction: the k-th
 * faulty event falls at a seeded position inside the k-th window of 1/errorRate events, so the first N events hold
 * floor(N × errorRate) or one more, and exactly N × errorRate when that is whole.
 *
 * By default the stream walks the reference data's calendar, {@link EVENTS_PER_DAY} events a trading day. In
 * single-day mode (`date`) every event is dated that day instead: the instruments that closed on it, times spread
 * over each venue's session across `eventsOnDate` events, the same guarantees for good trades (the book that keeps
 * positions within the limits and away from wash trades holds the whole day), and the same error share. The one
 * fault a single day cannot carry, a trade date that is not a business day, is left out of the draw there.
 *
 * Multi-day mode (`days`) lives several days the way a desk does, from one book: `eventsPerDay` events on each day
 * in turn, positions carried overnight, a share of new trades made against a position held since an earlier day
 * (closing it out, reducing it, covering a short, or going through it: a flip), and a share of amends and cancels
 * reaching back to the previous day's trades. Past the end of the seed's prices the days need generated ones
 * (lib/simulator/market-data.ts).
 */
import { Dec, Rounding } from '../domain/money';
import { ValidationCode } from '../domain/validation/codes';
import type { TradeEventV1 } from '../kafka/schemas/trade-event';
import { Book, type Execution } from './book';
import { FAULTS, FaultBuilder, faultSchedule } from './faults';
import {
  commissionOf,
  goodPriceRange,
  Market,
  pick,
  seededRandom,
  sessionTime,
  type SimulatorAccount,
  type SimulatorData,
  type SimulatorInstrument,
} from './market';

export { faultSchedule } from './faults';
export { seededRandom } from './market';
export type { SimulatorAccount, SimulatorData, SimulatorInstrument } from './market';

export interface SimulatorOptions {
  readonly seed: number;
  /** Share (0..1) of events built to fail validation. */
  readonly errorRate: number;
  /** Shares of amends and cancels among the good events. */
  readonly amendRate?: number;
  readonly cancelRate?: number;
  /**
   * Single-day mode: every event on this trade date (YYYY-MM-DD), which must be a date some active instrument
   * closed on in the reference data.
   */
  readonly date?: string;
  /**
   * Single-day mode: how many events the day's sessions are spread over (event n falls in the n-th of that many
   * slots of each venue's session); asking the stream for more throws. Default {@link DEFAULT_EVENTS_ON_DATE}.
   */
  readonly eventsOnDate?: number;
  /**
   * Multi-day mode: `eventsPerDay` events on each of these trade dates in turn (ascending, each a date some active
   * instrument closed on), from one book: positions are carried overnight, and some are closed, reduced, covered
   * or flipped on a later day ({@link closeRate}); a share of corrections reach back to the previous day's trades
   * ({@link lateCorrectionRate}). Asking for more than days × eventsPerDay events throws.
   */
  readonly days?: readonly string[];
  /** Multi-day mode: events per day, cut into that many slots of each venue's session (default {@link EVENTS_PER_DAY}). */
  readonly eventsPerDay?: number;
  /** Multi-day mode: share of good new trades made against a position carried from an earlier day (default 0.25). */
  readonly closeRate?: number;
  /** Multi-day mode: share of amends and cancels of the previous day's trades (default 0.3). */
  readonly lateCorrectionRate?: number;
}

export interface SimulatedTrade {
  readonly event: TradeEventV1;
  /** The rule the event is built to break; undefined for a trade meant to pass. */
  readonly intendedFault: ValidationCode | undefined;
}

/**
 * Good trades keep positions within this share of the account's position limit and notionals within this share of
 * its notional limit: the validator's one-position-per-key snapshot excludes a batch's amended trades (see
 * PgReferenceDataStore.positions), so the position it sees may differ from the true one by a trade or two.
 */
export const LIMIT_HEADROOM = new Dec('0.8');

/** Events per simulated trading day: the stream walks the calendar forward, one day per this many events. */
export const EVENTS_PER_DAY = 100;
/** Single-day mode: events the sessions are spread over unless `eventsOnDate` says otherwise. */
export const DEFAULT_EVENTS_ON_DATE = 10_000;

/**
 * The last date on which some active instrument closed in the reference data: the latest day the simulator can
 * fill in single-day mode. Undefined when there are no such closes.
 */
export function lastTradingDay(data: SimulatorData): string | undefined {
  return new Market(data).tradingDays.at(-1);
}

class Simulator {
  private readonly random: () => number;
  private readonly market: Market;
  private readonly book = new Book();
  private readonly prefix: string;
  private readonly nextFault: () => number;
  private faultAt: number;
  private lastGood: TradeEventV1 | undefined;
  private n = 0;
  private readonly faults: FaultBuilder;
  /**
   * Single-day and multi-day mode: the dates in turn and how many events each day's sessions are cut into;
   * undefined when the stream walks the calendar.
   */
  private readonly schedule: Schedule | undefined;
  /** Active accounts and counterparties, listed on first use: filtering 2,000 accounts per trade cost a fifth of a run. */
  private active: { accounts: SimulatorAccount[]; counterparties: SimulatorData['counterparties'] } | undefined;
  /** Multi-day mode: the positions held at the start of the current day, and that day. */
  private carried: { readonly day: string; readonly positions: readonly CarriedPosition[] } | undefined;

  constructor(
    data: SimulatorData,
    private readonly options: SimulatorOptions,
  ) {
    this.random = seededRandom(options.seed);
    this.market = new Market(data);
    if (this.market.tradingDays.length === 0) throw new Error('the reference data has no closes to trade around');
    this.schedule = scheduleOf(this.market, options);
    this.prefix = `SIM${options.seed}`;
    this.nextFault = faultSchedule(options.seed, options.errorRate);
    this.faultAt = this.nextFault();
    this.faults = new FaultBuilder({
      market: this.market,
      book: this.book,
      singleDay: this.schedule?.mode === 'single',
      today: () => this.today(),
      time: (mic, date) => this.time(mic, date),
      lastGood: () => this.lastGood,
      owner: (account) => this.owner(account),
    });
  }

  /** Which of the schedule's days event n falls on (0-based). */
  private dayIndex(): number {
    return Math.floor((this.n - 1) / (this.schedule?.events ?? EVENTS_PER_DAY));
  }

  /**
   * Today's date: trades arrive in trade-date order, a day per {@link EVENTS_PER_DAY} events (or the schedule's
   * events per day). Walking the calendar, at the end of the data the walk turns back rather than jumping to the
   * first day, so that neighbouring events stay on neighbouring days (the validator's per-batch reference price
   * relies on it).
   */
  private today(): string {
    if (this.schedule !== undefined) {
      const day = this.schedule.dates[Math.min(this.dayIndex(), this.schedule.dates.length - 1)];
      if (day === undefined) throw new Error('trading day out of range');
      return day;
    }
    const days = this.market.tradingDays;
    const step = this.dayIndex();
    const period = Math.max(1, 2 * days.length - 2);
    const phase = step % period;
    const day = days[phase < days.length ? phase : period - phase];
    if (day === undefined) throw new Error('trading day out of range');
    return day;
  }

  /** Multi-day mode: the day before today in the schedule, if today is not its first. */
  private previousDay(): string | undefined {
    return this.schedule?.mode === 'multi' ? this.schedule.dates[this.dayIndex() - 1] : undefined;
  }

  /** Later in the session as the day's events go by. */
  private time(mic: string, date: string): string {
    const perDay = this.schedule?.events ?? EVENTS_PER_DAY;
    const slot = ((this.n - 1) % perDay) + this.random();
    return sessionTime(mic, date, slot / perDay);
  }

  next(): SimulatedTrade {
    this.n += 1;
    const schedule = this.schedule;
    if (schedule !== undefined && this.n > schedule.events * schedule.dates.length) {
      // Another lap would go back to the opening bell: times would no longer follow the order of the events.
      throw new RangeError(
        schedule.mode === 'single'
          ? `single-day mode spreads ${schedule.events} events over ${schedule.dates[0] ?? ''}'s sessions ` +
              `(eventsOnDate); event ${this.n} does not fit`
          : `multi-day mode has ${schedule.events} events on each of ${schedule.dates.length} days ` +
              `(eventsPerDay); event ${this.n} does not fit`,
      );
    }
    if (schedule?.mode === 'multi' && this.carried?.day !== this.today()) {
      this.carried = {
        day: this.today(),
        positions: [...this.book.positions]
          .filter(([, quantity]) => !quantity.isZero())
          .map(([key, quantity]) => {
            const [account = '', isin = ''] = key.split('|');
            return { account, isin, quantity };
          }),
      };
    }
    if (this.n === this.faultAt) {
      this.faultAt = this.nextFault();
      const good = this.goodTrade();
      for (let attempt = 0; attempt < 20; attempt++) {
        const fault = pick(this.random, FAULTS);
        const event = this.faults.build(fault, good);
        if (event !== undefined) return { event, intendedFault: fault };
      }
      return { event: { ...good, quantity: '0' }, intendedFault: ValidationCode.QUANTITY_NOT_POSITIVE };
    }
    const roll = this.random();
    const amendRate = this.options.amendRate ?? 0.08;
    const cancelRate = this.options.cancelRate ?? 0.04;
    if (roll < cancelRate + amendRate) {
      const earlier = this.earlier();
      if (earlier !== undefined) {
        return { event: roll < cancelRate ? this.cancel(earlier) : this.amend(earlier), intendedFault: undefined };
      }
    }
    const closing =
      schedule?.mode === 'multi' && this.random() < (this.options.closeRate ?? DEFAULT_CLOSE_RATE)
        ? this.closingTrade()
        : undefined;
    const event = closing ?? this.goodTrade();
    this.book.move(event, 1);
    this.book.setLive({ event, owner: this.owner(event.account) });
    this.lastGood = event;
    return { event, intendedFault: undefined };
  }

  private owner(account: string): string {
    return this.market.accounts.get(account)?.beneficialOwner ?? account;
  }

  private execId(): string {
    return `${this.prefix}-E${this.n}`;
  }

  /**
   * A live trade to correct: one of today's, as the validator checks it against the prices of its own trade date;
   * in multi-day mode a share of corrections reach back to the previous day's trades (a late amend or cancel,
   * found the morning after).
   */
  private earlier(): Execution | undefined {
    const previous = this.previousDay();
    if (previous !== undefined && this.random() < (this.options.lateCorrectionRate ?? DEFAULT_LATE_CORRECTION_RATE)) {
      const late = this.book.liveOn(previous);
      if (late.length > 0) return pick(this.random, late);
    }
    const today = this.today();
    const candidates = this.book.liveOn(today);
    return candidates.length === 0 ? undefined : pick(this.random, candidates);
  }

  private cancel({ event: earlier }: Execution): TradeEventV1 {
    this.book.move(earlier, -1);
    this.book.removeLive(earlier.tradeId);
    return { ...earlier, execId: this.execId(), version: earlier.version + 1, lifecycle: 'CANCEL' };
  }

  /**
   * A quantity correction when it keeps inside the limits, else a commission correction when that does, else a
   * cancel. The commission correction is checked too: cancels are never limit-checked, so since the trade was
   * booked its position may have been carried past the headroom, and the validator checks an amend's position
   * again.
   */
  private amend(execution: Execution): TradeEventV1 {
    const { event: earlier, owner } = execution;
    const base: TradeEventV1 = { ...earlier, execId: this.execId(), version: earlier.version + 1, lifecycle: 'AMEND' };
    const candidates: TradeEventV1[] = [];
    const instrument = this.market.instruments.get(earlier.isin);
    const account = this.market.accounts.get(earlier.account);
    if (instrument !== undefined) {
      const step = instrument.lotSize.times(10).times(this.random() < 0.5 ? -1 : 1);
      const corrected = new Dec(earlier.quantity).plus(step);
      if (corrected.greaterThan(0)) {
        candidates.push({
          ...base,
          quantity: corrected.toFixed(),
          commission: commissionOf(new Dec(earlier.price), corrected),
        });
      }
    }
    candidates.push({ ...base, commission: new Dec(earlier.commission).plus('0.50').toFixed(2) });
    this.book.move(earlier, -1);
    const event = candidates.find(
      (candidate) =>
        account !== undefined &&
        this.withinLimits(candidate, account) &&
        !this.book.washes(candidate, owner, this.windowSeconds()),
    );
    if (event === undefined) {
      this.book.move(earlier, 1);
      return this.cancel(execution);
    }
    this.book.move(event, 1);
    this.book.setLive({ event, owner });
    return event;
  }

  private windowSeconds(): number {
    return this.market.data.washTradeWindowSeconds;
  }

  /** Notional and resulting position inside the account's limits with {@link LIMIT_HEADROOM}. */
  private withinLimits(event: TradeEventV1, account: SimulatorAccount): boolean {
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
      execId: this.execId(),
      tradeId: `${this.prefix}-T${this.n}`,
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
      tradeTime: this.time(instrument.mic, trade.date),
      commission: commissionOf(price, quantity),
      fees: '0.00',
      source: 'simulator',
    };
  }

  /** A trade of today meant to pass validation (see the module's TSDoc); retries its choices until they fit. */
  private goodTrade(): TradeEventV1 {
    const today = this.today();
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
  private closingTrade(): TradeEventV1 | undefined {
    const today = this.today();
    const candidates = (this.carried?.positions ?? []).filter(
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

/** The dates of single-day or multi-day mode and the events of each, or undefined to walk the calendar. */
interface Schedule {
  readonly mode: 'single' | 'multi';
  readonly dates: readonly string[];
  readonly events: number;
}

/** A position held at the start of a day of multi-day mode. */
interface CarriedPosition {
  readonly account: string;
  readonly isin: string;
  readonly quantity: Dec;
}

/** Multi-day mode: shares of good trades that trade against a carried position, and of late corrections. */
export const DEFAULT_CLOSE_RATE = 0.25;
export const DEFAULT_LATE_CORRECTION_RATE = 0.3;

function scheduleOf(market: Market, options: SimulatorOptions): Schedule | undefined {
  if (options.date !== undefined && options.days !== undefined) {
    throw new RangeError('date (single-day mode) and days (multi-day mode) exclude each other');
  }
  if (options.date !== undefined) {
    const day = singleDay(market, options.date, options.eventsOnDate);
    return { mode: 'single', dates: [day.date], events: day.events };
  }
  if (options.days === undefined) return undefined;
  const events = options.eventsPerDay ?? EVENTS_PER_DAY;
  if (options.days.length === 0) throw new RangeError('days must name at least one trade date');
  options.days.forEach((date, index) => {
    singleDay(market, date, events);
    const before = options.days?.[index - 1];
    if (before !== undefined && before >= date) throw new RangeError(`days must ascend: ${before} then ${date}`);
  });
  return { mode: 'multi', dates: options.days, events };
}

/** Checks a single-day mode request against the reference data (a date something closed on) and the slot count. */
function singleDay(
  market: Market,
  date: string,
  events: number = DEFAULT_EVENTS_ON_DATE,
): { date: string; events: number } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`date must be YYYY-MM-DD, not "${date}"`);
  if (!Number.isInteger(events) || events < 1) throw new RangeError('eventsOnDate must be a positive integer');
  if (market.closesOn(date).length === 0) {
    const days = market.tradingDays;
    throw new RangeError(
      `no active instrument closed on ${date} in the reference data, so no trade can be dated then ` +
        `(closes run from ${days[0] ?? '-'} to ${days.at(-1) ?? '-'}, venue business days only)`,
    );
  }
  return { date, events };
}

/**
 * A deterministic stream of simulated trades (see the module's TSDoc): endless, except in single-day mode, where
 * asking for more than `eventsOnDate` events throws. Options that cannot work (a date nothing closed on) throw
 * here, before the first trade is asked for.
 */
export function simulateTrades(data: SimulatorData, options: SimulatorOptions): Generator<SimulatedTrade, never> {
  const simulator = new Simulator(data, options);
  return (function* () {
    for (;;) yield simulator.next();
  })();
}
