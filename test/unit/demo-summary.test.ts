import { pendingStage, type PipelineCounts } from '../../lib/demo/progress';
import type { LastingBreak } from '../../lib/custodian/lasting-breaks';
import type { DayResult } from '../../lib/demo/day';
import { cumulativePnl, demoChecks, formatDemoSummary, pnlChain, tradeOutcomes } from '../../lib/demo/summary';
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

/** A day of the multi-day demo: 100 captured (95 booked, 5 rejected), with the instructions, breaks and P&L given. */
function day(date: string, change: Partial<DayResult> & { pnl?: [string, string, string, string][] } = {}): DayResult {
  const { pnl = [['USD', '10.00', '5.00', '15.00']], ...rest } = change;
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
      // [currency, realized, unrealized at close, day total]
      overall: pnl.map(([baseCurrency = '', realized = '', unrealized = '', total = '']) => ({
        baseCurrency,
        lineCount: 1,
        realized,
        unrealized,
        unrealizedChange: '0.00',
        total,
        fees: '0.00',
        priceEffect: '0.00',
        fxEffect: '0.00',
      })),
      lineCount: 1,
      fxEffectLines: 1,
      closes: new Map(),
      restated: { positions: 0, byCurrency: new Map() },
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
  // Day 1: realized 10.00, unrealized 5.00 (total 15.00); day 2: realized 3.00, unrealized 7.50: the total is
  // 3.00 + (7.50 - 5.00) = 5.50; cumulative 13.00 + 7.50 = 20.50 = 15.00 + 5.50.
  const first = day('2024-05-24');
  const days = [
    first,
    day('2024-05-27', {
      pnl: [
        ['USD', '3.00', '7.50', '5.50'],
        ['EUR', '-1.00', '0.00', '-1.00'],
      ],
    }),
  ];
  const input = { days, before: new Map(), seed: 1, tradesPerDay: 100, elapsedMs: 65_000 };

  it('follows the cumulative P&L (realized since inception + unrealized at close) from the close before day 1', () => {
    expect(cumulativePnl(input).map((m) => Object.fromEntries([...m].map(([c, v]) => [c, v.toFixed(2)])))).toEqual([
      { USD: '15.00' },
      { USD: '20.50', EUR: '-1.00' },
    ]);
    // An earlier run's last close: realized 100.00 since inception, 40.00 unrealized
    const before = new Map([['USD', { realizedSinceInception: '100.00', unrealized: '40.00' }]]);
    expect(pnlChain({ ...input, before })).toEqual([
      { currency: 'EUR', sum: new Dec('-1.00'), change: new Dec('-1.00') },
      // 100 + 10 + 3 + 7.50 - (100 + 40) = -19.50 against the days' 20.50: this chain does not hold
      { currency: 'USD', sum: new Dec('20.50'), change: new Dec('-19.50') },
    ]);
  });

  it('prints each day and says that every figure adds up', () => {
    // Act
    const { lines, ok } = formatDemoSummary(input);

    // Assert
    expect(ok).toBe(true);
    const text = lines.join('\n');
    expect(text).toContain(
      'Demo summary: 2 business day(s), 2024-05-24 Fri to 2024-05-27 Mon, 100 trades a day (seed 1), 65 s',
    );
    expect(text).toContain(
      '  2024-05-27 Mon      100      95        5             0          0    0   100 = 95 + 5 + 0 + 0 ✓',
    );
    expect(text).toMatch(/ {2}2024-05-27 Mon +30 +20 +8 +2 +1 business day \(since 2024-05-24\)/);
    expect(text).toMatch(/ {2}sum of days +-1\.00 +20\.50/);
    expect(text).toMatch(/ {2}cumulative +-1\.00 +20\.50 +realized since inception/);
    expect(lines.filter((line) => line.startsWith('  ✓ '))).toHaveLength(6);
    expect(text).toContain(
      '✓ P&L chain: the sum of the daily totals = the change in cumulative P&L, per base currency: EUR -1.00, USD 20.50',
    );
  });

  it('fails a day whose outcomes or instruction states do not add up, and an unanswered instruction', () => {
    // Arrange: 3 captures in no outcome; a state count short of the total; an instruction never answered
    const broken = [
      day('2024-05-24', { counts: { ...first.counts, captured: 103 } }),
      day('2024-05-27', {
        instructions: { total: 31, byState: new Map([['INSTRUCTED', 30]]), failedSince: [], unanswered: 1 },
        pnl: [
          ['USD', '3.00', '7.50', '5.50'],
          ['EUR', '-1.00', '0.00', '-1.00'],
        ],
      }),
    ];

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

  it('fails a P&L chain that does not hold and names how much of it openings restated', () => {
    // Arrange: day 2 says 5.00 where the cumulative moved 5.50; one position's opening was 0.50 under its close
    const restated = day('2024-05-27', { pnl: [['USD', '3.00', '7.50', '5.00']] });
    const broken = [
      first,
      {
        ...restated,
        report: { ...restated.report, restated: { positions: 1, byCurrency: new Map([['USD', new Dec('0.50')]]) } },
      },
    ];

    // Act
    const chain = demoChecks({ ...input, days: broken }).find((c) => c.name.startsWith('P&L chain'));

    // Assert
    expect(chain?.ok).toBe(false);
    expect(chain?.detail).toContain(
      'USD 20.00 ≠ 20.50 (off by 0.5, of which 0.5 in openings that differ from the previous close)',
    );
    expect(chain?.detail).toContain('1 position openings differ from the previous close');
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
      day('2024-05-27', {
        differences: { shown: [difference('CASH|ACC-001|USD', 'AMOUNT', '2024-05-27')], caughtUp: [quantity] },
        breakEvents: [{ breakKey: key, event: 'RESOLVED', breakClass: 'QUANTITY', ageBusinessDays: 0 }],
      }),
    ];

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
