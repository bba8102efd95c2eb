import type { Trade } from '../../../lib/domain/trade';
import { PgDailyReportService } from '../../../lib/pnl/service';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, MSFT, book, seedReferenceData, setFxRate, setPrice, trade } from '../helpers/pnl-fixtures';

/**
 * The stored-close path (quiet positions valued in PostgreSQL from the previous line's quantity and open cost,
 * traded ones in code from the stored lots) must give exactly the report a fresh replay from flat gives.
 */
const BP = 'GB0007980591';
const SAP = 'DE0007164600';
const DAY_1 = '2024-08-01';
const DAY_2 = '2024-08-02';
const DAY_3 = '2024-08-05';

const INSTRUMENTS = [
  { isin: AAPL, mic: 'XNYS', currency: 'USD', price: 218.36 },
  { isin: BP, mic: 'XLON', currency: 'GBP', price: 4.7315 },
  { isin: SAP, mic: 'XETR', currency: 'EUR', price: 193.62 },
  // Priced once, on 2024-07-23: still within the lookback on day 1, no longer on day 2 (MISSING_PRICE then).
  { isin: MSFT, mic: 'XNYS', currency: 'USD', price: 427.4 },
] as const;
// Every cost method and base currency; AVERAGE relieves cost × 3 / 12, FIFO and LIFO split lots of 7 and 5.
const ACCOUNTS = ['ACC-001', 'ACC-002', 'ACC-003', 'ACC-004', 'ACC-005', 'ACC-006', 'ACC-007', 'ACC-010'];

function order(
  id: string,
  account: string,
  instrument: (typeof INSTRUMENTS)[number],
  side: 'BUY' | 'SELL',
  quantity: number,
  price: number,
  tradeDate: string,
): Trade {
  const decimals = instrument.isin === BP ? 4 : 2;
  return trade({
    tradeId: id,
    account,
    isin: instrument.isin,
    mic: instrument.mic,
    currency: instrument.currency,
    side,
    quantity: String(quantity),
    price: price.toFixed(decimals),
    commission: (0.37 + quantity * 0.13).toFixed(2),
    tradeDate,
  });
}

function dayOneTrades(): Trade[] {
  return ACCOUNTS.flatMap((account, a) =>
    INSTRUMENTS.flatMap((instrument, i) => {
      const id = `${account}-${i}`;
      const p = instrument.price * (1 + (a - i) / 997);
      const trades = [
        order(`${id}-B1`, account, instrument, 'BUY', 7, p, DAY_1),
        order(`${id}-B2`, account, instrument, 'BUY', 5, p * 1.013, DAY_1),
        order(`${id}-S1`, account, instrument, 'SELL', 3, p * 1.021, DAY_1),
      ];
      // Odd accounts flip BP short; ACC-002 closes SAP out (a quiet flat position is no line the next day).
      if (instrument.isin === BP && a % 2 === 1)
        trades.push(order(`${id}-S2`, account, instrument, 'SELL', 20, p, DAY_1));
      if (instrument.isin === SAP && account === 'ACC-002') {
        trades.push(order(`${id}-S2`, account, instrument, 'SELL', 9, p * 0.994, DAY_1));
      }
      return trades;
    }),
  );
}

/** Every third account trades AAPL and SAP on `date`; ACC-005 also trades MSFT (valued in code, then missing). */
function laterTrades(date: string, shift: number): Trade[] {
  return ACCOUNTS.flatMap((account, a) => {
    const traded = a % 3 === shift ? INSTRUMENTS.filter((i) => i.isin === AAPL || i.isin === SAP) : [];
    const msft = account === 'ACC-005' ? INSTRUMENTS.filter((i) => i.isin === MSFT) : [];
    return [...traded, ...msft].flatMap((instrument) => [
      order(`${account}-${instrument.isin}-${date}-B`, account, instrument, 'BUY', 4, instrument.price * 1.004, date),
      order(`${account}-${instrument.isin}-${date}-S`, account, instrument, 'SELL', 6, instrument.price * 1.007, date),
    ]);
  });
}

describe('daily report: quiet positions valued from the stored close equal a fresh replay', () => {
  let db: TestDatabase;
  let service: PgDailyReportService;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReferenceData(db.pool);
    service = new PgDailyReportService(db.pool, { inFlightMarginSeconds: 0 });
    const prices: Record<string, readonly string[]> = {
      [AAPL]: ['218.36', '218.86', '219.87', '217.49'],
      [BP]: ['4.7315', '4.7282', '4.6975', '4.7409'],
      [SAP]: ['193.62', '195.08', '192.14', '196.33'],
    };
    for (const [isin, series] of Object.entries(prices)) {
      for (const [d, date] of ['2024-07-31', DAY_1, DAY_2, DAY_3].entries()) {
        await setPrice(db.pool, isin, date, series[d] ?? '');
      }
    }
    await setPrice(db.pool, MSFT, '2024-07-23', '427.40');
    // Stored one way round: the other way is 1 / rate, a long decimal, as for real.
    const rates: Record<string, readonly string[]> = {
      'EUR/USD': ['1.0812', '1.0789', '1.0913', '1.0951'],
      'GBP/USD': ['1.2855', '1.2745', '1.2803', '1.2779'],
      'EUR/GBP': ['0.8411', '0.8465', '0.8524', '0.8569'],
    };
    for (const [pair, series] of Object.entries(rates)) {
      const [base, quote] = pair.split('/');
      for (const [d, date] of ['2024-07-31', DAY_1, DAY_2, DAY_3].entries()) {
        await setFxRate(db.pool, base ?? '', quote ?? '', date, series[d] ?? '');
      }
    }
    await book(db.pool, [...dayOneTrades(), ...laterTrades(DAY_2, 0), ...laterTrades(DAY_3, 1)]);
  });
  afterAll(async () => {
    await db.drop();
  });

  async function freshReplay(date: string) {
    await db.pool.query('DELETE FROM daily_pnl_reports');
    return service.generateDocument(date);
  }

  it('day 2 and day 3 from stored closes: lines, totals and issues identical to a replay from flat', async () => {
    await service.generateDocument(DAY_1);
    const day2 = await service.generateDocument(DAY_2);
    const storedDay2 = await service.lines({ reportDate: DAY_2 });
    const day3 = await service.generateDocument(DAY_3);
    const storedDay3 = await service.lines({ reportDate: DAY_3 });

    const fresh2 = await freshReplay(DAY_2);
    const fresh3 = await freshReplay(DAY_3);

    // The stored-close path really was taken, for quiet and traded positions alike.
    expect(day2.statistics.replayed).toBe(0);
    // 32 day-1 lines; ACC-002's SAP, closed out on day 1, is flat and quiet on day 2, but keeps its line (its
    // realized since inception stays in the report's cumulative P&L), valued in PostgreSQL with no price needed.
    expect(day2.statistics.fromSnapshot).toBe(32);
    expect(day2.lines.filter((l) => l.tradeCount === 0).length).toBe(18);
    const closedOut = day2.lines.find((l) => l.accountId === 'ACC-002' && l.isin === SAP);
    expect(closedOut && [closedOut.closingQuantity, closedOut.base.totalToday]).toEqual(['0', '0.00']);
    expect(closedOut?.base.realizedSinceInception).not.toBe('0.00');
    expect(day2.lines.filter((l) => l.tradeCount > 0).length).toBe(6);
    expect(fresh2.statistics.fromSnapshot).toBe(0);
    // 8 MSFT positions: 7 quiet (valued in PostgreSQL) and ACC-005's (in code), none priced within 10 days.
    expect(day2.issues.map((i) => [i.accountId, i.code])).toEqual(
      ACCOUNTS.map((account) => [account, 'MISSING_PRICE']),
    );
    expect({ lines: day2.lines, accounts: day2.accounts, overall: day2.overall, issues: day2.issues }).toEqual({
      lines: fresh2.lines,
      accounts: fresh2.accounts,
      overall: fresh2.overall,
      issues: fresh2.issues,
    });
    expect(storedDay2).toEqual(fresh2.lines);
    expect({ lines: day3.lines, accounts: day3.accounts, overall: day3.overall, issues: day3.issues }).toEqual({
      lines: fresh3.lines,
      accounts: fresh3.accounts,
      overall: fresh3.overall,
      issues: fresh3.issues,
    });
    expect(storedDay3).toEqual(fresh3.lines);
  });

  it('values and sends in batches of one position: the same report as one batch', async () => {
    await db.pool.query('DELETE FROM daily_pnl_reports');
    await service.generateDocument(DAY_1);
    const whole = await service.generateDocument(DAY_2);
    const batched = await new PgDailyReportService(db.pool, {
      inFlightMarginSeconds: 0,
      valuationBatch: 1,
    }).generateDocument(DAY_2);
    expect(batched.statistics).toEqual(whole.statistics);
    expect({ lines: batched.lines, accounts: batched.accounts, overall: batched.overall }).toEqual({
      lines: whole.lines,
      accounts: whole.accounts,
      overall: whole.overall,
    });
    expect(batched.lines.filter((l) => l.tradeCount > 0).length).toBe(6);
  });
});
