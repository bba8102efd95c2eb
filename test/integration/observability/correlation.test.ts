/**
 * The correlation id from capture to the booked trade on the real broker and PostgreSQL: kept through a failed
 * publish and its retry (the outbox republishes with the same headers), on rejections and dead letters; and
 * `posttrade trace`'s store shows a rejected trade's reasons and an amended trade's versions; settlement's
 * instructions and reconciliation's break events carry the id of the trade or statement they are about.
 */
import path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';
import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';

import type { KafkaEvent, KafkaEventRecord } from '../../../lib/kafka/decode';
import type { CustodyStatementV1 } from '../../../lib/kafka/schemas/custody-statement';
import { KafkaPublisher, createKafkaProducer, type EventPublisher } from '../../../lib/kafka/producer';
import { Topics } from '../../../lib/kafka/topics';
import { CORRELATION_HEADER } from '../../../lib/observability/correlation';
import { readTradeTrace } from '../../../lib/observability/trace-store';
import {
  captureHandler,
  persistHandler,
  validateHandler,
  type AuthorizerContext,
} from '../../../lib/pipeline/handlers';
import { positionsHandler } from '../../../lib/positions/handlers';
import { reconcileHandler } from '../../../lib/recon/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { settleTradesHandler } from '../../../lib/settlement/handlers';
import { loadEvent } from '../../helpers/events';
import { seedTrade } from '../../helpers/trades';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { PgAccountOwners } from '../../../lib/db/account-owners';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

function request(body: unknown, correlationId: string): APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext> {
  return {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
    isBase64Encoded: false,
    requestContext: { requestId: `req-${correlationId}`, authorizer: { lambda: { scope: '*' } } },
  } as unknown as APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;
}

/** Fails its first publish (the broker "unavailable"), then publishes through to the real broker. */
class FailingOnce implements EventPublisher {
  failed = false;
  constructor(private readonly inner: EventPublisher) {}
  publish(messages: Parameters<EventPublisher['publish']>[0]): Promise<void> {
    if (!this.failed && messages.length > 0) {
      this.failed = true;
      return Promise.reject(Object.assign(new Error('broker unavailable'), { retriable: true }));
    }
    return this.inner.publish(messages);
  }
}

function isInstruction(row: { topic: string }): boolean {
  return row.topic === Topics.SETTLEMENT_INSTRUCTIONS;
}

describe('correlation ids through the pipeline', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let kafka: Kafka;
  let publisher: KafkaPublisher;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
    broker = await startTestBroker();
    const brokers = [`127.0.0.1:${broker.port}`];
    kafka = new Kafka({ clientId: 'correlation-test', brokers, logLevel: logLevel.NOTHING });
    publisher = new KafkaPublisher(createKafkaProducer({ brokers, clientId: 'correlation-test' }));
  });
  afterAll(async () => {
    await publisher.disconnect();
    await broker.destroy();
    await db.drop();
  });

  /** Every record of `topic` so far, as the Lambda event a mapping would deliver (headers as byte arrays). */
  async function eventOf(topic: string, count: number): Promise<KafkaEvent> {
    const consumer = kafka.consumer({ groupId: `correlation-${topic}-${Date.now()}` });
    const records: KafkaEventRecord[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: ({ partition, message }) => {
            records.push({
              topic,
              partition,
              offset: Number(message.offset),
              timestamp: Number(message.timestamp),
              timestampType: 'CREATE_TIME',
              key: message.key?.toString('base64') ?? null,
              value: message.value?.toString('base64') ?? null,
              headers: Object.entries(message.headers ?? {}).map(([name, value]) => ({
                [name]: [...Buffer.from(String(value))],
              })),
            });
            if (records.length >= count) resolve();
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    const grouped: Record<string, KafkaEventRecord[]> = {};
    for (const record of records) (grouped[`${record.topic}-${record.partition}`] ??= []).push(record);
    return { eventSource: 'SelfManagedKafka', bootstrapServers: `127.0.0.1:${broker.port}`, records: grouped };
  }

  async function messagesOf(topic: string, count: number): Promise<{ value: unknown; correlationId?: string }[]> {
    const event = await eventOf(topic, count);
    return Object.values(event.records)
      .flat()
      .map((record) => {
        const header = record.headers?.find((h) => CORRELATION_HEADER in h)?.[CORRELATION_HEADER];
        return {
          value: JSON.parse(Buffer.from(record.value ?? '', 'base64').toString('utf8')) as unknown,
          ...(header === undefined ? {} : { correlationId: Buffer.from(header).toString('utf8') }),
        };
      });
  }

  it('carries the capture id to trades.booked through a retried batch, onto rejections and dead letters', async () => {
    // Arrange: a trade and its amend under one request's id, a fat-finger trade under another, an undecodable record
    const good = seedTrade({ execId: 'CORR-E1', tradeId: 'CORR-T1' });
    const amend = seedTrade({ execId: 'CORR-E2', tradeId: 'CORR-T1', version: 2, lifecycle: 'AMEND', quantity: '150' });
    const fatFinger = seedTrade({ execId: 'CORR-E3', tradeId: 'CORR-T3', price: '999.00' });
    const capture = captureHandler(publisher, new PgAccountOwners(db.pool));
    expect((await capture(request([good, amend], 'desk:order-42'))).statusCode).toBe(202);
    expect((await capture(request(fatFinger, 'desk:order-43'))).statusCode).toBe(202);
    await publisher.publish([
      {
        topic: Topics.TRADES_CAPTURED,
        key: 'ACC-001',
        value: Buffer.from('{not json'),
        headers: { [CORRELATION_HEADER]: 'desk:order-44' },
      },
    ]);

    // Act: validation fails on its first publish and is retried with the same event, as Lambda would
    const captured = await eventOf(Topics.TRADES_CAPTURED, 4);
    const flaky = new FailingOnce(publisher);
    await expect(validateHandler({ pool: db.pool, publisher: flaky })(captured)).rejects.toThrow('broker unavailable');
    const summary = await validateHandler({ pool: db.pool, publisher: flaky })(captured);
    const validated = await eventOf(Topics.TRADES_VALIDATED, 2);
    await persistHandler({ pool: db.pool, publisher })(validated);

    // Assert
    expect(summary).toMatchObject({ captured: 4, validated: 2, rejected: 1, deadLettered: 1 });
    const booked = await messagesOf(Topics.TRADES_BOOKED, 2);
    expect(booked.map((message) => message.correlationId)).toEqual(['desk:order-42', 'desk:order-42']);
    const rejected = await messagesOf(Topics.TRADES_REJECTED, 1);
    expect(rejected.map((message) => message.correlationId)).toEqual(['desk:order-43']);
    const deadLetters = await messagesOf(Topics.TRADES_DEAD_LETTER, 1);
    expect(deadLetters.map((message) => message.correlationId)).toEqual(['desk:order-44']);
    const { rows } = await db.pool.query<{ exec_id: string; correlation_id: string }>(
      `SELECT exec_id, correlation_id FROM trade_correlations WHERE exec_id LIKE 'CORR-%' ORDER BY exec_id`,
    );
    expect(rows).toEqual([
      { exec_id: 'CORR-E1', correlation_id: 'desk:order-42' },
      { exec_id: 'CORR-E2', correlation_id: 'desk:order-42' },
      { exec_id: 'CORR-E3', correlation_id: 'desk:order-43' },
    ]);
  });

  it("traces an amended trade's versions and a rejected trade's reasons", async () => {
    // Act (on what the test above stored)
    const amended = await readTradeTrace(db.pool, 'desk:order-42');
    const rejected = await readTradeTrace(db.pool, 'CORR-T3');
    const deadLettered = await readTradeTrace(db.pool, 'desk:order-44');
    const unknown = await readTradeTrace(db.pool, 'NO-SUCH-TRADE');

    // Assert
    expect(amended?.tradeIds).toEqual(['CORR-T1']);
    const steps = amended?.events.map((event) => [event.step, event.execId, event.version]);
    expect(steps).toEqual(
      expect.arrayContaining([
        ['captured', 'CORR-E1', null],
        ['validated', 'CORR-E1', null],
        ['booked', 'CORR-E1', 1],
        ['booked', 'CORR-E2', 2],
      ]),
    );
    expect(amended?.events.find((event) => event.version === 2)?.detail).toMatch(/^AMEND version 2 BUY 150 /);
    expect(rejected?.correlationIds).toEqual(['desk:order-43']);
    expect(rejected?.events.find((event) => event.step === 'rejected')?.detail).toContain('PRICE_TOLERANCE');
    expect(deadLettered?.events.map((event) => event.step)).toEqual(['dead-lettered']);
    expect(unknown).toBeUndefined();
  });

  it("puts the booked trade's id on its settlement instructions, and a statement's on its break events", async () => {
    // Arrange: the booked versions of the first test; a statement with an id, one without
    const booked = await eventOf(Topics.TRADES_BOOKED, 2);
    const sample = loadEvent<{ statement: CustodyStatementV1 }>('payloads/custody-statements').statement;
    await publisher.publish([
      {
        topic: Topics.CUSTODY_STATEMENTS,
        key: sample.custodian,
        value: { ...sample, statementId: 'CORR-S1' },
        headers: { [CORRELATION_HEADER]: 'custodian:stmt-1' },
      },
      { topic: Topics.CUSTODY_STATEMENTS, key: sample.custodian, value: { ...sample, statementId: 'CORR-S2' } },
    ]);

    // Act
    await settleTradesHandler({ pool: db.pool, publisher })(booked);
    await positionsHandler({ pool: db.pool, publisher })(booked);
    const statements = await eventOf(Topics.CUSTODY_STATEMENTS, 2);
    await reconcileHandler({ pool: db.pool, publisher })(statements);

    // Assert: every gross instruction and gross cancellation carries the trade's id; net instructions none
    const { rows: outbox } = await db.pool.query<{ topic: string; kind: string; correlation_id: string | null }>(
      `SELECT topic, payload ->> 'kind' AS kind, headers ->> '${CORRELATION_HEADER}' AS correlation_id
       FROM settlement_outbox WHERE published_at IS NOT NULL ORDER BY seq`,
    );
    const instructions = await messagesOf(Topics.SETTLEMENT_INSTRUCTIONS, outbox.filter(isInstruction).length);
    const gross = instructions.filter((m) => (m.value as { kind: string }).kind === 'GROSS');
    expect(gross.length).toBeGreaterThan(0);
    expect(gross.map((m) => m.correlationId)).toEqual(gross.map(() => 'desk:order-42'));
    const nets = instructions.filter((m) => (m.value as { kind: string }).kind === 'NET');
    expect(nets.map((m) => m.correlationId)).toEqual(nets.map(() => undefined));
    const breaks = await messagesOf(Topics.RECON_BREAKS, outbox.filter((r) => r.topic === Topics.RECON_BREAKS).length);
    const byStatement = new Map(breaks.map((m) => [(m.value as { statementId: string }).statementId, m.correlationId]));
    expect(byStatement.get('CORR-S1')).toBe('custodian:stmt-1');
    expect(byStatement.get('CORR-S2')).toMatch(/^custody\.statements:\d+:\d+$/);
  });

  it("traces the positions a trade's versions are in and the break events on them since its trade date", async () => {
    // Act (on what the tests above stored: CORR-T1 positioned, statements CORR-S1 and CORR-S2 reconciled)
    const trace = await readTradeTrace(db.pool, 'CORR-T1');

    // Assert
    const positions = trace?.events.filter((event) => event.step === 'position') ?? [];
    expect(positions.map((event) => event.detail)).toEqual([expect.stringMatching(/^ACC-001 US0378331005 now \d+ /)]);
    const breaks = trace?.events.filter((event) => event.step === 'break') ?? [];
    expect(breaks.map((event) => event.detail)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^OPENED \w+ ACC-001 US0378331005 difference -?\d+.*statement CORR-S1 of 2024-05-29\)$/),
      ]),
    );
    // The trade's own steps still come first where they happened first
    expect(trace?.events[0]?.step).toBe('captured');
  });
});
