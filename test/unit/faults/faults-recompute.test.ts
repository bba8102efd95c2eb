/**
 * The fault suite's independent recomputation (test/faults/recompute.ts) against DOMAIN.md's worked example and
 * the lifecycle rules, so that a difference the suite reports is the pipeline's, not the checker's.
 */
import type { TradeEventV1 } from '../../../lib/kafka/schemas/trade-event';
import { expectedLiveTrades, expectedPositions, toMinor, type WorkloadEvent } from '../../faults/recompute';

const trade = (over: Partial<TradeEventV1>): TradeEventV1 => ({
  schemaVersion: 1,
  execId: `E-${over.tradeId ?? 'T'}-${over.version ?? 1}`,
  tradeId: 'T',
  version: 1,
  lifecycle: 'NEW',
  account: 'ACC',
  counterpartyLei: '529900T8BM49AURSDO55',
  isin: 'US0378331005',
  mic: 'XNYS',
  side: 'BUY',
  quantity: '100',
  price: '10.00',
  currency: 'USD',
  tradeDate: '2024-05-23',
  tradeTime: '2024-05-23T14:00:00Z',
  commission: '0',
  fees: '0',
  ...over,
});

const good = (t: TradeEventV1): WorkloadEvent => ({ event: t, builtToFail: false });

/** Buy 100 @ 10, buy 100 @ 12, sell 150 @ 13 (DOMAIN.md's worked example). */
const example = [
  trade({ tradeId: 'B1', price: '10.00', tradeTime: '2024-05-23T14:00:00Z' }),
  trade({ tradeId: 'B2', price: '12.00', tradeTime: '2024-05-23T14:01:00Z' }),
  trade({ tradeId: 'S1', side: 'SELL', quantity: '150', price: '13.00', tradeTime: '2024-05-23T14:02:00Z' }),
].map(good);

test.each([
  ['FIFO', '350.00', '600.00'],
  ['LIFO', '250.00', '500.00'],
  ['AVERAGE', '300.00', '550.00'],
])('%s: the worked example realizes %s and leaves an open cost of %s', (method, realized, openCost) => {
  // Act
  const positions = expectedPositions(expectedLiveTrades(example), () => method);

  // Assert: 50 left; at 14.00, unrealized = 700 − open cost, so realized + unrealized = 450 under every method
  const p = positions.get('ACC|US0378331005');
  expect(p && toMinor(p.quantity, 0)).toBe('50');
  expect(p && toMinor(p.realized, 2)).toBe(realized);
  expect(p && toMinor(p.openCost, 2)).toBe(openCost);
});

test('a sell through a long opens a short at the sell price, fees shared pro rata; a cancel removes a trade', () => {
  // Arrange: buy 100 @ 10 with 10 of fees, sell 150 @ 12 with 15 of fees, a third trade cancelled, an amend
  const events = [
    trade({ tradeId: 'B1', commission: '10' }),
    trade({
      tradeId: 'S1',
      side: 'SELL',
      quantity: '150',
      price: '12.00',
      fees: '15',
      tradeTime: '2024-05-23T15:00:00Z',
    }),
    trade({ tradeId: 'X', quantity: '7' }),
    trade({ tradeId: 'X', version: 2, lifecycle: 'CANCEL', quantity: '7' }),
    trade({ tradeId: 'B1', version: 2, lifecycle: 'AMEND', commission: '10', quantity: '100' }),
    trade({ tradeId: 'BAD', quantity: '1000' }),
  ].map((t) => ({ event: t, builtToFail: t.tradeId === 'BAD' }));

  // Act
  const live = expectedLiveTrades(events);
  const p = expectedPositions(live, () => 'FIFO').get('ACC|US0378331005');

  // Assert: closing 100 of 150 takes 10 of the 15 fees: realized = 1200 − 10 − 1010 = 180; short 50 at 600 − 5
  expect([...live.keys()].sort()).toEqual(['B1', 'S1']);
  expect(live.get('B1')?.version).toBe(2);
  expect(p && toMinor(p.quantity, 0)).toBe('-50');
  expect(p && toMinor(p.realized, 2)).toBe('180.00');
  expect(p && toMinor(p.openCost, 2)).toBe('-595.00');
});
