import { dayOfWeek } from '../../../lib/domain/calendar';
import { Dec } from '../../../lib/domain/money';
import { decodeTradeEvent, type TradeEventV1 } from '../../../lib/kafka/schemas/trade-event';
import { DEFAULT_SEED_DIR, loadSimulatorData } from '../../../lib/simulator/cli';
import { LIMIT_HEADROOM, simulateTrades } from '../../../lib/simulator/generate';
import {
  DAILY_PRICE_VOLATILITY,
  VAR_HISTORY_DAYS,
  generateMarketData,
  generatePriceHistory,
  withMarketData,
} from '../../../lib/simulator/market-data';

const data = loadSimulatorData(DEFAULT_SEED_DIR);
/** Thursday, Friday, Memorial Day (only XETR trades), the first T+1 day, Wednesday. */
const DAYS = ['2024-05-23', '2024-05-24', '2024-05-27', '2024-05-28', '2024-05-29'];

function takeDays(seed: number, days: readonly string[], perDay: number, errorRate = 0) {
  const stream = simulateTrades(data, { seed, errorRate, days, eventsPerDay: perDay });
  return Array.from({ length: days.length * perDay }, () => stream.next().value);
}

/** Replays NEW, AMEND and CANCEL events into positions per account and instrument, and the live trades. */
class Replay {
  readonly positions = new Map<string, Dec>();
  readonly live = new Map<string, TradeEventV1>();

  position(account: string, isin: string): Dec {
    return this.positions.get(`${account}|${isin}`) ?? new Dec(0);
  }

  /** Applies the event; returns the position before and after it (for a new or amended version). */
  apply(event: TradeEventV1): { before: Dec; after: Dec; replaced: TradeEventV1 | undefined } {
    const replaced = this.live.get(event.tradeId);
    if (replaced !== undefined) this.move(replaced, -1);
    const before = this.position(event.account, event.isin);
    if (event.lifecycle === 'CANCEL') {
      this.live.delete(event.tradeId);
      return { before, after: before, replaced };
    }
    this.move(event, 1);
    this.live.set(event.tradeId, event);
    return { before, after: this.position(event.account, event.isin), replaced };
  }

  private move(event: TradeEventV1, sign: 1 | -1): void {
    const signed = new Dec(event.quantity).times(event.side === 'BUY' ? sign : -sign);
    this.positions.set(`${event.account}|${event.isin}`, this.position(event.account, event.isin).plus(signed));
  }
}

describe('trade simulator, multi-day mode', () => {
  it('dates each day its share of the events, in order, inside the venue sessions of the instruments that closed', () => {
    // Act
    const trades = takeDays(4, DAYS, 200);

    // Assert: 200 events a day, new trades dated their day; on Memorial Day only XETR (Frankfurt) trades
    expect(trades.every((trade) => decodeTradeEvent(trade.event).ok)).toBe(true);
    DAYS.forEach((day, index) => {
      const news = trades.slice(index * 200, index * 200 + 200).filter((t) => t.event.lifecycle === 'NEW');
      expect(news.every((t) => t.event.tradeDate === day)).toBe(true);
      const times = news.map((t) => t.event.tradeTime);
      expect(times.every((time) => time.startsWith(day))).toBe(true);
    });
    const memorialDay = trades.slice(400, 600).map((t) => t.event);
    expect(new Set(memorialDay.filter((e) => e.lifecycle === 'NEW').map((e) => e.mic))).toEqual(new Set(['XETR']));
    expect(takeDays(4, DAYS, 50)).toEqual(takeDays(4, DAYS, 50));
  });

  it('carries positions overnight and trades against them later: closed, reduced, covered when short, flipped', () => {
    // Act
    const trades = takeDays(9, DAYS, 300).map((t) => t.event);

    // Assert: replayed day by day, new trades on the other side of a position held since an earlier day
    const replay = new Replay();
    const counts = { closedOut: 0, reduced: 0, covered: 0, flipped: 0 };
    DAYS.forEach((day, index) => {
      const carried = new Map([...replay.positions].filter(([, q]) => !q.isZero()));
      for (const event of trades.slice(index * 300, index * 300 + 300)) {
        const { before, after } = replay.apply(event);
        const held = carried.get(`${event.account}|${event.isin}`);
        if (event.lifecycle !== 'NEW' || held === undefined || before.isZero()) continue;
        if (!before.times(held).greaterThan(0) || !after.minus(before).times(before).lessThan(0)) continue;
        if (before.lessThan(0)) counts.covered += 1;
        if (after.isZero()) counts.closedOut += 1;
        else if (after.times(before).greaterThan(0)) counts.reduced += 1;
        else counts.flipped += 1;
      }
      expect(index === 0 || carried.size > 0).toBe(true);
      expect(day).toBe(DAYS[index]);
    });
    expect(counts.closedOut).toBeGreaterThan(20);
    expect(counts.reduced).toBeGreaterThan(20);
    expect(counts.covered).toBeGreaterThan(20);
    expect(counts.flipped).toBeGreaterThan(5);
  });

  it("amends and cancels the previous day's trades too, never older ones, and keeps within the limits", () => {
    // Arrange: tight position limits, so that carried positions and late corrections run into them
    const tight = { ...data, accounts: data.accounts.map((a) => ({ ...a, positionLimit: new Dec(600) })) };
    const stream = simulateTrades(tight, { seed: 21, errorRate: 0, days: DAYS, eventsPerDay: 400 });

    // Act
    const trades = Array.from({ length: DAYS.length * 400 }, () => stream.next().value.event);

    // Assert
    const limits = new Map(tight.accounts.map((a) => [a.id, a.positionLimit.times(LIMIT_HEADROOM)]));
    const replay = new Replay();
    const late: TradeEventV1[] = [];
    const breaches: string[] = [];
    trades.forEach((event, n) => {
      const day = DAYS[Math.floor(n / 400)] ?? '';
      const { before, after, replaced } = replay.apply(event);
      if (event.lifecycle !== 'NEW') {
        expect({ tradeId: event.tradeId, version: replaced?.version }).toEqual({
          tradeId: event.tradeId,
          version: event.version - 1,
        });
        if (event.tradeDate !== day) late.push(event);
        expect([day, DAYS[DAYS.indexOf(day) - 1]]).toContain(event.tradeDate);
      }
      const limit = limits.get(event.account) ?? new Dec(0);
      if (event.lifecycle !== 'CANCEL' && after.abs().greaterThan(limit) && !after.abs().lessThan(before.abs())) {
        breaches.push(event.execId);
      }
    });
    expect(breaches).toEqual([]);
    expect(late.filter((e) => e.lifecycle === 'AMEND').length).toBeGreaterThan(10);
    expect(late.filter((e) => e.lifecycle === 'CANCEL').length).toBeGreaterThan(5);
  });

  it('builds the asked share of faults over the days, of many rules', () => {
    const trades = takeDays(5, DAYS, 200, 0.1);
    expect(trades.filter((t) => t.intendedFault !== undefined)).toHaveLength(100);
    expect(new Set(trades.map((t) => t.intendedFault).filter((f) => f !== undefined)).size).toBeGreaterThanOrEqual(12);
  });

  it('refuses days out of order, a day nothing closed on, and more events than the days hold', () => {
    expect(() => simulateTrades(data, { seed: 1, errorRate: 0, days: ['2024-05-24', '2024-05-23'] })).toThrow(
      /ascend: 2024-05-24 then 2024-05-23/,
    );
    expect(() => simulateTrades(data, { seed: 1, errorRate: 0, days: ['2024-05-24', '2024-05-25'] })).toThrow(
      /no active instrument closed on 2024-05-25/,
    );
    expect(() => simulateTrades(data, { seed: 1, errorRate: 0, days: [] })).toThrow(/at least one/);
    expect(() => simulateTrades(data, { seed: 1, errorRate: 0, days: DAYS, date: '2024-05-23' })).toThrow(
      /exclude each other/,
    );
    const stream = simulateTrades(data, { seed: 1, errorRate: 0, days: ['2024-05-23', '2024-05-24'], eventsPerDay: 2 });
    for (let i = 0; i < 4; i++) stream.next();
    expect(() => stream.next()).toThrow(/2 events on each of 2 days/);
  });
});

describe('generated end-of-day prices and FX rates', () => {
  const through = '2024-07-12';
  const generated = generateMarketData(data, { seed: 3, through });

  it("adds nothing the seed has, and walks every instrument on its venue's business days only", () => {
    // The seed's closes end on 2024-06-28: nothing generated up to there
    expect(generateMarketData(data, { seed: 3, through: '2024-06-28' })).toEqual({ closes: [], fxRates: [] });
    expect(generated.closes.every((c) => c.date > '2024-06-28' && c.date <= through)).toBe(true);
    expect(generated.closes.every((c) => dayOfWeek(c.date) % 6 !== 0)).toBe(true);
    // Independence Day: no XNYS close; XLON and XETR trade
    const july4 = generated.closes.filter((c) => c.date === '2024-07-04');
    const mic = new Map(data.instruments.map((i) => [i.isin, i.mic]));
    expect(new Set(july4.map((c) => mic.get(c.isin)))).toEqual(new Set(['XLON', 'XETR']));
    // Every instrument with seed closes, 10 weekdays each (9 for XNYS)
    const perIsin = new Map<string, number>();
    for (const c of generated.closes) perIsin.set(c.isin, (perIsin.get(c.isin) ?? 0) + 1);
    expect(perIsin.get('US0378331005')).toBe(9);
    expect(perIsin.get('DE0007164600')).toBe(10);
  });

  it('moves prices by plausible daily returns at the instrument decimals, deterministically', () => {
    const decimals = new Map(data.instruments.map((i) => [i.isin, i.priceDecimals]));
    const last = new Map<string, Dec>();
    for (const c of [...data.closes, ...generated.closes].sort((a, b) => a.date.localeCompare(b.date))) {
      const before = last.get(c.isin);
      if (before !== undefined && c.date > '2024-06-28') {
        expect(c.price.greaterThan(0)).toBe(true);
        expect(c.price.decimalPlaces()).toBeLessThanOrEqual(decimals.get(c.isin) ?? 2);
        // At most 3.5 standard deviations (the draw is bounded), plus a tick of rounding
        expect(c.price.div(before).minus(1).abs().toNumber()).toBeLessThan(3.5 * DAILY_PRICE_VOLATILITY + 0.001);
      }
      last.set(c.isin, c.price);
    }
    expect(generateMarketData(data, { seed: 3, through })).toEqual(generated);
    expect(generateMarketData(data, { seed: 4, through }).closes).not.toEqual(generated.closes);
    // A longer run extends a shorter one's path
    const shorter = generateMarketData(data, { seed: 3, through: '2024-07-05' });
    expect(generated.closes.filter((c) => c.date <= '2024-07-05')).toEqual(shorter.closes);
    expect(generated.fxRates.filter((r) => r.date <= '2024-07-05')).toEqual(shorter.fxRates);
  });

  it('quotes every pair of the seed on every weekday, the crosses consistent with the USD rates', () => {
    const weekdays = [...new Set(generated.fxRates.map((r) => r.date))];
    expect(weekdays).toHaveLength(10);
    for (const date of weekdays) {
      const rate = (base: string, quote: string): Dec => {
        const found = generated.fxRates.find((r) => r.date === date && r.base === base && r.quote === quote);
        if (found === undefined) throw new Error(`no ${base}/${quote} on ${date}`);
        return found.rate;
      };
      // Each cross is the ratio of the currencies' USD values, each shown rounded: agreement to ~1e-5 relative
      const close = (a: Dec, b: Dec): boolean => a.div(b).minus(1).abs().lessThan('0.00002');
      expect(close(rate('EUR', 'GBP'), rate('EUR', 'USD').div(rate('GBP', 'USD')))).toBe(true);
      expect(close(rate('EUR', 'JPY'), rate('EUR', 'USD').times(rate('USD', 'JPY')))).toBe(true);
      expect(close(rate('GBP', 'JPY'), rate('GBP', 'USD').times(rate('USD', 'JPY')))).toBe(true);
      expect(rate('EUR', 'USD').decimalPlaces()).toBeLessThanOrEqual(5);
      expect(rate('USD', 'JPY').decimalPlaces()).toBeLessThanOrEqual(3);
    }
  });

  it('lets the simulator trade past the seed: the generated closes are its prices there', () => {
    const extended = withMarketData(data, generated);
    const days = ['2024-07-01', '2024-07-02', '2024-07-05'];
    const stream = simulateTrades(extended, { seed: 2, errorRate: 0, days, eventsPerDay: 100 });
    const trades = Array.from({ length: 300 }, () => stream.next().value.event);
    expect(new Set(trades.filter((e) => e.lifecycle === 'NEW').map((e) => e.tradeDate))).toEqual(new Set(days));
    expect(() => simulateTrades(data, { seed: 2, errorRate: 0, days })).toThrow(/2024-07-01/);
  });
});

describe('a generated price history before the seed (for the VaR window)', () => {
  const history = generatePriceHistory(data, { seed: 1, days: VAR_HISTORY_DAYS });
  const first = new Map<string, string>();
  for (const c of data.closes) if ((first.get(c.isin) ?? '9999') > c.date) first.set(c.isin, c.date);

  it('gives every instrument with seed closes 251 weekday closes before its first, nothing the seed has', () => {
    const perIsin = new Map<string, string[]>();
    for (const c of history) perIsin.set(c.isin, [...(perIsin.get(c.isin) ?? []), c.date]);

    expect([...perIsin.keys()].sort()).toEqual([...first.keys()].sort());
    for (const [isin, dates] of perIsin) {
      expect(dates).toHaveLength(VAR_HISTORY_DAYS);
      expect(new Set(dates).size).toBe(VAR_HISTORY_DAYS);
      expect(dates.every((d) => d < (first.get(isin) ?? '') && dayOfWeek(d) % 6 !== 0)).toBe(true);
    }
  });

  it('walks back by plausible daily returns at the instrument decimals, deterministically, a longer one extending a shorter', () => {
    const decimals = new Map(data.instruments.map((i) => [i.isin, i.priceDecimals]));
    const series = [...data.closes, ...history].sort((a, b) => a.date.localeCompare(b.date));
    const last = new Map<string, Dec>();
    for (const c of series) {
      const before = last.get(c.isin);
      expect(c.price.greaterThan(0)).toBe(true);
      expect(c.price.decimalPlaces()).toBeLessThanOrEqual(decimals.get(c.isin) ?? 2);
      // The first seed close follows the last generated one by one bounded step, like any other day.
      if (before !== undefined && c.date <= (first.get(c.isin) ?? ''))
        expect(c.price.div(before).minus(1).abs().toNumber()).toBeLessThan(3.5 * DAILY_PRICE_VOLATILITY + 0.01);
      last.set(c.isin, c.price);
    }
    expect(generatePriceHistory(data, { seed: 1, days: VAR_HISTORY_DAYS })).toEqual(history);
    const shorter = generatePriceHistory(data, { seed: 1, days: 20 });
    const key = (c: { isin: string; date: string }) => `${c.isin}|${c.date}`;
    const longer = new Map(history.map((c) => [key(c), c.price.toFixed()]));
    expect(shorter.every((c) => longer.get(key(c)) === c.price.toFixed())).toBe(true);
  });
});
