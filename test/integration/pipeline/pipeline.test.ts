/**
 * Capture → validation → persistence against real PostgreSQL (seed reference data) and the real development broker:
 * handler wiring, full accounting of a mixed batch, amend/cancel in and out of order, redelivery as a no-op, the
 * booked-version outbox after a failed publish, and the whole chain through the Kafka event source runner.
 */
import path from 'node:path';

import { Kafka, logLevel, type Admin } from 'kafkajs';

import type { KafkaEvent } from '../../../lib/kafka/decode';
import {
  KafkaPublisher,
  createKafkaProducer,
  type EventPublisher,
  type OutgoingMessage,
} from '../../../lib/kafka/producer';
import { decodeBookedTrade } from '../../../lib/kafka/schemas/booked-trade';
import type { TradeEventV1 } from '../../../lib/kafka/schemas/trade-event';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { parseEventSourceMappings, startEventSourceRunner } from '../../../localstack/esm';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { seedTrade } from '../../helpers/trades';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

/** A good US trade of ACC-001 (owner ALPHA-GROWTH-FUND, as is ACC-002's); previous close 170.03. */
const trade = seedTrade;

let nextOffset = 0;
/** A Lambda MSK event holding `values` (objects are JSON-encoded, strings sent as they are) on one partition. */
function eventOf(topic: string, values: readonly unknown[], partition = 0): KafkaEvent {
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/test',
    bootstrapServers: 'localhost:9092',
    records: {
      [`${topic}-${partition}`]: values.map((value) => ({
        topic,
        partition,
        offset: nextOffset++,
        timestamp: 1_712_068_200_000,
        timestampType: 'CREATE_TIME',
        key: Buffer.from('ACC-001').toString('base64'),
        value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64'),
        headers: [],
      })),
    },
  };
}

/** Keeps what was published, to feed one stage's output to the next and to count publications. */
class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  failNext = false;
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.failNext && messages.length > 0) {
      this.failNext = false;
      return Promise.reject(new Error('broker unavailable'));
    }
    this.messages.push(...messages);
    return Promise.resolve();
  }
  on(topic: string): OutgoingMessage[] {
    return this.messages.filter((message) => message.topic === topic);
  }
}

describe('trade pipeline handlers', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('accounts for every record of a mixed batch: validated + rejected (every reason, stored) + dead-lettered', async () => {
    // Arrange
    const publisher = new RecordingPublisher();
    const validate = validateHandler({ pool: db.pool, publisher });
    const good = trade({ execId: 'MIX-1', tradeId: 'MIX-T1' });
    const bad = trade({ execId: 'MIX-2', tradeId: 'MIX-T2', quantity: '0', isin: 'GB0002374006', mic: 'XLON' });
    const event = eventOf(Topics.TRADES_CAPTURED, [good, bad, '{not json', { schemaVersion: 1, execId: '' }]);

    // Act
    const summary = await validate(event);

    // Assert
    expect(summary).toEqual({
      captured: 4,
      validated: 1,
      rejected: 1,
      rejectedByRule: { CURRENCY_MISMATCH: 1, QUANTITY_NOT_POSITIVE: 1, SSI_MISSING: 1 },
      deadLettered: 2,
      redelivered: 0,
      deliveredBefore: 0,
      published: 4,
    });
    expect(publisher.on(Topics.TRADES_VALIDATED).map((m) => m.key)).toEqual(['ALPHA-GROWTH-FUND']);
    const rejected = publisher.on(Topics.TRADES_REJECTED)[0]?.value as { reasons: { code: string }[] };
    const codes = rejected.reasons.map((reason) => reason.code);
    expect(codes).toEqual(expect.arrayContaining(['QUANTITY_NOT_POSITIVE']));
    expect(codes.length).toBeGreaterThan(1);
    const dead = publisher.on(Topics.TRADES_DEAD_LETTER).map((m) => m.value as { valueBase64: string });
    expect(Buffer.from(dead[0]?.valueBase64 ?? '', 'base64').toString()).toBe('{not json');
    const stored = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM trade_rejections WHERE source_topic = $1`,
      [Topics.TRADES_CAPTURED],
    );
    expect(Number(stored.rows[0]?.n)).toBe(3);
  });

  it('rejects a rule failure through the handler with its code (price outside the tolerance band)', async () => {
    // Arrange: previous close 170.03, band 500 bps → 200.00 is about 17.6% away
    const publisher = new RecordingPublisher();
    const validate = validateHandler({ pool: db.pool, publisher });

    // Act
    await validate(eventOf(Topics.TRADES_CAPTURED, [trade({ execId: 'FAT-1', tradeId: 'FAT-T1', price: '200.00' })]));

    // Assert
    const rejected = publisher.on(Topics.TRADES_REJECTED)[0]?.value as { reasons: { code: string }[] };
    expect(rejected.reasons.map((reason) => reason.code)).toEqual(['PRICE_TOLERANCE']);
  });

  it('makes a redelivered batch a no-op in validation: no second publish, no second rejection, no DUPLICATE_EXEC_ID', async () => {
    // Arrange
    const publisher = new RecordingPublisher();
    const validate = validateHandler({ pool: db.pool, publisher });
    const event = eventOf(Topics.TRADES_CAPTURED, [
      trade({ execId: 'RD-1', tradeId: 'RD-T1' }),
      trade({ execId: 'RD-2', tradeId: 'RD-T2', quantity: '-5' }),
    ]);
    await validate(event);
    const persist = persistHandler({ pool: db.pool, publisher });
    await persist(
      eventOf(
        Topics.TRADES_VALIDATED,
        publisher.on(Topics.TRADES_VALIDATED).map((m) => m.value),
      ),
    );
    const published = publisher.messages.length;

    // Act: the same records again, and the same execution resent at a new offset
    const again = await validate(event);
    const resent = await validate(eventOf(Topics.TRADES_CAPTURED, [trade({ execId: 'RD-1', tradeId: 'RD-T1' })]));

    // Assert
    // Every outcome was delivered by the first delivery: it stands, counted by that delivery only.
    expect(again).toEqual({
      captured: 2,
      validated: 0,
      rejected: 0,
      rejectedByRule: {},
      deadLettered: 0,
      redelivered: 0,
      deliveredBefore: 2,
      published: 0,
    });
    expect(resent).toMatchObject({ captured: 1, redelivered: 1, rejected: 0, published: 0 });
    expect(publisher.messages.length).toBe(published);
    const rows = await db.pool.query(`SELECT 1 FROM trade_rejections WHERE exec_id IN ('RD-1', 'RD-2')`);
    expect(rows.rowCount).toBe(1);
  });

  it('rejects a genuine duplicate ExecID with other content', async () => {
    // Arrange
    const publisher = new RecordingPublisher();
    const validate = validateHandler({ pool: db.pool, publisher });
    await validate(eventOf(Topics.TRADES_CAPTURED, [trade({ execId: 'DUP-1', tradeId: 'DUP-T1' })]));

    // Act
    await validate(eventOf(Topics.TRADES_CAPTURED, [trade({ execId: 'DUP-1', tradeId: 'DUP-T1', price: '170.01' })]));

    // Assert
    const rejected = publisher.on(Topics.TRADES_REJECTED)[0]?.value as { reasons: { code: string }[] };
    expect(rejected.reasons.map((reason) => reason.code)).toEqual(['DUPLICATE_EXEC_ID']);
  });

  it.each([
    ['in order', ['NEW', 'AMEND', 'CANCEL']],
    ['cancel and amend before the trade', ['CANCEL', 'AMEND', 'NEW']],
  ])('books amend and cancel %s, publishing each version to trades.booked once', async (_, order) => {
    // Arrange
    const id = `LC-${order.join('')}`;
    const versions: Record<string, TradeEventV1> = {
      NEW: trade({ execId: `${id}-1`, tradeId: id, settlementDate: '2024-04-04' }),
      AMEND: trade({
        execId: `${id}-2`,
        tradeId: id,
        version: 2,
        lifecycle: 'AMEND',
        quantity: '200',
        settlementDate: '2024-04-04',
      }),
      CANCEL: trade({
        execId: `${id}-3`,
        tradeId: id,
        version: 3,
        lifecycle: 'CANCEL',
        quantity: '200',
        settlementDate: '2024-04-04',
      }),
    };
    const publisher = new RecordingPublisher();
    const persist = persistHandler({ pool: db.pool, publisher });
    const validated = (lifecycle: string) => ({ ...versions[lifecycle], validatedAt: '2024-04-02T14:31:00.000Z' });

    // Act: one record per invocation, in the given order
    for (const lifecycle of order) await persist(eventOf(Topics.TRADES_VALIDATED, [validated(lifecycle)]));

    // Assert
    const booked = publisher.on(Topics.TRADES_BOOKED).map((m) => decodeBookedTrade(m.value));
    const events = booked.flatMap((result) => (result.ok ? [result.value] : []));
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.trade.version).sort()).toEqual([1, 2, 3]);
    expect(events.at(-1)?.status).toBe('CANCELLED');
    const state = await db.pool.query<{ status: string; version: number }>(
      'SELECT status, version FROM trades WHERE trade_id = $1',
      [id],
    );
    expect(state.rows).toEqual([{ status: 'CANCELLED', version: 3 }]);
  });

  it('publishes after a failed publish on retry, and books nothing twice', async () => {
    // Arrange
    const publisher = new RecordingPublisher();
    const persist = persistHandler({ pool: db.pool, publisher });
    const event = eventOf(Topics.TRADES_VALIDATED, [
      {
        ...trade({ execId: 'OB-1', tradeId: 'OB-T1', settlementDate: '2024-04-04' }),
        validatedAt: '2024-04-02T14:31:00.000Z',
      },
    ]);
    publisher.failNext = true;
    await expect(persist(event)).rejects.toThrow('broker unavailable');

    // Act
    const retried = await persist(event);
    const redelivered = await persist(event);

    // Assert
    expect(retried).toMatchObject({ booked: 0, duplicates: 1, published: 1 });
    expect(redelivered).toMatchObject({ booked: 0, duplicates: 1, published: 0 });
    expect(publisher.on(Topics.TRADES_BOOKED)).toHaveLength(1);
    const versions = await db.pool.query(`SELECT 1 FROM trade_versions WHERE trade_id = 'OB-T1'`);
    expect(versions.rowCount).toBe(1);
  });
});

describe('trade pipeline end to end on the broker', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let admin: Admin;
  let publisher: KafkaPublisher;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
    broker = await startTestBroker();
    const kafka = new Kafka({ brokers: [broker.address], clientId: 'pipeline-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'pipeline-it' }));
  });
  afterAll(async () => {
    await publisher.disconnect();
    await admin.disconnect();
    await broker.destroy();
    await db.drop();
  });

  async function messageCount(topic: string): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  }

  it('captures to trades.captured, validates, persists and publishes to trades.booked through the ESM runner', async () => {
    // Arrange
    const arn = 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/e2e';
    const parsed = parseEventSourceMappings({
      functions: {
        validateTrades: { events: [{ msk: { arn, topic: Topics.TRADES_CAPTURED, startingPosition: 'TRIM_HORIZON' } }] },
        persistTrades: { events: [{ msk: { arn, topic: Topics.TRADES_VALIDATED, startingPosition: 'TRIM_HORIZON' } }] },
      },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const deps = { pool: db.pool, publisher };
    const runner = await startEventSourceRunner({
      brokers: broker.address,
      mappings: parsed.value,
      handlers: { validateTrades: validateHandler(deps), persistTrades: persistHandler(deps) },
    });
    const trades = [
      trade({ execId: 'E2E-1', tradeId: 'E2E-T1' }),
      trade({ execId: 'E2E-2', tradeId: 'E2E-T2', account: 'ACC-003', side: 'SELL', quantity: '50' }),
      trade({ execId: 'E2E-3', tradeId: 'E2E-T3', quantity: '0' }),
    ];

    // Act
    try {
      await publisher.publish(trades.map((value) => ({ topic: Topics.TRADES_CAPTURED, key: value.account, value })));
      await runner.idle();
      await runner.idle();
    } finally {
      await runner.stop();
    }

    // Assert
    expect(await messageCount(Topics.TRADES_VALIDATED)).toBe(2);
    expect(await messageCount(Topics.TRADES_REJECTED)).toBe(1);
    expect(await messageCount(Topics.TRADES_BOOKED)).toBe(2);
    const booked = await db.pool.query<{ trade_id: string }>(
      `SELECT trade_id FROM trades WHERE trade_id LIKE 'E2E-%' ORDER BY trade_id`,
    );
    expect(booked.rows.map((row) => row.trade_id)).toEqual(['E2E-T1', 'E2E-T2']);
  });
});
