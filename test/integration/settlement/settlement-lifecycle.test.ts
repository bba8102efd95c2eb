/**
 * Settlement lifecycles through the `settlementStatus` handler against real PostgreSQL: failure and its ageing in
 * business days of the settlement market, partial settlements to full, a custodian rejection (EXCEPTION), and a
 * re-match after an unmatched failure — with the late and illegal reports each path meets.
 */
import path from 'node:path';

import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import type { SettlementStatusMessageV1 } from '../../../lib/kafka/schemas/settlement-status';
import { Topics } from '../../../lib/kafka/topics';
import { loadReferenceData } from '../../../lib/refdata/load';
import { settlementStatusHandler, settleTradesHandler } from '../../../lib/settlement/handlers';
import { PgSettlementStore } from '../../../lib/settlement/store';
import { bookedTrade, mskEventFactory } from '../../helpers/kafka-events';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.resolve(__dirname, '..', '..', '..', 'migrations', 'seed');

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
}

let db: TestDatabase;
const netOf = new Map<string, string>();

const eventOf = mskEventFactory();

let messageNo = 0;
function report(
  account: string,
  state: SettlementStatusMessageV1['state'],
  statusDate: string,
  extra: Partial<SettlementStatusMessageV1> = {},
): SettlementStatusMessageV1 {
  messageNo += 1;
  return {
    schemaVersion: 1,
    messageId: `LC-${messageNo}`,
    instructionId: netOf.get(account) ?? '',
    account,
    state,
    statusDate,
    custodian: 'IRVTUS3N',
    sentAt: `${statusDate}T18:00:00.000Z`,
    ...extra,
  };
}

async function apply(...reports: SettlementStatusMessageV1[]) {
  const handle = settlementStatusHandler({ pool: db.pool, publisher: new RecordingPublisher() });
  return handle(
    eventOf(
      Topics.SETTLEMENT_STATUS,
      reports.map((r) => ({ key: r.account, value: r })),
    ),
  );
}

async function lifecycle(account: string) {
  const { rows } = await db.pool.query<{
    state: string;
    settled_quantity: string;
    settled_cash: string;
    failed_since: string | null;
    reason_code: string | null;
  }>(
    `SELECT state, settled_quantity, settled_cash, to_char(failed_since, 'YYYY-MM-DD') AS failed_since, reason_code
     FROM net_instructions WHERE net_instruction_id = $1`,
    [netOf.get(account)],
  );
  return rows[0];
}

beforeAll(async () => {
  db = await createTestDatabase();
  await loadReferenceData(db.pool, SEED);
  // Each account its own net instruction: buy 100 AAPL @ 189.98 + 1.00 commission + 0.05 fees = 18999.05 to pay.
  // ACC-005 trades Wed 2024-05-22 (T+2) to settle Fri 2024-05-24, just before Memorial Day.
  await settleTradesHandler({ pool: db.pool, publisher: new RecordingPublisher() })(
    eventOf(Topics.TRADES_BOOKED, [
      ...['ACC-001', 'ACC-002', 'ACC-003', 'ACC-004'].map((account) => ({
        key: account,
        value: bookedTrade({ tradeId: `LC-${account}`, execId: `LC-${account}-1`, account }),
      })),
      {
        key: 'ACC-005',
        value: bookedTrade({
          tradeId: 'LC-ACC-005',
          execId: 'LC-ACC-005-1',
          account: 'ACC-005',
          tradeDate: '2024-05-22',
          tradeTime: '2024-05-22T14:30:00.000Z',
          settlementDate: '2024-05-24',
        }),
      },
    ]),
  );
  const { rows } = await db.pool.query<{ account_id: string; net_instruction_id: string }>(
    `SELECT account_id, net_instruction_id FROM net_instructions WHERE state = 'INSTRUCTED'`,
  );
  for (const r of rows) netOf.set(r.account_id, r.net_instruction_id);
});

afterAll(async () => {
  await db.drop();
});

describe('settlement lifecycle through the settlementStatus handler', () => {
  test('a failure keeps the date it first failed and ages in business days of the settlement market', async () => {
    // Arrange
    const store = new PgSettlementStore(db.pool);

    // Act: ACC-001 matched, fails Wed 2024-05-29 (LACK) and again Thu; a late MATCHED copy after the failure.
    // ACC-005 fails on its settlement date Fri 2024-05-24 (MONY).
    const summary = await apply(
      report('ACC-001', 'MATCHED', '2024-05-28'),
      report('ACC-001', 'FAILED', '2024-05-29', { reasonCode: 'LACK' }),
      report('ACC-001', 'FAILED', '2024-05-30', { reasonCode: 'LACK' }),
      report('ACC-001', 'MATCHED', '2024-05-28'),
      report('ACC-005', 'FAILED', '2024-05-24', { reasonCode: 'MONY' }),
    );

    // Assert
    expect(summary.outcomes).toMatchObject({ APPLIED: 3, STALE: 2 });
    expect(await lifecycle('ACC-001')).toEqual({
      state: 'FAILED',
      settled_quantity: '0',
      settled_cash: '0',
      failed_since: '2024-05-29',
      reason_code: 'LACK',
    });
    // ACC-001 failed Wed 05-29: Thu, Fri = 2 by Fri 05-31. ACC-005 failed Fri 05-24: Mon 05-27 is Memorial Day,
    // so Tue 05-28 is its first business day of age and Fri 05-31 its fourth.
    const aged = async (asOf: string) =>
      (await store.failedSettlements(asOf)).map((f) => [f.account, f.failedSince, f.reasonCode, f.ageBusinessDays]);
    expect(await aged('2024-05-28')).toEqual([
      ['ACC-005', '2024-05-24', 'MONY', 1],
      ['ACC-001', '2024-05-29', 'LACK', 0],
    ]);
    expect(await aged('2024-05-31')).toEqual([
      ['ACC-005', '2024-05-24', 'MONY', 4],
      ['ACC-001', '2024-05-29', 'LACK', 2],
    ]);
  });

  test('partial settlements accumulate (reported cash, else pro rata half-even) and end SETTLED; late ones are stale', async () => {
    // Act
    await apply(
      report('ACC-002', 'MATCHED', '2024-05-28'),
      report('ACC-002', 'PARTIALLY_SETTLED', '2024-05-29', { settledQuantity: '40', settledAmount: '7599.62' }),
    );
    const afterFirst = await lifecycle('ACC-002');
    await apply(report('ACC-002', 'PARTIALLY_SETTLED', '2024-05-29', { settledQuantity: '70' }));
    const afterSecond = await lifecycle('ACC-002');
    const last = await apply(
      report('ACC-002', 'SETTLED', '2024-05-30'),
      report('ACC-002', 'PARTIALLY_SETTLED', '2024-05-29', { settledQuantity: '40' }),
      report('ACC-002', 'FAILED', '2024-05-30', { reasonCode: 'LACK' }),
    );

    // Assert: 18999.05 × 70 / 100 = 13299.335 → 13299.34 (half-even to cents)
    expect([afterFirst?.state, afterFirst?.settled_quantity, afterFirst?.settled_cash]).toEqual([
      'PARTIALLY_SETTLED',
      '40',
      '-7599.62',
    ]);
    expect([afterSecond?.state, afterSecond?.settled_quantity, afterSecond?.settled_cash]).toEqual([
      'PARTIALLY_SETTLED',
      '70',
      '-13299.34',
    ]);
    expect(last.outcomes).toMatchObject({ APPLIED: 1, STALE: 2 });
    expect(await lifecycle('ACC-002')).toMatchObject({
      state: 'SETTLED',
      settled_quantity: '100',
      settled_cash: '-18999.05',
    });
  });

  test('an unmatched failure re-matches and settles; a custodian rejection is an EXCEPTION that cannot settle', async () => {
    // Act
    const summary = await apply(
      report('ACC-003', 'FAILED', '2024-05-29', { reasonCode: 'CMIS' }),
      report('ACC-003', 'MATCHED', '2024-05-30'),
      report('ACC-003', 'SETTLED', '2024-05-30'),
      report('ACC-004', 'EXCEPTION', '2024-05-28', { reasonCode: 'ICAG' }),
      report('ACC-004', 'SETTLED', '2024-05-29'),
    );

    // Assert
    expect(summary.outcomes).toMatchObject({ APPLIED: 4, ILLEGAL: 1 });
    expect(await lifecycle('ACC-003')).toEqual({
      state: 'SETTLED',
      settled_quantity: '100',
      settled_cash: '-18999.05',
      failed_since: null,
      reason_code: null,
    });
    expect(await lifecycle('ACC-004')).toMatchObject({
      state: 'EXCEPTION',
      settled_quantity: '0',
      reason_code: 'ICAG',
    });
    const { rows } = await db.pool.query(
      `SELECT outcome, state_before, state_after FROM settlement_status_history WHERE instruction_id = $1
       ORDER BY message_id`,
      [netOf.get('ACC-004')],
    );
    expect(rows).toEqual([
      { outcome: 'APPLIED', state_before: 'INSTRUCTED', state_after: 'EXCEPTION' },
      { outcome: 'ILLEGAL', state_before: 'EXCEPTION', state_after: 'EXCEPTION' },
    ]);
  });
});
