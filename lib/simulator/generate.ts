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
import { Dec } from '../domain/money';
import { ValidationCode } from '../domain/validation/codes';
import type { TradeEventV1 } from '../kafka/schemas/trade-event';
import { Book, type Execution } from './book';
import { Calendar } from './calendar';
import { FAULTS, FaultBuilder, faultSchedule } from './faults';
import { GoodTrades, type CarriedPosition } from './good-trades';
import { commissionOf, Market, pick, seededRandom, type SimulatorData } from './market';

export { DEFAULT_EVENTS_ON_DATE, EVENTS_PER_DAY } from './calendar';
export { faultSchedule } from './faults';
export { LIMIT_HEADROOM } from './good-trades';
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
  private readonly faults: FaultBuilder;
  /** Event n's date and time, in the mode the options ask for. */
  private readonly calendar: Calendar;
  private readonly good: GoodTrades;
  /** Multi-day mode: the positions held at the start of the current day, and that day. */
  private carried: { readonly day: string; readonly positions: readonly CarriedPosition[] } | undefined;

  constructor(
    data: SimulatorData,
    private readonly options: SimulatorOptions,
  ) {
    this.random = seededRandom(options.seed);
    this.market = new Market(data);
    if (this.market.tradingDays.length === 0) throw new Error('the reference data has no closes to trade around');
    this.calendar = new Calendar(this.market, options, this.random);
    this.prefix = `SIM${options.seed}`;
    this.good = new GoodTrades({
      random: this.random,
      market: this.market,
      book: this.book,
      calendar: this.calendar,
      prefix: this.prefix,
    });
    this.nextFault = faultSchedule(options.seed, options.errorRate);
    this.faultAt = this.nextFault();
    this.faults = new FaultBuilder({
      market: this.market,
      book: this.book,
      singleDay: this.calendar.mode === 'single',
      today: () => this.calendar.today(),
      time: (mic, date) => this.calendar.time(mic, date),
      lastGood: () => this.lastGood,
      owner: (account) => this.owner(account),
    });
  }

  next(): SimulatedTrade {
    this.calendar.advance();
    const multiDay = this.calendar.mode === 'multi';
    if (multiDay && this.carried?.day !== this.calendar.today()) {
      this.carried = {
        day: this.calendar.today(),
        positions: [...this.book.positions]
          .filter(([, quantity]) => !quantity.isZero())
          .map(([key, quantity]) => {
            const [account = '', isin = ''] = key.split('|');
            return { account, isin, quantity };
          }),
      };
    }
    if (this.calendar.n === this.faultAt) {
      this.faultAt = this.nextFault();
      const good = this.good.goodTrade();
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
      multiDay && this.random() < (this.options.closeRate ?? DEFAULT_CLOSE_RATE)
        ? this.good.closingTrade(this.carried?.positions ?? [])
        : undefined;
    const event = closing ?? this.good.goodTrade();
    this.book.move(event, 1);
    this.book.setLive({ event, owner: this.owner(event.account) });
    this.lastGood = event;
    return { event, intendedFault: undefined };
  }

  private owner(account: string): string {
    return this.market.accounts.get(account)?.beneficialOwner ?? account;
  }

  private execId(): string {
    return `${this.prefix}-E${this.calendar.n}`;
  }

  /**
   * A live trade to correct: one of today's, as the validator checks it against the prices of its own trade date;
   * in multi-day mode a share of corrections reach back to the previous day's trades (a late amend or cancel,
   * found the morning after).
   */
  private earlier(): Execution | undefined {
    const previous = this.calendar.previousDay();
    if (previous !== undefined && this.random() < (this.options.lateCorrectionRate ?? DEFAULT_LATE_CORRECTION_RATE)) {
      const late = this.book.liveOn(previous);
      if (late.length > 0) return pick(this.random, late);
    }
    const today = this.calendar.today();
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
        this.good.withinLimits(candidate, account) &&
        !this.book.washes(candidate, owner, this.good.windowSeconds()),
    );
    if (event === undefined) {
      this.book.move(earlier, 1);
      return this.cancel(execution);
    }
    this.book.move(event, 1);
    this.book.setLive({ event, owner });
    return event;
  }
}

/** Multi-day mode: shares of good trades that trade against a carried position, and of late corrections. */
export const DEFAULT_CLOSE_RATE = 0.25;
export const DEFAULT_LATE_CORRECTION_RATE = 0.3;

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
