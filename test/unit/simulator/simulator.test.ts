import { decodeTradeEvent } from '../../../lib/kafka/schemas/trade-event';
import { DEFAULT_SEED_DIR, loadSimulatorData } from '../../../lib/simulator/cli';
import { Dec } from '../../../lib/domain/money';
import { EVENTS_PER_DAY, LIMIT_HEADROOM, lastTradingDay, simulateTrades } from '../../../lib/simulator/generate';

const data = loadSimulatorData(DEFAULT_SEED_DIR);

function take(seed: number, count: number, errorRate = 0) {
  const stream = simulateTrades(data, { seed, errorRate });
  return Array.from({ length: count }, () => stream.next().value);
}

/** `count` events of single-day mode on `date`, the day cut into as many slots (as posttrade produce does). */
function takeDay(seed: number, date: string, count: number, errorRate = 0) {
  const stream = simulateTrades(data, { seed, errorRate, date, eventsOnDate: count });
  return Array.from({ length: count }, () => stream.next().value);
}

/** Minutes after midnight UTC of an ISO time. */
const minuteOfDay = (time: string): number => (Date.parse(time) % 86_400_000) / 60_000;

describe('trade simulator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(take(7, 300, 0.1)).toEqual(take(7, 300, 0.1));
    expect(take(8, 50)).not.toEqual(take(7, 50));
  });

  it('produces schema-valid trades in trade-date order, with amends and cancels of earlier live trades', () => {
    // Arrange / Act
    const trades = take(3, 3 * EVENTS_PER_DAY).map((trade) => trade.event);

    // Assert: three trading days from the first date of the seed closes (2024-04-01, 04-02, 04-03)
    expect(trades.every((trade) => decodeTradeEvent(trade).ok)).toBe(true);
    expect([...new Set(trades.map((trade) => trade.tradeDate))]).toEqual(['2024-04-01', '2024-04-02', '2024-04-03']);
    const versions = new Map<string, number>();
    for (const trade of trades) {
      expect({ execId: trade.execId, version: trade.version }).toEqual({
        execId: trade.execId,
        version: (versions.get(trade.tradeId) ?? 0) + 1,
      });
      versions.set(trade.tradeId, trade.version);
    }
    expect(trades.filter((trade) => trade.lifecycle === 'AMEND').length).toBeGreaterThan(0);
    expect(trades.filter((trade) => trade.lifecycle === 'CANCEL').length).toBeGreaterThan(0);
  });

  it('builds exactly the asked share of faulty events, spread over windows of 1/rate', () => {
    // Arrange / Act
    const trades = take(5, 200, 0.1);

    // Assert: one fault in each window of ten events
    for (let window = 0; window < 20; window++) {
      const faults = trades.slice(window * 10, window * 10 + 10).filter((trade) => trade.intendedFault !== undefined);
      expect(faults).toHaveLength(1);
    }
    expect(take(5, 200, 0).filter((trade) => trade.intendedFault !== undefined)).toEqual([]);
    expect(take(5, 50, 1).every((trade) => trade.intendedFault !== undefined)).toBe(true);
  });

  it('keeps good trades off the seed SSI gaps and the restricted list', () => {
    // Arrange / Act: 45 trading days, through Bayer's restriction from 2024-05-13
    const good = take(11, 45 * EVENTS_PER_DAY)
      .filter((trade) => trade.intendedFault === undefined)
      .map((trade) => trade.event);

    // Assert
    expect(good.filter((t) => t.account === 'ACC-008' && t.mic === 'XETR')).toEqual([]);
    expect(good.filter((t) => t.account === 'ACC-017' && t.mic === 'XNYS')).toEqual([]);
    expect(good.filter((t) => t.account === 'ACC-020')).toEqual([]);
    const bayer = good.filter((t) => t.isin === 'DE000BAY0017');
    expect(bayer.filter((t) => t.tradeDate >= '2024-05-13' && t.tradeDate <= '2024-06-14')).toEqual([]);
    expect(bayer.length).toBeGreaterThan(0);
  });

  describe('single-day mode', () => {
    it('dates every event on the day, inside its venue session, in order, only on instruments that closed', () => {
      // Arrange / Act: 2024-05-27 is Memorial Day (XNYS) and the Spring Bank Holiday (XLON): only Xetra closed
      const trades = takeDay(4, '2024-05-27', 600, 0.05);

      // Assert
      const events = trades.map((trade) => trade.event);
      expect(events.every((event) => decodeTradeEvent(event).ok)).toBe(true);
      expect(new Set(events.map((event) => event.tradeDate))).toEqual(new Set(['2024-05-27']));
      const closedThatDay = new Set(data.closes.filter((c) => c.date === '2024-05-27').map((c) => c.isin));
      expect(closedThatDay.size).toBe(10);
      expect(events.filter((event) => !closedThatDay.has(event.isin))).toEqual([]);
      expect(new Set(events.map((event) => event.mic))).toEqual(new Set(['XETR']));
      // Xetra's summer session in UTC: 07:00 to 15:30 (420 to 930 minutes); the good trades' times ascend
      const good = trades.filter((trade) => trade.intendedFault === undefined && trade.event.lifecycle === 'NEW');
      const minutes = good.map((trade) => minuteOfDay(trade.event.tradeTime));
      expect(Math.min(...minutes)).toBeGreaterThanOrEqual(420);
      expect(Math.max(...minutes)).toBeLessThan(930);
      expect(minutes).toEqual([...minutes].sort((a, b) => a - b));
      // 600 slots over 510 minutes: the last new trade falls in the last few slots, near the close
      expect(Math.max(...minutes)).toBeGreaterThan(925);
    });

    it('keeps each venue to its own session when several trade that day', () => {
      // Arrange / Act
      const trades = takeDay(9, '2024-06-28', 900).filter((trade) => trade.event.lifecycle === 'NEW');

      // Assert: XNYS 13:30-20:00 UTC (810-1200), XLON and XETR 07:00-15:30 (420-930), ascending per venue
      const sessions = { XNYS: [810, 1200], XLON: [420, 930], XETR: [420, 930] } as const;
      for (const [mic, [open, close]] of Object.entries(sessions)) {
        const minutes = trades
          .filter((trade) => trade.event.mic === mic)
          .map((trade) => minuteOfDay(trade.event.tradeTime));
        expect({ mic, some: minutes.length > 100 }).toEqual({ mic, some: true });
        expect({ mic, inside: minutes.every((m) => m >= open && m < close) }).toEqual({ mic, inside: true });
        expect(minutes).toEqual([...minutes].sort((a, b) => a - b));
      }
    });

    it('is deterministic for a seed and date, and differs between dates', () => {
      expect(takeDay(7, '2024-06-28', 300, 0.1)).toEqual(takeDay(7, '2024-06-28', 300, 0.1));
      expect(takeDay(7, '2024-06-27', 50)).not.toEqual(takeDay(7, '2024-06-28', 50));
    });

    it('builds exactly the asked share of faulty events, none of them off the day', () => {
      // Arrange / Act
      const trades = takeDay(5, '2024-06-28', 3000, 0.05);

      // Assert: one fault in each window of twenty events, 150 in all
      for (let window = 0; window < 150; window++) {
        const faults = trades.slice(window * 20, window * 20 + 20).filter((t) => t.intendedFault !== undefined);
        expect({ window, faults: faults.length }).toEqual({ window, faults: 1 });
      }
      const faulty = trades.filter((trade) => trade.intendedFault !== undefined);
      expect(faulty.filter((trade) => trade.intendedFault === 'TRADE_DATE_NOT_BUSINESS_DAY')).toEqual([]);
      expect(new Set(faulty.map((trade) => trade.intendedFault)).size).toBeGreaterThanOrEqual(12);
    });

    it("keeps a whole day's good trades within the limits, off wash trades, correcting only live trades", () => {
      // Arrange: position limits of 400 shares, so that the day's trades run into them again and again
      const tight = { ...data, accounts: data.accounts.map((a) => ({ ...a, positionLimit: new Dec(400) })) };

      // Act: 4000 events on one day for the seed's 19 active accounts
      const stream = simulateTrades(tight, { seed: 12, errorRate: 0, date: '2024-06-28', eventsOnDate: 4000 });
      const trades = Array.from({ length: 4000 }, () => stream.next().value.event);

      // Assert: replaying the day, each new or amended version leaves the position within the headroom (or
      // nearer flat), and every amend or cancel names a live trade at its next version
      const limits = new Map(tight.accounts.map((a) => [a.id, a.positionLimit.times(LIMIT_HEADROOM)]));
      const live = new Map<string, (typeof trades)[number]>();
      const positions = new Map<string, Dec>();
      const move = (event: (typeof trades)[number], sign: 1 | -1): { before: Dec; after: Dec } => {
        const key = `${event.account}|${event.isin}`;
        const before = positions.get(key) ?? new Dec(0);
        const after = before.plus(new Dec(event.quantity).times(event.side === 'BUY' ? sign : -sign));
        positions.set(key, after);
        return { before, after };
      };
      const breaches: string[] = [];
      for (const event of trades) {
        const earlier = live.get(event.tradeId);
        if (event.lifecycle === 'NEW') {
          expect(earlier).toBeUndefined();
        } else {
          expect({ tradeId: event.tradeId, version: earlier?.version }).toEqual({
            tradeId: event.tradeId,
            version: event.version - 1,
          });
          if (earlier !== undefined) move(earlier, -1);
        }
        if (event.lifecycle === 'CANCEL') {
          live.delete(event.tradeId);
          continue;
        }
        const { before, after } = move(event, 1);
        const limit = limits.get(event.account) ?? new Dec(0);
        if (after.abs().greaterThan(limit) && !after.abs().lessThan(before.abs())) breaches.push(event.execId);
        live.set(event.tradeId, event);
      }
      expect(breaches).toEqual([]);
      const owner = new Map(data.accounts.map((a) => [a.id, a.beneficialOwner]));
      const mirrors = [...live.values()].filter((a) =>
        [...live.values()].some(
          (b) =>
            owner.get(a.account) === owner.get(b.account) &&
            a.isin === b.isin &&
            a.side !== b.side &&
            a.price === b.price &&
            a.quantity === b.quantity &&
            Math.abs(Date.parse(a.tradeTime) - Date.parse(b.tradeTime)) <= data.washTradeWindowSeconds * 1000,
        ),
      );
      expect(mirrors).toEqual([]);
      expect(trades.filter((event) => event.lifecycle === 'AMEND').length).toBeGreaterThan(100);
      expect(trades.filter((event) => event.lifecycle === 'CANCEL').length).toBeGreaterThan(50);
    });

    it('refuses a date nothing closed on, a malformed date, and more events than the day was cut into', () => {
      // Saturday, and a day before the seed prices start: no close, no trade
      expect(() => simulateTrades(data, { seed: 1, errorRate: 0, date: '2024-04-06' })).toThrow(
        /no active instrument closed on 2024-04-06 .*closes run from 2024-04-01 to 2024-06-28/,
      );
      expect(() => simulateTrades(data, { seed: 1, errorRate: 0, date: '2023-12-29' })).toThrow(/2023-12-29/);
      expect(() => simulateTrades(data, { seed: 1, errorRate: 0, date: '28/06/2024' })).toThrow(/YYYY-MM-DD/);
      const stream = simulateTrades(data, { seed: 1, errorRate: 0, date: '2024-06-28', eventsOnDate: 2 });
      stream.next();
      stream.next();
      expect(() => stream.next()).toThrow(/spreads 2 events over 2024-06-28/);
    });

    it("names the seed calendar's last day with closes", () => {
      // The seed prices end on Friday 2024-06-28, when every venue traded
      expect(lastTradingDay(data)).toBe('2024-06-28');
      expect(lastTradingDay({ ...data, closes: data.closes.filter((c) => c.date <= '2024-05-27') })).toBe('2024-05-27');
      expect(lastTradingDay({ ...data, closes: [] })).toBeUndefined();
    });
  });
});
