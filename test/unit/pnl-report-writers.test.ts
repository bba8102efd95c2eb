import { type DailyReportDoc } from '../../lib/pnl/document';
import { formatAmount, reportCsv, reportHtml } from '../../lib/pnl/writers';

const figures = {
  realized: '347.00',
  openingUnrealized: '-2.00',
  unrealized: '99.50',
  unrealizedChange: '101.50',
  total: '448.50',
  fees: '1.50',
};
const report: DailyReportDoc = {
  reportDate: '2024-07-02',
  generatedAt: '2024-07-02T21:30:00.000000Z',
  lines: [
    {
      accountId: 'ACC-001',
      isin: 'US0378331005',
      costMethod: 'FIFO',
      currency: 'USD',
      baseCurrency: 'USD',
      openingQuantity: '200',
      closingQuantity: '50',
      tradeCount: 1,
      boughtQuantity: '0',
      soldQuantity: '150',
      closePrice: '14',
      closeFxRate: '1',
      local: figures,
      base: { ...figures, priceEffect: '99.50', fxEffect: '0.00' },
    },
  ],
  accounts: [
    {
      accountId: 'ACC-001',
      baseCurrency: 'USD',
      lineCount: 1,
      realized: '347.00',
      unrealized: '99.50',
      unrealizedChange: '101.50',
      total: '448.50',
      fees: '1.50',
      priceEffect: '99.50',
      fxEffect: '0.00',
    },
  ],
  overall: [
    {
      baseCurrency: 'USD',
      lineCount: 1,
      realized: '347.00',
      unrealized: '99.50',
      unrealizedChange: '101.50',
      total: '448.50',
      fees: '1.50',
      priceEffect: '99.50',
      fxEffect: '0.00',
    },
  ],
  issues: [],
  history: [
    { reportDate: '2024-07-01', baseCurrency: 'USD', total: '-2.00' },
    { reportDate: '2024-07-02', baseCurrency: 'USD', total: '448.50' },
  ],
};

describe('daily report writers', () => {
  it('CSV: a header and one CRLF-terminated row per line with local and base figures', () => {
    const rows = reportCsv(report).split('\r\n');

    expect(rows[0]?.split(',').slice(0, 3)).toEqual(['report_date', 'account_id', 'isin']);
    expect(rows[1]).toBe(
      '2024-07-02,ACC-001,US0378331005,FIFO,USD,USD,200,50,1,0,150,14,1,347.00,99.50,101.50,448.50,1.50,347.00,99.50,101.50,448.50,1.50,99.50,0.00',
    );
    expect(rows).toHaveLength(3);
  });

  it('HTML: totals at the top, both charts inline, no external reference', () => {
    const html = reportHtml(report);

    expect(html.indexOf('data-total="USD"')).toBeLessThan(html.indexOf('<table'));
    expect(html).toContain('<svg class="chart" data-chart="accounts"');
    expect(html).toContain('<svg class="chart" data-chart="cumulative"');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('groups thousands on the decimal string and shows a true minus sign', () => {
    expect([formatAmount('1234567.50'), formatAmount('-1000'), formatAmount('12.3')]).toEqual([
      '1,234,567.50',
      '−1,000',
      '12.3',
    ]);
  });
});
