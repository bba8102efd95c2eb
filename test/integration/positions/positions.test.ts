import type { Trade } from '../../../lib/domain/trade';
import { PgPositionStore, type StoredPosition } from '../../../lib/positions/store';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, MSFT, addSplit, book, correction, seedReferenceData, trade } from '../helpers/pnl-fixtures';

/** Figures as strings so that expectations read like the hand computation. */
function figures(stored: StoredPosition | undefined) {
  if (stored === undefined) return undefined;
  return {
    quantity: stored.quantity.toFixed(),
    realized: stored.position.realized.local.toFixed(2),
    openCost: stored.position.lots.reduce((sum, lot) => sum + Number(lot.cost.toFixed(6)), 0).toFixed(2),
    fees: stored.position.fees.local.toFixed(2),
  };
}

describe('PgPositionStore: positions rebuilt by replay of the live trade set', () => {
  let db: TestDatabase;
  let store: PgPositionStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReferenceData(db.pool);
    store = new PgPositionStore(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  /** DOMAIN.md's worked example with fees: buy 100 @ 10 (fee 1), buy 100 @ 12 (fee 1), sell 150 @ 13 (fee 1.5). */
  function workedExample(account: string): Trade[] {
    return [
      trade({
        tradeId: `${account}-B1`,
        account,
        quantity: '100',
        price: '10',
        commission: '1',
        tradeDate: '2024-05-20',
      }),
      trade({
        tradeId: `${account}-B2`,
        account,
        quantity: '100',
        price: '12',
        commission: '1',
        tradeDate: '2024-05-21',
      }),
      trade({
        tradeId: `${account}-S1`,
        account,
        side: 'SELL',
        quantity: '150',
        price: '13',
        commission: '1.5',
        tradeDate: '2024-05-22',
      }),
    ];
  }

  it.each([
    // FIFO: proceeds 1948.50 − (1001 + 50/100 × 1201 = 1601.50) = 347.00; 50 left at cost 600.50.
    ['ACC-001', 'FIFO', '347.00', '600.50'],
    // LIFO: 1948.50 − (1201 + 50/100 × 1001 = 1701.50) = 247.00; 50 left at cost 500.50.
    ['ACC-002', 'LIFO', '247.00', '500.50'],
    // AVERAGE: pool 200 for 2202, 150 relieved for 1651.50: 297.00; 50 left at cost 550.50.
    ['ACC-003', 'AVERAGE', '297.00', '550.50'],
  ])(
    '%s (%s) relieves lots with buy fees in cost and sell fees off proceeds',
    async (account, _method, realized, openCost) => {
      await book(db.pool, workedExample(account));

      const result = await store.rebuild([{ accountId: account, isin: AAPL }]);

      expect(result).toEqual({ rebuilt: 1, removed: 0, failures: [] });
      expect(figures(await store.get({ accountId: account, isin: AAPL }))).toEqual({
        quantity: '50',
        realized,
        openCost,
        fees: '3.50',
      });
    },
  );

  it('total P&L at a price of 14 is the same under FIFO, LIFO and AVERAGE (446.50 = 450 − 3.50 fees)', async () => {
    const totals = [];
    for (const account of ['ACC-001', 'ACC-002', 'ACC-003']) {
      const stored = await store.get({ accountId: account, isin: AAPL });
      if (stored === undefined) throw new Error(`no position for ${account}`);
      const cost = stored.position.lots.reduce((sum, lot) => sum.plus(lot.cost), stored.quantity.times(0));
      totals.push(stored.position.realized.local.plus(stored.quantity.times(14)).minus(cost).toFixed(2));
    }

    expect(totals).toEqual(['446.50', '446.50', '446.50']);
  });

  describe('flips, amend, cancel and arrival order', () => {
    const buy = trade({
      tradeId: 'F-B1',
      account: 'ACC-014',
      isin: MSFT,
      quantity: '100',
      price: '10',
      tradeDate: '2024-05-20',
    });
    const sell = trade({
      tradeId: 'F-S1',
      account: 'ACC-014',
      isin: MSFT,
      side: 'SELL',
      quantity: '150',
      price: '12',
      commission: '3',
      tradeDate: '2024-05-21',
    });
    const cover = trade({
      tradeId: 'F-B2',
      account: 'ACC-014',
      isin: MSFT,
      quantity: '80',
      price: '11',
      commission: '0.8',
      tradeDate: '2024-05-22',
    });
    const key = { accountId: 'ACC-014', isin: MSFT };

    it('a sell larger than the long closes it and opens a short; a larger buy flips back', async () => {
      await book(db.pool, [buy, sell, cover]);

      await store.rebuild([key]);

      // Sell: 100 close (fees 2): 1200 − 2 − 1000 = 198; short 50 opened for 600 − 1 = 599.
      // Cover: 50 close (fees 0.50): 599 − 550.50 = 48.50; long 30 opened for 330 + 0.30 = 330.30.
      expect(figures(await store.get(key))).toEqual({
        quantity: '30',
        realized: '246.50',
        openCost: '330.30',
        fees: '3.80',
      });
    });

    it('an amend gives the position as if the trade had always been as amended', async () => {
      await book(db.pool, [correction(sell, 2, 'AMEND', { quantity: '120' })]);

      await store.rebuild([key]);

      // Sell 120 @ 12, fees 3: 100 close (fees 2.50): 1200 − 2.50 − 1000 = 197.50; short 20 for 240 − 0.50 = 239.50.
      // Cover 80 (fees 0.80): 20 close (fees 0.20): 239.50 − 220.20 = 19.30; long 60 for 660 + 0.60 = 660.60.
      expect(figures(await store.get(key))).toEqual({
        quantity: '60',
        realized: '216.80',
        openCost: '660.60',
        fees: '3.80',
      });
    });

    it('a cancel restores the state as if the trade never happened', async () => {
      await book(db.pool, [correction(cover, 2, 'CANCEL')]);

      await store.rebuild([key]);

      expect(figures(await store.get(key))).toEqual({
        quantity: '-20',
        realized: '197.50',
        openCost: '239.50',
        fees: '3.00',
      });
    });

    it('the same trades arriving in reverse, corrections before their trades, give the same position', async () => {
      const mirror = (t: Trade): Trade => ({
        ...t,
        tradeId: `R-${t.tradeId}`,
        execId: `R-${t.execId}`,
        account: 'ACC-015',
      });
      const events = [
        buy,
        sell,
        correction(sell, 2, 'AMEND', { quantity: '120' }),
        cover,
        correction(cover, 2, 'CANCEL'),
      ];

      for (const event of [...events].reverse()) {
        await book(db.pool, [mirror(event)]);
        await store.rebuild([{ accountId: 'ACC-015', isin: MSFT }]);
      }

      expect(figures(await store.get({ accountId: 'ACC-015', isin: MSFT }))).toEqual(figures(await store.get(key)));
    });

    it('a redelivered batch rewrites the same row', async () => {
      const before = figures(await store.get(key));

      await book(db.pool, [buy, sell, cover]);
      const result = await store.rebuild([key, key]);

      expect(result.rebuilt).toBe(1);
      expect(figures(await store.get(key))).toEqual(before);
    });
  });

  it('a 2:1 split doubles the quantity, halves unit cost and moves no P&L', async () => {
    const account = 'ACC-008';
    await addSplit(db.pool, {
      id: 'CA-GOOGL-2-1',
      isin: 'US02079K3059',
      effectiveDate: '2024-05-21',
      numerator: 2,
      denominator: 1,
    });
    await book(db.pool, [
      trade({ tradeId: 'SP-B1', account, isin: 'US02079K3059', quantity: '100', price: '10', tradeDate: '2024-05-20' }),
      trade({
        tradeId: 'SP-S1',
        account,
        isin: 'US02079K3059',
        side: 'SELL',
        quantity: '150',
        price: '6',
        tradeDate: '2024-05-22',
      }),
    ]);

    await store.rebuild([{ accountId: account, isin: 'US02079K3059' }]);

    // 200 shares for 1000 after the split (5 each); 150 sold @ 6: 900 − 750 = 150; 50 left for 250.
    expect(figures(await store.get({ accountId: account, isin: 'US02079K3059' }))).toEqual({
      quantity: '50',
      realized: '150.00',
      openCost: '250.00',
      fees: '0.00',
    });
  });

  it('a position whose every trade is cancelled is removed', async () => {
    const only = trade({ tradeId: 'C-B1', account: 'ACC-018', quantity: '10', price: '10' });
    await book(db.pool, [only]);
    await store.rebuild([{ accountId: 'ACC-018', isin: AAPL }]);

    await book(db.pool, [correction(only, 2, 'CANCEL')]);
    const result = await store.rebuild([{ accountId: 'ACC-018', isin: AAPL }]);

    expect(result.removed).toBe(1);
    expect(await store.get({ accountId: 'ACC-018', isin: AAPL })).toBeUndefined();
  });

  it('lists positions of some accounts with a key cursor', async () => {
    const first = await store.list({ accounts: ['ACC-001', 'ACC-002', 'ACC-003'], limit: 2 });
    const second = await store.list({ accounts: ['ACC-001', 'ACC-002', 'ACC-003'], limit: 2, after: first.next });

    expect(first.items.map((p) => p.accountId)).toEqual(['ACC-001', 'ACC-002']);
    expect(second.items.map((p) => p.accountId)).toEqual(['ACC-003']);
    expect(second.next).toBeUndefined();
  });
});
