/** Statement file import: JSON, JSON lines and CSV into wire statements; invalid lines reported by number. */
import { parseStatementCsv, parseStatementFile, parseStatementJson } from '../../../lib/recon/import-cli';

const HEADER =
  'statement_id,custodian,statement_date,record_type,account,isin,currency,quantity,amount,reference,posting_type';

describe('statement file import', () => {
  test('reads a CSV into one statement per id, accounts from its lines, postings typed', () => {
    // Arrange
    const csv = [
      HEADER,
      'ST-1,IRVTUS3N,2024-05-30,POSITION,ACC-001,US0378331005,,100,,,',
      'ST-1,IRVTUS3N,2024-05-30,CASH,ACC-001,,USD,,-18999.05,,',
      'ST-1,IRVTUS3N,2024-05-30,POSTING,ACC-001,,USD,,-2.50,FEE-1,fee',
      'ST-1,IRVTUS3N,2024-05-30,ACCOUNT,ACC-002,,,,,,',
      '',
    ].join('\n');

    // Act
    const parsed = parseStatementCsv(csv);

    // Assert
    expect(parsed.invalid).toEqual([]);
    expect(parsed.statements).toEqual([
      {
        schemaVersion: 1,
        statementId: 'ST-1',
        custodian: 'IRVTUS3N',
        statementDate: '2024-05-30',
        accounts: ['ACC-001', 'ACC-002'],
        positions: [{ account: 'ACC-001', isin: 'US0378331005', quantity: '100' }],
        cash: [{ account: 'ACC-001', currency: 'USD', amount: '-18999.05' }],
        cashPostings: [{ reference: 'FEE-1', account: 'ACC-001', currency: 'USD', amount: '-2.50', type: 'FEE' }],
      },
    ]);
  });

  test('reports invalid CSV lines by number and leaves their statement out whole', () => {
    // Arrange
    const csv = [
      HEADER,
      'ST-1,IRVTUS3N,2024-05-30,POSITION,ACC-001,US0378331005,,100,,,',
      'ST-1,IRVTUS3N,2024-05-30,POSITION,ACC-001,SHORT,,1e3,,,',
      'ST-2,IRVTUS3N,2024-02-30,CASH,ACC-002,,USD,,10.00,,',
      'ST-3,IRVTUS3N,2024-05-30,TRADE,ACC-003,,USD,,10.00,,',
      'ST-4,IRVTUS3N,2024-05-30,CASH,ACC-004,,USD,,10.00,,',
    ].join('\n');

    // Act
    const parsed = parseStatementCsv(csv);

    // Assert
    expect(parsed.invalid.map((i) => [i.line, i.errors.map((e) => e.path)])).toEqual([
      [3, ['positions.0.isin', 'positions.0.quantity']],
      [4, ['statementDate']],
      [5, ['record_type']],
    ]);
    expect(parsed.rejectedStatementIds).toEqual(['ST-1', 'ST-2', 'ST-3']);
    expect(parsed.statements.map((s) => s.statementId)).toEqual(['ST-4']);
  });

  test('reads a JSON array and reports an invalid statement at the line it starts on', () => {
    // Arrange
    const good = {
      schemaVersion: 1,
      statementId: 'ST-1',
      custodian: 'IRVTUS3N',
      statementDate: '2024-05-30',
      accounts: ['ACC-001'],
      positions: [],
      cash: [],
    };
    const text = JSON.stringify([good, { ...good, statementId: '', accounts: [] }], null, 2);

    // Act
    const parsed = parseStatementJson(text);

    // Assert: "[" line 1, the first statement lines 2-12 (its accounts array spans three), the second from 13
    expect(parsed.statements.map((s) => [s.statementId, s.cashPostings])).toEqual([['ST-1', []]]);
    expect(parsed.invalid.map((i) => [i.line, i.errors.map((e) => e.path)])).toEqual([
      [13, ['statementId', 'accounts']],
    ]);
  });

  test('chooses the format by extension; JSON lines are numbered by line', () => {
    // Arrange
    const line = JSON.stringify({
      schemaVersion: 1,
      statementId: 'ST-9',
      custodian: 'IRVTUS3N',
      statementDate: '2024-05-30',
      accounts: ['ACC-001'],
      positions: [],
      cash: [],
    });

    // Act
    const parsed = parseStatementFile('day.jsonl', `${line}\n\n{oops\n`);

    // Assert
    expect(parsed.statements.map((s) => s.statementId)).toEqual(['ST-9']);
    expect(parsed.invalid).toEqual([
      { line: 3, errors: [{ path: '', message: expect.stringMatching(/^not valid JSON: /) as string }] },
    ]);
  });

  test('refuses a statement that names a key twice or holds a NUL, with the field', () => {
    // Arrange
    const statement = {
      schemaVersion: 1,
      statementId: 'ST-10',
      custodian: 'IRVTUS3N',
      statementDate: '2024-05-30',
      accounts: ['ACC-001'],
      positions: [{ account: 'ACC-001', isin: 'US0378331005', quantity: '100' }],
      cash: [],
    };
    const twice = JSON.stringify(statement).replace('"quantity":"100"', '"quantity":"100","quantity":"1"');
    const nul = JSON.stringify({ ...statement, statementId: 'ST-\u000011' });

    // Act
    const parsed = parseStatementFile('day.jsonl', `${twice}\n${nul}\n`);

    // Assert
    expect(parsed.statements).toEqual([]);
    expect(parsed.invalid.map((i) => [i.line, i.errors.map((e) => e.path)])).toEqual([
      [1, ['positions.0.quantity']],
      [2, ['statementId']],
    ]);
  });
});
