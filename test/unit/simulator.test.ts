import path from 'node:path';

import { decodeTradeEvent } from '../../lib/kafka/schemas/trade-event';
import { loadSimulatorData } from '../../lib/simulator/cli';
import { simulateTrades } from '../../lib/simulator/generate';

const data = loadSimulatorData(path.join(__dirname, '..', '..', 'migrations', 'seed'));

function take(seed: number, count: number, errorRate = 0) {
  const stream = simulateTrades(data, { seed, errorRate });
  return Array.from({ length: count }, () => stream.next().value);
}

describe('trade simulator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    expect(take(7, 50)).toEqual(take(7, 50));
    expect(take(8, 50)).not.toEqual(take(7, 50));
  });

  it('produces schema-valid trades on seed dates, with amends and cancels of earlier trades', () => {
    const trades = take(3, 300);
    expect(trades.every((trade) => trade !== undefined && decodeTradeEvent(trade).ok)).toBe(true);
    expect(
      trades.every((trade) => (trade?.tradeDate ?? '') >= '2024-04-01' && (trade?.tradeDate ?? '') <= '2024-06-28'),
    ).toBe(true);
    expect(trades.some((trade) => trade?.lifecycle === 'AMEND')).toBe(true);
    expect(trades.some((trade) => trade?.lifecycle === 'CANCEL')).toBe(true);
  });

  it('builds faulty trades only when asked', () => {
    const clean = take(5, 200).filter((trade) => trade?.quantity === '0').length;
    const faulty = take(5, 200, 1).filter((trade) => trade?.lifecycle === 'NEW' && trade.quantity === '0').length;
    expect(clean).toBe(0);
    expect(faulty).toBeGreaterThan(0);
  });
});
