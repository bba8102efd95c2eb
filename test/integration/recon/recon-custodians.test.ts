/**
 * One account, two custodians: ACC-001 settles US equities with IRVTUS3N and German ones with DEUTDEFF (its
 * SSIs). Each custodian's statement is reconciled with what that custodian holds for the account, not with the
 * other's holdings, and a break one custodian's statement opens is aged and resolved by that custodian's
 * statements only.
 *
 * ACC-001 buys 100 AAPL @ 189.98 (+ 1.00 commission + 0.05 fees = 18999.05) and 50 SAP @ 180.00 (+ 1.00 = 9001.00),
 * trade date Fri 2024-05-24; AAPL settles Wed 2024-05-29 (Memorial Day between), SAP Tue 2024-05-28.
 */
import path from 'node:path';

import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import type { CustodyStatementV1 } from '../../../lib/kafka/schemas/custody-statement';
import type { SettlementStatusMessageV1 } from '../../../lib/kafka/schemas/settlement-status';
import { Topics } from '../../../lib/kafka/topics';
import { reconcileStatements } from '../../../lib/recon/service';
import { loadReferenceData } from '../../../lib/refdata/load';
import { settlementStatusHandler, settleTradesHandler } from '../../../lib/settlement/handlers';
import { bookedTrade, mskEventFactory } from '../../helpers/kafka-events';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.resolve(__dirname, '..', '..', '..', 'migrations', 'seed');
const AAPL = 'US0378331005';
const SAP = 'DE0007164600';

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
}

let db: TestDatabase;
const publisher = new RecordingPublisher();
const eventOf = mskEventFactory();

function statement(
  custodian: string,
  date: string,
  positions: CustodyStatementV1['positions'],
  cash: CustodyStatementV1['cash'],
): CustodyStatementV1 {
  return {
    schemaVersion: 1,
    statementId: `${custodian}-${date}-${JSON.stringify([positions, cash]).length}`,
    custodian,
    statementDate: date,
    accounts: ['ACC-001'],
    positions,
    cash,
    cashPostings: [],
  };
}

async function breaks(): Promise<[string, string, string, string][]> {
  const { rows } = await db.pool.query<{ break_key: string; break_class: string; status: string; opened_on: string }>(
    `SELECT break_key, break_class, status, to_char(opened_on, 'YYYY-MM-DD') AS opened_on
     FROM recon_breaks ORDER BY break_key`,
  );
  return rows.map((r) => [r.break_key, r.break_class, r.status, r.opened_on]);
}

const aapl = [{ account: 'ACC-001', isin: AAPL, quantity: '100' }];
const usd = [{ account: 'ACC-001', currency: 'USD', amount: '-18999.05' }];
const sap = [{ account: 'ACC-001', isin: SAP, quantity: '50' }];
const eur = [{ account: 'ACC-001', currency: 'EUR', amount: '-9001.00' }];

beforeAll(async () => {
  db = await createTestDatabase();
  await loadReferenceData(db.pool, SEED);
  await settleTradesHandler({ pool: db.pool, publisher })(
    eventOf(Topics.TRADES_BOOKED, [
      { key: 'ACC-001', value: bookedTrade({ tradeId: 'TWO-1', execId: 'TWO-1-1' }) },
      {
        key: 'ACC-001',
        value: bookedTrade({
          tradeId: 'TWO-2',
          execId: 'TWO-2-1',
          isin: SAP,
          mic: 'XETR',
          currency: 'EUR',
          quantity: '50',
          price: '180.00',
          commission: '1.00',
          fees: '0.00',
          tradeTime: '2024-05-24T09:00:00.000Z',
          settlementDate: '2024-05-28',
        }),
      },
    ]),
  );
  const { rows } = await db.pool.query<{ net_instruction_id: string; isin: string; settlement_date: string }>(
    `SELECT net_instruction_id, isin, to_char(settlement_date, 'YYYY-MM-DD') AS settlement_date
     FROM net_instructions WHERE state = 'INSTRUCTED'`,
  );
  const settled = rows.map((r): SettlementStatusMessageV1 => ({
    schemaVersion: 1,
    messageId: `TWO-${r.isin}`,
    instructionId: r.net_instruction_id,
    account: 'ACC-001',
    state: 'SETTLED',
    statusDate: r.settlement_date,
    custodian: r.isin === SAP ? 'DEUTDEFF' : 'IRVTUS3N',
    sentAt: `${r.settlement_date}T18:00:00.000Z`,
  }));
  await settlementStatusHandler({ pool: db.pool, publisher })(
    eventOf(
      Topics.SETTLEMENT_STATUS,
      settled.map((s) => ({ key: s.account, value: s })),
    ),
  );
});

afterAll(async () => {
  await db.drop();
});

describe('reconciliation per custodian', () => {
  test("each custodian's statement agrees with what it holds for the account: no break", async () => {
    // Act
    const summary = await reconcileStatements(
      { pool: db.pool, publisher },
      [statement('IRVTUS3N', '2024-05-29', aapl, usd), statement('DEUTDEFF', '2024-05-29', sap, eur)],
      'FILE',
    );

    // Assert
    expect(summary).toMatchObject({ statements: 2, opened: 0 });
    expect(await breaks()).toEqual([]);
  });

  test("a break one custodian's statement opens is aged and resolved by that custodian's statements only", async () => {
    // Act: DEUTDEFF shows 45 SAP on Thursday; Friday IRVTUS3N's clean statement, then DEUTDEFF still 45;
    // Monday DEUTDEFF has caught up
    await reconcileStatements(
      { pool: db.pool, publisher },
      [statement('DEUTDEFF', '2024-05-30', [{ account: 'ACC-001', isin: SAP, quantity: '45' }], eur)],
      'FILE',
    );
    const opened = await breaks();
    await reconcileStatements(
      { pool: db.pool, publisher },
      [
        statement('IRVTUS3N', '2024-05-31', aapl, usd),
        statement('DEUTDEFF', '2024-05-31', [{ account: 'ACC-001', isin: SAP, quantity: '45' }], eur),
      ],
      'FILE',
    );
    const aged = await breaks();
    const { rows: age } = await db.pool.query<{ age_business_days: number }>(
      `SELECT age_business_days FROM recon_breaks`,
    );
    await reconcileStatements({ pool: db.pool, publisher }, [statement('DEUTDEFF', '2024-06-03', sap, eur)], 'FILE');

    // Assert
    const key = `POSITION|ACC-001|${SAP}`;
    expect(opened).toEqual([[key, 'QUANTITY', 'OPEN', '2024-05-30']]);
    expect(aged).toEqual([[key, 'QUANTITY', 'OPEN', '2024-05-30']]);
    expect(age).toEqual([{ age_business_days: 1 }]);
    expect(await breaks()).toEqual([[key, 'QUANTITY', 'RESOLVED', '2024-05-30']]);
  });
});
