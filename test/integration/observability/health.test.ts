/**
 * GET /health (lib/api/health.ts) on the real broker and PostgreSQL: the verdict of `posttrade status`, 200 when
 * healthy or degraded, 503 when down, and nothing of the internals (groups, offsets, errors) in the body.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';

import { healthHandler } from '../../../lib/api/health';
import { loadConfig } from '../../../lib/config';
import { PgStatusStore } from '../../../lib/db/status-store';
import { SharedAdmin, createKafkaAdmin } from '../../../lib/kafka/admin';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, freePort, type TestDatabase } from '../helpers/postgres';

describe('GET /health', () => {
  let broker: TestBroker;
  let admin: Admin;
  let db: TestDatabase;

  function health(brokers: string, thresholds = { lagMax: 0, deadLettersPerHourMax: 0, staleStageSeconds: 60 }) {
    const kafka = loadConfig({ KAFKA_BROKERS: brokers }).kafka;
    return healthHandler({
      admin: () => createKafkaAdmin(kafka),
      store: () => new PgStatusStore(db.pool),
      deployment: 'local',
      thresholds,
    })({});
  }

  beforeAll(async () => {
    broker = await startTestBroker();
    admin = new Kafka({ brokers: [broker.address], clientId: 'health-it', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.destroy();
    await db.drop();
  });

  it('answers 200 healthy when nothing is waiting, without authentication', async () => {
    const response = await health(broker.address);

    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    const body = JSON.parse(String(response.body)) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['checkedAt', 'status']);
    expect(body.status).toBe('healthy');
  });

  it('answers 200 degraded when a stage has records waiting over the threshold, naming nothing internal', async () => {
    const producer = new Kafka({
      brokers: [broker.address],
      clientId: 'health-it',
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    await producer.send({ topic: Topics.PRICES_EOD, messages: [{ key: 'US0378331005', value: '{}' }] });
    await producer.disconnect();

    const response = await health(broker.address);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(String(response.body))).toEqual({ status: 'degraded', checkedAt: expect.any(String) as unknown });
    expect(String(response.body)).not.toMatch(/eodPrices|prices\.eod|posttrade-/);
  });

  it('answers 503 down with Retry-After when the broker does not answer', async () => {
    const response = await health(`127.0.0.1:${await freePort()}`);

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '30' });
    expect(JSON.parse(String(response.body))).toEqual({ status: 'down', checkedAt: expect.any(String) as unknown });
  });

  it('keeps one broker connection across checks, and opens a new one only after a failure', async () => {
    // Arrange: the health function's shared admin, first pointed at a port nothing listens on
    let brokers = `127.0.0.1:${await freePort()}`;
    const shared = new SharedAdmin(() => createKafkaAdmin(loadConfig({ KAFKA_BROKERS: brokers }).kafka));
    const check = healthHandler({
      admin: shared,
      store: () => new PgStatusStore(db.pool),
      deployment: 'local',
      thresholds: { lagMax: 1000, deadLettersPerHourMax: 1000, staleStageSeconds: 60 },
    });

    // Act
    const down = await check({});
    brokers = broker.address;
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await check({})).statusCode);
    await shared.discard();

    // Assert
    expect(down.statusCode).toBe(503);
    expect(statuses).toEqual([200, 200, 200]);
    expect(shared.connections).toBe(2); // the failed one, then one for all three checks
  });
});
