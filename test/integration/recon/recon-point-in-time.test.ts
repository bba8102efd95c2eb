/**
 * Reconciliation is point in time: a custodian statement for day D reconciled after D+1's status reports is
 * compared with what had settled by D (rebuilt from the status history), so a partial settlement on D whose
 * remainder settled on D+1 is no break, while a real difference on D still is one.
 *
 * Each account buys 100 AAPL @ 189.98 + 1.00 commission + 0.05 fees = 18999.05 to pay, trade date Fri 2024-05-24,
 * settling Wed 2024-05-29 (D). The custodian's tolerance is set to zero so that amounts must agree to the cent.
 */
import path from 'node:path';

import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import type { CustodyStatementV1 } from '../../../lib/kafka/schemas/custody-statement';
import type { SettlementStatusMessageV1 } from '../../../lib/kafka/schemas/settlement-status';
import { Topics } from '../../../lib/kafka/topics';
import { reconcileStatements } from '../../../lib/recon/service';
import { loadReferenceData } from '../../../lib/refdata/load';
import { settlementStatusHandler, settleTradesHandler } from '../../../lib/settlement/handlers';
import { loadEvent } from '../../helpers/events';
import { bookedTrade, mskEventFactory } from '../../helpers/kafka-events';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.resolve(__dirname, '..', '..', '..', 'migrations', 'seed');
const AAPL = 'US0378331005';
const ACCOUNTS = ['ACC-001', 'ACC-002', 'ACC-003', 'ACC-004'];
const D = '2024-05-29';
const NEXT_DAY = '2024-05-30';

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
}

let db: TestDatabase;
let messageNo = 0;
const netOf = new Map<string, string>();
const publisher = new RecordingPublisher();

const eventOf = mskEventFactory();

function report(
  account: string,
  state: SettlementStatusMessageV1['state'],
  statusDate: string,
  extra: Partial<SettlementStatusMessageV1> = {},
): SettlementStatusMessageV1 {
  messageNo += 1;
  return {
    schemaVersion: 1,
    messageId: `PIT-${messageNo}`,
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
  return settlementStatusHandler({ pool: db.pool, publisher })(
    eventOf(
      Topics.SETTLEMENT_STATUS,
      reports.map((r) => ({ key: r.account, value: r })),
    ),
  );
}

function statement(
  id: string,
  date: string,
  lines: Record<string, { quantity: string; cash: string }>,
): CustodyStatementV1 {
  const sample = loadEvent<{ statement: CustodyStatementV1 }>('payloads/custody-statements').statement;
  const accounts = Object.keys(lines);
  return {
    ...sample,
    statementId: id,
    statementDate: date,
    accounts,
    positions: accounts.map((account) => ({ account, isin: AAPL, quantity: lines[account]?.quantity ?? '' })),
    cash: accounts.map((account) => ({ account, currency: 'USD', amount: lines[account]?.cash ?? '' })),
    cashPostings: [],
  };
}

async function breaks(): Promise<[string, string, string, string][]> {
  const { rows } = await db.pool.query<{ break_key: string; break_class: string; status: string; difference: string }>(
    'SELECT break_key, break_class, status, difference FROM recon_breaks ORDER BY break_key',
  );
  return rows.map((r) => [r.break_key, r.break_class, r.status, r.difference]);
}

beforeAll(async () => {
  db = await createTestDatabase();
  await loadReferenceData(db.pool, SEED);
  await db.pool.query(`INSERT INTO recon_tolerances VALUES ('IRVTUS3N', 0, 0, 1, 'XNYS')`);
  await settleTradesHandler({ pool: db.pool, publisher })(
    eventOf(
      Topics.TRADES_BOOKED,
      ACCOUNTS.map((account) => ({
        key: account,
        value: bookedTrade({ tradeId: `PIT-${account}`, execId: `PIT-${account}-1`, account }),
      })),
    ),
  );
  const { rows } = await db.pool.query<{ account_id: string; net_instruction_id: string }>(
    `SELECT account_id, net_instruction_id FROM net_instructions WHERE state = 'INSTRUCTED'`,
  );
  for (const r of rows) netOf.set(r.account_id, r.net_instruction_id);
});

afterAll(async () => {
  await db.drop();
});

describe('reconciliation as of the statement date', () => {
  test("a statement for D reconciled after D+1's reports shows D's settlements, and only real differences", async () => {
    // Arrange: every account is fully SETTLED by D+1, but on D:
    // ACC-001 settled 10 of 100 (cash pro rata, 18999.05 × 10 / 100 = 1899.905 → 1899.90 half-even);
    // ACC-002 settled all 100 on D, but the custodian reports 95 (a real difference);
    // ACC-003 settled 40 on D, reported only after D+1's SETTLED (stale, still true on D): 7599.62 pro rata;
    // ACC-004 settled 10 on D, and the custodian already shows all 100: the remainder in flight explains it.
    const summary = await apply(
      report('ACC-001', 'PARTIALLY_SETTLED', D, { settledQuantity: '10' }),
      report('ACC-002', 'SETTLED', D),
      report('ACC-004', 'PARTIALLY_SETTLED', D, { settledQuantity: '10' }),
      report('ACC-001', 'SETTLED', NEXT_DAY),
      report('ACC-003', 'SETTLED', NEXT_DAY),
      report('ACC-004', 'SETTLED', NEXT_DAY),
      report('ACC-003', 'PARTIALLY_SETTLED', D, { settledQuantity: '40' }),
    );
    const { rows: now } = await db.pool.query<{ state: string }>(
      'SELECT DISTINCT state FROM net_instructions WHERE account_id = ANY($1::text[])',
      [ACCOUNTS],
    );

    // Act
    const onD = await reconcileStatements(
      { pool: db.pool, publisher },
      [
        statement('PIT-D', D, {
          'ACC-001': { quantity: '10', cash: '-1899.90' },
          'ACC-002': { quantity: '95', cash: '-18999.05' },
          'ACC-003': { quantity: '40', cash: '-7599.62' },
          'ACC-004': { quantity: '100', cash: '-18999.05' },
        }),
      ],
      'FILE',
    );
    const afterD = await breaks();

    // Assert
    expect(summary.outcomes).toMatchObject({ APPLIED: 6, STALE: 1 });
    expect(now).toEqual([{ state: 'SETTLED' }]);
    expect(onD).toMatchObject({ statements: 1, opened: 3 });
    // ACC-004: we hold 10 and paid 1899.90 on D; the custodian 100 and 18999.05, both explained by the remainder
    // (90 and 17099.15) settling on D.
    expect(afterD).toEqual([
      ['CASH|ACC-004|USD', 'TIMING', 'OPEN', '-17099.15'],
      [`POSITION|ACC-002|${AAPL}`, 'QUANTITY', 'OPEN', '-5'],
      [`POSITION|ACC-004|${AAPL}`, 'TIMING', 'OPEN', '90'],
    ]);
  });

  test("the next day's statement agrees with everything settled and resolves D's breaks", async () => {
    // Arrange
    const full = { quantity: '100', cash: '-18999.05' };

    // Act
    const next = await reconcileStatements(
      { pool: db.pool, publisher },
      [statement('PIT-D1', NEXT_DAY, { 'ACC-001': full, 'ACC-002': full, 'ACC-003': full, 'ACC-004': full })],
      'FILE',
    );

    // Assert
    expect(next).toMatchObject({ opened: 0, resolved: 3 });
    expect((await breaks()).map(([key, , status]) => [key, status])).toEqual([
      ['CASH|ACC-004|USD', 'RESOLVED'],
      [`POSITION|ACC-002|${AAPL}`, 'RESOLVED'],
      [`POSITION|ACC-004|${AAPL}`, 'RESOLVED'],
    ]);
  });
});
