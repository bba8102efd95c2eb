/**
 * Risk that moves with the positions, on the real database and broker: a rebuilt position is put in the
 * positions.changed outbox in the rebuild's own transaction and published; the riskPositions handler, driven by the
 * event-source runner from positions.changed, re-evaluates the account (ACC-001: 10,000 AAPL at 170.00 against
 * 300,000 of collateral, maintenance 25 % × 1,700,000 = 425,000 > 300,000: a margin call) and publishes the alert
 * to risk.alerts once; a redelivered batch raises and publishes nothing; the clear (at 200.00: equity 600,000 >
 * maintenance 500,000) is published once too. An end-of-day price load (prices.eod, 170.00 again) re-evaluates the
 * account without any position change: the margin call is raised again. risk.alerts is at least once: a crash
 * between the broker's acknowledgement and the outbox mark sends the clear again, with the same alertId.
 */
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';

import type { KafkaEvent } from '../../../lib/kafka/decode';
import { createKafkaProducer, KafkaPublisher } from '../../../lib/kafka/producer';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { publishPositionChanges } from '../../../lib/positions/change-outbox';
import { PgPositionStore } from '../../../lib/positions/store';
import { eodPricesHandler } from '../../../lib/prices/handlers';
import { publishRiskAlerts } from '../../../lib/risk/alert-outbox';
import { riskPositionsHandler } from '../../../lib/risk/handlers';
import { PgRiskService } from '../../../lib/risk/service';
import { parseEventSourceMappings, startEventSourceRunner } from '../../../localstack/esm';
import { rawKafkaEvent } from '../../helpers/kafka-events';
import { eventually } from '../offline-helpers';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, seedReferenceData, setPrice, trade } from '../helpers/pnl-fixtures';

const ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/risk';

describe('riskPositions on positions.changed', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let admin: Admin;
  let consumer: Consumer;
  let publisher: KafkaPublisher;
  let runner: Awaited<ReturnType<typeof startEventSourceRunner>>;
  const alerts: Record<string, unknown>[] = [];
  const changes: KafkaEvent[] = [];
  const handle = () => riskPositionsHandler({ pool: db.pool, publisher });

  beforeAll(async () => {
    [db, broker] = await Promise.all([createTestDatabase(), startTestBroker()]);
    await seedReferenceData(db.pool);
    await db.pool.query(
      `UPDATE risk_accounts SET collateral = 300000, gross_exposure_limit = NULL, net_exposure_limit = NULL,
         instrument_concentration_limit = NULL, sector_concentration_limit = NULL WHERE account_id = 'ACC-001'`,
    );
    const kafka = new Kafka({ brokers: [broker.address], clientId: 'risk-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'risk-it' }));
    consumer = kafka.consumer({ groupId: 'risk-it-alerts' });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.RISK_ALERTS, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        alerts.push({ key: message.key?.toString(), ...(JSON.parse(message.value?.toString() ?? '{}') as object) });
        return Promise.resolve();
      },
    });
    const parsed = parseEventSourceMappings({
      functions: {
        riskPositions: {
          events: [{ msk: { arn: ARN, topic: Topics.POSITIONS_CHANGED, startingPosition: 'TRIM_HORIZON' } }],
        },
        eodPrices: {
          events: [{ msk: { arn: ARN, topic: Topics.PRICES_EOD, startingPosition: 'TRIM_HORIZON' } }],
        },
      },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const handler = handle();
    runner = await startEventSourceRunner({
      brokers: broker.address,
      mappings: parsed.value,
      handlers: {
        riskPositions: async (event) => {
          const summary = await handler(event);
          changes.push(event);
          return summary;
        },
        eodPrices: eodPricesHandler({ pool: db.pool, publisher }),
      },
    });
  }, 120_000);

  afterAll(async () => {
    await runner?.stop();
    await consumer?.disconnect();
    await publisher?.disconnect();
    await admin?.disconnect();
    await Promise.all([db?.drop(), broker?.destroy()]);
  });

  const snapshot = async () =>
    (
      await db.pool.query<{ equity: string; maintenance_requirement: string; margin_call: boolean }>(
        `SELECT equity::text, maintenance_requirement::text, margin_call FROM risk_snapshots
         WHERE account_id = 'ACC-001'`,
      )
    ).rows[0];

  it('a rebuild puts the position in the outbox in its transaction; publishing sends it once and empties it', async () => {
    await setPrice(db.pool, AAPL, '2024-07-01', '170.00');
    await book(db.pool, [trade({ tradeId: 'RISKP-1', quantity: '10000', price: '170.00', tradeDate: '2024-06-27' })]);

    await new PgPositionStore(db.pool).rebuild([{ accountId: 'ACC-001', isin: AAPL }]);
    const pending = await db.pool.query(`SELECT account_id, trim(isin) AS isin, open FROM position_changes`);
    const sent = await publishPositionChanges(db.pool, publisher);
    const again = await publishPositionChanges(db.pool, publisher);

    expect(pending.rows).toEqual([{ account_id: 'ACC-001', isin: AAPL, open: true }]);
    expect([sent, again]).toEqual([1, 0]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM position_changes')).rows[0]).toEqual({ n: 0 });
  });

  it('the stage re-evaluates the account and publishes the margin call to risk.alerts once', async () => {
    const raised = await eventually(() => alerts[0], 30_000, 'the margin call on risk.alerts');

    expect(raised).toMatchObject({
      key: 'ACC-001',
      schemaVersion: 1,
      transition: 'RAISED',
      account: 'ACC-001',
      kind: 'MARGIN_CALL',
      subject: '',
      value: '300000',
      limit: '425000',
    });
    expect(await snapshot()).toEqual({ equity: '300000', maintenance_requirement: '425000', margin_call: true });
    const { rows } = await db.pool.query(
      `SELECT raised_published_at IS NOT NULL AS sent FROM risk_alerts WHERE account_id = 'ACC-001'`,
    );
    expect(rows).toEqual([{ sent: true }]);
  });

  it('a redelivered batch raises nothing and publishes nothing', async () => {
    const batch = changes[0];
    if (batch === undefined) throw new Error('no positions.changed batch reached the stage');

    const summary = await handle()(batch);

    expect(summary).toMatchObject({ records: 1, accounts: 1, raised: 0, cleared: 0, alertsPublished: 0 });
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM risk_alerts`)).rows[0]).toEqual({ n: 1 });
  });

  it('an undecodable record is dead-lettered, and the summary (the DeadLettered metric) counts it the first time only', async () => {
    const event = rawKafkaEvent(Topics.POSITIONS_CHANGED, [Buffer.from('{"schemaVersion":1,"account":')]);

    const first = await handle()(event);
    const again = await handle()(event);

    expect([first, again]).toMatchObject([
      { records: 1, undecodable: 1, deadLettered: 1 },
      { records: 1, undecodable: 1, deadLettered: 0 },
    ]);
  });

  it('when the position recovers (200.00) the clear is published once, and a redelivery sends nothing more', async () => {
    await setPrice(db.pool, AAPL, '2024-07-02', '200.00');
    await new PgPositionStore(db.pool).rebuild([{ accountId: 'ACC-001', isin: AAPL }]);
    await publishPositionChanges(db.pool, publisher);

    const cleared = await eventually(() => alerts[1], 30_000, 'the clear on risk.alerts');
    const batch = changes[changes.length - 1];
    if (batch === undefined) throw new Error('no batch');
    const redelivered = await handle()(batch);
    // One more full round trip through the stage: whatever it would send has arrived once it is handled.
    await new PgPositionStore(db.pool).rebuild([{ accountId: 'ACC-001', isin: AAPL }]);
    const before = changes.length;
    await publishPositionChanges(db.pool, publisher);
    await eventually(() => (changes.length > before ? true : undefined), 30_000, 'another batch');

    expect(cleared).toMatchObject({
      transition: 'CLEARED',
      kind: 'MARGIN_CALL',
      alertId: (alerts[0] as { alertId: string }).alertId,
    });
    expect(redelivered).toMatchObject({ raised: 0, cleared: 0, alertsPublished: 0 });
    expect(await snapshot()).toMatchObject({ equity: '600000', margin_call: false });
    expect(alerts.map((a) => a.transition)).toEqual(['RAISED', 'CLEARED']);
  });

  it('an end-of-day price load re-evaluates the accounts holding the instrument: the new close raises the margin call again', async () => {
    await publisher.publish([
      {
        topic: Topics.PRICES_EOD,
        key: AAPL,
        value: { schemaVersion: 1, isin: AAPL, date: '2024-07-03', price: '170.00', currency: 'USD', source: 'IT' },
      },
    ]);

    const raised = await eventually(() => alerts[2], 30_000, 'the margin call the new close raises');

    expect(raised).toMatchObject({ transition: 'RAISED', kind: 'MARGIN_CALL', value: '300000', limit: '425000' });
    const { rows } = await db.pool.query(
      `SELECT to_char(prices_as_of, 'YYYY-MM-DD') AS prices_as_of, margin_call FROM risk_snapshots
       WHERE account_id = 'ACC-001'`,
    );
    expect(rows).toEqual([{ prices_as_of: '2024-07-03', margin_call: true }]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM position_changes')).rows[0]).toEqual({ n: 0 });
  });

  it('risk.alerts is at least once: a crash after the broker took a transition and before it was marked sends it again with the same alertId, and the alert is stored once', async () => {
    await setPrice(db.pool, AAPL, '2024-07-05', '200.00');
    await new PgRiskService(db.pool).evaluate(['ACC-001']);
    const crashing = {
      publish: async (messages: Parameters<KafkaPublisher['publish']>[0]) => {
        await publisher.publish(messages);
        throw new Error('crashed after the broker acknowledged');
      },
    };

    await expect(publishRiskAlerts(db.pool, crashing)).rejects.toThrow('crashed after the broker acknowledged');
    const sent = await publishRiskAlerts(db.pool, publisher);
    const again = await publishRiskAlerts(db.pool, publisher);

    expect([sent, again]).toEqual([1, 0]);
    const cleared = await eventually(() => (alerts.length >= 5 ? alerts.slice(3) : undefined), 30_000, 'both sends');
    const { alertId } = alerts[2] as { alertId: string };
    expect(cleared.map((a) => [a.alertId, a.transition])).toEqual([
      [alertId, 'CLEARED'],
      [alertId, 'CLEARED'],
    ]);
    const { rows } = await db.pool.query(
      `SELECT alert_id::text, cleared_at IS NOT NULL AS cleared, cleared_published_at IS NOT NULL AS sent
       FROM risk_alerts WHERE account_id = 'ACC-001' AND alert_id = $1`,
      [alertId],
    );
    expect(rows).toEqual([{ alert_id: alertId, cleared: true, sent: true }]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM risk_alerts')).rows[0]).toEqual({ n: 2 });
  });
});
