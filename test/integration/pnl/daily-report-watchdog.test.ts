/** checkDailyReport against the real database: a stored report passes, a missing one fails non-retriably. */
import { checkDailyReportHandler, dailyPnlHandler } from '../../../lib/pnl/handlers';
import { checkDailyReport, DailyReportMissingError } from '../../../lib/pnl/watchdog';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('checkDailyReport', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('finds the stored report of the date', async () => {
    await db.pool.query(
      `INSERT INTO daily_pnl_reports (report_date, generated_at, line_count, summary)
       VALUES ('2024-05-28', '2024-05-28T21:31:04Z', 3, '{}')`,
    );

    const found = await checkDailyReport(db.pool, '2024-05-28');

    expect(found).toEqual({ reportDate: '2024-05-28', generatedAt: '2024-05-28T21:31:04.000Z', lineCount: 3 });
  });

  it('fails, not retriably, when the date has no report', async () => {
    const missing = checkDailyReport(db.pool, '2024-05-29');

    await expect(missing).rejects.toThrow(DailyReportMissingError);
    await expect(missing).rejects.toMatchObject({ retriable: false, reportDate: '2024-05-29' });
  });

  it("checks, as the scheduled function does, the business day before the clock's date, or the date it is given", async () => {
    await db.pool.query(
      `INSERT INTO daily_pnl_reports (report_date, generated_at, line_count, summary)
       VALUES ('2024-05-31', '2024-05-31T21:30:00Z', 2, '{}')`,
    );
    // Monday 3 June 2024: the business day before is Friday 31 May.
    const check = checkDailyReportHandler({ pool: db.pool, now: () => new Date('2024-06-03T22:00:00Z') });

    await expect(check(undefined)).resolves.toMatchObject({ reportDate: '2024-05-31', lineCount: 2 });
    await expect(check({ date: '2024-05-29' })).rejects.toMatchObject({ reportDate: '2024-05-29' });
    await expect(check({ date: '31/05/2024' })).rejects.toThrow(RangeError);
  });

  it('finds the report the daily function stored for the business day before the same clock', async () => {
    // Saturday 8 June 2024: both functions settle on Friday 7 June.
    const now = (): Date => new Date('2024-06-08T06:00:00Z');

    const stored = await dailyPnlHandler({ pool: db.pool, now })(undefined);
    const found = await checkDailyReportHandler({ pool: db.pool, now })(undefined);

    expect(stored).toMatchObject({ reportDate: '2024-06-07', positions: 0, notValued: 0 });
    expect(found).toMatchObject({ reportDate: '2024-06-07', lineCount: 0 });
  });
});
