import { pendingStage, type PipelineCounts } from '../../../lib/demo/progress';
import type { LastingBreak } from '../../../lib/custodian/lasting-breaks';
import type { DayResult } from '../../../lib/demo/day';
import { demoChecks, formatDemoSummary, tradeOutcomes } from '../../../lib/demo/summary';
import type { ChainDay } from '../../../lib/demo/pnl-chain';
import { reportDay, withBase, type Held } from '../helpers/chain-days';

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

// The P&L days: a USD account buys 100 @ 10.00 on day 1, close 10.05 (total 5.00); on day 2 it sells 20 @ 10.10
// (realized 2.00), close 10.125 (unrealized 10.00): total 7.00, cumulative 12.00. An EUR account holds 1 AAPL
// (cost 10.00 at 0.91) through a rate move from 0.91249 to 0.91251: base unrealized 0.0249, then 0.0251, so
// totals 0.02 and 0.00 against a cumulative P&L of 0.03 in reported figures (the roundings).
const usd: Held = {
  key: 'ACC-USD|US0378331005',
  currency: 'USD',
  baseCurrency: 'USD',
  ...{ q: '100', p: '10.05', x: '1', c: '1000', b: '1000', rl: '0', rb: '0' },
};
const eur: Held = {
  key: 'ACC-EUR|US0378331005',
  currency: 'USD',
  baseCurrency: 'EUR',
  ...{ q: '1', p: '10.00', x: '0.91249', c: '10', b: '9.1', rl: '0', rb: '0' },
};
const chain1 = reportDay('2024-05-24', [usd, eur]);
const chain2 = reportDay(
  '2024-05-27',
  [
    { ...usd, q: '80', p: '10.125', c: '800', b: '800', rl: '2', rb: '2' },
    { ...eur, x: '0.91251' },
  ],
  chain1,
);

/** A day of the multi-day demo: 100 captured (95 booked, 5 rejected), with the instructions, breaks and P&L given. */
function day(date: string, change: Partial<DayResult> & { chain?: ChainDay } = {}): DayResult {
  const { chain = chain1, ...rest } = change;
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
      chain: { ...chain, date },
      fxEffectLines: chain.lines.filter((l) => l.fxEffectToday).length,
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
  const first = day('2024-05-24');
  const days = [first, day('2024-05-27', { chain: chain2 })];
  const input = { days, origin: undefined, seed: 1, tradesPerDay: 100, elapsedMs: 65_000 };

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
    expect(text).toMatch(/ {2}2024-05-24 Fri +0\.02 +5\.00 +0\n/);
    expect(text).toMatch(/ {2}2024-05-27 Mon +0\.00 +7\.00 +1\n/);
    expect(text).toMatch(/ {2}sum of days +0\.02 +12\.00\n/);
    expect(text).toMatch(/ {2}change +0\.03 +12\.00 +in cumulative P&L/);
    expect(text).toMatch(/ {2}cumulative +0\.03 +12\.00 +at the last close/);
    expect(lines.filter((line) => line.startsWith('  ✓ '))).toHaveLength(8);
    expect(text).toContain(
      '✓ every position opens at its previous close as reported (quantity and unrealized P&L): 2 openings',
    );
    expect(text).toMatch(
      /✓ P&L chain at full precision .*: EUR 0\.0251, USD 12; each of 4 position days the exact figures rounded once/,
    );
    expect(text).toMatch(
      /✓ P&L chain in reported figures: .*: EUR 0\.02 against 0\.03 \(0\.01 within the 0\.02 allowed\), USD 12\.00; 6 spans/,
    );
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
    // opening), and says 7.05 where its cumulative P&L moved 7.00
    const broken = [
      first,
      day('2024-05-27', {
        chain: withBase(chain2, usd.key, { unrealizedAtPreviousClose: '4.00', totalToday: '7.05' }, '90'),
      }),
    ];

    // Act
    const checks = demoChecks({ ...input, days: broken });

    // Assert
    const [opening, exact, reported] = checks.filter((c) => !c.ok);
    expect(opening?.detail).toBe(
      '1 of 2 do not (a correction of an earlier day restated into the opening instead of landing in a day): ' +
        '2024-05-27 ACC-USD|US0378331005 opened at 90 (unrealized 4.00 USD), closed the day before at 100 (5.00)',
    );
    expect(exact?.detail).toContain(
      '1 of 4 position days not the exact figures rounded once: ' +
        '2024-05-27 ACC-USD|US0378331005 base totalToday 7.05, exact 7',
    );
    expect(reported?.detail).toContain('USD 12.05 against 12.00 (0.05 beyond the 0.02 allowed)');
    expect(reported?.detail).toContain('2 of 6 spans beyond the bound');
  });

  it('carries the chain on from the report before the run', () => {
    // Act: day 2 alone, opening from day 1's report
    const checks = demoChecks({ ...input, days: [day('2024-05-27', { chain: chain2 })], origin: chain1 });

    // Assert
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.find((c) => c.name.startsWith('P&L chain at full precision'))?.detail).toMatch(
      /^EUR 0\.0002, USD 7;/,
    );
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
