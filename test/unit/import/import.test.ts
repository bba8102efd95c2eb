import { parseJsonLines, parseTradeCsv } from '../../../lib/import/parse';

const HEADER =
  'execId,tradeId,lifecycle,account,counterpartyLei,isin,mic,side,quantity,price,currency,tradeDate,tradeTime,commission,fees';
const ROW =
  'E-1,T-1,NEW,ACC-001,W22LROWP2IHZNBB6K528,US0378331005,XNYS,BUY,100,170.00,USD,2024-04-02,2024-04-02T14:30:00Z,1.00,0';

describe('trade file import', () => {
  it('reports invalid CSV rows with their line numbers and every field error, keeping the valid ones', () => {
    const bad = ROW.replace('170.00', '1e2').replace('US0378331005', 'US0378331006');
    const parsed = parseTradeCsv(`${HEADER}\n${ROW}\n\n${bad}\n`);
    expect(parsed.trades.map((trade) => trade.execId)).toEqual(['E-1']);
    expect(parsed.invalid.map((row) => [row.line, row.errors.map((e) => e.path).sort()])).toEqual([
      [4, ['isin', 'price']],
    ]);
  });

  it('reads JSON Lines and reports a line that is not JSON', () => {
    const event = JSON.stringify({
      schemaVersion: 1,
      version: 1,
      ...Object.fromEntries(HEADER.split(',').map((k, i) => [k, ROW.split(',')[i]])),
    });
    const parsed = parseJsonLines(`${event}\n{oops\n`);
    expect(parsed.trades).toHaveLength(1);
    expect(parsed.invalid).toEqual([
      { line: 2, errors: [{ path: '', message: expect.stringMatching(/^not valid JSON: /) as string }] },
    ]);
  });
});

describe('trade file import refuses what PostgreSQL cannot store, line by line', () => {
  const event = (change: Record<string, unknown> = {}) =>
    JSON.stringify({
      schemaVersion: 1,
      version: 1,
      ...Object.fromEntries(HEADER.split(',').map((k, i) => [k, ROW.split(',')[i]])),
      ...change,
    });

  it('JSON Lines: a NUL, an unpaired surrogate, a duplicate key and bad bytes are each their line, the rest kept', () => {
    const lines = [
      event({ execId: 'GOOD-1' }),
      event({ execId: 'X\u0000Y' }),
      event({ execId: 'S-1', account: 'ACC-\ud83d' }),
      event({ execId: 'D-1' }).replace('"quantity":"100"', '"quantity":"100","quantity":"9"'),
      '',
      event({ execId: 'GOOD-2' }),
    ];
    const bytes = Buffer.concat([
      Buffer.from(lines.join('\n') + '\n'),
      Buffer.from('{"execId":"', 'utf8'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\r\n', 'utf8'),
    ]);

    const parsed = parseJsonLines(bytes);

    expect(parsed.trades.map((trade) => trade.execId)).toEqual(['GOOD-1', 'GOOD-2']);
    expect(parsed.invalid.map((row) => [row.line, row.errors.map((e) => e.path)])).toEqual([
      [2, ['execId']],
      [3, ['account']],
      [4, ['quantity']],
      [7, ['']],
    ]);
    expect(parsed.invalid[0]?.errors[0]?.message).toMatch(/U\+0000/);
    expect(parsed.invalid[3]?.errors[0]?.message).toBe('not valid UTF-8');
  });

  it('CSV: a NUL in a field, a version past PostgreSQL integer and a line of bad bytes are refused by line', () => {
    const nul = ROW.replace('E-1,T-1', 'E-\u00002,T-2');
    const header = `${HEADER},version`;
    const content = Buffer.concat([
      Buffer.from(`${header}\n${ROW},1\n${nul},1\n${ROW.replace('E-1,T-1', 'E-3,T-3')},2147483648\n`),
      Buffer.from([0x45, 0x2d, 0xff, 0x0a]),
      Buffer.from(`${ROW.replace('E-1,T-1', 'E-5,T-5')},1\n`),
    ]);

    const parsed = parseTradeCsv(content);

    expect(parsed.trades.map((trade) => trade.execId)).toEqual(['E-1', 'E-5']);
    expect(parsed.invalid.map((row) => [row.line, row.errors.map((e) => e.path)])).toEqual([
      [3, ['execId']],
      [4, ['version']],
      [5, ['']],
    ]);
  });
});
