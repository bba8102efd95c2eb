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
 */
import { addCalendarDays, dayOfWeek } from '../domain/calendar';
import { Dec, Rounding } from '../domain/money';
import { ValidationCode } from '../domain/validation/codes';
import type { TradeEventV1 } from '../kafka/schemas/trade-event';

export interface SimulatorInstrument {
  readonly isin: string;
  readonly mic: string;
  readonly currency: string;
  readonly lotSize: Dec;
  readonly priceDecimals: number;
  readonly active: boolean;
}

export interface SimulatorAccount {
  readonly id: string;
  readonly baseCurrency: string;
  readonly notionalLimit: Dec;
  readonly positionLimit: Dec;
  readonly beneficialOwner: string;
  readonly active: boolean;
}

export interface SimulatorData {
  readonly instruments: readonly SimulatorInstrument[];
  readonly accounts: readonly SimulatorAccount[];
  readonly counterparties: readonly { readonly lei: string; readonly active: boolean }[];
  /** Standing settlement instructions; `counterpartyLei` undefined for an account-wide SSI. */
  readonly ssis: readonly {
    readonly account: string;
    readonly counterpartyLei: string | undefined;
    readonly market: string;
    readonly currency: string;
    readonly active: boolean;
  }[];
  /** Daily closes: the dates an instrument traded, hence business days of its venue. */
  readonly closes: readonly { readonly isin: string; readonly date: string; readonly price: Dec }[];
  /** Market-convention rates: 1 `base` = `rate` `quote`. */
  readonly fxRates: readonly {
    readonly base: string;
    readonly quote: string;
    readonly date: string;
    readonly rate: Dec;
  }[];
  readonly restrictions: readonly { readonly isin: string; readonly from: string; readonly to: string | undefined }[];
  readonly holidays: readonly { readonly mic: string; readonly date: string }[];
  readonly priceToleranceBps: Dec;
  readonly washTradeWindowSeconds: number;
}

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
/** Good prices stay within this share of the tolerance band around the previous close. */
const BAND_USE = new Dec('0.8');
/** Trading sessions in UTC during British/European summer time, April to June (minutes after midnight). */
const SESSIONS_UTC: Readonly<Record<string, { open: number; close: number }>> = {
  XNYS: { open: 13 * 60 + 30, close: 20 * 60 },
  XLON: { open: 7 * 60, close: 15 * 60 + 30 },
  XETR: { open: 7 * 60, close: 15 * 60 + 30 },
};
const DEFAULT_SESSION = { open: 8 * 60, close: 16 * 60 };

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('cannot pick from an empty list');
  return item;
}

/**
 * Positions (1-based) of faulty events: the k-th inside window k of 1/errorRate events, at a seeded offset.
 * Its own random stream, so that the error rate does not change which good trades are generated around them.
 * (Also the schedule of undecodable records, lib/simulator/undecodable.ts, on another seed.)
 */
export function faultSchedule(seed: number, errorRate: number): () => number {
  const random = seededRandom(seed ^ 0x5eed_f417);
  const rate = new Dec(String(errorRate));
  let k = 0;
  let previous = 0;
  return () => {
    if (rate.isZero()) return Infinity;
    k += 1;
    const position = new Dec(k - 1).plus(random()).div(rate).floor().toNumber() + 1;
    previous = Math.max(position, previous + 1);
    return previous;
  };
}

interface Execution {
  readonly event: TradeEventV1;
  readonly owner: string;
}

/** What the simulator has produced and expects to be live: positions, executions, the listing of each ISIN. */
class Book {
  readonly positions = new Map<string, Dec>();
  /** Live good trades by tradeId, at their latest version. */
  readonly live = new Map<string, Execution>();

  position(account: string, isin: string): Dec {
    return this.positions.get(`${account}|${isin}`) ?? new Dec(0);
  }

  move(event: TradeEventV1, sign: 1 | -1): void {
    const key = `${event.account}|${event.isin}`;
    const signed = new Dec(event.quantity).times(event.side === 'BUY' ? sign : -sign);
    this.positions.set(key, this.position(event.account, event.isin).plus(signed));
  }

  /** Whether `event` would be the mirror of a live execution of the same owner (see the washTrade rule). */
  washes(event: TradeEventV1, owner: string, windowSeconds: number): boolean {
    const at = Date.parse(event.tradeTime);
    for (const { event: other, owner: otherOwner } of this.live.values()) {
      if (
        otherOwner === owner &&
        other.isin === event.isin &&
        other.side !== event.side &&
        other.tradeId !== event.tradeId &&
        new Dec(other.price).equals(event.price) &&
        new Dec(other.quantity).equals(event.quantity) &&
        Math.abs(Date.parse(other.tradeTime) - at) <= windowSeconds * 1000
      ) {
        return true;
      }
    }
    return false;
  }
}

/** Indexes over the reference data the generator asks again and again. */
class Market {
  readonly instruments = new Map<string, SimulatorInstrument>();
  readonly accounts = new Map<string, SimulatorAccount>();
  /** Closes of active, listed instruments, in file order (the pool good trades are drawn from). */
  readonly closes: SimulatorData['closes'];
  private readonly previousClose = new Map<string, Dec>();
  /** Every date some venue traded, ascending: the simulated calendar. */
  readonly tradingDays: readonly string[];
  private readonly closesByDate = new Map<string, { isin: string; date: string; price: Dec }[]>();

  constructor(readonly data: SimulatorData) {
    for (const instrument of data.instruments) this.instruments.set(instrument.isin, instrument);
    for (const account of data.accounts) this.accounts.set(account.id, account);
    this.closes = data.closes.filter((close) => this.instruments.get(close.isin)?.active === true);
    const byIsin = new Map<string, { date: string; price: Dec }[]>();
    for (const close of data.closes) byIsin.set(close.isin, [...(byIsin.get(close.isin) ?? []), close]);
    for (const close of this.closes)
      this.closesByDate.set(close.date, [...(this.closesByDate.get(close.date) ?? []), close]);
    this.tradingDays = [...this.closesByDate.keys()].sort();
    for (const [isin, list] of byIsin) {
      const sorted = [...list].sort((a, b) => a.date.localeCompare(b.date));
      sorted.forEach((close, index) => {
        const before = sorted[index - 1];
        if (before !== undefined) this.previousClose.set(`${isin}|${close.date}`, before.price);
      });
    }
  }

  /** Closes of active instruments on `date`: what can trade that day. */
  closesOn(date: string): readonly { isin: string; date: string; price: Dec }[] {
    return this.closesByDate.get(date) ?? [];
  }

  close(isin: string, date: string): Dec | undefined {
    return this.data.closes.find((close) => close.isin === isin && close.date === date)?.price;
  }

  /** The validator's reference price: the previous close (none on the first date of the data). */
  reference(isin: string, date: string): Dec | undefined {
    return this.previousClose.get(`${isin}|${date}`);
  }

  /** The instrument's closes with a previous close (so that the tolerance band applies), by date. */
  closesWithReference(isin: string): { date: string; price: Dec }[] {
    return this.data.closes
      .filter((close) => close.isin === isin && this.reference(isin, close.date) !== undefined)
      .sort((a, b) => a.date.localeCompare(b.date));
  }

  restricted(isin: string, date: string): boolean {
    return this.data.restrictions.some(
      (r) => r.isin === isin && r.from <= date && (r.to === undefined || date <= r.to),
    );
  }

  /** An account may settle the trade: an active SSI for its market and currency, account-wide or for the LEI. */
  settles(account: string, lei: string, market: string, currency: string): boolean {
    return this.data.ssis.some(
      (ssi) =>
        ssi.active &&
        ssi.account === account &&
        ssi.market === market &&
        ssi.currency === currency &&
        (ssi.counterpartyLei === undefined || ssi.counterpartyLei === lei),
    );
  }

  /** Units of `to` per unit of `from` on `date` (latest rate on or before it), or undefined. */
  fx(from: string, to: string, date: string): Dec | undefined {
    if (from === to) return new Dec(1);
    let best: { date: string; rate: Dec } | undefined;
    for (const rate of this.data.fxRates) {
      if (rate.date > date || (best !== undefined && rate.date <= best.date)) continue;
      if (rate.base === from && rate.quote === to) best = { date: rate.date, rate: rate.rate };
      else if (rate.base === to && rate.quote === from) best = { date: rate.date, rate: new Dec(1).div(rate.rate) };
    }
    return best?.rate;
  }
}

/**
 * The highest price a good trade may have and the lowest: inside BAND_USE of the tolerance band around the
 * previous close (what validation compares with) and around the day's close, so that a good trade stays
 * plausible against either reference. Undefined when the two bands do not overlap (a day that moved by more
 * than the band).
 */
function goodPriceRange(previous: Dec | undefined, close: Dec, toleranceBps: Dec): { low: Dec; high: Dec } | undefined {
  const band = (reference: Dec) => {
    const halfWidth = reference.times(toleranceBps).times(BAND_USE).div(10_000);
    return { low: reference.minus(halfWidth), high: reference.plus(halfWidth) };
  };
  const today = band(close);
  if (previous === undefined) return today;
  const before = band(previous);
  const range = { low: Dec.max(today.low, before.low), high: Dec.min(today.high, before.high) };
  return range.low.lessThan(range.high) ? range : undefined;
}

/** A time inside the venue's session on `date`, `fraction` (0..1) of the way through it. */
function sessionTime(mic: string, date: string, fraction: number): string {
  const session = SESSIONS_UTC[mic] ?? DEFAULT_SESSION;
  const ms = Math.floor(fraction * (session.close - session.open) * 60_000);
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + session.open * 60_000 + ms).toISOString();
}

/** Commission of 5 bps of the notional, at the currency's cent. */
function commissionOf(price: Dec, quantity: Dec): string {
  return price.times(quantity).times('0.0005').toDecimalPlaces(2, Rounding.HALF_EVEN).toFixed(2);
}

/** The faults the simulator builds, each a rule of lib/domain/validation it is meant to break. */
const FAULTS = [
  ValidationCode.PRICE_TOLERANCE,
  ValidationCode.QUANTITY_NOT_POSITIVE,
  ValidationCode.LOT_SIZE,
  ValidationCode.PRICE_DECIMALS,
  ValidationCode.COUNTERPARTY_INACTIVE,
  ValidationCode.ACCOUNT_INACTIVE,
  ValidationCode.INSTRUMENT_INACTIVE,
  ValidationCode.SSI_MISSING,
  ValidationCode.SSI_INACTIVE,
  ValidationCode.CURRENCY_MISMATCH,
  ValidationCode.RESTRICTED_INSTRUMENT,
  ValidationCode.NOTIONAL_LIMIT,
  ValidationCode.POSITION_LIMIT,
  ValidationCode.TRADE_DATE_NOT_BUSINESS_DAY,
  ValidationCode.SETTLEMENT_BEFORE_TRADE,
  ValidationCode.CHARGES_NEGATIVE,
  ValidationCode.AMOUNT_DECIMALS,
  ValidationCode.DUPLICATE_EXEC_ID,
  ValidationCode.WASH_TRADE,
] as const;
type Fault = (typeof FAULTS)[number];

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
  /** Single-day mode: the date and the number of slots its sessions are cut into. */
  private readonly day: { readonly date: string; readonly events: number } | undefined;

  constructor(
    data: SimulatorData,
    private readonly options: SimulatorOptions,
  ) {
    this.random = seededRandom(options.seed);
    this.market = new Market(data);
    if (this.market.tradingDays.length === 0) throw new Error('the reference data has no closes to trade around');
    this.day = options.date === undefined ? undefined : singleDay(this.market, options.date, options.eventsOnDate);
    this.prefix = `SIM${options.seed}`;
    this.nextFault = faultSchedule(options.seed, options.errorRate);
    this.faultAt = this.nextFault();
  }

  /**
   * Today's date: trades arrive in trade-date order, a day per {@link EVENTS_PER_DAY} events. At the end of the
   * data the walk turns back rather than jumping to the first day, so that neighbouring events stay on
   * neighbouring days (the validator's per-batch reference price relies on it).
   */
  private today(): string {
    if (this.day !== undefined) return this.day.date;
    const days = this.market.tradingDays;
    const step = Math.floor((this.n - 1) / EVENTS_PER_DAY);
    const period = Math.max(1, 2 * days.length - 2);
    const phase = step % period;
    const day = days[phase < days.length ? phase : period - phase];
    if (day === undefined) throw new Error('trading day out of range');
    return day;
  }

  /** Later in the session as the day's events go by. */
  private time(mic: string, date: string): string {
    const perDay = this.day?.events ?? EVENTS_PER_DAY;
    const slot = ((this.n - 1) % perDay) + this.random();
    return sessionTime(mic, date, slot / perDay);
  }

  next(): SimulatedTrade {
    this.n += 1;
    if (this.day !== undefined && this.n > this.day.events) {
      // Another lap would go back to the opening bell: times would no longer follow the order of the events.
      throw new RangeError(
        `single-day mode spreads ${this.day.events} events over ${this.day.date}'s sessions (eventsOnDate); ` +
          `event ${this.n} does not fit`,
      );
    }
    if (this.n === this.faultAt) {
      this.faultAt = this.nextFault();
      const good = this.goodTrade();
      for (let attempt = 0; attempt < 20; attempt++) {
        const fault = pick(this.random, FAULTS);
        const event = this.faulty(fault, good);
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
    const event = this.goodTrade();
    this.book.move(event, 1);
    this.book.live.set(event.tradeId, { event, owner: this.owner(event.account) });
    this.lastGood = event;
    return { event, intendedFault: undefined };
  }

  private owner(account: string): string {
    return this.market.accounts.get(account)?.beneficialOwner ?? account;
  }

  private execId(): string {
    return `${this.prefix}-E${this.n}`;
  }

  /** A live trade of today: corrections come the same day, as the validator checks them against today's prices. */
  private earlier(): Execution | undefined {
    const today = this.today();
    const candidates = [...this.book.live.values()].filter((execution) => execution.event.tradeDate === today);
    return candidates.length === 0 ? undefined : pick(this.random, candidates);
  }

  private cancel({ event: earlier }: Execution): TradeEventV1 {
    this.book.move(earlier, -1);
    this.book.live.delete(earlier.tradeId);
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
    this.book.live.set(event.tradeId, { event, owner });
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

  /** A trade of today meant to pass validation (see the module's TSDoc); retries its choices until they fit. */
  private goodTrade(): TradeEventV1 {
    const today = this.today();
    const closes = this.market.closesOn(today);
    const accounts = this.market.data.accounts.filter((account) => account.active);
    const counterparties = this.market.data.counterparties.filter((cp) => cp.active);
    for (let attempt = 0; attempt < 1000; attempt++) {
      const close = pick(this.random, closes);
      const instrument = this.market.instruments.get(close.isin);
      const account = pick(this.random, accounts);
      const lei = pick(this.random, counterparties).lei;
      if (instrument === undefined || this.market.restricted(close.isin, close.date)) continue;
      if (!this.market.settles(account.id, lei, instrument.mic, instrument.currency)) continue;
      const previous = this.market.reference(close.isin, close.date);
      const range = goodPriceRange(previous, close.price, this.market.data.priceToleranceBps);
      if (range === undefined) continue;
      // Somewhere on the day's path from the previous close to the close, with a little noise, inside the band.
      const path =
        previous === undefined ? close.price : previous.plus(close.price.minus(previous).times(this.random()));
      const noisy = path.times(new Dec(Math.round((this.random() * 2 - 1) * 30)).div(10_000).plus(1));
      const price = Dec.min(Dec.max(noisy, range.low), range.high).toDecimalPlaces(
        instrument.priceDecimals,
        Rounding.HALF_EVEN,
      );
      if (price.lessThan(range.low) || price.greaterThan(range.high)) continue;
      const quantity = instrument.lotSize.times(10 * (1 + Math.floor(this.random() * 20)));
      const event: TradeEventV1 = {
        schemaVersion: 1,
        execId: this.execId(),
        tradeId: `${this.prefix}-T${this.n}`,
        version: 1,
        lifecycle: 'NEW',
        account: account.id,
        counterpartyLei: lei,
        isin: instrument.isin,
        mic: instrument.mic,
        side: this.random() < 0.5 ? 'BUY' : 'SELL',
        quantity: quantity.toFixed(),
        price: price.toFixed(instrument.priceDecimals),
        currency: instrument.currency,
        tradeDate: close.date,
        tradeTime: this.time(instrument.mic, close.date),
        commission: commissionOf(price, quantity),
        fees: '0.00',
        source: 'simulator',
      };
      const flipped: TradeEventV1 = { ...event, side: event.side === 'BUY' ? 'SELL' : 'BUY' };
      for (const candidate of [event, flipped]) {
        if (
          this.withinLimits(candidate, account) &&
          !this.book.washes(candidate, account.beneficialOwner, this.windowSeconds())
        ) {
          return candidate;
        }
      }
    }
    throw new Error('the reference data leaves no trade that would pass validation');
  }

  /** Another instrument of today, at its close: for faults that need a particular listing. */
  private listing(
    test: (instrument: SimulatorInstrument) => boolean,
    activeOnly = true,
  ): SimulatorInstrument | undefined {
    return this.market.data.instruments.find(
      (instrument) =>
        (!activeOnly || instrument.active) &&
        test(instrument) &&
        this.market.close(instrument.isin, this.today()) !== undefined,
    );
  }

  /** `good` on another listing of today, at that listing's close and ten lots. */
  private relisted(good: TradeEventV1, instrument: SimulatorInstrument): TradeEventV1 {
    const price = this.market.close(instrument.isin, good.tradeDate) ?? new Dec(good.price);
    const quantity = instrument.lotSize.times(10);
    return {
      ...good,
      isin: instrument.isin,
      mic: instrument.mic,
      currency: instrument.currency,
      price: price.toFixed(instrument.priceDecimals),
      quantity: quantity.toFixed(),
      commission: commissionOf(price, quantity),
      tradeTime: this.time(instrument.mic, good.tradeDate),
    };
  }

  /**
   * `good` changed to break `fault`, on today's date so that it cannot disturb the reference prices of the good
   * trades around it; undefined when today's data cannot build that fault (another one is drawn). Never booked.
   */
  private faulty(fault: Fault, good: TradeEventV1): TradeEventV1 | undefined {
    const { data } = this.market;
    const price = new Dec(good.price);
    const quantity = new Dec(good.quantity);
    const decimals = this.market.instruments.get(good.isin)?.priceDecimals ?? 2;
    const account = this.market.accounts.get(good.account);
    switch (fault) {
      case ValidationCode.PRICE_TOLERANCE: {
        // Twice the band away from the reference, the previous close: a fat finger.
        const reference = this.market.reference(good.isin, good.tradeDate);
        if (reference === undefined) return undefined;
        const away = reference.times(data.priceToleranceBps.times(2).div(10_000).plus(1));
        return { ...good, price: away.toDecimalPlaces(decimals, Rounding.HALF_EVEN).toFixed(decimals) };
      }
      case ValidationCode.QUANTITY_NOT_POSITIVE:
        return { ...good, quantity: '0', commission: '0.00' };
      case ValidationCode.LOT_SIZE:
        return { ...good, quantity: quantity.plus('0.5').toFixed() };
      case ValidationCode.PRICE_DECIMALS:
        return { ...good, price: `${price.toFixed(decimals)}7` };
      case ValidationCode.COUNTERPARTY_INACTIVE: {
        const inactive = data.counterparties.find((cp) => !cp.active);
        return inactive && { ...good, counterpartyLei: inactive.lei };
      }
      case ValidationCode.ACCOUNT_INACTIVE: {
        const inactive = data.accounts.find((candidate) => !candidate.active);
        return inactive && { ...good, account: inactive.id };
      }
      case ValidationCode.INSTRUMENT_INACTIVE: {
        const inactive = this.listing((instrument) => !instrument.active, false);
        return inactive && this.relisted(good, inactive);
      }
      case ValidationCode.SSI_MISSING:
      case ValidationCode.SSI_INACTIVE: {
        // An account and listing whose SSIs are all missing (or all inactive) in the reference data.
        for (const candidate of data.accounts.filter((a) => a.active)) {
          const instrument = this.listing((listing) => {
            const ssis = data.ssis.filter(
              (ssi) => ssi.account === candidate.id && ssi.market === listing.mic && ssi.currency === listing.currency,
            );
            return fault === ValidationCode.SSI_MISSING
              ? ssis.length === 0
              : ssis.length > 0 && ssis.every((ssi) => !ssi.active);
          });
          if (instrument !== undefined) return { ...this.relisted(good, instrument), account: candidate.id };
        }
        return undefined;
      }
      case ValidationCode.CURRENCY_MISMATCH:
        return { ...good, currency: good.currency === 'USD' ? 'EUR' : 'USD' };
      case ValidationCode.RESTRICTED_INSTRUMENT: {
        const restricted = this.listing((instrument) => this.market.restricted(instrument.isin, good.tradeDate));
        return restricted && this.relisted(good, restricted);
      }
      case ValidationCode.NOTIONAL_LIMIT: {
        const fx = account && this.market.fx(good.currency, account.baseCurrency, good.tradeDate);
        if (account === undefined || fx === undefined) return undefined;
        const over = account.notionalLimit.div(price.times(fx)).times('1.5').ceil();
        return { ...good, quantity: over.toFixed(), commission: commissionOf(price, over) };
      }
      case ValidationCode.POSITION_LIMIT: {
        // Twice the limit breaches it from any position the simulator keeps (within the limit).
        if (account === undefined) return undefined;
        const over = account.positionLimit.times(2).plus(1);
        return { ...good, side: 'BUY', quantity: over.toFixed(), commission: commissionOf(price, over) };
      }
      case ValidationCode.TRADE_DATE_NOT_BUSINESS_DAY: {
        // Every event of a single day is dated that day, a business day: this fault has no place there.
        if (this.day !== undefined) return undefined;
        // A venue holiday (or else a Saturday) no later than today: the latest reference date stays today's.
        const today = good.tradeDate;
        const holiday = data.holidays
          .filter((h) => h.mic === good.mic && h.date <= today && h.date >= '2024-04-01' && dayOfWeek(h.date) % 6 !== 0)
          .sort((a, b) => b.date.localeCompare(a.date))[0];
        const saturday = addCalendarDays(today, -((dayOfWeek(today) + 1) % 7 || 7));
        const date = holiday?.date ?? (saturday >= '2024-04-01' ? saturday : undefined);
        return date === undefined
          ? undefined
          : { ...good, tradeDate: date, tradeTime: sessionTime(good.mic, date, 0.5) };
      }
      case ValidationCode.SETTLEMENT_BEFORE_TRADE:
        return { ...good, settlementDate: addCalendarDays(good.tradeDate, -1) };
      case ValidationCode.CHARGES_NEGATIVE:
        return { ...good, commission: `-${good.commission}` };
      case ValidationCode.AMOUNT_DECIMALS:
        return { ...good, fees: '0.125' };
      case ValidationCode.DUPLICATE_EXEC_ID:
        return this.lastGood && { ...good, execId: this.lastGood.execId };
      case ValidationCode.WASH_TRADE:
        return this.mirror(good);
    }
  }

  /** The last good trade's mirror: its owner (through another account when it has one) on the other side. */
  private mirror(good: TradeEventV1): TradeEventV1 | undefined {
    const last = this.lastGood === undefined ? undefined : this.book.live.get(this.lastGood.tradeId)?.event;
    if (last === undefined) return undefined;
    const owner = this.owner(last.account);
    const sibling = this.market.data.accounts.find(
      (account) =>
        account.active &&
        account.beneficialOwner === owner &&
        account.id !== last.account &&
        this.market.settles(account.id, last.counterpartyLei, last.mic, last.currency),
    );
    return {
      ...last,
      execId: good.execId,
      tradeId: good.tradeId,
      version: 1,
      lifecycle: 'NEW',
      account: sibling?.id ?? last.account,
      side: last.side === 'BUY' ? 'SELL' : 'BUY',
      tradeTime: new Date(Date.parse(last.tradeTime) + 20_000).toISOString(),
    };
  }
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
