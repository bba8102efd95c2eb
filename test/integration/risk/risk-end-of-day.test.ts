/**
 * The end-of-day risk run on the real database and broker, against a hand-computed VaR. ACC-001 holds 10,000 AAPL
 * bought at 100.00, with 200,000 of collateral and no limits. AAPL closes at 100.00 on 251 consecutive days from
 * 2025-01-01 except four dips, each back to 100.00 the next day: 90.00 (−10 %), 95.00 (−5 %), 98.00 (−2 %) and
 * 99.00 (−1 %). At the last date the position is worth 1,000,000; the window's 250 returns hold the four dips'
 * losses (−100,000, −50,000, −20,000, −10,000), the rises after them and zeros; k = ⌈250 × 0.01⌉ = 3: the
 * third-worst, −20,000 on the 98.00 day, so the VaR is 20,000.00. Maintenance 25 % × 1,000,000 = 250,000 > equity
 * 200,000: the run raises a margin call though no position changed, and publishes it.
 */
import { execFile } from 'node:child_process';

import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';

import { queryApiHandler, type QueryEvent } from '../../../lib/api/query/router';
import { PgQueryService } from '../../../lib/api/query/service';
import { addCalendarDays } from '../../../lib/domain/calendar';
import { createKafkaProducer, KafkaPublisher } from '../../../lib/kafka/producer';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { PgDailyReportService } from '../../../lib/pnl/service';
import { PgPositionStore } from '../../../lib/positions/store';
import { PastPositionsError } from '../../../lib/risk/end-of-day';
import { riskEndOfDayHandler } from '../../../lib/risk/handlers';
import { eventually } from '../offline-helpers';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { REPO_ROOT, createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, seedReferenceData, trade } from '../helpers/pnl-fixtures';

const FIRST = '2025-01-01';
const dateAt = (day: number) => addCalendarDays(FIRST, day);
const LAST = dateAt(250);
const DIPS: Readonly<Record<number, string>> = { 40: '90.00', 90: '95.00', 150: '98.00', 200: '99.00' };

function posttrade(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['--no', 'posttrade', ...args],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

describe('riskEndOfDay', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let admin: Admin;
  let consumer: Consumer;
  let publisher: KafkaPublisher;
  const alerts: Record<string, unknown>[] = [];

  beforeAll(async () => {
    [db, broker] = await Promise.all([createTestDatabase(), startTestBroker()]);
    await seedReferenceData(db.pool);
    await db.pool.query(
      `UPDATE risk_accounts SET collateral = 200000, gross_exposure_limit = NULL, net_exposure_limit = NULL,
         instrument_concentration_limit = NULL, sector_concentration_limit = NULL WHERE account_id = 'ACC-001'`,
    );
    const days = Array.from({ length: 251 }, (_, day) => day);
    await db.pool.query(
      `INSERT INTO reference_prices (isin, price_date, price) SELECT $1, d, p FROM unnest($2::date[], $3::numeric[]) AS x(d, p)
       ON CONFLICT (isin, price_date) DO UPDATE SET price = EXCLUDED.price`,
      [AAPL, days.map(dateAt), days.map((day) => DIPS[day] ?? '100.00')],
    );
    await book(db.pool, [trade({ tradeId: 'RISKE-1', quantity: '10000', price: '100.00', tradeDate: FIRST })]);
    await new PgPositionStore(db.pool).rebuild([{ accountId: 'ACC-001', isin: AAPL }]);
    const kafka = new Kafka({ brokers: [broker.address], clientId: 'risk-eod-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'risk-eod-it' }));
    consumer = kafka.consumer({ groupId: 'risk-eod-it-alerts' });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.RISK_ALERTS, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        alerts.push(JSON.parse(message.value?.toString() ?? '{}') as Record<string, unknown>);
        return Promise.resolve();
      },
    });
  }, 120_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await publisher?.disconnect();
    await admin?.disconnect();
    await Promise.all([db?.drop(), broker?.destroy()]);
  });

  interface EodRow {
    date: string;
    gross_exposure: string;
    equity: string;
    maintenance_requirement: string;
    margin_call: boolean;
    value_at_risk: string | null;
    scenario: string | null;
    var_issue: string | null;
  }
  const eodRows = async () =>
    (
      await db.pool.query<EodRow>(
        `SELECT to_char(as_of_date, 'YYYY-MM-DD') AS date, gross_exposure::text, equity::text,
           maintenance_requirement::text, margin_call, value_at_risk::text,
           to_char(var_scenario_date, 'YYYY-MM-DD') AS scenario, var_issue
         FROM risk_eod_snapshots WHERE account_id = 'ACC-001' ORDER BY as_of_date`,
      )
    ).rows;
  const currentVar = async () =>
    (
      await db.pool.query<Pick<EodRow, 'value_at_risk' | 'scenario' | 'var_issue'> & { var_as_of: string | null }>(
        `SELECT to_char(var_as_of, 'YYYY-MM-DD') AS var_as_of, value_at_risk::text,
           to_char(var_scenario_date, 'YYYY-MM-DD') AS scenario, var_issue
         FROM risk_snapshots WHERE account_id = 'ACC-001'`,
      )
    ).rows[0];

  it('stores the hand-computed VaR (20,000, the third-worst day) and publishes the margin call the closes raise', async () => {
    const handler = riskEndOfDayHandler({ pool: db.pool, publisher });

    const summary = await handler({ date: LAST });

    expect(summary).toMatchObject({ date: LAST, scenarioDates: 250, raised: 1, cleared: 0, alertsPublished: 1 });
    expect(await eodRows()).toEqual([
      {
        date: LAST,
        gross_exposure: '1000000',
        equity: '200000',
        maintenance_requirement: '250000',
        margin_call: true,
        value_at_risk: '20000',
        scenario: dateAt(150),
        var_issue: null,
      },
    ]);
    expect(await currentVar()).toEqual({
      var_as_of: LAST,
      value_at_risk: '20000',
      scenario: dateAt(150),
      var_issue: null,
    });
    const raised = await eventually(() => alerts[0], 30_000, 'the margin call on risk.alerts');
    expect(raised).toMatchObject({ transition: 'RAISED', account: 'ACC-001', kind: 'MARGIN_CALL', limit: '250000' });
  });

  it('a rerun of the date replaces its figures and publishes nothing again', async () => {
    const summary = await riskEndOfDayHandler({ pool: db.pool, publisher })({ date: LAST });

    expect(summary).toMatchObject({ raised: 0, alertsPublished: 0 });
    expect((await eodRows()).map((row) => row.value_at_risk)).toEqual(['20000']);
  });

  it('an earlier date with fewer than 251 price dates (101 here and 63 seed ones) has no VaR, and does not replace the later current VaR', async () => {
    const early = dateAt(100);

    const summary = await riskEndOfDayHandler({ pool: db.pool, publisher })({ date: early });

    expect(summary).toMatchObject({ scenarioDates: 0, withoutVar: { INSUFFICIENT_HISTORY: expect.any(Number) } });
    expect((await eodRows()).map((row) => [row.date, row.value_at_risk, String(row.var_issue).split(':')[0]])).toEqual([
      [early, null, 'INSUFFICIENT_HISTORY'],
      [LAST, '20000', 'null'],
    ]);
    expect(await currentVar()).toMatchObject({ var_as_of: LAST, value_at_risk: '20000' });
  });

  it('GET /risk?account=ACC-001 answers the stored figures rounded to USD, the VaR and the open margin call', async () => {
    const handle = queryApiHandler({ service: new PgQueryService(db.pool) });
    const get = (query: Record<string, string>) =>
      handle({
        version: '2.0',
        routeKey: 'GET /risk',
        rawPath: '/risk',
        rawQueryString: new URLSearchParams(query).toString(),
        headers: {},
        queryStringParameters: query,
        requestContext: { http: { method: 'GET' }, authorizer: { lambda: { scope: 'ACC-001' } } },
      } as unknown as QueryEvent);

    const [found, malformed] = await Promise.all([get({ account: 'ACC-001' }), get({ account: '' })]);

    expect(found.statusCode).toBe(200);
    expect(JSON.parse(found.body ?? '')).toMatchObject({
      accountId: 'ACC-001',
      pricesAsOf: LAST,
      grossExposure: '1000000.00',
      equity: '200000.00',
      maintenanceRequirement: '250000.00',
      excessOverMaintenance: '-50000.00',
      marginCall: true,
      valueAtRisk: { asOf: LAST, amount: '20000.00', scenarioDate: dateAt(150), issue: null },
      openAlerts: [{ kind: 'MARGIN_CALL', subject: '', value: '200000', limit: '250000' }],
    });
    expect(malformed.statusCode).toBe(400);
  });

  it('the daily report of the date has the risk section: the margin deficit, the VaR and the open alert', async () => {
    const report = await new PgDailyReportService(db.pool).generateDocument(LAST);

    expect(report.risk.filter((line) => line.accountId === 'ACC-001')).toEqual([
      {
        accountId: 'ACC-001',
        baseCurrency: 'USD',
        equity: '200000.00',
        maintenanceRequirement: '250000.00',
        excessOverMaintenance: '-50000.00',
        marginCall: true,
        valueAtRisk: '20000.00',
        varIssue: null,
        openAlerts: 1,
      },
    ]);
  });

  it('posttrade risk eod --date runs it on demand and prints the summary', async () => {
    const { code, stdout, stderr } = await posttrade(['risk', 'eod', '--date', LAST, '--format', 'json'], {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.address,
    });

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({ date: LAST, scenarioDates: 250, raised: 0, alertsPublished: 0 });
    expect((await eodRows()).map((row) => row.value_at_risk)).toEqual([null, '20000']);
  }, 90_000);

  it('posttrade risk --as-of prints the figures at that date without replacing the current snapshot or any alert', async () => {
    const early = dateAt(100);
    const snapshot = async () =>
      (
        await db.pool.query<{ prices_as_of: string; computed_at: string; alerts: number }>(
          `SELECT to_char(prices_as_of, 'YYYY-MM-DD') AS prices_as_of, computed_at::text,
             (SELECT count(*)::int FROM risk_alerts WHERE account_id = 'ACC-001') AS alerts
           FROM risk_snapshots WHERE account_id = 'ACC-001'`,
        )
      ).rows[0];
    const before = await snapshot();
    expect(before?.prices_as_of).toBe(LAST);

    const { code, stdout, stderr } = await posttrade(
      ['risk', '--account', 'ACC-001', '--as-of', early, '--format', 'json'],
      { DATABASE_URL: db.url },
    );

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({
      accountId: 'ACC-001',
      asOf: early,
      stored: false,
      pricesAsOf: early,
      grossExposure: '1000000.00',
      breachesAsOf: [{ kind: 'MARGIN_CALL', subject: '', value: '200000', limit: '250000' }],
    });
    expect(await snapshot()).toEqual(before);
  }, 90_000);

  it('a past date is refused once a later-dated trade has changed the positions (they are not those of the date)', async () => {
    await book(db.pool, [trade({ tradeId: 'RISKE-2', quantity: '500', price: '100.00', tradeDate: dateAt(120) })]);
    await new PgPositionStore(db.pool).rebuild([{ accountId: 'ACC-001', isin: AAPL }]);
    const handler = riskEndOfDayHandler({ pool: db.pool, publisher });

    await expect(handler({ date: dateAt(100) })).rejects.toThrow(
      new PastPositionsError(dateAt(100), dateAt(120)).message,
    );
    expect((await eodRows()).map((row) => [row.date, row.gross_exposure])).toEqual([
      [dateAt(100), '1000000'],
      [LAST, '1000000'],
    ]);
    // The date of the later trade, and any date after it, still runs (on positions that are the date's).
    await expect(handler({ date: dateAt(120) })).resolves.toMatchObject({ date: dateAt(120) });
  });
});
