import { UsageError } from '../../../lib/cli/errors';
import { parseDemoArgs } from '../../../lib/demo/cli';
import { demoDays, endOfDayData, venuesOpen } from '../../../lib/demo/days';
import { DEFAULT_SEED_DIR, loadSimulatorData } from '../../../lib/simulator/cli';
import { generateMarketData, withMarketData } from '../../../lib/simulator/market-data';

const data = loadSimulatorData(DEFAULT_SEED_DIR);

describe('demo options', () => {
  it('takes --days, --from, --trades, --seed, --keep, --stall-timeout and --undecodable-rate', () => {
    expect(parseDemoArgs(['--days', '3', '--from', '2024-06-27', '--trades', '50', '--seed', '4', '--keep'])).toEqual({
      days: 3,
      from: '2024-06-27',
      trades: 50,
      seed: 4,
      keep: true,
      stallTimeoutMs: 120_000,
      undecodableRate: 0.005,
    });
    expect(parseDemoArgs([])).toEqual({
      days: 6,
      from: '2024-05-23',
      trades: 300,
      seed: undefined,
      keep: false,
      stallTimeoutMs: 120_000,
      undecodableRate: 0.005,
    });
    expect(parseDemoArgs(['--undecodable-rate', '0'])).toMatchObject({ undecodableRate: 0 });
  });

  it('refuses what cannot work, naming the option', () => {
    expect(() => parseDemoArgs(['--from', '27/06/2024'])).toThrow(/--from .*expected a date YYYY-MM-DD/);
    expect(() => parseDemoArgs(['--from', '2024-02-30'])).toThrow(/--from .*expected a date YYYY-MM-DD/);
    expect(() => parseDemoArgs(['--days', '0'])).toThrow(UsageError);
    expect(() => parseDemoArgs(['--days', '21'])).toThrow(/--days .*expected a whole number from 1 to 20/);
    expect(() => parseDemoArgs(['--trades', '1.5'])).toThrow(/--trades .*expected a whole number from 1/);
    expect(() => parseDemoArgs(['--stall-timeout', '0'])).toThrow(/--stall-timeout .*greater than 0/);
    expect(() => parseDemoArgs(['--undecodable-rate', '2'])).toThrow(/--undecodable-rate .*between 0 and 1/);
    expect(() => parseDemoArgs(['--no-such-option'])).toThrow(/unknown option '--no-such-option'/);
  });
});

describe('demo days', () => {
  it('lives the weekdays some venue trades: across a weekend and Memorial Day, when only Frankfurt trades', () => {
    expect(demoDays(data, '2024-05-23', 6)).toEqual([
      '2024-05-23',
      '2024-05-24',
      '2024-05-27',
      '2024-05-28',
      '2024-05-29',
      '2024-05-30',
    ]);
    expect(venuesOpen(data, '2024-05-27')).toEqual(['XETR']);
    expect(venuesOpen(data, '2024-05-25')).toEqual([]);
    // Starting on a Saturday starts on the Monday; Christmas Day, when no venue trades, is no demo day (New York trades on Boxing Day)
    expect(demoDays(data, '2024-05-25', 1)).toEqual(['2024-05-27']);
    expect(demoDays(data, '2024-12-24', 2)).toEqual(['2024-12-24', '2024-12-26']);
  });

  it("gives each day its closes, from the seed or past its end from the simulator with that day's FX rates", () => {
    // Arrange: through Tuesday 2024-07-02, past the seed's last close (Friday 2024-06-28)
    const generated = generateMarketData(data, { seed: 1, through: '2024-07-02' });
    const extended = withMarketData(data, generated);

    // Act
    const seedDay = endOfDayData(extended, generated, '2024-05-27');
    const pastTheSeed = endOfDayData(extended, generated, '2024-07-01');

    // Assert: Memorial Day, 10 closes in Frankfurt; 1 July every listed instrument of the seed (33), 6 FX pairs
    expect(seedDay).toMatchObject({ source: 'seed', fxRates: [] });
    expect(seedDay.closes).toHaveLength(10);
    expect(seedDay.closes.every((c) => c.currency === 'EUR')).toBe(true);
    expect(pastTheSeed.source).toBe('simulator');
    expect(pastTheSeed.closes).toHaveLength(33);
    expect(pastTheSeed.fxRates).toHaveLength(6);
  });
});
