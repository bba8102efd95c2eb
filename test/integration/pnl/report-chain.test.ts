import { buildPosition, openCost, positionQuantity } from '../../../lib/domain/lots';
import { Dec, minorUnits, roundToCurrency } from '../../../lib/domain/money';
import type { DailyReportDoc, ReportLineDoc } from '../../../lib/pnl/document';
import { PgDailyReportService } from '../../../lib/pnl/service';
import { keyOf, loadLiveEvents } from '../../../lib/positions/live-events';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, correction, seedReferenceData, setFxRate, setPrice, trade } from '../helpers/pnl-fixtures';

/**
 * The day-over-day chain over several report dates, across a weekend and the US Memorial Day holiday 2024-05-27
 * (reports on Thu 05-23, Fri 05-24, Tue 05-28 and Wed 05-29; none on the holiday, on which FX rates move and XETR
 * trades): every price and FX move and every correction lands in exactly one day.
 *
 * Two checks. Against an exact oracle (each position replayed from flat as booked when each report ran, valued at
 * that date's price and rate, unrounded): every reported cumulative figure is the exact one rounded once, and
 * every day's total is the exact change in cumulative P&L since the previous report rounded once. And on the
 * accounts whose amounts are all whole cents (quantities in hundreds, prices and rates of two decimals): the sum
 * of the reported daily totals from the first report to any later one equals the reported cumulative P&L
 * (realized since inception + unrealized at close) exactly, per line, per account and per base currency. Valued
 * at the previous weekday as before, the holiday's FX move fell between 05-24's close and 05-28's opening.
 */
const SAP = 'DE0007164600';
const BP = 'GB0007980591';
const DATES = ['2024-05-23', '2024-05-24', '2024-05-28', '2024-05-29'] as const;
const WHOLE_CENTS = ['ACC-001', 'ACC-003', 'ACC-004'];

const PRICES: Record<string, Record<string, string>> = {
  [AAPL]: {
    '2024-05-22': '189.00',
    '2024-05-23': '190.50',
    '2024-05-24': '191.00',
    '2024-05-28': '189.50',
    '2024-05-29': '191.25',
  },
  [SAP]: {
    '2024-05-22': '169.00',
    '2024-05-23': '170.50',
    '2024-05-24': '171.50',
    '2024-05-27': '172.00',
    '2024-05-28': '173.50',
    '2024-05-29': '172.00',
  },
  [BP]: {
    '2024-05-22': '4.8125',
    '2024-05-23': '4.8361',
    '2024-05-24': '4.8277',
    '2024-05-27': '4.8277',
    '2024-05-28': '4.8519',
    '2024-05-29': '4.8403',
  },
};
// EUR/USD and USD/EUR of two decimals (whole cents); EUR/GBP stored one way, so GBP→EUR is 1 / rate.
const RATES: Record<string, Record<string, string>> = {
  'EUR/USD': {
    '2024-05-22': '1.09',
    '2024-05-23': '1.10',
    '2024-05-24': '1.10',
    '2024-05-27': '1.12',
    '2024-05-28': '1.12',
    '2024-05-29': '1.15',
  },
  'USD/EUR': {
    '2024-05-22': '0.92',
    '2024-05-23': '0.90',
    '2024-05-24': '0.91',
    '2024-05-27': '0.89',
    '2024-05-28': '0.89',
    '2024-05-29': '0.88',
  },
  'EUR/GBP': {
    '2024-05-22': '0.85411',
    '2024-05-23': '0.85377',
    '2024-05-24': '0.85102',
    '2024-05-27': '0.84927',
    '2024-05-28': '0.85064',
    '2024-05-29': '0.85233',
  },
};

type Order = Parameters<typeof trade>[0];
const at = (date: string, n: number) => `${date}T14:${String(n).padStart(2, '0')}:00.000Z`;
const eur = (o: Order): Order => ({ ...o, isin: SAP, mic: 'XETR', currency: 'EUR' });
const gbp = (o: Order): Order => ({ ...o, isin: BP, mic: 'XLON', currency: 'GBP' });

const firstBuy = trade({
  tradeId: 'A1-AAPL-1',
  account: 'ACC-001',
  quantity: '200',
  price: '190.00',
  commission: '1.00',
  tradeDate: DATES[0],
  tradeTime: at(DATES[0], 1),
});

/** Trades booked before each report date's run (05-27's with 05-28's). */
const BOOKED: Record<(typeof DATES)[number], Order[]> = {
  '2024-05-23': [
    eur({ tradeId: 'A1-SAP-1', account: 'ACC-001', quantity: '100', price: '170.00' }),
    eur({ tradeId: 'A3-SAP-1', account: 'ACC-003', quantity: '200', price: '170.00' }),
    { tradeId: 'A3-AAPL-1', account: 'ACC-003', quantity: '100', price: '190.00' },
    { tradeId: 'A4-AAPL-1', account: 'ACC-004', quantity: '100', price: '190.00' },
    gbp({ tradeId: 'A5-BP-1', account: 'ACC-005', quantity: '1370', price: '4.8219', commission: '3.17' }),
    eur({ tradeId: 'A7-SAP-1', account: 'ACC-007', quantity: '37', price: '170.13', commission: '1.11' }),
  ].map((o, n) => ({ ...o, tradeDate: DATES[0], tradeTime: at(DATES[0], n + 2) })),
  '2024-05-24': [
    {
      tradeId: 'A1-AAPL-2',
      account: 'ACC-001',
      side: 'SELL' as const,
      quantity: '100',
      price: '191.50',
      commission: '1.00',
    },
    eur({ tradeId: 'A3-SAP-2', account: 'ACC-003', quantity: '200', price: '172.00' }),
    { tradeId: 'A3-AAPL-2', account: 'ACC-003', side: 'SELL' as const, quantity: '100', price: '191.00' },
    gbp({ tradeId: 'A5-BP-2', account: 'ACC-005', side: 'SELL' as const, quantity: '411', price: '4.8301' }),
  ].map((o, n) => ({ ...o, tradeDate: DATES[1], tradeTime: at(DATES[1], n) })),
  '2024-05-28': [
    // On the US holiday XETR trades: between two reports, in 05-28's day.
    {
      ...eur({ tradeId: 'A1-SAP-2', account: 'ACC-001', quantity: '100', price: '171.00' }),
      tradeDate: '2024-05-27',
      tradeTime: at('2024-05-27', 1),
    },
    {
      tradeId: 'A1-AAPL-3',
      account: 'ACC-001',
      quantity: '100',
      price: '189.25',
      tradeDate: DATES[2],
      tradeTime: at(DATES[2], 2),
    },
    {
      ...eur({ tradeId: 'A3-SAP-3', account: 'ACC-003', side: 'SELL', quantity: '200', price: '173.00' }),
      tradeDate: DATES[2],
      tradeTime: at(DATES[2], 3),
    },
    {
      ...eur({
        tradeId: 'A7-SAP-2',
        account: 'ACC-007',
        side: 'SELL',
        quantity: '52',
        price: '173.41',
        commission: '0.97',
      }),
      tradeDate: DATES[2],
      tradeTime: at(DATES[2], 4),
    },
  ],
  '2024-05-29': [
    { tradeId: 'A1-AAPL-4', account: 'ACC-001', side: 'SELL' as const, quantity: '200', price: '190.75' },
    eur({ tradeId: 'A1-SAP-3', account: 'ACC-001', side: 'SELL', quantity: '100', price: '172.50' }),
    gbp({ tradeId: 'A5-BP-3', account: 'ACC-005', quantity: '233', price: '4.8457', commission: '0.41' }),
  ].map((o, n) => ({ ...o, tradeDate: DATES[3], tradeTime: at(DATES[3], n) })),
};

interface Exact {
  readonly realized: Dec;
  readonly unrealized: Dec;
  readonly baseCurrency: string;
}

describe('daily report: the chain of days is complete across a weekend and a market holiday', () => {
  let db: TestDatabase;
  let service: PgDailyReportService;
  const reports: DailyReportDoc[] = [];
  const exact: Map<string, Exact>[] = [];

  /** Cumulative P&L in base currency of every position, exact, as booked now: replayed from flat, valued at `date`. */
  async function oracle(date: string): Promise<Map<string, Exact>> {
    const { rows: keys } = await db.pool.query<{ accountId: string; isin: string }>(
      `SELECT DISTINCT account_id AS "accountId", isin FROM trades`,
    );
    const positions = await loadLiveEvents(db.pool, keys, { through: date });
    const result = new Map<string, Exact>();
    for (const [key, events] of positions) {
      const built = buildPosition(events.events, events.costMethod);
      if (!built.ok) throw new Error(JSON.stringify(built.errors));
      const { rows } = await db.pool.query<{ price: string; rate: string }>(
        `SELECT (SELECT price::text FROM reference_prices WHERE isin = $1 AND price_date <= $2 AND price_date > $2::date - 10
                 ORDER BY price_date DESC LIMIT 1) AS price, fx_rate_to_base($3, $4, $2)::text AS rate`,
        [events.isin, date, events.currency, events.baseCurrency],
      );
      const quantity = positionQuantity(built.value);
      const unrealized = quantity.isZero()
        ? new Dec(0)
        : quantity
            .times(rows[0]?.price ?? 'NaN')
            .times(rows[0]?.rate ?? 'NaN')
            .minus(openCost(built.value).base);
      result.set(key, { realized: built.value.realized.base, unrealized, baseCurrency: events.baseCurrency });
    }
    return result;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReferenceData(db.pool);
    service = new PgDailyReportService(db.pool, { inFlightMarginSeconds: 0 });
    for (const [isin, series] of Object.entries(PRICES)) {
      for (const [date, price] of Object.entries(series)) await setPrice(db.pool, isin, date, price);
    }
    for (const [pair, series] of Object.entries(RATES)) {
      const [base = '', quote = ''] = pair.split('/');
      for (const [date, rate] of Object.entries(series)) await setFxRate(db.pool, base, quote, date, rate);
    }
    for (const date of DATES) {
      await book(db.pool, [...(date === DATES[0] ? [firstBuy] : []), ...BOOKED[date].map(trade)]);
      if (date === DATES[2]) {
        // Booked after 05-24's report: the first buy was at 189.50, not 190.00. It lands in 05-28's day.
        await book(db.pool, [correction(firstBuy, 2, 'AMEND', { price: '189.50' })]);
      }
      await service.generate(date);
      const report = await service.get(date);
      if (report === undefined) throw new Error(`no report ${date}`);
      reports.push(report);
      exact.push(await oracle(date));
    }
  }, 120_000);
  afterAll(async () => {
    await db.drop();
  });

  const cumulative = (line: ReportLineDoc) =>
    new Dec(line.base.realizedSinceInception ?? 'NaN').plus(line.base.unrealizedAtClose);
  const half = (amount: Dec, currency: string) => roundToCurrency(amount, currency).toFixed(minorUnits(currency));

  it('each report opens from the previous report date, not the previous weekday', () => {
    expect(reports.map((r) => [r.reportDate, r.previousReportDate])).toEqual([
      ['2024-05-23', null],
      ['2024-05-24', '2024-05-23'],
      ['2024-05-28', '2024-05-24'],
      ['2024-05-29', '2024-05-28'],
    ]);
    expect(reports.every((r) => r.issues.length === 0)).toBe(true);
  });

  it('every cumulative figure is the exact one rounded once; every day is the exact change since the previous report, rounded once', () => {
    const mismatches: string[] = [];
    reports.forEach((report, d) => {
      const today = exact[d] ?? new Map<string, Exact>();
      const before = d === 0 ? new Map<string, Exact>() : (exact[d - 1] ?? new Map<string, Exact>());
      const lines = new Map(report.lines.map((l) => [keyOf(l), l]));
      for (const [key, figures] of today) {
        const line = lines.get(key);
        const previous = before.get(key);
        const change = figures.realized
          .plus(figures.unrealized)
          .minus(previous ? previous.realized.plus(previous.unrealized) : 0);
        const b = figures.baseCurrency;
        const expected = {
          realizedSinceInception: half(figures.realized, b),
          unrealizedAtClose: half(figures.unrealized, b),
          totalToday: half(change, b),
        };
        const got = line && {
          realizedSinceInception: line.base.realizedSinceInception,
          unrealizedAtClose: line.base.unrealizedAtClose,
          totalToday: line.base.totalToday,
        };
        // A position with nothing, ever, has no line: nothing to report.
        if (got === undefined && Object.values(expected).every((v) => new Dec(v).isZero())) continue;
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          mismatches.push(`${report.reportDate} ${key}: ${JSON.stringify(got)} ≠ ${JSON.stringify(expected)}`);
        }
      }
      expect(report.lines.length).toBeLessThanOrEqual(today.size);
    });
    expect(mismatches).toEqual([]);
  });

  it('whole-cent accounts: the daily totals add up to the cumulative P&L, per line, account and base currency', () => {
    const sums = (pick: (report: DailyReportDoc) => [string, Dec, Dec][]) => {
      const running = new Map<string, Dec>();
      return reports.map((report) =>
        pick(report).map(([key, total, cum]) => {
          const sum = (running.get(key) ?? new Dec(0)).plus(total);
          running.set(key, sum);
          return [report.reportDate, key, sum.toFixed(2), cum.toFixed(2)];
        }),
      );
    };
    const lines = sums((r) =>
      r.lines
        .filter((l) => WHOLE_CENTS.includes(l.accountId))
        .map((l) => [keyOf(l), new Dec(l.base.totalToday), cumulative(l)]),
    );
    const accounts = sums((r) =>
      r.accounts
        .filter((a) => WHOLE_CENTS.includes(a.accountId))
        .map((a) => [
          a.accountId,
          new Dec(a.totalToday),
          new Dec(a.realizedSinceInception ?? 'NaN').plus(a.unrealizedAtClose),
        ]),
    );
    const currencies = sums((r) => {
      const byBase = new Map<string, [Dec, Dec]>();
      for (const a of r.accounts.filter((x) => WHOLE_CENTS.includes(x.accountId))) {
        const [t, c] = byBase.get(a.baseCurrency) ?? [new Dec(0), new Dec(0)];
        byBase.set(a.baseCurrency, [
          t.plus(a.totalToday),
          c.plus(a.realizedSinceInception ?? 'NaN').plus(a.unrealizedAtClose),
        ]);
      }
      return [...byBase].map(([base, [t, c]]) => [base, t, c]);
    });

    for (const rows of [lines, accounts, currencies]) {
      for (const [date, key, sum, cum] of rows.flat()) expect(`${date} ${key} ${sum}`).toBe(`${date} ${key} ${cum}`);
    }
    expect(currencies.flat().map((row) => row[1])).toContain('EUR');
    expect(currencies.flat().map((row) => row[1])).toContain('USD');
  });

  it('the holiday’s FX move is in 05-28’s day, split into price and FX effects that add up to the change', () => {
    const line = reports[2]?.lines.find((l) => l.accountId === 'ACC-004' && l.isin === AAPL);
    const friday = reports[1]?.lines.find((l) => l.accountId === 'ACC-004' && l.isin === AAPL);

    // 100 AAPL in EUR, quiet: 191.00 at 0.91 on Friday, 189.50 at 0.89 on Tuesday (0.89 since the holiday).
    // Price 100 × (189.50 − 191.00) × 0.91 = −136.50; FX 100 × 189.50 × (0.89 − 0.91) = −379.00.
    expect(line?.base.unrealizedAtPreviousClose).toBe(friday?.base.unrealizedAtClose);
    expect(line && [line.base.priceEffectToday, line.base.fxEffectToday, line.base.totalToday]).toEqual([
      '-136.50',
      '-379.00',
      '-515.50',
    ]);
  });

  it('every line foots: realized today + unrealized change = total today, price + FX effect = unrealized change', () => {
    const broken = reports.flatMap((r) =>
      r.lines
        .filter(
          (l) =>
            !new Dec(l.base.realizedToday).plus(l.base.unrealizedChangeToday).eq(l.base.totalToday) ||
            !new Dec(l.base.priceEffectToday ?? 'NaN')
              .plus(l.base.fxEffectToday ?? 'NaN')
              .eq(l.base.unrealizedChangeToday) ||
            !new Dec(l.local.realizedToday).plus(l.local.unrealizedChangeToday).eq(l.local.totalToday),
        )
        .map((l) => `${r.reportDate} ${keyOf(l)}`),
    );

    expect(broken).toEqual([]);
  });

  it('a correction booked after a report lands in the next day, and a closed-out position keeps its realized P&L', () => {
    // ACC-001's first buy amended from 190.00 to 189.50 after 05-24 ran: 100 of it sold on 05-24 (+50 realized),
    // 100 held (+50 unrealized); 05-28 takes the +100 that 05-24, as reported, did not have.
    const tuesday = reports[2]?.lines.find((l) => l.accountId === 'ACC-001' && l.isin === AAPL);
    const friday = reports[1]?.lines.find((l) => l.accountId === 'ACC-001' && l.isin === AAPL);
    expect(
      tuesday &&
        friday &&
        new Dec(tuesday.base.realizedSinceInception ?? 'NaN')
          .minus(friday.base.realizedSinceInception ?? 'NaN')
          .toFixed(2),
    ).toBe(tuesday?.base.realizedToday);
    expect(tuesday?.base.realizedToday).toBe('50.00');
    // ACC-003 sold its AAPL out on 05-24 (100 × 1.00 realized, of which 50 was unrealized at 05-23's close): flat,
    // quiet since, and still a line with its realized P&L.
    const closed = reports.slice(1).map((r) => r.lines.find((l) => l.accountId === 'ACC-003' && l.isin === AAPL));
    expect(closed.map((l) => l && [l.closingQuantity, l.base.realizedSinceInception, l.base.totalToday])).toEqual([
      ['0', '100.00', '50.00'],
      ['0', '100.00', '0.00'],
      ['0', '100.00', '0.00'],
    ]);
  });
});
