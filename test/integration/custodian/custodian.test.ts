/**
 * The custodian simulator on the real broker with real PostgreSQL, the handlers behind the event-source runner:
 * booked trades → settleTrades → settlement.instructions → custodian → settlement.status → settlementStatus →
 * lifecycles in the database; then the custodian's statement with injected breaks → reconcile → exactly those
 * breaks, and a clean statement that resolves them.
 */
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

import { runCustodian, type RunningCustodian } from '../../../lib/custodian/loop';
import { calendarsFromReferenceData } from '../../../lib/custodian/cli';
import { InjectableBreak } from '../../../lib/custodian/statement';
import type { KafkaEvent } from '../../../lib/kafka/decode';
import { createKafkaProducer, KafkaPublisher } from '../../../lib/kafka/producer';
import type { BookedTradeEventV1 } from '../../../lib/kafka/schemas/booked-trade';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { reconcileHandler } from '../../../lib/recon/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { settlementStatusHandler, settleTradesHandler } from '../../../lib/settlement/handlers';
import { parseEventSourceMappings, startEventSourceRunner, type EventSourceRunner } from '../../../localstack/esm';
import { loadEvent } from '../../helpers/events';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.resolve(__dirname, '..', '..', '..', 'migrations', 'seed');
const MSFT = 'US5949181045';

let db: TestDatabase;
let broker: TestBroker;
let publisher: KafkaPublisher;
let runner: EventSourceRunner;
let custodian: RunningCustodian;

function bookedTrade(change: Partial<BookedTradeEventV1['trade']>): BookedTradeEventV1 {
  const envelope = loadEvent<KafkaEvent>('trades-booked');
  const first = Object.values(envelope.records)[0]?.[0];
  const template = JSON.parse(Buffer.from(first?.value ?? '', 'base64').toString('utf8')) as BookedTradeEventV1;
  return { ...template, trade: { ...template.trade, ...change } };
}

async function settleEverything(): Promise<void> {
  // settleTrades publishes instructions, the custodian answers, settlementStatus applies: three hops.
  await runner.idle();
  await custodian.idle();
  await runner.idle();
}

beforeAll(async () => {
  [db, broker] = await Promise.all([createTestDatabase(), startTestBroker()]);
  await loadReferenceData(db.pool, SEED);
  const admin = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: topicSpecs() });
  await admin.disconnect();
  publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'custodian-test' }));
  const arn = 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/custodian';
  const on = (topic: string) => ({ events: [{ msk: { arn, topic, startingPosition: 'TRIM_HORIZON' } }] });
  const parsed = parseEventSourceMappings({
    functions: {
      settleTrades: on(Topics.TRADES_BOOKED),
      settlementStatus: on(Topics.SETTLEMENT_STATUS),
      reconcile: on(Topics.CUSTODY_STATEMENTS),
    },
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const deps = { pool: db.pool, publisher };
  runner = await startEventSourceRunner({
    brokers: broker.address,
    mappings: parsed.value,
    handlers: {
      settleTrades: settleTradesHandler(deps),
      settlementStatus: settlementStatusHandler(deps),
      reconcile: reconcileHandler(deps),
    },
  });
  custodian = await runCustodian({
    brokers: [broker.address],
    seed: 11,
    // Everything matches; of the matched a third each settle, settle in part, fail; none recovers.
    rates: { matchRate: 1, settleRate: 0.34, partialRate: 0.33, failRate: 0.33, recoverRate: 0 },
    delayMs: 0,
    calendarFor: calendarsFromReferenceData(SEED),
    defaultBic: 'IRVTUS3N',
    log: () => undefined,
  });
});

afterAll(async () => {
  await custodian.stop();
  await runner.stop();
  await publisher.disconnect();
  await Promise.all([db.drop(), broker.destroy()]);
});

describe('custodian simulator end to end', () => {
  test('answers every net instruction and the settlementStatus handler records what it said', async () => {
    // Arrange: six trades settling Wed 2024-05-29 (traded Fri 2024-05-24, T+2), six netting keys
    const trades = [
      bookedTrade({ tradeId: 'C1', execId: 'C1-1', quantity: '100' }),
      bookedTrade({ tradeId: 'C2', execId: 'C2-1', quantity: '40', isin: MSFT, price: '420.00' }),
      bookedTrade({ tradeId: 'C3', execId: 'C3-1', account: 'ACC-002', quantity: '75' }),
      bookedTrade({ tradeId: 'C4', execId: 'C4-1', account: 'ACC-002', isin: MSFT, side: 'SELL', price: '421.00' }),
      bookedTrade({ tradeId: 'C5', execId: 'C5-1', account: 'ACC-003', quantity: '9' }),
      bookedTrade({ tradeId: 'C6', execId: 'C6-1', account: 'ACC-003', isin: MSFT, quantity: '13', price: '419.50' }),
    ];

    // Act
    await publisher.publish(trades.map((t) => ({ topic: Topics.TRADES_BOOKED, key: t.trade.account, value: t })));
    await settleEverything();

    // Assert: each net instruction is where the custodian's last report put it, with what it said settled
    const decisions = custodian.simulator.decisions();
    expect(decisions).toHaveLength(6);
    expect(new Set(decisions.map((d) => d.outcome)).size).toBeGreaterThan(1);
    const { rows } = await db.pool.query<{
      net_instruction_id: string;
      state: string;
      settled_quantity: string;
      reason_code: string | null;
    }>(`SELECT net_instruction_id, state, settled_quantity, reason_code FROM net_instructions ORDER BY 1`);
    const expected = decisions
      .map((d) => {
        const last = d.reports.at(-1);
        const settledReport = [...d.reports].reverse().find((r) => r.settledQuantity !== undefined);
        return {
          net_instruction_id: d.instruction.instructionId,
          state: last?.state ?? '',
          settled_quantity: settledReport?.settledQuantity?.toFixed() ?? '0',
          reason_code: d.reports.find((r) => r.state === 'FAILED')?.reasonCode ?? null,
        };
      })
      .sort((a, b) => (a.net_instruction_id < b.net_instruction_id ? -1 : 1));
    expect(rows).toEqual(expected);
    const { rows: outcomes } = await db.pool.query<{ outcome: string; n: number }>(
      `SELECT outcome, count(*)::int AS n FROM settlement_status_history GROUP BY 1`,
    );
    expect(outcomes).toEqual([{ outcome: 'APPLIED', n: decisions.flatMap((d) => d.reports).length }]);
  });

  test('a statement with injected breaks is reconciled to exactly those breaks; a clean one resolves them', async () => {
    // Arrange: Thu 2024-05-30, after the remainders of partial settlements; failed ones are in flight (window 1)
    const date = '2024-05-30';
    const classes = [
      InjectableBreak.QUANTITY,
      InjectableBreak.AMOUNT,
      InjectableBreak.MISSING_AT_CUSTODIAN,
      InjectableBreak.MISSING_INTERNAL,
      InjectableBreak.DUPLICATE,
      InjectableBreak.TIMING,
    ];

    // Act
    const [broken] = await custodian.publishStatements(date, { seed: 3, breakRate: 0.8, classes });
    await runner.idle();
    const { rows: found } = await db.pool.query<{ break_key: string; break_class: string }>(
      `SELECT break_key, break_class FROM recon_breaks WHERE status = 'OPEN' ORDER BY break_key`,
    );
    const [clean] = await custodian.publishStatements(date);
    await runner.idle();

    // Assert
    const injected = (broken?.injected ?? []).map((b) => ({ break_key: b.breakKey, break_class: b.breakClass }));
    expect(new Set(injected.map((b) => b.break_class)).size).toBeGreaterThanOrEqual(3);
    expect(found).toEqual(injected);
    expect(clean?.injected).toEqual([]);
    const { rows: after } = await db.pool.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM recon_breaks GROUP BY 1`,
    );
    expect(after).toEqual([{ status: 'RESOLVED', n: injected.length }]);
  });
});
