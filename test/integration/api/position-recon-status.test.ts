/**
 * The position report's reconciliation status, from statements and breaks as the reconciliation stage stores
 * them, hand-built so that each status is visible:
 *
 * - ACC-001 AAPL: the latest statement for ACC-001 (2024-05-29) reported it and no break is open: MATCHED. An
 *   older statement's break on it was resolved and no longer counts.
 * - ACC-001 MSFT: reported by the older statement (2024-05-28) but not by the latest: NOT_RECONCILED.
 * - ACC-002 AAPL: a QUANTITY break is open, opened 2024-05-27 and 2 business days old: BREAK.
 * - ACC-002 MSFT: bought and sold back (flat), not on the statement that covered ACC-002: both hold none, MATCHED.
 * - ACC-003 AAPL: no statement has covered ACC-003: NOT_RECONCILED.
 */
import { PositionPage } from '../../../lib/api/query/schemas';
import { PgQueryService } from '../../../lib/api/query/service';
import { positionReport, positionReportCsv } from '../../../lib/pnl/position-report';
import { PgPositionStore } from '../../../lib/positions/store';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, book, MSFT, seedReferenceData, trade } from '../helpers/pnl-fixtures';

let db: TestDatabase;

async function receivedStatement(
  id: string,
  date: string,
  accounts: readonly string[],
  positions: readonly { account: string; isin: string; quantity: string }[],
): Promise<void> {
  const statement = {
    schemaVersion: 1,
    statementId: id,
    custodian: 'IRVTUS3N',
    statementDate: date,
    accounts,
    positions,
    cash: [],
    cashPostings: [],
  };
  await db.pool.query(
    `INSERT INTO custody_statements (statement_id, custodian, statement_date, accounts, statement, origin)
     VALUES ($1, 'IRVTUS3N', $2, $3, $4, 'FILE')`,
    [id, date, accounts, statement],
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  await seedReferenceData(db.pool);
  await book(db.pool, [
    trade({ tradeId: 'PRS-1', account: 'ACC-001', isin: AAPL, quantity: '100', price: '150.00' }),
    trade({ tradeId: 'PRS-2', account: 'ACC-001', isin: MSFT, quantity: '10', price: '400.00' }),
    trade({ tradeId: 'PRS-3', account: 'ACC-002', isin: AAPL, quantity: '50', price: '150.00' }),
    trade({ tradeId: 'PRS-4', account: 'ACC-002', isin: MSFT, quantity: '20', price: '400.00' }),
    trade({ tradeId: 'PRS-5', account: 'ACC-002', isin: MSFT, side: 'SELL', quantity: '20', price: '410.00' }),
    trade({ tradeId: 'PRS-6', account: 'ACC-003', isin: AAPL, quantity: '30', price: '150.00' }),
  ]);
  await new PgPositionStore(db.pool).rebuild([
    { accountId: 'ACC-001', isin: AAPL },
    { accountId: 'ACC-001', isin: MSFT },
    { accountId: 'ACC-002', isin: AAPL },
    { accountId: 'ACC-002', isin: MSFT },
    { accountId: 'ACC-003', isin: AAPL },
  ]);
  await receivedStatement(
    'ST-OLD',
    '2024-05-28',
    ['ACC-001'],
    [
      { account: 'ACC-001', isin: AAPL, quantity: '90' },
      { account: 'ACC-001', isin: MSFT, quantity: '10' },
    ],
  );
  await receivedStatement('ST-NEW', '2024-05-29', ['ACC-001'], [{ account: 'ACC-001', isin: AAPL, quantity: '100' }]);
  await receivedStatement('ST-002', '2024-05-29', ['ACC-002'], [{ account: 'ACC-002', isin: AAPL, quantity: '45' }]);
  await db.pool.query(
    `INSERT INTO recon_breaks (break_key, break_class, scope, account_id, isin, internal_value, custodian_value,
       difference, opened_on, last_seen_statement_id, last_seen_on, age_business_days, ageing_bucket, status,
       resolved_on, resolved_by_statement_id)
     VALUES ($1, 'QUANTITY', 'POSITION', 'ACC-001', $2, 100, 90, -10, '2024-05-28', 'ST-OLD', '2024-05-28', 0, '0-1',
             'RESOLVED', '2024-05-29', 'ST-NEW'),
            ($3, 'QUANTITY', 'POSITION', 'ACC-002', $2, 50, 45, -5, '2024-05-27', 'ST-002', '2024-05-29', 2, '2-5',
             'OPEN', NULL, NULL)`,
    [`POSITION|ACC-001|${AAPL}`, AAPL, `POSITION|ACC-002|${AAPL}`],
  );
});

afterAll(async () => {
  await db.drop();
});

describe('position report: reconciliation status', () => {
  test('MATCHED, BREAK with class and age, or NOT_RECONCILED per account and ISIN', async () => {
    // Act
    const lines = await positionReport(db.pool, {});

    // Assert
    expect(
      lines.map((l) => [
        l.accountId,
        l.isin,
        l.quantity,
        l.reconciliationStatus,
        l.reconciledAsOf,
        l.breakClass,
        l.breakOpenedOn,
        l.breakAgeBusinessDays,
        l.breakAgeingBucket,
      ]),
    ).toEqual([
      ['ACC-001', AAPL, '100', 'MATCHED', '2024-05-29', null, null, null, null],
      ['ACC-001', MSFT, '10', 'NOT_RECONCILED', '2024-05-29', null, null, null, null],
      ['ACC-002', AAPL, '50', 'BREAK', '2024-05-29', 'QUANTITY', '2024-05-27', 2, '2-5'],
      ['ACC-002', MSFT, '0', 'MATCHED', '2024-05-29', null, null, null, null],
      ['ACC-003', AAPL, '30', 'NOT_RECONCILED', null, null, null, null, null],
    ]);
  });

  test('the CSV carries the status and the break columns; an account filter keeps its own status', async () => {
    // Act
    const csv = positionReportCsv(await positionReport(db.pool, { accounts: ['ACC-002'] }));

    // Assert
    const [header, ...rows] = csv.trimEnd().split('\r\n');
    expect(header).toMatch(
      /,reconciliation_status,reconciled_as_of,break_class,break_opened_on,break_age_business_days,break_ageing_bucket$/,
    );
    expect(rows.map((r) => r.split(',').slice(-6))).toEqual([
      ['BREAK', '2024-05-29', 'QUANTITY', '2024-05-27', '2', '2-5'],
      ['MATCHED', '2024-05-29', '', '', '', ''],
    ]);
  });

  test("the query API's /positions service carries the same status, valid against its response schema", async () => {
    // Act
    const page = await new PgQueryService(db.pool).positions({ accounts: ['ACC-002'], after: undefined, limit: 10 });

    // Assert
    expect(PositionPage.safeParse({ items: page.items, nextCursor: null }).success).toBe(true);
    expect(page.items.map((p) => [p.isin, p.reconciliation])).toEqual([
      [
        AAPL,
        {
          status: 'BREAK',
          statementDate: '2024-05-29',
          breakClass: 'QUANTITY',
          breakOpenedOn: '2024-05-27',
          breakAgeBusinessDays: 2,
          breakAgeingBucket: '2-5',
        },
      ],
      [
        MSFT,
        {
          status: 'MATCHED',
          statementDate: '2024-05-29',
          breakClass: null,
          breakOpenedOn: null,
          breakAgeBusinessDays: null,
          breakAgeingBucket: null,
        },
      ],
    ]);
  });
});
