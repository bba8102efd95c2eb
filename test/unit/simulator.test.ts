import { decodeTradeEvent } from '../../lib/kafka/schemas/trade-event';
import { DEFAULT_SEED_DIR, loadSimulatorData, reportProgress } from '../../lib/simulator/cli';
import { EVENTS_PER_DAY, simulateTrades } from '../../lib/simulator/generate';

const data = loadSimulatorData(DEFAULT_SEED_DIR);

function take(seed: number, count: number, errorRate = 0) {
  const stream = simulateTrades(data, { seed, errorRate });
  return Array.from({ length: count }, () => stream.next().value);
}

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

  it('draws a bar in place on a terminal and a line per tenth elsewhere', () => {
    // Arrange
    const tty = {
      isTTY: true,
      text: '',
      write(text: string) {
        this.text += text;
      },
    };
    const pipe = {
      isTTY: false,
      text: '',
      write(text: string) {
        this.text += text;
      },
    };

    // Act
    for (let done = 1; done <= 20; done++) {
      reportProgress(tty, done, 20);
      reportProgress(pipe, done, 20);
    }

    // Assert
    expect(tty.text.endsWith(`\r[${'#'.repeat(30)}] 20/20\n`)).toBe(true);
    expect(tty.text).toContain(`\r[${'#'.repeat(15)}${'.'.repeat(15)}] 10/20`);
    expect(pipe.text.split('\n').filter((line) => line !== '')).toEqual(
      [2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((done) => `produced ${done}/20`),
    );
  });
});
