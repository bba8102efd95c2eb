import { PgDailyReportService } from '../../../lib/pnl/service';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, correction, seedReferenceData, setFxRate, setPrice, trade } from '../helpers/pnl-fixtures';

describe('daily P&L report: per position, per account, stored per date', () => {
  let db: TestDatabase;
  let service: PgDailyReportService;
  const lateBuy = trade({
    tradeId: 'ACC-001-B2',
    account: 'ACC-001',
    quantity: '100',
    price: '12',
    commission: '1',
    tradeDate: '2024-07-01',
    tradeTime: '2024-07-01T15:00:00.000Z',
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReferenceData(db.pool);
    // Margin 0: a report trusts yesterday's stored close unless something was booked after it ran.
    service = new PgDailyReportService(db.pool, { inFlightMarginSeconds: 0 });
    await setPrice(db.pool, AAPL, '2024-07-01', '11');
    await setPrice(db.pool, AAPL, '2024-07-02', '14');
    await setFxRate(db.pool, 'USD', 'GBP', '2024-07-01', '0.80');
    await setFxRate(db.pool, 'USD', 'GBP', '2024-07-02', '0.75');
    for (const account of ['ACC-001', 'ACC-002', 'ACC-003']) {
      await book(db.pool, [
        trade({
          tradeId: `${account}-B1`,
          account,
          quantity: '100',
          price: '10',
          commission: '1',
          tradeDate: '2024-07-01',
          tradeTime: '2024-07-01T14:00:00.000Z',
        }),
        account === 'ACC-001'
          ? lateBuy
          : trade({
              tradeId: `${account}-B2`,
              account,
              quantity: '100',
              price: '12',
              commission: '1',
              tradeDate: '2024-07-01',
            }),
        trade({
          tradeId: `${account}-S1`,
          account,
          side: 'SELL',
          quantity: '150',
          price: '13',
          commission: '1.5',
          tradeDate: '2024-07-02',
        }),
      ]);
    }
    // A GBP-based account holding a USD stock bought at 0.80 GBP per USD.
    await book(db.pool, [
      trade({ tradeId: 'GBP-B1', account: 'ACC-006', quantity: '100', price: '10', tradeDate: '2024-07-01' }),
    ]);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('day one: 200 held at 11 against a cost of 2202 is −2.00 unrealized, fees 2.00', async () => {
    const report = await service.generateDocument('2024-07-01');

    const line = report.lines.find((l) => l.accountId === 'ACC-001');
    expect(line?.local).toEqual({
      realizedToday: '0.00',
      unrealizedChangeToday: '-2.00',
      feesToday: '2.00',
      totalToday: '-2.00',
      realizedSinceInception: '0.00',
      unrealizedAtPreviousClose: '0.00',
      unrealizedAtClose: '-2.00',
    });
    // No report before: the day runs from the weekday before's close.
    expect(report.previousReportDate).toBeNull();
  });

  it('day two from the stored close: realized and unrealized per method, the same total 448.50 under each', async () => {
    const report = await service.generateDocument('2024-07-02');

    const byAccount = Object.fromEntries(
      report.lines
        .filter((l) => ['ACC-001', 'ACC-002', 'ACC-003'].includes(l.accountId))
        .map((l) => [
          l.accountId,
          [l.local.realizedToday, l.local.unrealizedAtClose, l.local.totalToday, l.closingQuantity],
        ]),
    );
    // FIFO 347.00 + (99.50 − (−2.00)); LIFO 247.00 + (199.50 + 2.00); AVERAGE 297.00 + (149.50 + 2.00).
    expect(byAccount).toEqual({
      'ACC-001': ['347.00', '99.50', '448.50', '50'],
      'ACC-002': ['247.00', '199.50', '448.50', '50'],
      'ACC-003': ['297.00', '149.50', '448.50', '50'],
    });
    expect(report.previousReportDate).toBe('2024-07-01');
    expect(report.statistics.fromSnapshot).toBe(4);
    expect(report.statistics.replayed).toBe(0);
  });

  it('multi-currency: cost at the trade-date rate, value at the report-date rate, split into price and FX', async () => {
    const report = await service.get('2024-07-02');

    const line = report?.lines.find((l) => l.accountId === 'ACC-006');
    // Local: 1400 − 1000 = 400. Base: 1400 × 0.75 − 800 = 250; yesterday 1100 × 0.80 − 800 = 80, so the day's
    // change (and total) is 170: price effect 100 × (14 − 11) × 0.80 = 240, FX effect 100 × 14 × (0.75 − 0.80) = −70.
    expect(
      line && [
        line.local.unrealizedAtClose,
        line.base.unrealizedAtClose,
        line.base.priceEffectToday,
        line.base.fxEffectToday,
        line.base.unrealizedChangeToday,
        line.base.totalToday,
      ],
    ).toEqual(['400.00', '250.00', '240.00', '-70.00', '170.00', '170.00']);
    expect(report?.accounts.find((a) => a.accountId === 'ACC-006')).toMatchObject({
      baseCurrency: 'GBP',
      totalToday: '170.00',
      priceEffectToday: '240.00',
      fxEffectToday: '-70.00',
    });
  });

  it('running a date again replaces its report: same figures, no duplicate rows', async () => {
    const first = await service.get('2024-07-02');

    await service.generateDocument('2024-07-02');
    const again = await service.get('2024-07-02');
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM daily_pnl_lines WHERE report_date = '2024-07-02'`,
    );

    expect(again?.lines).toEqual(first?.lines);
    expect(again?.overall).toEqual(first?.overall);
    expect(rows[0]?.n).toBe('4');
  });

  it('an amend of yesterday booked after yesterday’s report is replayed, not read from the stale close', async () => {
    await book(db.pool, [correction(lateBuy, 2, 'AMEND', { price: '11' })]);

    const report = await service.generateDocument('2024-07-02');

    // Lots 1001 and 1101; 150 sold: 1948.50 − (1001 + 550.50) = 397.00; 50 left for 550.50 → 149.50 at 14.
    const line = report.lines.find((l) => l.accountId === 'ACC-001');
    expect(line && [line.local.realizedToday, line.local.unrealizedAtClose]).toEqual(['397.00', '149.50']);
    // The day opens from day one's close as reported (−2.00, the buy still at 12), so the 100 the amend gives
    // back lands today: 397 + 149.50 + 2 = 548.50 (day one is not restated unless it is run again).
    expect(line && [line.local.unrealizedAtPreviousClose, line.local.totalToday]).toEqual(['-2.00', '548.50']);
    expect(report.statistics.replayed).toBe(1);
  });

  it('overall totals add the lines of each base currency only', async () => {
    const report = await service.get('2024-07-02');

    expect(report?.overall.map((t) => [t.baseCurrency, t.lineCount])).toEqual([
      ['GBP', 1],
      ['USD', 3],
    ]);
    expect(report?.history.map((h) => h.reportDate)).toEqual(['2024-07-01', '2024-07-01', '2024-07-02', '2024-07-02']);
  });
});
