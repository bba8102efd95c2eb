/**
 * Reconciliation through the handlers against real PostgreSQL and the development broker: trades settled via
 * `settleTrades` and `settlementStatus`, then statements that inject each break class, and later statements
 * that agree and resolve them. Also the status lifecycle's late, duplicate and illegal reports.
 */
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

import { createKafkaProducer, KafkaPublisher } from '../../../lib/kafka/producer';
import type { CustodyStatementV1 } from '../../../lib/kafka/schemas/custody-statement';
import type { SettlementStatusMessageV1 } from '../../../lib/kafka/schemas/settlement-status';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { reconcileHandler } from '../../../lib/recon/handlers';
import { reconcileStatements } from '../../../lib/recon/service';
import { loadReferenceData } from '../../../lib/refdata/load';
import { settlementStatusHandler, settleTradesHandler } from '../../../lib/settlement/handlers';
import { loadEvent } from '../../helpers/events';
import { bookedTrade, mskEventFactory } from '../../helpers/kafka-events';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.resolve(__dirname, '..', '..', '..', 'migrations', 'seed');
const AAPL = 'US0378331005';
const MSFT = 'US5949181045';

let db: TestDatabase;
let broker: TestBroker;
let publisher: KafkaPublisher;

const eventOf = mskEventFactory();

function status(change: Partial<SettlementStatusMessageV1>): SettlementStatusMessageV1 {
  const sample = loadEvent<{ messages: SettlementStatusMessageV1[] }>('payloads/settlement-status').messages[0];
  if (sample === undefined) throw new Error('fixture settlement-status has no message');
  return { ...sample, ...change };
}

function statement(id: string, date: string, lines: Partial<CustodyStatementV1>): CustodyStatementV1 {
  const sample = loadEvent<{ statement: CustodyStatementV1 }>('payloads/custody-statements').statement;
  return { ...sample, statementId: id, statementDate: date, ...lines };
}

async function breaks(): Promise<[string, string, string][]> {
  const { rows } = await db.pool.query<{ break_key: string; break_class: string; status: string }>(
    'SELECT break_key, break_class, status FROM recon_breaks ORDER BY break_key',
  );
  return rows.map((r) => [r.break_key, r.break_class, r.status]);
}

let netId = '';

beforeAll(async () => {
  [db, broker] = await Promise.all([createTestDatabase(), startTestBroker()]);
  await loadReferenceData(db.pool, SEED);
  const admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: topicSpecs() });
  await admin.disconnect();
  publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'recon-test' }));
  // T1: buy 100 AAPL for 18999.05 settling 2024-05-29; T2: buy 50 settling 2024-05-31, left in flight.
  await settleTradesHandler({ pool: db.pool, publisher })(
    eventOf(Topics.TRADES_BOOKED, [
      { key: 'ACC-001', value: bookedTrade({}) },
      {
        key: 'ACC-001',
        value: bookedTrade({
          tradeId: 'T2',
          execId: 'E-T2',
          quantity: '50',
          tradeDate: '2024-05-30',
          tradeTime: '2024-05-30T14:00:00.000Z',
          settlementDate: '2024-05-31',
        }),
      },
    ]),
  );
  const { rows } = await db.pool.query<{ net_instruction_id: string }>(
    `SELECT net_instruction_id FROM net_instructions WHERE settlement_date = '2024-05-29'`,
  );
  netId = rows[0]?.net_instruction_id ?? '';
});

afterAll(async () => {
  await publisher.disconnect();
  await Promise.all([db.drop(), broker.destroy()]);
});

describe('settlementStatus handler', () => {
  test('moves only forward: applied, duplicate, late and illegal reports are told apart', async () => {
    // Arrange
    const handle = settlementStatusHandler({ pool: db.pool, publisher });
    const matched = status({ messageId: 'S-1', instructionId: netId, state: 'MATCHED', statusDate: '2024-05-28' });
    const settled = status({ messageId: 'S-2', instructionId: netId, state: 'SETTLED', statusDate: '2024-05-29' });
    const lateMatch = status({ messageId: 'S-0', instructionId: netId, state: 'MATCHED', statusDate: '2024-05-28' });
    const cancelAfterSettle = status({ messageId: 'S-3', instructionId: netId, state: 'CANCELLED' });
    const unknown = status({ messageId: 'S-4', instructionId: 'NIUNKNOWN', state: 'MATCHED' });

    // Act
    const first = await handle(
      eventOf(
        Topics.SETTLEMENT_STATUS,
        [matched, settled].map((v) => ({ key: 'ACC-001', value: v })),
      ),
    );
    const second = await handle(
      eventOf(
        Topics.SETTLEMENT_STATUS,
        [settled, lateMatch, cancelAfterSettle, unknown].map((v) => ({ key: 'ACC-001', value: v })),
      ),
    );

    // Assert
    expect(first.outcomes).toMatchObject({ APPLIED: 2 });
    expect(second.outcomes).toMatchObject({ APPLIED: 0, DUPLICATE: 1, STALE: 1, ILLEGAL: 1, UNKNOWN_INSTRUCTION: 1 });
    const { rows } = await db.pool.query(
      'SELECT state, settled_quantity, settled_cash, matched FROM net_instructions WHERE net_instruction_id = $1',
      [netId],
    );
    expect(rows).toEqual([{ state: 'SETTLED', settled_quantity: '100', settled_cash: '-18999.05', matched: true }]);
  });
});

describe('reconcile handler', () => {
  test('finds each break class from injected statements and resolves them when a later statement agrees', async () => {
    // Arrange
    const handle = reconcileHandler({ pool: db.pool, publisher });
    const send = (s: CustodyStatementV1) =>
      handle(eventOf(Topics.CUSTODY_STATEMENTS, [{ key: s.custodian, value: s }]));
    const agreeing = (id: string, date: string) =>
      statement(id, date, {
        positions: [{ account: 'ACC-001', isin: AAPL, quantity: '100' }],
        cash: [{ account: 'ACC-001', currency: 'USD', amount: '-18999.05' }],
      });

    // Act + Assert, statement by statement.
    // 2024-05-30: AAPL 90 vs 100 (quantity), MSFT reported twice and unknown to us (duplicate, missing internally),
    // cash 0.05 short of ours, beyond the 0.01 tolerance (amount).
    await send(
      statement('ST-1', '2024-05-30', {
        positions: [
          { account: 'ACC-001', isin: AAPL, quantity: '90' },
          { account: 'ACC-001', isin: MSFT, quantity: '5' },
          { account: 'ACC-001', isin: MSFT, quantity: '5' },
        ],
        cash: [{ account: 'ACC-001', currency: 'USD', amount: '-18999.00' }],
      }),
    );
    expect(await breaks()).toEqual([
      ['CASH|ACC-001|USD', 'AMOUNT', 'OPEN'],
      [`DUPLICATE|POSITION|ACC-001|${MSFT}`, 'DUPLICATE', 'OPEN'],
      [`POSITION|ACC-001|${AAPL}`, 'QUANTITY', 'OPEN'],
      [`POSITION|ACC-001|${MSFT}`, 'MISSING_INTERNAL', 'OPEN'],
    ]);

    // 2024-05-31: the custodian shows T2's 50 already received; our T2 is still in flight: timing. The rest agrees.
    await send(
      statement('ST-2', '2024-05-31', {
        positions: [{ account: 'ACC-001', isin: AAPL, quantity: '150' }],
        cash: [{ account: 'ACC-001', currency: 'USD', amount: '-18999.05' }],
      }),
    );
    expect(await breaks()).toEqual([
      ['CASH|ACC-001|USD', 'AMOUNT', 'RESOLVED'],
      [`DUPLICATE|POSITION|ACC-001|${MSFT}`, 'DUPLICATE', 'RESOLVED'],
      [`POSITION|ACC-001|${AAPL}`, 'TIMING', 'OPEN'],
      [`POSITION|ACC-001|${MSFT}`, 'MISSING_INTERNAL', 'RESOLVED'],
    ]);

    // 2024-06-03, imported from a file: no AAPL at the custodian at all (missing at custodian). Same key as the
    // 2024-05-30 break, so it keeps its opening date: business days after 05-30 up to 06-03 are 05-31 and 06-03.
    await reconcileStatements(
      { pool: db.pool, publisher },
      [
        statement('ST-3', '2024-06-03', {
          positions: [],
          cash: [{ account: 'ACC-001', currency: 'USD', amount: '-18999.05' }],
        }),
      ],
      'FILE',
    );
    const { rows: aged } = await db.pool.query(
      `SELECT break_class, to_char(opened_on, 'YYYY-MM-DD') AS opened_on, age_business_days, ageing_bucket
       FROM recon_breaks WHERE status = 'OPEN'`,
    );
    expect(aged).toEqual([
      { break_class: 'MISSING_AT_CUSTODIAN', opened_on: '2024-05-30', age_business_days: 2, ageing_bucket: '2-5' },
    ]);

    // 2024-06-04: everything agrees; a redelivery of the same statement changes nothing.
    await send(agreeing('ST-4', '2024-06-04'));
    const resolved = await breaks();
    await send(agreeing('ST-4', '2024-06-04'));
    expect(await breaks()).toEqual(resolved);
    expect(resolved.every(([, , s]) => s === 'RESOLVED')).toBe(true);
    const { rows: events } = await db.pool.query(
      `SELECT statement_id, event, count(*)::int AS n FROM recon_break_events GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(events).toEqual([
      { statement_id: 'ST-1', event: 'OPENED', n: 4 },
      { statement_id: 'ST-2', event: 'AGED', n: 1 },
      { statement_id: 'ST-2', event: 'RESOLVED', n: 3 },
      { statement_id: 'ST-3', event: 'AGED', n: 1 },
      { statement_id: 'ST-4', event: 'RESOLVED', n: 1 },
    ]);
  });
});
