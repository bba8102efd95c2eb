import { chainDay, checkChain, PnlChainInputError } from '../../../lib/demo/pnl-chain';
import type { DailyReportDoc } from '../../../lib/pnl/document';
import { reportDay, withBase, without, type Held } from '../helpers/chain-days';

/**
 * The demo's P&L chain check (docs/daily-report.md): openings at the previous close as reported, the exact stored
 * figures exactly, the reported figures within half a minor unit per rounded figure and day on a line.
 */
const AAPL = 'US0378331005';

// USD account: day 1 buys 100 @ 10.00, close 10.05 (unrealized 5.00, total 5.00); day 2 sells 20 @ 10.10
// (realized 2.00), close 10.125: unrealized 80 × 10.125 − 800 = 10.00, total 2.00 + 10.00 − 5.00 = 7.00.
const usd1: Held = {
  key: `ACC-USD|${AAPL}`,
  currency: 'USD',
  baseCurrency: 'USD',
  ...{ q: '100', p: '10.05', x: '1', c: '1000', b: '1000', rl: '0', rb: '0' },
};
const usd2: Held = { ...usd1, q: '80', p: '10.125', c: '800', b: '800', rl: '2', rb: '2' };
// EUR account holding 1 AAPL bought at 10.00 and 0.91 (base cost 9.10), quiet at 10.00 while the rate moves from
// 0.91249 to 0.91251: base unrealized 0.0249 (0.02), then 0.0251 (0.03); the day-2 total, 0.0002, is 0.00. In
// reported figures the days add up to 0.02 and the cumulative P&L moved 0.03: the roundings, not a break.
const eur1: Held = {
  key: `ACC-EUR|${AAPL}`,
  currency: 'USD',
  baseCurrency: 'EUR',
  ...{ q: '1', p: '10.00', x: '0.91249', c: '10', b: '9.1', rl: '0', rb: '0' },
};
const eur2: Held = { ...eur1, x: '0.91251' };

const day1 = reportDay('2024-05-24', [usd1, eur1]);
const day2 = reportDay('2024-05-28', [usd2, eur2], day1);

describe('the demo’s P&L chain', () => {
  it('holds for a sound report: exact figures exactly, reported ones within their roundings', () => {
    // Act
    const chain = checkChain([day1, day2]);

    // Assert
    expect([chain.openingsOff, chain.exactOff, chain.exactDaysOff, chain.reportedOff]).toEqual([[], [], [], []]);
    expect(chain.openings).toBe(2);
    expect(chain.positionDays).toBe(4);
    expect(chain.exact.map((c) => [c.currency, c.sum.toFixed(), c.change.toFixed()])).toEqual([
      ['EUR', '0.0251', '0.0251'],
      ['USD', '12', '12'],
    ]);
    // EUR from flat to day 2: 2 day totals and the day-2 line's two cumulative figures, ½ cent each: 0.02
    expect(chain.reported.map((c) => [c.currency, c.sum.toFixed(2), c.change.toFixed(2), c.bound.toFixed()])).toEqual([
      ['EUR', '0.02', '0.03', '0.02'],
      ['USD', '12.00', '12.00', '0.02'],
    ]);
    // Spans: start→1, start→2, 1→2, per currency
    expect(chain.spans).toBe(6);
    expect(chain.cumulative.map((m) => Object.fromEntries([...m].map(([k, v]) => [k, v.toFixed(2)])))).toEqual([
      { EUR: '0.02', USD: '5.00' },
      { EUR: '0.03', USD: '12.00' },
    ]);
  });

  it('finds a day total built from parts rounded separately, which the reported figures alone cannot', () => {
    // Arrange: buy 2 @ 5.0000 and sell 1 @ 5.0060 on day 1, close 5.006: realized 0.006 and unrealized 0.006,
    // a total of 0.012, so 0.01; rounded part by part, 0.01 + 0.01 = 0.02, which is also the change in the
    // reported cumulative figures (0.01 + 0.01)
    const gbp: Held = {
      key: 'ACC-GBP|GB0007980591',
      currency: 'GBP',
      baseCurrency: 'GBP',
      ...{ q: '1', p: '5.006', x: '1', c: '5.0000', b: '5.0000', rl: '0.006', rb: '0.006' },
    };
    const sound = reportDay('2024-05-24', [gbp]);
    const parts = withBase(sound, gbp.key, { totalToday: '0.02' });

    // Act
    const right = checkChain([sound]);
    const wrong = checkChain([parts]);

    // Assert
    expect(sound.lines[0]?.base.totalToday).toBe('0.01');
    expect([right.exactOff, right.reportedOff]).toEqual([[], []]);
    expect(wrong.reportedOff).toEqual([]);
    expect(wrong.exactOff).toEqual([{ date: '2024-05-24', key: gbp.key, detail: 'base totalToday 0.02, exact 0.012' }]);
  });

  it('finds an opening that is not the previous close as reported', () => {
    // Arrange: day 2 opens the USD position at 90 and 4.00 unrealized (a late amend restated into the opening)
    const broken = withBase(day2, usd1.key, { unrealizedAtPreviousClose: '4.00' }, '90');

    // Act
    const chain = checkChain([day1, broken]);

    // Assert
    expect(chain.openingsOff).toEqual([
      {
        date: '2024-05-28',
        key: usd1.key,
        detail: 'opened at 90 (unrealized 4.00 USD), closed the day before at 100 (5.00)',
      },
    ]);
  });

  it('finds a day total that is not the change in cumulative P&L, beyond what rounding explains', () => {
    // Arrange: 7.05 where the USD position's cumulative P&L moved 7.00
    const broken = withBase(day2, usd1.key, { totalToday: '7.05' });

    // Act
    const chain = checkChain([day1, broken]);

    // Assert: the exact check names the line; the reported one the spans that include day 2
    expect(chain.exactOff).toEqual([{ date: '2024-05-28', key: usd1.key, detail: 'base totalToday 7.05, exact 7' }]);
    expect(chain.reportedOff.map((o) => `${o.date} ${o.key}`)).toEqual([
      'the start to 2024-05-28 USD',
      '2024-05-24 to 2024-05-28 USD',
    ]);
    expect(chain.reportedOff[0]?.detail).toBe('daily totals 12.05, cumulative moved 12.00, bound 0.02');
  });

  it('finds a position that held something and has no line the next day: its P&L left the chain', () => {
    // Act
    const chain = checkChain([day1, without(day2, usd1.key)]);

    // Assert
    expect(chain.openingsOff).toEqual([
      { date: '2024-05-28', key: usd1.key, detail: 'closed the day before at 100 (5.00), no line now' },
    ]);
    expect(chain.exactDaysOff).toEqual([
      { date: '2024-05-28', key: 'USD', detail: 'exact daily total 0, exact cumulative moved -5' },
    ]);
  });

  it('starts from the report before the run when there is one', () => {
    // Act
    const chain = checkChain([day2], day1);

    // Assert
    expect([chain.openingsOff, chain.exactOff, chain.exactDaysOff, chain.reportedOff]).toEqual([[], [], [], []]);
    expect(chain.exact.map((c) => [c.currency, c.sum.toFixed(), c.change.toFixed()])).toEqual([
      ['EUR', '0.0002', '0.0002'],
      ['USD', '7', '7'],
    ]);
    expect(chain.reported.map((c) => [c.currency, c.sum.toFixed(2), c.change.toFixed(2)])).toEqual([
      ['EUR', '0.00', '0.01'],
      ['USD', '7.00', '7.00'],
    ]);
  });

  it('keeps every digit of stored figures that already carry 40 significant digits', () => {
    // Arrange: a flat USD line whose realized P&L since inception has 40 significant digits (a pro-rata relief),
    // beside a position whose cumulative P&L goes from 9,999 to 10,000.5. Added in 40-digit arithmetic, the
    // currency's cumulative P&L keeps one decimal fewer of the small line on day 2 than on day 1, and its change
    // would no longer be the exact daily totals' 1.5.
    const tail = '0.1234567890123456789012345678901234567891';
    const small: Held = {
      key: 'ACC-USD|US5949181045',
      currency: 'USD',
      baseCurrency: 'USD',
      ...{ q: '0', p: '0', x: '1', c: '0', b: '0', rl: tail, rb: tail },
    };
    const big: Held = { ...usd1, p: '99.99', c: '0', b: '0' };
    const first = reportDay('2024-05-24', [big, small]);
    const second = reportDay('2024-05-28', [{ ...big, p: '100.005' }, small], first);

    // Act
    const chain = checkChain([first, second]);

    // Assert
    expect([chain.exactOff, chain.exactDaysOff, chain.reportedOff]).toEqual([[], [], []]);
    expect(chain.exact.map((c) => [c.sum.toFixed(), c.change.toFixed()])).toEqual([
      ['10000.6234567890123456789012345678901234567891', '10000.6234567890123456789012345678901234567891'],
    ]);
  });

  it('refuses a report line without its stored exact close', () => {
    // Arrange: one line of a report whose exact closes were not found
    const report = {
      reportDate: '2024-05-24',
      previousReportDate: null,
      generatedAt: '2024-05-24T22:00:00Z',
      lines: [{ accountId: 'ACC-USD', isin: AAPL, currency: 'USD', baseCurrency: 'USD' }],
      accounts: [],
      overall: [],
      issues: [],
      history: [],
    } as unknown as DailyReportDoc;

    // Act / Assert
    expect(() => chainDay(report, new Map())).toThrow(PnlChainInputError);
    expect(() => chainDay(report, new Map())).toThrow(
      `the 2024-05-24 report's line ACC-USD|${AAPL} has no stored exact close`,
    );
  });
});
