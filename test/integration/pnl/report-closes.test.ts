import { Dec } from '../../../lib/domain/money';
/**
 * Closing positions are stored once in daily_pnl_closes and shared by the lines of later reports on which the
 * position stayed quiet (migration 1732407100000). A rerun of a date must neither leave a line pointing at nothing
 * nor leave closes nobody points at, and a line stored with its close inline (before the migration) still starts
 * the next report.
 */
import { PgDailyReportService } from '../../../lib/pnl/service';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, seedReferenceData, setFxRate, setPrice, trade } from '../helpers/pnl-fixtures';

const DAY_1 = '2024-07-01';
const DAY_2 = '2024-07-02';
const DAY_3 = '2024-07-03';

describe('daily P&L report: stored closes shared between dates', () => {
  let db: TestDatabase;
  let service: PgDailyReportService;

  async function closeIds(date: string): Promise<Record<string, string | null>> {
    const { rows } = await db.pool.query<{ account_id: string; close_id: string | null }>(
      `SELECT account_id, close_id::text AS close_id FROM daily_pnl_lines WHERE report_date = $1 ORDER BY account_id`,
      [date],
    );
    return Object.fromEntries(rows.map((row) => [row.account_id, row.close_id]));
  }

  async function closesWrittenBy(date: string): Promise<string[]> {
    const { rows } = await db.pool.query<{ account_id: string }>(
      `SELECT account_id FROM daily_pnl_closes WHERE report_date = $1 ORDER BY account_id`,
      [date],
    );
    return rows.map((row) => row.account_id);
  }

  /** Lines pointing at a close that does not exist, and closes no line points at. */
  async function integrity(): Promise<{ dangling: number; orphaned: number }> {
    const { rows } = await db.pool.query<{ dangling: number; orphaned: number }>(
      `SELECT (SELECT count(*)::int FROM daily_pnl_lines l
               WHERE l.closing_position IS NULL
                 AND NOT EXISTS (SELECT 1 FROM daily_pnl_closes c WHERE c.close_id = l.close_id)) AS dangling,
              (SELECT count(*)::int FROM daily_pnl_closes c
               WHERE NOT EXISTS (SELECT 1 FROM daily_pnl_lines l WHERE l.close_id = c.close_id)) AS orphaned`,
    );
    return rows[0] ?? { dangling: -1, orphaned: -1 };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReferenceData(db.pool);
    service = new PgDailyReportService(db.pool, { inFlightMarginSeconds: 0 });
    await setPrice(db.pool, AAPL, DAY_1, '11');
    await setPrice(db.pool, AAPL, DAY_2, '14');
    await setPrice(db.pool, AAPL, DAY_3, '13');
    for (const date of [DAY_1, DAY_2, DAY_3]) await setFxRate(db.pool, 'USD', 'GBP', date, '0.80');
    // ACC-001 and ACC-002 buy on day 1; ACC-001 alone sells half on day 2; nobody trades on day 3.
    await book(db.pool, [
      trade({ tradeId: 'C-001-B1', account: 'ACC-001', quantity: '100', price: '10', tradeDate: DAY_1 }),
      trade({ tradeId: 'C-002-B1', account: 'ACC-002', quantity: '100', price: '10', tradeDate: DAY_1 }),
      trade({ tradeId: 'C-001-S1', account: 'ACC-001', side: 'SELL', quantity: '50', price: '13', tradeDate: DAY_2 }),
    ]);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('a quiet position points at the close it had; one that traded gets a close of its own', async () => {
    await service.generate(DAY_1);
    await service.generate(DAY_2);

    const day1 = await closeIds(DAY_1);
    const day2 = await closeIds(DAY_2);
    expect(await closesWrittenBy(DAY_1)).toEqual(['ACC-001', 'ACC-002']);
    expect(await closesWrittenBy(DAY_2)).toEqual(['ACC-001']);
    expect(day2['ACC-002']).toBe(day1['ACC-002']);
    expect(day2['ACC-001']).not.toBe(day1['ACC-001']);
    expect(await integrity()).toEqual({ dangling: 0, orphaned: 0 });
  });

  it('running the latest date again replaces its closes and leaves none behind', async () => {
    const before = await closeIds(DAY_2);

    await service.generate(DAY_2);

    const after = await closeIds(DAY_2);
    expect(await closesWrittenBy(DAY_2)).toEqual(['ACC-001']);
    expect(after['ACC-001']).not.toBe(before['ACC-001']);
    expect(after['ACC-002']).toBe(before['ACC-002']);
    expect(await integrity()).toEqual({ dangling: 0, orphaned: 0 });
  });

  it('running an earlier date again keeps the closes a later report points at', async () => {
    await service.generate(DAY_3);
    const day3Before = await service.get(DAY_3);
    const pointedAt = (await closeIds(DAY_3))['ACC-001'];

    await service.generate(DAY_2);
    const rerun = await service.generate(DAY_3);

    // Day 3's first run pointed at day 2's first close; the rerun of day 2 kept it (day 3 still pointed at it) and
    // wrote a new one, which day 3's rerun now points at; the first is then nobody's and is gone.
    const { rows } = await db.pool.query(`SELECT 1 FROM daily_pnl_closes WHERE close_id = $1`, [pointedAt]);
    expect(rows).toHaveLength(0);
    expect(await closesWrittenBy(DAY_2)).toEqual(['ACC-001']);
    expect(rerun.statistics).toMatchObject({ fromSnapshot: 2, replayed: 0 });
    expect((await service.get(DAY_3))?.lines).toEqual(day3Before?.lines);
    expect(await integrity()).toEqual({ dangling: 0, orphaned: 0 });
  });

  it('a line stored with its close inline, before closes were shared, starts the next report all the same', async () => {
    const expected = await service.get(DAY_3);
    // Days 1 and 2 as reports stored before migration 1732407100000 left them: each close inside its line.
    await db.pool.query(
      `UPDATE daily_pnl_lines l SET closing_position = c.position::jsonb, close_id = NULL
       FROM daily_pnl_closes c WHERE c.close_id = l.close_id AND l.report_date <= $1`,
      [DAY_2],
    );
    await db.pool.query(`DELETE FROM daily_pnl_closes WHERE report_date <= $1`, [DAY_2]);

    const again = await service.generate(DAY_3);

    expect(again.statistics).toMatchObject({ fromSnapshot: 2, replayed: 0 });
    expect((await service.get(DAY_3))?.lines).toEqual(expected?.lines);
    expect(await integrity()).toEqual({ dangling: 0, orphaned: 0 });
  });

  it('a price corrected after the previous report: the opening is that report’s close, the correction lands today', async () => {
    await service.generate(DAY_2);
    await service.generate(DAY_3);
    // Day 2's close corrected from 14 to 15 after both reports ran; day 3 is run again.
    await setPrice(db.pool, AAPL, DAY_2, '15');

    const rerun = await service.generateDocument(DAY_3);
    // Day 2 restated, then day 3 again: now both see 15.
    await service.generate(DAY_2);
    const restated = await service.generateDocument(DAY_3);
    await db.pool.query('DELETE FROM daily_pnl_reports');
    const fresh = await service.generateDocument(DAY_3);

    expect(rerun.statistics).toMatchObject({ fromSnapshot: 2, replayed: 0 });
    // ACC-002: 100 bought at 10, quiet since. Day 2 reported 100 × 14 − 1000 = 400.00: day 3 opens there, so the
    // day's change includes the corrected +100 (no day loses it); once day 2 is restated, day 3 opens at 500.00.
    const acc2 = (report: typeof rerun) => report.lines.find((l) => l.accountId === 'ACC-002')?.local;
    expect(acc2(rerun)?.unrealizedAtPreviousClose).toBe('400.00');
    expect(acc2(restated)?.unrealizedAtPreviousClose).toBe('500.00');
    expect(new Dec(acc2(rerun)?.totalToday ?? '').minus(acc2(restated)?.totalToday ?? '').toFixed(2)).toBe('100.00');
    expect(acc2(rerun)?.unrealizedAtClose).toBe(acc2(restated)?.unrealizedAtClose);
    expect(restated.lines).toEqual(fresh.lines);
  });

  it('deleting a report deletes its lines and the closes no other report points at', async () => {
    await service.generate(DAY_1);
    await service.generate(DAY_2);
    await service.generate(DAY_3);

    await db.pool.query('DELETE FROM daily_pnl_reports WHERE report_date = $1', [DAY_3]);

    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM daily_pnl_lines WHERE report_date = $1`,
      [DAY_3],
    );
    expect(rows[0]?.n).toBe(0);
    // Day 3's lines pointed at closes of days 1 and 2, which those days' lines still point at: kept.
    expect(await closesWrittenBy(DAY_2)).toEqual(['ACC-001']);
    expect(await integrity()).toEqual({ dangling: 0, orphaned: 0 });
  });
});
