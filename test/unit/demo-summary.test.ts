import { pendingStage, type PipelineCounts } from '../../lib/demo/progress';
import type { LastingBreak } from '../../lib/custodian/lasting-breaks';
import type { DayResult } from '../../lib/demo/day';
import { demoChecks, formatDemoSummary, tradeOutcomes } from '../../lib/demo/summary';
import { Dec } from '../../lib/domain/money';

/**
 * A finished run of 3000 captures: 2852 validated, 140 rejected by validation, 1 dead-lettered, 7 redelivered
 * (2852 + 140 + 1 + 7 = 3000); of the validated, 2848 booked, 1 held, 1 refused by persistence and 2 whose ExecID
 * another execution had booked (2848 + 1 + 1 + 2 = 2852).
 */
const finished: PipelineCounts = {
  captured: 3000,
  validated: 2852,
  rejected: 140,
  deadLettered: 1,
  duplicates: 7,
  booked: 2848,
  held: 1,
  persistRejected: 1,
  persistDuplicates: 2,
  published: 2848,
  positioned: 2848,
  instructed: 2848,
};

describe('demo summary', () => {
  it('puts every capture in exactly one outcome, persistence rejections and no-ops included', () => {
    // Act
    const outcomes = tradeOutcomes(finished);

    // Assert: 2848 + 141 + 1 + 9 + 1 = 3000; STP 2848 / (2848 + 141 + 1 + 2) = 2848 / 2992 = 95.19%
    expect(outcomes).toEqual({
      captured: 3000,
      accepted: 2848,
      rejected: { total: 141, validation: 140, persistence: 1 },
      deadLettered: 1,
      duplicates: { total: 9, redelivered: 7, execIdBooked: 2 },
      held: 1,
      unaccounted: 0,
      stpPercent: expect.closeTo(95.1872, 4) as number,
    });
  });
});

describe('pendingStage', () => {
  const shape = { settlement: true };

  it('is done once every validated trade is booked, held, refused or a no-op at persistence', () => {
    expect(pendingStage(finished, shape)).toBeUndefined();
  });

  it('waits for booking while a validated trade is in none of those', () => {
    // 2848 + 1 + 1 + 1 = 2851 of 2852
    expect(pendingStage({ ...finished, persistDuplicates: 1 }, shape)).toBe('booking');
  });

  it('waits for validation first, then publication, positions and settlement of every booked version', () => {
    expect(pendingStage({ ...finished, validated: 2851 }, shape)).toBe('validation');
    expect(pendingStage({ ...finished, published: 2847 }, shape)).toBe('publication');
    expect(pendingStage({ ...finished, positioned: 2847 }, shape)).toBe('positions');
    expect(pendingStage({ ...finished, instructed: 2847 }, shape)).toBe('settlement');
    expect(pendingStage({ ...finished, instructed: 0 }, { settlement: false })).toBeUndefined();
  });
});

/** One position's day: [currency, realized today, unrealized at previous close, at close, total, quantities]. */
type Pnl = [string, string, string, string, string, string, string];

/** A day of the multi-day demo: 100 captured (95 booked, 5 rejected), with the instructions, breaks and P&L given. */
function day(date: string, change: Partial<DayResult> & { pnl?: Pnl[] } = {}): DayResult {
  const { pnl = [['USD', '10.00', '0.00', '5.00', '15.00', '0', '100']], ...rest } = change;
  const counts: PipelineCounts = {
    ...finished,
    captured: 100,
    validated: 95,
    rejected: 5,
    deadLettered: 0,
    duplicates: 0,
    booked: 95,
    held: 0,
    persistRejected: 0,
    persistDuplicates: 0,
  };
  return {
    date,
    counts,
    builtToFail: 5,
    fxRatesLoaded: 0,
    statusReports: 0,
    prices: { count: 33, source: 'seed' },
    instructions: {
      total: 30,
      byState: new Map([
        ['INSTRUCTED', 20],
        ['MATCHED', 8],
        ['FAILED', 2],
      ]),
      failedSince: ['2024-05-24', '2024-05-28'],
      unanswered: 0,
    },
    statements: 3,
    differences: { shown: [], caughtUp: [] },
    breakEvents: [],
    openBreaks: 0,
    report: {
      // One position per base currency, so that its figures are the currency's totals
      positions: pnl.map(([ccy, realized, previous, close, total, opening, closing]) => ({
        key: `ACC-${ccy}|US0378331005`,
        baseCurrency: ccy,
        openingQuantity: opening,
        closingQuantity: closing,
        realizedToday: realized,
        totalToday: total,
        unrealizedAtPreviousClose: previous,
        unrealizedAtClose: close,
        realizedSinceInception: undefined,
        fxEffectToday: true,
      })),
      totals: pnl.map(([baseCurrency, realizedToday, , unrealizedAtClose, totalToday]) => ({
        baseCurrency,
        realizedToday,
        unrealizedAtClose,
        totalToday,
        realizedSinceInception: undefined,
      })),
      fxEffectLines: pnl.length,
      htmlPath: `/tmp/demo/reports/daily-${date}.html`,
      jsonPath: `/tmp/demo/reports/daily-${date}.json`,
    },
    steps: [],
    elapsedMs: 1000,
    ...rest,
  };
}

const difference = (breakKey: string, breakClass: LastingBreak['breakClass'], openedOn: string): LastingBreak => ({
  breakKey,
  breakClass,
  detail: '',
  custodian: 'IRVTUS3N',
  openedOn,
  days: 1,
});

describe('multi-day demo summary', () => {
  // Day 1: 100 bought, realized 10.00, unrealized 5.00 (total 15.00); day 2: realized 3.00, unrealized 7.50: the
  // total is 3.00 + (7.50 - 5.00) = 5.50; cumulative 13.00 + 7.50 = 20.50 = 15.00 + 5.50. An EUR account opens a
  // position on day 2 and loses 1.00 on it.
  const first = day('2024-05-24');
  const days = [
    first,
    day('2024-05-27', {
      pnl: [
        ['USD', '3.00', '5.00', '7.50', '5.50', '100', '80'],
        ['EUR', '-1.00', '0.00', '0.00', '-1.00', '0', '0'],
      ],
    }),
  ];
  const input = { days, before: new Map(), previous: [], seed: 1, tradesPerDay: 100, elapsedMs: 65_000 };

  it('prints each day and says that every figure adds up', () => {
    // Act
    const { lines, ok } = formatDemoSummary(input);

    // Assert
    const text = lines.join('\n');
    expect({ ok, failed: lines.filter((line) => line.startsWith('  ✗ ')) }).toEqual({ ok: true, failed: [] });
    expect(text).toContain(
      'Demo summary: 2 business day(s), 2024-05-24 Fri to 2024-05-27 Mon, 100 trades a day (seed 1), 65 s',
    );
    expect(text).toContain(
      '  2024-05-27 Mon      100      95        5             0          0    0   100 = 95 + 5 + 0 + 0 ✓',
    );
    expect(text).toMatch(/ {2}2024-05-27 Mon +30 +20 +8 +2 +1 business day \(since 2024-05-24\)/);
    expect(text).toMatch(/ {2}sum of days +-1\.00 +20\.50\n/);
    expect(text).toMatch(/ {2}cumulative +-1\.00 +20\.50 +at the last close/);
    expect(lines.filter((line) => line.startsWith('  ✓ '))).toHaveLength(7);
    expect(text).toContain(
      '✓ every position opens at its previous close as reported (quantity and unrealized P&L): 1 openings',
    );
    expect(text).toMatch(/✓ P&L chain: .*: EUR -1\.00, USD 20\.50; each of 3 position days within 2\.5 minor units/);
  });

  it('fails a day whose outcomes or instruction states do not add up, and an unanswered instruction', () => {
    // Arrange: 3 captures in no outcome; a state count short of the total; an instruction never answered
    const broken = [
      day('2024-05-24', { counts: { ...first.counts, captured: 103 } }),
      {
        ...days[1],
        instructions: { total: 31, byState: new Map([['INSTRUCTED', 30]]), failedSince: [], unanswered: 1 },
      },
    ] as DayResult[];

    // Act
    const checks = demoChecks({ ...input, days: broken });

    // Assert
    expect(checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual([
      'not on 2024-05-24',
      'not on 2024-05-27',
      'unanswered 2024-05-27: 1',
    ]);
    expect(formatDemoSummary({ ...input, days: broken }).lines.join('\n')).toContain(
      '103 = 95 + 5 + 0 + 0 + 3 unaccounted ✗',
    );
  });

  it('fails an opening that is not the previous close, and a day total that is not the change', () => {
    // Arrange: day 2 opens the USD position at 90 shares and 4.00 unrealized (a late amend restated into the
    // opening), and says 5.00 where its cumulative P&L moved 3.00 + 7.50 - 5.00 = 5.50
    const broken = [first, day('2024-05-27', { pnl: [['USD', '3.00', '4.00', '7.50', '5.00', '90', '80']] })];

    // Act
    const checks = demoChecks({ ...input, days: broken });

    // Assert
    const [opening, chain] = checks.filter((c) => !c.ok);
    expect(opening?.detail).toBe(
      '1 of 1 do not (a correction of an earlier day restated into the opening instead of landing in a day): ' +
        '2024-05-27 ACC-USD|US0378331005 opened at 90 (unrealized 4.00), closed the day before at 100 (5.00)',
    );
    expect(chain?.detail).toContain('USD 20.00 against 20.50 (0.5 beyond the 0.03 the roundings of its figures allow)');
    expect(chain?.detail).toContain(
      '1 of 2 position days further from their change than rounding allows: ' +
        '2024-05-27 ACC-USD|US0378331005 total 5.00, cumulative moved 5.5',
    );
  });

  it('fails a position that held something yesterday and has no line today (a late cancel dropped from the day)', () => {
    // Arrange: day 2 reports only the EUR position; the USD one held 100 at yesterday's close
    const broken = [first, day('2024-05-27', { pnl: [['EUR', '-1.00', '0.00', '0.00', '-1.00', '0', '0']] })];

    // Act
    const opening = demoChecks({ ...input, days: broken }).find((c) => c.name.startsWith('every position opens'));

    // Assert
    expect(opening?.ok).toBe(false);
    expect(opening?.detail).toContain(
      '2024-05-27 ACC-USD|US0378331005 closed the day before at 100 (5.00), no line now',
    );
  });

  it('accepts a chain off by what rounding each figure once can make it, and no more', () => {
    // Arrange: day 2 total 5.51 where the reported figures move by 5.50 (the exact figures rounded once each)
    const rounded = [first, day('2024-05-27', { pnl: [['USD', '3.00', '5.00', '7.50', '5.51', '100', '80']] })];
    const tooFar = [first, day('2024-05-27', { pnl: [['USD', '3.00', '5.00', '7.50', '5.53', '100', '80']] })];

    // Act / Assert: 0.01 is within 2.5 cents for the position and 0.03 for the currency; 0.03 is not
    expect(demoChecks({ ...input, days: rounded }).every((c) => c.ok)).toBe(true);
    expect(demoChecks({ ...input, days: tooFar }).find((c) => c.name.startsWith('P&L chain'))?.ok).toBe(false);
  });

  it('carries the cumulative P&L on from the report before the run', () => {
    // An earlier run's last close: USD realized 100.00 since inception, nothing held
    const before = new Map([['USD', { realizedSinceInception: new Dec('100.00'), unrealizedAtClose: new Dec(0) }]]);
    const chain = demoChecks({ ...input, before }).find((c) => c.name.startsWith('P&L chain'));
    expect(chain?.ok).toBe(true);
    expect(formatDemoSummary({ ...input, before }).lines.join('\n')).toMatch(/ {2}cumulative +-1\.00 +120\.50/);
  });

  it('checks that reconciliation found each deliberate difference on its day and cleared those caught up with', () => {
    // Arrange: day 1 a quantity difference, found; day 2 it is caught up with and resolved, and a new cash
    // difference nobody found
    const key = 'POSITION|ACC-001|US0378331005';
    const quantity = difference(key, 'QUANTITY', '2024-05-24');
    const found = [
      day('2024-05-24', {
        differences: { shown: [quantity], caughtUp: [] },
        breakEvents: [{ breakKey: key, event: 'OPENED', breakClass: 'QUANTITY', ageBusinessDays: 0 }],
      }),
      {
        ...days[1],
        differences: { shown: [difference('CASH|ACC-001|USD', 'AMOUNT', '2024-05-27')], caughtUp: [quantity] },
        breakEvents: [{ breakKey: key, event: 'RESOLVED', breakClass: 'QUANTITY', ageBusinessDays: 0 }],
      },
    ] as DayResult[];

    // Act
    const check = demoChecks({ ...input, days: found }).find((c) => c.name.startsWith('reconciliation'));

    // Assert
    expect(check).toEqual({
      name: 'reconciliation found each deliberate difference, and cleared it when the custodian caught up',
      ok: false,
      detail: '1 of 2 found (1 in the class put in), 1 of 1 cleared; 2024-05-27 CASH|ACC-001|USD (AMOUNT) not found',
    });
  });
});
