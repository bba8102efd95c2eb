import { parseJsonLines, parseTradeCsv } from '../../lib/import/parse';

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
    expect(parsed.invalid).toEqual([{ line: 2, errors: [{ path: '', message: 'not valid JSON' }] }]);
  });
});
