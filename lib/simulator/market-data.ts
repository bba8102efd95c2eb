/**
 * End-of-day prices and FX rates for the dates the reference data has none, so that a simulated run can go on
 * past the seed's last close (2024-06-28) and the prices and rates of every day come from one place.
 *
 * Each instrument's close walks on from its last close in the data, one step per business day of its venue
 * (weekdays that are not its MIC's holidays), a seeded random return of about {@link DAILY_PRICE_VOLATILITY}, at
 * the instrument's price decimals. FX rates move on every weekday (currencies trade through exchange holidays)
 * and stay consistent: every currency walks against one anchor (USD when it is quoted), and each pair the data
 * quotes is the ratio of its two currencies' values, at 5 decimals (3 for a rate of 10 or more, as the seed's JPY
 * pairs), so that EUR/GBP is EUR/USD over GBP/USD to the last decimal shown. Deterministic for a seed: the same
 * seed gives the same path, and a longer run extends a shorter one's path without changing it. Pure: no I/O.
 *
 * Backwards too (`generatePriceHistory`): the closes before each instrument's first close in the data, the same
 * walk run in reverse from it, so that a value-at-risk window (250 scenario dates, lib/domain/risk-var.ts) has a
 * history on data that starts later.
 */
import { addCalendarDays, dayOfWeek } from '../domain/calendar';
import { Dec, Rounding } from '../domain/money';
import { seededRandom, stableHash, type SimulatorData } from './market';

/** A policy choice: a daily return of about 1.2 % (one standard deviation) for equities, 0.4 % for FX. */
export const DAILY_PRICE_VOLATILITY = 0.012;
export const DAILY_FX_VOLATILITY = 0.004;

export interface GeneratedMarketData {
  /** Closes the data lacked, by date then ISIN. */
  readonly closes: readonly { readonly isin: string; readonly date: string; readonly price: Dec }[];
  /** Rates the data lacked, by date then pair, in the data's own quoting (1 base = rate quote). */
  readonly fxRates: readonly {
    readonly base: string;
    readonly quote: string;
    readonly date: string;
    readonly rate: Dec;
  }[];
}

/**
 * A standard normal draw from four uniforms (Irwin–Hall, scaled to variance 1): plain arithmetic, so the same on
 * every platform, and bounded (±3.46), so a price never jumps past the validator's band in one day.
 */
function normal(random: () => number): number {
  return (random() + random() + random() + random() - 2) * Math.sqrt(3);
}

/** One step of a walk: `value` moved by a return of `volatility` standard deviations, exact to 8 decimals. */
function step(value: Dec, random: () => number, volatility: number): Dec {
  return value.times(new Dec((1 + volatility * normal(random)).toFixed(8)));
}

/** The smallest price step at `decimals` decimals. */
function oneTick(decimals: number): Dec {
  return decimals === 0 ? new Dec(1) : new Dec(`0.${'0'.repeat(decimals - 1)}1`);
}

const isWeekday = (date: string): boolean => dayOfWeek(date) % 6 !== 0;

/** Calendar dates after `after` up to and including `through`, ascending. */
function datesAfter(after: string, through: string): string[] {
  const dates: string[] = [];
  for (let date = addCalendarDays(after, 1); date <= through; date = addCalendarDays(date, 1)) dates.push(date);
  return dates;
}

/** The decimals an FX rate is quoted to: 5, or 3 for a rate of 10 or more (the seed's JPY pairs). */
function rateDecimals(rate: Dec): number {
  return rate.greaterThanOrEqualTo(10) ? 3 : 5;
}

function generateCloses(data: SimulatorData, seed: number, through: string): GeneratedMarketData['closes'] {
  const holidays = new Set(data.holidays.map((h) => `${h.mic}|${h.date}`));
  const last = new Map<string, { date: string; price: Dec }>();
  for (const close of data.closes) {
    const before = last.get(close.isin);
    if (before === undefined || before.date < close.date) last.set(close.isin, close);
  }
  const closes: { isin: string; date: string; price: Dec }[] = [];
  for (const instrument of data.instruments) {
    const start = last.get(instrument.isin);
    if (start === undefined) continue;
    const random = seededRandom(stableHash(`${seed}|price|${instrument.isin}`));
    let price = start.price;
    for (const date of datesAfter(start.date, through)) {
      if (!isWeekday(date) || holidays.has(`${instrument.mic}|${date}`)) continue;
      const next = step(price, random, DAILY_PRICE_VOLATILITY).toDecimalPlaces(
        instrument.priceDecimals,
        Rounding.HALF_EVEN,
      );
      // A price is positive: at worst one tick of the instrument's decimals.
      price = next.greaterThan(0) ? next : oneTick(instrument.priceDecimals);
      closes.push({ isin: instrument.isin, date, price });
    }
  }
  return closes.sort((a, b) => a.date.localeCompare(b.date) || a.isin.localeCompare(b.isin));
}

function generateFxRates(data: SimulatorData, seed: number, through: string): GeneratedMarketData['fxRates'] {
  const lastDate = data.fxRates.reduce((latest, r) => (r.date > latest ? r.date : latest), '');
  if (lastDate === '') return [];
  const pairs = data.fxRates.filter((r) => r.date === lastDate);
  const currencies = [...new Set(pairs.flatMap((p) => [p.base, p.quote]))].sort();
  const anchor = currencies.includes('USD') ? 'USD' : currencies[0];
  // Each currency's value in the anchor on the last date, from a pair quoted against the anchor.
  const value = new Map<string, Dec>([[anchor ?? '', new Dec(1)]]);
  for (const pair of pairs) {
    if (pair.quote === anchor) value.set(pair.base, pair.rate);
    else if (pair.base === anchor) value.set(pair.quote, new Dec(1).div(pair.rate));
  }
  const walks = [...value.keys()]
    .filter((currency) => currency !== anchor)
    .map((currency) => ({ currency, random: seededRandom(stableHash(`${seed}|fx|${currency}/${anchor ?? ''}`)) }));
  const rates: { base: string; quote: string; date: string; rate: Dec }[] = [];
  for (const date of datesAfter(lastDate, through)) {
    if (!isWeekday(date)) continue;
    for (const walk of walks)
      value.set(walk.currency, step(value.get(walk.currency) ?? new Dec(1), walk.random, DAILY_FX_VOLATILITY));
    for (const pair of pairs) {
      const base = value.get(pair.base);
      const quote = value.get(pair.quote);
      // A pair of a currency with no quote against the anchor cannot be kept consistent: it is not generated.
      if (base === undefined || quote === undefined) continue;
      const rate = base.div(quote).toDecimalPlaces(rateDecimals(pair.rate), Rounding.HALF_EVEN);
      rates.push({ base: pair.base, quote: pair.quote, date, rate });
    }
  }
  return rates;
}

/**
 * The closes and FX rates the data lacks up to and including `through` (see the module's note); empty when the
 * data already reaches that far.
 */
export function generateMarketData(
  data: SimulatorData,
  options: { readonly seed: number; readonly through: string },
): GeneratedMarketData {
  return {
    closes: generateCloses(data, options.seed, options.through),
    fxRates: generateFxRates(data, options.seed, options.through),
  };
}

/** The data with the generated closes and rates added: what the simulator trades on past the seed's end. */
export function withMarketData(data: SimulatorData, generated: GeneratedMarketData): SimulatorData {
  return {
    ...data,
    closes: [...data.closes, ...generated.closes],
    fxRates: [...data.fxRates, ...generated.fxRates],
  };
}

/** The minimum history a VaR window needs: 250 scenario dates and the base date before them. */
export const VAR_HISTORY_DAYS = 251;

/**
 * `days` closes of each instrument before its first close in the data, one per business day of its venue, walking
 * back from that close: the close before a day is the day's close divided by 1 + a seeded return of about
 * {@link DAILY_PRICE_VOLATILITY}, at the instrument's price decimals. Deterministic for a seed (a longer history
 * extends a shorter one back without changing it); instruments with no close in the data get none. By date then ISIN.
 */
export function generatePriceHistory(
  data: SimulatorData,
  options: { readonly seed: number; readonly days: number },
): GeneratedMarketData['closes'] {
  const holidays = new Set(data.holidays.map((h) => `${h.mic}|${h.date}`));
  const first = new Map<string, { date: string; price: Dec }>();
  for (const close of data.closes) {
    const after = first.get(close.isin);
    if (after === undefined || close.date < after.date) first.set(close.isin, close);
  }
  const closes: { isin: string; date: string; price: Dec }[] = [];
  for (const instrument of data.instruments) {
    const start = first.get(instrument.isin);
    if (start === undefined) continue;
    const random = seededRandom(stableHash(`${options.seed}|history|${instrument.isin}`));
    let price = start.price;
    let date = start.date;
    for (let made = 0; made < options.days;) {
      date = addCalendarDays(date, -1);
      if (!isWeekday(date) || holidays.has(`${instrument.mic}|${date}`)) continue;
      const back = price
        .div(new Dec((1 + DAILY_PRICE_VOLATILITY * normal(random)).toFixed(8)))
        .toDecimalPlaces(instrument.priceDecimals, Rounding.HALF_EVEN);
      price = back.greaterThan(0) ? back : oneTick(instrument.priceDecimals);
      closes.push({ isin: instrument.isin, date, price });
      made += 1;
    }
  }
  return closes.sort((a, b) => a.date.localeCompare(b.date) || a.isin.localeCompare(b.isin));
}
