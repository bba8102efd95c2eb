import { DemoError, demoTradeDate, parseDemoArgs } from '../../lib/demo/cli';

describe('demo trade date', () => {
  it("defaults to the seed calendar's last day with closes and keeps a date that has them", () => {
    // The seed's reference prices end on Friday 2024-06-28; 2024-05-27 only Xetra traded
    expect(demoTradeDate(undefined)).toBe('2024-06-28');
    expect(demoTradeDate('2024-05-27')).toBe('2024-05-27');
  });

  it('refuses a date nothing closed on, naming the range the seed covers', () => {
    // Saturday 2024-04-06, and a date after the seed prices end
    expect(() => demoTradeDate('2024-04-06')).toThrow(DemoError);
    expect(() => demoTradeDate('2024-04-06')).toThrow(
      /--date 2024-04-06: no active instrument closed on 2024-04-06 .*2024-04-01 to 2024-06-28/,
    );
    expect(() => demoTradeDate('2024-07-01')).toThrow(/no active instrument closed on 2024-07-01/);
  });

  it('takes --trades, --date, --seed, --keep and --stall-timeout', () => {
    expect(parseDemoArgs(['--trades', '500', '--date', '2024-06-27', '--seed', '4', '--keep'])).toEqual({
      trades: 500,
      date: '2024-06-27',
      seed: 4,
      keep: true,
      stallTimeoutMs: 120_000,
      undecodableRate: 0.005,
    });
    expect(parseDemoArgs([])).toMatchObject({ trades: 3000, date: undefined, seed: undefined, keep: false });
    expect(() => parseDemoArgs(['--date', '27/06/2024'])).toThrow('--date must be YYYY-MM-DD');
  });
});
