/**
 * The reference data as the trade simulator reads it (the shape `posttrade refdata load` loads, see
 * lib/simulator/cli.ts), the indexes over it the generator asks again and again, and the pricing helpers a good
 * trade is built with. Pure: no I/O.
 */
import { Dec, Rounding } from '../domain/money';

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

const ONE = new Dec(1);

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

/** FNV-1a: a stable 32-bit hash, so that a seed derived from a name does not depend on the platform. */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('cannot pick from an empty list');
  return item;
}
/** Indexes over the reference data the generator asks again and again. */
export class Market {
  readonly instruments = new Map<string, SimulatorInstrument>();
  readonly accounts = new Map<string, SimulatorAccount>();
  /** Closes of active, listed instruments, in file order (the pool good trades are drawn from). */
  readonly closes: SimulatorData['closes'];
  private readonly previousClose = new Map<string, Dec>();
  private closeIndex: Map<string, Dec> | undefined;
  /** Every date some venue traded, ascending: the simulated calendar. */
  readonly tradingDays: readonly string[];
  private readonly closesByDate = new Map<string, { isin: string; date: string; price: Dec }[]>();

  constructor(readonly data: SimulatorData) {
    for (const instrument of data.instruments) this.instruments.set(instrument.isin, instrument);
    for (const account of data.accounts) this.accounts.set(account.id, account);
    this.closes = data.closes.filter((close) => this.instruments.get(close.isin)?.active === true);
    const byIsin = new Map<string, { date: string; price: Dec }[]>();
    // Appended in place: copying each list per close was quadratic in the closes of a day (500 instruments).
    for (const close of data.closes) {
      const list = byIsin.get(close.isin);
      if (list === undefined) byIsin.set(close.isin, [close]);
      else list.push(close);
    }
    for (const close of this.closes) {
      const list = this.closesByDate.get(close.date);
      if (list === undefined) this.closesByDate.set(close.date, [close]);
      else list.push(close);
    }
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

  /** The close of `isin` on `date` (the first the data lists, should it list two). */
  close(isin: string, date: string): Dec | undefined {
    if (this.closeIndex === undefined) {
      this.closeIndex = new Map();
      for (const close of this.data.closes) {
        const key = `${close.isin}|${close.date}`;
        if (!this.closeIndex.has(key)) this.closeIndex.set(key, close.price);
      }
    }
    return this.closeIndex.get(`${isin}|${date}`);
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

  /** Active SSIs' counterparties (undefined: account-wide) by account, market and currency, indexed on first use. */
  private settlementIndex: Map<string, (string | undefined)[]> | undefined;

  /**
   * An account may settle the trade: an active SSI for its market and currency, account-wide or for the LEI. Asked
   * for every attempt at a good trade: a scan of every SSI per call held the simulator to ~3,000 trades/s.
   */
  settles(account: string, lei: string, market: string, currency: string): boolean {
    if (this.settlementIndex === undefined) {
      this.settlementIndex = new Map();
      for (const ssi of this.data.ssis) {
        if (!ssi.active) continue;
        const key = `${ssi.account}|${ssi.market}|${ssi.currency}`;
        const list = this.settlementIndex.get(key);
        if (list === undefined) this.settlementIndex.set(key, [ssi.counterpartyLei]);
        else list.push(ssi.counterpartyLei);
      }
    }
    const counterparties = this.settlementIndex.get(`${account}|${market}|${currency}`);
    return counterparties !== undefined && counterparties.some((cp) => cp === undefined || cp === lei);
  }

  /** Units of `to` per unit of `from` on `date` (latest rate on or before it), or undefined. */
  fx(from: string, to: string, date: string): Dec | undefined {
    if (from === to) return ONE;
    // Asked for every attempt at a good trade, with few distinct answers: each is worked out once.
    const key = `${from}|${to}|${date}`;
    if (this.fxAnswers.has(key)) return this.fxAnswers.get(key);
    const rate = this.fxScan(from, to, date);
    this.fxAnswers.set(key, rate);
    return rate;
  }

  private readonly fxAnswers = new Map<string, Dec | undefined>();

  private fxScan(from: string, to: string, date: string): Dec | undefined {
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
export function goodPriceRange(
  previous: Dec | undefined,
  close: Dec,
  toleranceBps: Dec,
): { low: Dec; high: Dec } | undefined {
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
export function sessionTime(mic: string, date: string, fraction: number): string {
  const session = SESSIONS_UTC[mic] ?? DEFAULT_SESSION;
  const ms = Math.floor(fraction * (session.close - session.open) * 60_000);
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + session.open * 60_000 + ms).toISOString();
}

/** Commission of 5 bps of the notional, at the currency's cent. */
export function commissionOf(price: Dec, quantity: Dec): string {
  return price.times(quantity).times('0.0005').toDecimalPlaces(2, Rounding.HALF_EVEN).toFixed(2);
}
