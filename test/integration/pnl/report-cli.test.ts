/**
 * The report commands as a person runs them: `npx posttrade report daily ...` and `npx posttrade report positions`
 * in a child process against a real database (DATABASE_URL), with hand-computed figures.
 *
 * ACC-001 (FIFO) buys 100 AAPL @ 150.00 + 1.00 commission on Fri 2024-05-24 (close 160.78) and sells 40 @ 158.00
 * − 1.00 on Tue 2024-05-28 (close 157.17): previous close cost 15,001.00, opening unrealized 16,078.00 − 15,001.00
 * = 1,077.00; realized 6,319.00 − 6,000.40 = 318.60; closing unrealized 60 × 157.17 − 9,000.60 = 429.60; total
 * 318.60 + (429.60 − 1,077.00) = −328.80. ACC-002 (LIFO) buys 50 @ 155.00 on 2024-05-28: 7,858.50 − 7,750.00 =
 * 108.50. Overall USD −220.30. A custodian statement of 2024-05-28 covers ACC-002 only and agrees on its AAPL:
 * the position report shows ACC-002 MATCHED and ACC-001 NOT_RECONCILED.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { PgPositionStore } from '../../../lib/positions/store';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, seedReferenceData, trade } from '../helpers/pnl-fixtures';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

function posttrade(args: readonly string[], databaseUrl: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // `--no`: npx must resolve the project's own bin, never fetch a package of that name from a registry.
    execFile(
      'npx',
      ['--no', 'posttrade', ...args],
      { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error === null) resolve({ stdout, stderr });
        else reject(new Error(`posttrade ${args.join(' ')} failed: ${stderr}`, { cause: error }));
      },
    );
  });
}

describe('posttrade report daily / report positions against a real database', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReferenceData(db.pool);
    await book(db.pool, [
      trade({
        tradeId: 'CLI-B1',
        account: 'ACC-001',
        isin: AAPL,
        quantity: '100',
        price: '150.00',
        commission: '1.00',
        tradeDate: '2024-05-24',
      }),
      trade({
        tradeId: 'CLI-S1',
        account: 'ACC-001',
        isin: AAPL,
        side: 'SELL',
        quantity: '40',
        price: '158.00',
        commission: '1.00',
        tradeDate: '2024-05-28',
      }),
      trade({
        tradeId: 'CLI-B2',
        account: 'ACC-002',
        isin: AAPL,
        quantity: '50',
        price: '155.00',
        tradeDate: '2024-05-28',
      }),
    ]);
    await new PgPositionStore(db.pool).rebuild([
      { accountId: 'ACC-001', isin: AAPL },
      { accountId: 'ACC-002', isin: AAPL },
    ]);
    await db.pool.query(
      `INSERT INTO custody_statements (statement_id, custodian, statement_date, accounts, statement, origin)
       VALUES ('CLI-ST', 'IRVTUS3N', '2024-05-28', '{ACC-002}', $1, 'FILE')`,
      [{ positions: [{ account: 'ACC-002', isin: AAPL, quantity: '50' }], cash: [] }],
    );
    dir = await mkdtemp(path.join(os.tmpdir(), 'posttrade-report-cli-'));
  });
  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('report daily --format html --out FILE writes the page, stores the report and says what it did', async () => {
    const out = path.join(dir, 'x.html');

    const { stderr } = await posttrade(
      ['report', 'daily', '--date', '2024-05-28', '--format', 'html', '--out', out],
      db.url,
    );

    expect(stderr).toMatch(/daily P&L 2024-05-28: 2 positions, total today -220\.30 USD, 0 not valued; wrote /);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('<title>Daily P&amp;L 2024-05-28</title>');
    expect(html).toContain('data-total="USD"><span class="neg">−220.30</span>');
    const { rows } = await db.pool.query<{ account_id: string; total: string; realized: string }>(
      `SELECT account_id, total_today_base::text AS total, realized_today_base::text AS realized FROM daily_pnl_lines
       WHERE report_date = '2024-05-28' ORDER BY account_id`,
    );
    expect(rows).toEqual([
      { account_id: 'ACC-001', total: '-328.80', realized: '318.60' },
      { account_id: 'ACC-002', total: '108.50', realized: '0.00' },
    ]);
  }, 90_000);

  it('report daily --format csv to stdout: one row per position', async () => {
    const { stdout } = await posttrade(['report', 'daily', '--date', '2024-05-28', '--format', 'csv'], db.url);

    const rows = stdout.trimEnd().split('\r\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toMatch(
      // No report before: the day runs from the weekday before's close (Memorial Day: Friday's price). Realized
      // today, unrealized change, fees, total today, realized since inception, unrealized at the previous close and
      // at this close.
      /^2024-05-28,,ACC-001,US0378331005,FIFO,USD,USD,100,60,1,0,40,157\.17,1,318\.60,-647\.40,1\.00,-328\.80,318\.60,1077\.00,429\.60,/,
    );
  }, 90_000);

  it('report positions --format csv: market value at the latest price (2024-06-28: 156.32), recon status', async () => {
    const { stdout } = await posttrade(['report', 'positions', '--format', 'csv'], db.url);

    expect(stdout.trimEnd().split('\r\n')).toEqual([
      'account_id,isin,cost_method,currency,base_currency,quantity,price_date,price,market_value,market_value_base,open_cost,realized,' +
        'reconciliation_status,reconciled_as_of,break_class,break_opened_on,break_age_business_days,break_ageing_bucket',
      'ACC-001,US0378331005,FIFO,USD,USD,60,2024-06-28,156.32,9379.20,9379.20,9000.60,318.60,NOT_RECONCILED,,,,,',
      'ACC-002,US0378331005,LIFO,USD,USD,50,2024-06-28,156.32,7816.00,7816.00,7750.00,0.00,MATCHED,2024-05-28,,,,',
    ]);
  }, 90_000);

  it('report positions --account ACC-002 (JSON) lists only that account', async () => {
    const { stdout } = await posttrade(['report', 'positions', '--account', 'ACC-002'], db.url);

    const lines = JSON.parse(stdout) as {
      accountId: string;
      quantity: string;
      marketValue: string;
      reconciliationStatus: string;
    }[];
    expect(lines.map((l) => [l.accountId, l.quantity, l.marketValue, l.reconciliationStatus])).toEqual([
      ['ACC-002', '50', '7816.00', 'MATCHED'],
    ]);
  }, 90_000);
});
