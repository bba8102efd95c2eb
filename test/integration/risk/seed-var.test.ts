/**
 * VaR on the seed data: the seed's closes run 63 business days (2024-04-01 to 2024-06-28), too few for a 250-day
 * window; `posttrade refdata load --price-history 251` adds a simulated history before them, after which the
 * end-of-day run of 2024-06-28 values a seed position's VaR. A second load stores nothing new.
 */
import { execFile } from 'node:child_process';

import { PgPositionStore } from '../../../lib/positions/store';
import { riskEndOfDay } from '../../../lib/risk/end-of-day';
import { REPO_ROOT, createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, trade } from '../helpers/pnl-fixtures';

function posttrade(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['--no', 'posttrade', ...args],
      { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

describe('VaR on the seed data', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const accountVar = async (date: string) =>
    (
      await db.pool.query<{ value_at_risk: string | null; var_issue: string | null }>(
        `SELECT value_at_risk::text, var_issue FROM risk_eod_snapshots WHERE as_of_date = $1 AND account_id = 'ACC-001'`,
        [date],
      )
    ).rows[0];

  it('is INSUFFICIENT_HISTORY on the seed alone and computed once the simulated history is loaded', async () => {
    const plain = await posttrade(['refdata', 'load'], db.url);
    expect(plain.code).toBe(0);
    await book(db.pool, [trade({ tradeId: 'SEEDVAR-1', quantity: '100', price: '210.00', tradeDate: '2024-06-27' })]);
    await new PgPositionStore(db.pool).rebuild([{ accountId: 'ACC-001', isin: AAPL }]);
    const before = await riskEndOfDay(db.pool, '2024-06-28');
    const seedOnly = await accountVar('2024-06-28');

    const loaded = await posttrade(['refdata', 'load', '--price-history', '251'], db.url);
    const again = await posttrade(['refdata', 'load', '--price-history', '251'], db.url);
    const after = await riskEndOfDay(db.pool, '2024-06-28');
    const withHistory = await accountVar('2024-06-28');

    expect(before.scenarioDates).toBe(0);
    expect(seedOnly?.value_at_risk).toBeNull();
    expect(seedOnly?.var_issue).toMatch(/^INSUFFICIENT_HISTORY/);
    expect(loaded.code).toBe(0);
    expect(loaded.stdout).toMatch(
      /simulated price history +\d+ closes from 2023-\d\d-\d\d \(seed 1\): [1-9]\d* inserted, 0 already/,
    );
    expect(again.stdout).toMatch(/simulated price history +\d+ closes .*: 0 inserted/);
    expect(after.scenarioDates).toBe(250);
    expect(withHistory?.var_issue).toBeNull();
    // 100 AAPL: a one-day 99 % loss of a position worth about 21,000 is positive and well under its value.
    expect(Number(withHistory?.value_at_risk)).toBeGreaterThan(0);
    expect(Number(withHistory?.value_at_risk)).toBeLessThan(2_100);
  }, 120_000);
});
