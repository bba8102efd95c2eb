import { type DailyReportDoc } from '../../../lib/pnl/document';
import { formatAmount, reportCsv, reportHtml } from '../../../lib/pnl/writers';

const figures = {
  realizedToday: '347.00',
  unrealizedChangeToday: '101.50',
  feesToday: '1.50',
  totalToday: '448.50',
  realizedSinceInception: '347.00',
  unrealizedAtPreviousClose: '-2.00',
  unrealizedAtClose: '99.50',
};
const baseFigures = { ...figures, priceEffectToday: '101.50', fxEffectToday: '0.00' };
const report: DailyReportDoc = {
  reportDate: '2024-07-02',
  previousReportDate: '2024-07-01',
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
      base: baseFigures,
    },
  ],
  accounts: [{ accountId: 'ACC-001', baseCurrency: 'USD', lineCount: 1, ...baseFigures }],
  overall: [{ baseCurrency: 'USD', lineCount: 1, ...baseFigures }],
  issues: [],
  exceptions: [],
  history: [
    { reportDate: '2024-07-01', baseCurrency: 'USD', totalToday: '-2.00', cumulative: '-2.00' },
    { reportDate: '2024-07-02', baseCurrency: 'USD', totalToday: '448.50', cumulative: '446.50' },
  ],
  risk: [
    {
      accountId: 'ACC-001',
      baseCurrency: 'USD',
      equity: '1250000.00',
      maintenanceRequirement: '1300000.00',
      excessOverMaintenance: '-50000.00',
      marginCall: true,
      valueAtRisk: null,
      varIssue: 'INSUFFICIENT_HISTORY: fewer than 251 price dates up to the as-of date',
      openAlerts: 1,
    },
  ],
};

describe('daily report writers', () => {
  it('CSV: a header naming the day’s and the cumulative figures as the JSON does, one CRLF row per line', () => {
    const rows = reportCsv(report).split('\r\n');

    expect(rows[0]).toBe(
      'report_date,previous_report_date,account_id,isin,cost_method,currency,base_currency,opening_quantity,' +
        'closing_quantity,trade_count,bought_quantity,sold_quantity,close_price,close_fx_rate,' +
        'realized_today,unrealized_change_today,fees_today,total_today,realized_since_inception,' +
        'unrealized_at_previous_close,unrealized_at_close,realized_today_base,unrealized_change_today_base,' +
        'fees_today_base,total_today_base,realized_since_inception_base,unrealized_at_previous_close_base,' +
        'unrealized_at_close_base,price_effect_today_base,fx_effect_today_base',
    );
    expect(rows[1]).toBe(
      '2024-07-02,2024-07-01,ACC-001,US0378331005,FIFO,USD,USD,200,50,1,0,150,14,1,' +
        '347.00,101.50,1.50,448.50,347.00,-2.00,99.50,347.00,101.50,1.50,448.50,347.00,-2.00,99.50,101.50,0.00',
    );
    expect(rows).toHaveLength(3);
  });

  it('CSV: a figure a report stored before it was kept is an empty field', () => {
    const line = report.lines[0];
    if (line === undefined) throw new Error('fixture');
    const old: DailyReportDoc = {
      ...report,
      previousReportDate: null,
      lines: [
        { ...line, base: { ...line.base, realizedSinceInception: null, priceEffectToday: null, fxEffectToday: null } },
      ],
    };

    expect(reportCsv(old).split('\r\n')[1]?.split(',').slice(-5)).toEqual(['', '-2.00', '99.50', '', '']);
  });

  it('HTML: totals at the top, both charts inline, no external reference', () => {
    const html = reportHtml(report);

    expect(html.indexOf('data-total="USD"')).toBeLessThan(html.indexOf('<table'));
    expect(html).toContain('<svg class="chart" data-chart="accounts"');
    expect(html).toContain('<svg class="chart" data-chart="cumulative"');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it('HTML: says where the day starts and what each figure means, under the names the columns use', () => {
    const html = reportHtml(report);

    expect(html).toContain('the day runs from the close of 2024-07-01');
    for (const term of [
      'Total today',
      'Realized today',
      'Unrealized change today',
      'Realized since inception',
      'Unrealized at close',
      'Price effect today',
      'FX effect today',
    ]) {
      expect(html).toContain(`<dt>${term}</dt>`);
      expect(html).toContain(`<th class="num">${term}</th>`);
    }
  });

  it('HTML: the risk section per account — margin deficit, a VaR not computed with its reason, open alerts', () => {
    const html = reportHtml(report);
    const section = html.slice(
      html.indexOf('<table id="risk">'),
      html.indexOf('</table>', html.indexOf('<table id="risk">')),
    );

    expect(section).toContain('<td>ACC-001</td>');
    expect(section).toContain('−50,000.00');
    expect(section).toContain('<td>yes</td>');
    expect(section).toContain('title="INSUFFICIENT_HISTORY: fewer than 251 price dates up to the as-of date">n/a<');
    expect(reportHtml({ ...report, risk: [] })).not.toContain('<table id="risk">');
  });

  it('groups thousands on the decimal string and shows a true minus sign', () => {
    expect([formatAmount('1234567.50'), formatAmount('-1000'), formatAmount('12.3')]).toEqual([
      '1,234,567.50',
      '−1,000',
      '12.3',
    ]);
  });
});
