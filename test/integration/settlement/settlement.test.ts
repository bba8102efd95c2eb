/**
 * Settlement through the `settleTrades` handler against real PostgreSQL and the development broker: settlement
 * dates by market cycle and holiday calendar, SSI exceptions, cancel-and-replace, netting that foots to the gross
 * instructions, publication to settlement.instructions, and redelivery that changes nothing.
 */
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

import { createKafkaProducer, KafkaPublisher } from '../../../lib/kafka/producer';
import type { KafkaEvent } from '../../../lib/kafka/decode';
import type { BookedTradeEventV1 } from '../../../lib/kafka/schemas/booked-trade';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { loadReferenceData } from '../../../lib/refdata/load';
import { settleTradesHandler } from '../../../lib/settlement/handlers';
import { PgSettlementStore } from '../../../lib/settlement/store';
import { loadEvent } from '../../helpers/events';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.resolve(__dirname, '..', '..', '..', 'migrations', 'seed');
const BARCLAYS = 'G5GSEF7VJP5I7OUK5573';

let db: TestDatabase;
let broker: TestBroker;
let publisher: KafkaPublisher;
let handle: (event: KafkaEvent) => Promise<unknown>;

/** The fixture's booked trade with changes, and an MSK event carrying such trades at increasing offsets. */
function booked(change: {
  trade: Partial<BookedTradeEventV1['trade']>;
  settlementDate?: string;
  status?: 'LIVE' | 'CANCELLED';
}): BookedTradeEventV1 {
  const event = loadEvent<KafkaEvent>('trades-booked');
  const first = Object.values(event.records)[0]?.[0];
  const template = JSON.parse(Buffer.from(first?.value ?? '', 'base64').toString('utf8')) as BookedTradeEventV1;
  const trade = { ...template.trade, ...change.trade };
  return {
    ...template,
    trade,
    status: change.status ?? template.status,
    settlementDate: change.settlementDate ?? trade.settlementDate ?? template.settlementDate,
  };
}

let nextOffset = 0;
function mskEvent(trades: readonly BookedTradeEventV1[], firstOffset = nextOffset): KafkaEvent {
  const event = loadEvent<KafkaEvent & { records: Record<string, unknown[]> }>('trades-booked');
  const records = trades.map((t, i) => ({
    topic: Topics.TRADES_BOOKED,
    partition: 0,
    offset: firstOffset + i,
    timestamp: 1716561001000,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(t.trade.account).toString('base64'),
    value: Buffer.from(JSON.stringify(t)).toString('base64'),
    headers: [],
  }));
  nextOffset = Math.max(nextOffset, firstOffset + trades.length);
  return { ...event, records: { 'trades.booked-0': records } };
}

async function topicMessageCount(topic: string): Promise<number> {
  const admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function snapshot(): Promise<unknown[]> {
  const tables = ['settlement_instructions', 'net_instructions', 'net_instruction_links', 'settlement_cancellations'];
  return Promise.all(
    tables.map(async (t) =>
      (await db.pool.query<Record<string, unknown>>(`SELECT * FROM ${t} ORDER BY 1, 2`)).rows.map((r) => ({
        ...r,
        updated_at: null,
      })),
    ),
  );
}

const T1 = booked({ trade: { tradeId: 'T1', execId: 'E-T1-1', quantity: '100', price: '189.98' } });
const T2 = booked({
  trade: {
    tradeId: 'T2',
    execId: 'E-T2-1',
    quantity: '50',
    price: '190.10',
    commission: '0',
    fees: '0',
    tradeDate: '2024-05-28',
    tradeTime: '2024-05-28T14:00:00.000Z',
    settlementDate: '2024-05-29',
  },
});
const T3 = booked({
  trade: {
    tradeId: 'T3',
    execId: 'E-T3-1',
    side: 'SELL',
    quantity: '30',
    price: '191.00',
    commission: '0.50',
    fees: '0',
    tradeDate: '2024-05-28',
    tradeTime: '2024-05-28T15:00:00.000Z',
    settlementDate: '2024-05-29',
  },
});
const T4 = booked({
  trade: {
    tradeId: 'T4',
    execId: 'E-T4-1',
    account: 'ACC-002',
    isin: 'US5949181045',
    quantity: '10',
    price: '420.00',
    tradeDate: '2024-06-07',
    tradeTime: '2024-06-07T14:00:00.000Z',
    settlementDate: '2024-06-10',
  },
});
const T5 = booked({
  trade: {
    tradeId: 'T5',
    execId: 'E-T5-1',
    account: 'ACC-002',
    counterpartyLei: BARCLAYS,
    isin: 'GB0005405286',
    mic: 'XLON',
    currency: 'GBP',
    quantity: '100',
    price: '6.512',
    tradeDate: '2024-05-24',
    settlementDate: '2024-05-29',
  },
});
const T6 = booked({
  trade: {
    tradeId: 'T6',
    execId: 'E-T6-1',
    account: 'ACC-008',
    isin: 'DE0007164600',
    mic: 'XETR',
    currency: 'EUR',
    quantity: '10',
    price: '175.20',
    tradeDate: '2024-05-28',
    tradeTime: '2024-05-28T09:00:00.000Z',
    settlementDate: '2024-05-30',
  },
});
const T7 = booked({
  trade: {
    tradeId: 'T7',
    execId: 'E-T7-1',
    account: 'ACC-003',
    quantity: '10',
    price: '190.00',
    tradeDate: '2024-05-28',
    tradeTime: '2024-05-28T16:00:00.000Z',
    settlementDate: '2024-05-30',
  },
});

beforeAll(async () => {
  [db, broker] = await Promise.all([createTestDatabase(), startTestBroker()]);
  await loadReferenceData(db.pool, SEED);
  const admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: topicSpecs() });
  await admin.disconnect();
  publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'settlement-test' }));
  handle = settleTradesHandler({ pool: db.pool, publisher });
});

afterAll(async () => {
  await publisher.disconnect();
  await Promise.all([db.drop(), broker.destroy()]);
});

describe('settleTrades handler', () => {
  test('settles by market cycle and calendar, holds exceptions, nets, publishes, and ignores a redelivery', async () => {
    // Arrange
    const batch = mskEvent([T1, T2, T3, T4, T5, T6, T7], 0);
    const store = new PgSettlementStore(db.pool);

    // Act
    await handle(batch);

    // Assert: settlement dates. Fri 2024-05-24 (T+2) and Tue 2024-05-28 (T+1) both settle Wed 2024-05-29 across
    // Memorial Day; Fri 2024-06-07 T+1 settles Mon 2024-06-10; XLON Fri 2024-05-24 T+2 skips the Spring Bank
    // Holiday to 2024-05-29.
    const rows = await store.instructionsOfTrades(['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7']);
    const byTrade = new Map(rows.map((r) => [r.tradeId, r]));
    expect(byTrade.get('T1')?.settlementDate).toBe('2024-05-29');
    expect(byTrade.get('T2')?.settlementDate).toBe('2024-05-29');
    expect(byTrade.get('T4')?.settlementDate).toBe('2024-06-10');
    expect(byTrade.get('T5')?.settlementDate).toBe('2024-05-29');

    // Missing SSI (ACC-008 has none for XETR) and a stated date the cycle disagrees with are exceptions.
    const exceptions = await store.exceptions();
    expect(exceptions.map((e) => [e.tradeId, e.exceptions.map((x) => x.reason)])).toEqual([
      ['T6', ['SSI_MISSING']],
      ['T7', ['SETTLEMENT_DATE_MISMATCH']],
    ]);
    expect(byTrade.get('T7')?.settlementDate).toBe('2024-05-29');

    // T1 + T2 - T3 net into one receipt: 100 + 50 - 30 = 120; cash -18999.05 - 9505.00 + 5729.50 = -22774.55.
    const { rows: nets } = await db.pool.query(
      `SELECT movement, quantity, settlement_amount, credit_debit, state FROM net_instructions
       WHERE account_id = 'ACC-001' AND isin = 'US0378331005' AND state <> 'CANCELLED'`,
    );
    expect(nets).toEqual([
      { movement: 'RECE', quantity: '120', settlement_amount: '22774.55', credit_debit: 'DBIT', state: 'INSTRUCTED' },
    ]);

    // Published: 7 gross + 3 net (ACC-001 AAPL, ACC-002 MSFT, ACC-002 HSBA; exceptions are not netted).
    const { rows: outbox } = await db.pool.query(
      `SELECT count(*)::int AS n, count(published_at)::int AS published FROM settlement_outbox`,
    );
    expect(outbox).toEqual([{ n: 10, published: 10 }]);
    expect(await topicMessageCount(Topics.SETTLEMENT_INSTRUCTIONS)).toBe(10);

    // Redelivery of the same batch changes nothing and publishes nothing.
    const before = await snapshot();
    await handle(mskEvent([T1, T2, T3, T4, T5, T6, T7], 0));
    expect(await snapshot()).toEqual(before);
    expect(await topicMessageCount(Topics.SETTLEMENT_INSTRUCTIONS)).toBe(10);
  });

  test('an amend replaces and a cancel ends the instruction; the net is re-netted and still foots to the gross', async () => {
    // Arrange
    const amendT2 = booked({
      trade: { ...T2.trade, execId: 'E-T2-2', version: 2, lifecycle: 'AMEND', quantity: '60' },
    });
    const cancelT3 = booked({
      trade: { ...T3.trade, execId: 'E-T3-2', version: 2, lifecycle: 'CANCEL' },
      status: 'CANCELLED',
    });

    // Act
    await handle(mskEvent([amendT2, cancelT3]));

    // Assert
    const rows = await new PgSettlementStore(db.pool).instructionsOfTrades(['T2', 'T3']);
    expect(rows.map((r) => [r.tradeId, r.tradeVersion, r.state])).toEqual([
      ['T2', 1, 'CANCELLED'],
      ['T3', 1, 'CANCELLED'],
      ['T2', 2, 'INSTRUCTED'],
    ]);
    expect(rows[2]?.replacesInstructionId).toBe(rows[0]?.instructionId);

    // 100 + 60 = 160 received; -18999.05 - 11406.00 = -30405.05.
    const { rows: nets } = await db.pool.query<{ quantity: string; settlement_amount: string; credit_debit: string }>(
      `SELECT net_instruction_id, quantity, settlement_amount, credit_debit FROM net_instructions
       WHERE account_id = 'ACC-001' AND isin = 'US0378331005' AND state <> 'CANCELLED'`,
    );
    expect(nets.map((n) => [n.quantity, n.settlement_amount, n.credit_debit])).toEqual([['160', '30405.05', 'DBIT']]);

    // Netting totals equal gross totals over every live net instruction in the database.
    const { rows: footing } = await db.pool.query<
      Record<'net_quantity' | 'net_cash' | 'gross_quantity' | 'gross_cash', string>
    >(`
      SELECT n.net_instruction_id, n.net_quantity, n.net_cash,
             sum(CASE s.movement WHEN 'RECE' THEN s.quantity ELSE -s.quantity END) AS gross_quantity,
             sum(CASE s.credit_debit WHEN 'DBIT' THEN -s.settlement_amount ELSE coalesce(s.settlement_amount, 0) END) AS gross_cash
      FROM net_instructions n JOIN net_instruction_links l USING (net_instruction_id)
      JOIN settlement_instructions s USING (instruction_id)
      WHERE n.state <> 'CANCELLED' GROUP BY n.net_instruction_id, n.net_quantity, n.net_cash`);
    expect(footing.length).toBe(3);
    for (const f of footing) {
      expect([f.net_quantity, f.net_cash]).toEqual([f.gross_quantity, f.gross_cash]);
    }
    const { rows: cancelledNets } = await db.pool.query(
      `SELECT count(*)::int AS n FROM settlement_cancellations WHERE kind = 'NET' AND send_to_custodian`,
    );
    expect(cancelledNets).toEqual([{ n: 1 }]);
  });
});
