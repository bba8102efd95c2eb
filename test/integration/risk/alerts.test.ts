/**
 * The risk evaluation on the real database: ACC-001 holds 10,000 AAPL bought at 170.00 with 300,000 of
 * collateral. At 170.00 its maintenance requirement is 25 % × 1,700,000 = 425,000 > equity 300,000: a margin
 * call, raised once however often the account is evaluated; at 200.00 equity is 300,000 + 300,000 = 600,000 >
 * 500,000: cleared; back at 170.00 a new alert, once even when two evaluations run at the same time.
 */
import { execFile } from 'node:child_process';

import { PgPositionStore } from '../../../lib/positions/store';
import { PgRiskService } from '../../../lib/risk/service';
import { REPO_ROOT, createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, seedReferenceData, setPrice, trade } from '../helpers/pnl-fixtures';

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

describe('risk alerts', () => {
  let db: TestDatabase;
  let risk: PgRiskService;

  beforeAll(async () => {
    db = await createTestDatabase();
    await seedReferenceData(db.pool);
    await db.pool.query(
      `UPDATE risk_accounts SET collateral = 300000, gross_exposure_limit = NULL, net_exposure_limit = NULL,
         instrument_concentration_limit = NULL, sector_concentration_limit = NULL WHERE account_id = 'ACC-001'`,
    );
    await book(db.pool, [trade({ tradeId: 'RISK-1', quantity: '10000', price: '170.00', tradeDate: '2024-06-27' })]);
    await new PgPositionStore(db.pool).rebuild([{ accountId: 'ACC-001', isin: AAPL }]);
    risk = new PgRiskService(db.pool);
  });

  afterAll(async () => {
    await db.drop();
  });

  const alerts = async () =>
    (
      await db.pool.query<{ kind: string; subject: string; value: string; limit_value: string; cleared: boolean }>(
        `SELECT kind, subject, value::text, limit_value::text, cleared_at IS NOT NULL AS cleared
         FROM risk_alerts WHERE account_id = 'ACC-001' ORDER BY alert_id`,
      )
    ).rows;

  it('raises a margin call once, keeps it while it lasts, and clears it when equity recovers', async () => {
    await setPrice(db.pool, AAPL, '2024-07-01', '170.00');

    const first = await risk.evaluate(['ACC-001']);
    const again = await risk.evaluate(['ACC-001']);

    expect([first.raised, again.raised, again.cleared]).toEqual([1, 0, 0]);
    expect(await alerts()).toEqual([
      { kind: 'MARGIN_CALL', subject: '', value: '300000', limit_value: '425000', cleared: false },
    ]);
    const { rows } = await db.pool.query(
      `SELECT prices_as_of::text, gross_exposure::text, equity::text, maintenance_requirement::text, margin_call
       FROM risk_snapshots WHERE account_id = 'ACC-001'`,
    );
    expect(rows).toEqual([
      {
        prices_as_of: '2024-07-01',
        gross_exposure: '1700000',
        equity: '300000',
        maintenance_requirement: '425000',
        margin_call: true,
      },
    ]);

    await setPrice(db.pool, AAPL, '2024-07-02', '200.00');
    const recovered = await risk.evaluate(['ACC-001']);

    expect([recovered.raised, recovered.cleared]).toEqual([0, 1]);
    expect((await alerts()).map((a) => a.cleared)).toEqual([true]);
  });

  it('raises a new breach once when two evaluations of the account run at the same time', async () => {
    await setPrice(db.pool, AAPL, '2024-07-03', '170.00');

    const results = await Promise.all([risk.evaluate(['ACC-001']), risk.evaluate(['ACC-001'])]);

    expect(results.map((r) => r.raised).sort()).toEqual([0, 1]);
    expect((await alerts()).map((a) => [a.kind, a.cleared])).toEqual([
      ['MARGIN_CALL', true],
      ['MARGIN_CALL', false],
    ]);
  });

  it('evaluates at an earlier date with the closes on or before it', async () => {
    const past = await risk.evaluate(['ACC-001'], { asOf: '2024-07-02' });

    expect(past.risks[0]?.pricesAsOf).toBe('2024-07-02');
    expect(past.risks[0]?.margin.marginCall).toBe(false);
    expect(past.cleared).toBe(1);
  });

  it('posttrade risk --account evaluates at the latest closes (170.00 on 2024-07-03) and prints rounded figures', async () => {
    const { code, stdout } = await posttrade(['risk', '--account', 'ACC-001', '--format', 'json'], db.url);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      accountId: 'ACC-001',
      pricesAsOf: '2024-07-03',
      grossExposure: '1700000.00',
      equity: '300000.00',
      maintenanceRequirement: '425000.00',
      excessOverMaintenance: '-125000.00',
      marginCall: true,
      sectors: [{ sector: 'INFORMATION_TECHNOLOGY', grossMarketValue: '1700000.00', concentrationPercent: '100.00' }],
      openAlerts: [{ kind: 'MARGIN_CALL', subject: '', value: '300000', limit: '425000' }],
    });
    expect((await alerts()).map((a) => a.cleared)).toEqual([true, true, false]);
  }, 90_000);

  it('posttrade risk: exit 1 for an unknown account, 2 without --account', async () => {
    expect((await posttrade(['risk', '--account', 'NOPE'], db.url)).code).toBe(1);
    expect((await posttrade(['risk'], db.url)).code).toBe(2);
  }, 90_000);
});
