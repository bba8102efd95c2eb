/**
 * The races trades.captured's partitioning by account allows, through the real validation and persistence handlers
 * against PostgreSQL with the seed reference data: two events on two partitions each validated before the other was
 * booked. Persistence decides them again when it books: an exact redelivery of a booked execution is a no-op; another
 * execution reusing a booked ExecID is rejected as DUPLICATE_EXEC_ID; the second of two mirrored trades of one owner
 * on two accounts is rejected as WASH_TRADE. Rejections are stored and published like every other persistence
 * rejection (capture ledger, trade_rejections, trades.rejected), and a redelivered record keeps its decision.
 */
import path from 'node:path';

import type { KafkaEvent } from '../../../lib/kafka/decode';
import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import { Topics } from '../../../lib/kafka/topics';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { partitionedEventFactory, validatedTrade } from '../../helpers/kafka-events';
import { seedTrade } from '../../helpers/trades';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

/** A good US trade of ACC-001 (owner ALPHA-GROWTH-FUND, as is ACC-002's); previous close 170.03. */
const trade = seedTrade;

const validated = validatedTrade;
const eventOf = partitionedEventFactory();

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
  on(topic: string): OutgoingMessage[] {
    return this.messages.filter((message) => message.topic === topic);
  }
}

interface RejectedMessage {
  readonly trade: { readonly execId: string; readonly tradeId: string };
  readonly reasons: readonly { readonly code: string; readonly message: string }[];
}

describe('persistence decides again what validation could not see', () => {
  let db: TestDatabase;
  let publisher: RecordingPublisher;
  let persist: (event: KafkaEvent) => ReturnType<ReturnType<typeof persistHandler>>;
  let validate: ReturnType<typeof validateHandler>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
  });
  beforeEach(() => {
    publisher = new RecordingPublisher();
    persist = persistHandler({ pool: db.pool, publisher });
    validate = validateHandler({ pool: db.pool, publisher });
  });
  afterAll(async () => {
    await db.drop();
  });

  /** What persistence recorded for an ExecID: its ledger rows and stored rejections (source trades.validated). */
  async function persistenceRecord(execId: string): Promise<unknown> {
    const ledger = await db.pool.query(
      `SELECT source_partition AS partition, outcome, out_topic, published_at IS NOT NULL AS published
       FROM trade_captures WHERE source_topic = 'trades.validated' AND exec_id = $1 ORDER BY source_partition`,
      [execId],
    );
    const stored = await db.pool.query<{ trade_id: string; codes: string[] }>(
      `SELECT trade_id, array(SELECT r->>'code' FROM jsonb_array_elements(reasons) r) AS codes
       FROM trade_rejections WHERE source_topic = 'trades.validated' AND exec_id = $1 ORDER BY trade_id`,
      [execId],
    );
    return { ledger: ledger.rows, rejections: stored.rows };
  }

  it('an exact redelivery of a booked execution, validated twice, is a no-op', async () => {
    // Arrange: the same execution validated on two partitions (so the ledger did not see it twice), one booked
    const same = validated(trade({ execId: 'RS-1', tradeId: 'RS-T1' }));
    await persist(eventOf(Topics.TRADES_VALIDATED, [same], 0));

    // Act
    const summary = await persist(eventOf(Topics.TRADES_VALIDATED, [same], 1));

    // Assert
    expect(summary).toMatchObject({ booked: 0, duplicates: 1, rejected: 0, conflicts: 0, published: 0 });
    expect(publisher.on(Topics.TRADES_REJECTED)).toEqual([]);
    expect(publisher.on(Topics.TRADES_BOOKED)).toHaveLength(1);
    expect(await persistenceRecord('RS-1')).toEqual({ ledger: [], rejections: [] });
  });

  it('another execution reusing a booked ExecID is rejected as DUPLICATE_EXEC_ID, stored and published', async () => {
    // Arrange: two executions with one ExecID on two accounts' partitions, both validated while neither was booked
    // (as validation at the same time on two partitions lets them through); the first is booked
    const first = trade({ execId: 'RX-1', tradeId: 'RX-T1' });
    const second = trade({ execId: 'RX-1', tradeId: 'RX-T2', account: 'ACC-003', side: 'SELL', quantity: '50' });
    await persist(eventOf(Topics.TRADES_VALIDATED, [validated(first)], 0));

    // Act
    const summary = await persist(eventOf(Topics.TRADES_VALIDATED, [validated(second)], 1));

    // Assert
    expect(summary).toMatchObject({ booked: 0, duplicates: 0, rejected: 1, conflicts: 0, published: 0 });
    const rejected = publisher.on(Topics.TRADES_REJECTED);
    expect(rejected.map((message) => message.key)).toEqual(['ACC-003']);
    expect(rejected.map((message) => message.value as RejectedMessage)).toEqual([
      expect.objectContaining({
        trade: expect.objectContaining({ execId: 'RX-1', tradeId: 'RX-T2' }),
        reasons: [
          {
            code: 'DUPLICATE_EXEC_ID',
            message: 'ExecID RX-1 is already booked for another execution (trade RX-T1 version 1): not booked',
          },
        ],
      }),
    ]);
    expect(await persistenceRecord('RX-1')).toEqual({
      ledger: [{ partition: 1, outcome: 'REJECTED', out_topic: 'trades.rejected', published: true }],
      rejections: [{ trade_id: 'RX-T2', codes: ['DUPLICATE_EXEC_ID'] }],
    });
    const booked = await db.pool.query(`SELECT trade_id FROM trades WHERE trade_id LIKE 'RX-%'`);
    expect(booked.rows).toEqual([{ trade_id: 'RX-T1' }]);
  });

  it('the later of two mirrored trades of one owner on two accounts, validated before the first was booked, is rejected as WASH_TRADE', async () => {
    // Arrange: ACC-001 buys, ACC-002 (same owner) sells the same 100 at 170.00 20 s later (an hour after the other
    // tests' trades); each is validated on its account's partition before the other is booked, so validation lets
    // both through
    const buy = trade({ execId: 'RW-1', tradeId: 'RW-T1', tradeTime: '2024-04-02T15:30:00.000Z' });
    const sell = trade({
      execId: 'RW-2',
      tradeId: 'RW-T2',
      account: 'ACC-002',
      side: 'SELL',
      tradeTime: '2024-04-02T15:30:20.000Z',
    });
    const validation = [
      await validate(eventOf(Topics.TRADES_CAPTURED, [buy], 0)),
      await validate(eventOf(Topics.TRADES_CAPTURED, [sell], 1)),
    ];
    const [buyValidated, sellValidated] = publisher.on(Topics.TRADES_VALIDATED).map((message) => message.value);

    // Act
    const first = await persist(eventOf(Topics.TRADES_VALIDATED, [buyValidated], 0));
    const second = await persist(eventOf(Topics.TRADES_VALIDATED, [sellValidated], 1));

    // Assert
    expect(validation.map((summary) => summary.validated)).toEqual([1, 1]);
    expect(first).toMatchObject({ booked: 1, rejected: 0 });
    expect(second).toMatchObject({ booked: 0, rejected: 1, published: 0 });
    expect(publisher.on(Topics.TRADES_REJECTED).map((message) => message.value as RejectedMessage)).toEqual([
      expect.objectContaining({
        trade: expect.objectContaining({ execId: 'RW-2' }),
        reasons: [
          {
            code: 'WASH_TRADE',
            message:
              'beneficial owner ALPHA-GROWTH-FUND was on the other side of US0378331005 at the same price and ' +
              'quantity in ExecID RW-1 (2024-04-02T15:30:00.000Z), within 60s',
          },
        ],
      }),
    ]);
    expect(await persistenceRecord('RW-2')).toEqual({
      ledger: [{ partition: 1, outcome: 'REJECTED', out_topic: 'trades.rejected', published: true }],
      rejections: [{ trade_id: 'RW-T2', codes: ['WASH_TRADE'] }],
    });
    const booked = await db.pool.query(`SELECT trade_id FROM trades WHERE trade_id LIKE 'RW-%'`);
    expect(booked.rows).toEqual([{ trade_id: 'RW-T1' }]);
  });

  it('a rejected record redelivered after its wash-trade leg was cancelled keeps its rejection', async () => {
    // Arrange: the sell is rejected against the booked buy, then the buy is cancelled
    const buy = trade({ execId: 'RC-1', tradeId: 'RC-T1', price: '170.01' });
    const sell = trade({ execId: 'RC-2', tradeId: 'RC-T2', account: 'ACC-002', side: 'SELL', price: '170.01' });
    const cancel = trade({ execId: 'RC-3', tradeId: 'RC-T1', version: 2, lifecycle: 'CANCEL', price: '170.01' });
    await persist(eventOf(Topics.TRADES_VALIDATED, [validated(buy)], 0));
    const sellRecord = eventOf(Topics.TRADES_VALIDATED, [validated(sell)], 1);
    await persist(sellRecord);
    await persist(eventOf(Topics.TRADES_VALIDATED, [validated(cancel)], 0));

    // Act
    const redelivered = await persist(sellRecord);

    // Assert
    expect(redelivered).toMatchObject({ booked: 0, rejected: 0, decidedBefore: 1, published: 0 });
    expect(publisher.on(Topics.TRADES_REJECTED)).toHaveLength(1);
    const booked = await db.pool.query(`SELECT trade_id, status FROM trades WHERE trade_id LIKE 'RC-%'`);
    expect(booked.rows).toEqual([{ trade_id: 'RC-T1', status: 'CANCELLED' }]);
  });

  it('mirrored trades persisted at the same time by two invocations: exactly one is booked', async () => {
    // Arrange: five mirrored pairs (prices apart, so that pairs do not wash each other), each pair's legs on two
    // partitions, persisted by two concurrent invocations
    const pairs = Array.from({ length: 5 }, (_, index) => {
      const price = `17${index}.50`;
      return [
        validated(trade({ execId: `RP-${index}-B`, tradeId: `RP-T${index}-B`, price })),
        validated(
          trade({ execId: `RP-${index}-S`, tradeId: `RP-T${index}-S`, account: 'ACC-002', side: 'SELL', price }),
        ),
      ];
    });

    // Act
    const summaries = await Promise.all(
      pairs.map(([buy, sell]) =>
        Promise.all([
          persist(eventOf(Topics.TRADES_VALIDATED, [buy], 0)),
          persist(eventOf(Topics.TRADES_VALIDATED, [sell], 1)),
        ]),
      ),
    );

    // Assert
    for (const pair of summaries) {
      expect(pair.map((summary) => [summary.booked, summary.rejected]).sort()).toEqual([
        [0, 1],
        [1, 0],
      ]);
    }
    const booked = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM trades WHERE trade_id LIKE 'RP-%'`);
    expect(booked.rows).toEqual([{ n: '5' }]);
  });
});
