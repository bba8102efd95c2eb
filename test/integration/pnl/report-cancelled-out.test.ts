import { Side } from '../../../lib/domain/trade';
import type { DailyReportDoc } from '../../../lib/pnl/document';
import { PgDailyReportService } from '../../../lib/pnl/service';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, correction, MSFT, seedReferenceData, setPrice, trade } from '../helpers/pnl-fixtures';

/**
 * A position whose every trade is cancelled after a report: the cancel lands in the next report's day
 * (docs/daily-report.md), so that report keeps a line opening at the previous close as reported, closing flat,
 * with the day's total taking back what the previous report had; the day after, the position has no line. Without
 * the line, the P&L the earlier report showed would leave the chain in no day: found by `npm run demo` (a sell of
 * 05-24 cancelled on 05-27, its 5.39 of unrealized P&L never reversed).
 */
describe('daily report: a position cancelled out after a report', () => {
  let db: TestDatabase;
  let service: PgDailyReportService;
  const reports: DailyReportDoc[] = [];

  // ACC-001 (USD) buys 100 AAPL @ 190.00 on 05-23, close 191.00: unrealized 100.00. It buys 10 MSFT @ 420.00 and
  // sells them @ 421.50 the same day: realized 15.00. Every one of those trades is cancelled before 05-24's report.
  const aapl = trade({ tradeId: 'C-AAPL-1', quantity: '100', price: '190.00', tradeDate: '2024-05-23' });
  const msftBuy = trade({ tradeId: 'C-MSFT-1', isin: MSFT, quantity: '10', price: '420.00', tradeDate: '2024-05-23' });
  const msftSell = trade({
    tradeId: 'C-MSFT-2',
    isin: MSFT,
    side: Side.SELL,
    quantity: '10',
    price: '421.50',
    tradeDate: '2024-05-23',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReferenceData(db.pool);
    service = new PgDailyReportService(db.pool, { inFlightMarginSeconds: 0 });
    for (const [date, price] of [
      ['2024-05-23', '191.00'],
      ['2024-05-24', '192.00'],
      ['2024-05-28', '193.00'],
    ] as const) {
      await setPrice(db.pool, AAPL, date, price);
      await setPrice(db.pool, MSFT, date, '421.00');
    }
    await book(db.pool, [aapl, msftBuy, msftSell]);
    for (const date of ['2024-05-23', '2024-05-24', '2024-05-28']) {
      if (date === '2024-05-24') {
        await book(
          db.pool,
          [aapl, msftBuy, msftSell].map((t) => correction(t, 2, 'CANCEL')),
        );
      }
      await service.generate(date);
      const report = await service.get(date);
      if (report === undefined) throw new Error(`no report ${date}`);
      reports.push(report);
    }
  }, 60_000);
  afterAll(async () => {
    await db.drop();
  });

  const figures = (report: DailyReportDoc | undefined, isin: string) => {
    const line = report?.lines.find((l) => l.accountId === 'ACC-001' && l.isin === isin);
    return (
      line && {
        opening: line.openingQuantity,
        closing: line.closingQuantity,
        trades: line.tradeCount,
        realizedToday: line.base.realizedToday,
        totalToday: line.base.totalToday,
        realizedSinceInception: line.base.realizedSinceInception,
        unrealizedAtPreviousClose: line.base.unrealizedAtPreviousClose,
        unrealizedAtClose: line.base.unrealizedAtClose,
      }
    );
  };

  it('reverses in the next day what the previous report had, and then has no line', () => {
    expect(figures(reports[0], AAPL)).toMatchObject({ closing: '100', totalToday: '100.00' });
    expect(figures(reports[0], MSFT)).toMatchObject({ closing: '0', realizedSinceInception: '15.00' });

    expect([figures(reports[1], AAPL), figures(reports[1], MSFT)]).toEqual([
      {
        opening: '100',
        closing: '0',
        trades: 0,
        realizedToday: '0.00',
        totalToday: '-100.00',
        realizedSinceInception: '0.00',
        unrealizedAtPreviousClose: '100.00',
        unrealizedAtClose: '0.00',
      },
      {
        opening: '0',
        closing: '0',
        trades: 0,
        realizedToday: '-15.00',
        totalToday: '-15.00',
        realizedSinceInception: '0.00',
        unrealizedAtPreviousClose: '0.00',
        unrealizedAtClose: '0.00',
      },
    ]);
    expect([figures(reports[2], AAPL), figures(reports[2], MSFT)]).toEqual([undefined, undefined]);
  });

  it('keeps the chain: the daily totals add up to the change in cumulative P&L, nothing', () => {
    const totals = reports.map((r) => r.overall.find((t) => t.baseCurrency === 'USD'));
    expect(totals.map((t) => t?.totalToday)).toEqual(['115.00', '-115.00', undefined]);
  });
});
