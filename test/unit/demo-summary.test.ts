import { pendingStage, type PipelineCounts } from '../../lib/demo/progress';
import { formatDemoSummary, tradeOutcomes, type DemoSummary } from '../../lib/demo/summary';

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

const summary: DemoSummary = {
  counts: finished,
  reportDate: '2024-06-28',
  otherTradeDates: [],
  positions: { total: 412, open: 398 },
  totals: [{ baseCurrency: 'USD', total: '-1234.56', realized: '100.00', unrealized: '-1334.56' }],
  instructions: [
    { state: 'CANCELLED', count: 90 },
    { state: 'INSTRUCTED', count: 2758 },
  ],
  htmlPath: '/tmp/demo/reports/daily-2024-06-28.html',
  jsonPath: '/tmp/demo/reports/daily-2024-06-28.json',
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

  it('prints the outcomes so that they visibly add up to the trades captured', () => {
    // Act
    const lines = formatDemoSummary(summary);

    // Assert
    expect(lines).toEqual([
      '',
      'Demo summary (trade and report date 2024-06-28)',
      '  trades captured       3000 = 2848 accepted + 141 rejected + 1 dead-lettered + 9 duplicates + 1 held',
      '  accepted (booked)     2848',
      '  rejected              141 (validation 140, persistence 1)',
      '  dead-lettered         1',
      '  duplicates (no-op)    9 (redelivered 7, ExecID already booked 2)',
      '  held (awaiting trade) 1',
      '  STP rate              95.2%',
      '  positions             412 (398 open)',
      '  total P&L USD         -1234.56 (realized 100.00, unrealized -1334.56)',
      '  settlement instr.     CANCELLED 90, INSTRUCTED 2758',
      '  HTML report           /tmp/demo/reports/daily-2024-06-28.html',
      '  JSON report           /tmp/demo/reports/daily-2024-06-28.json',
      '',
    ]);
  });

  it('names captures not yet in any outcome, and trade dates other than the report date', () => {
    // Arrange: 5 captures still undecided by validation
    const running = { ...finished, validated: 2847, booked: 2843, published: 2843, positioned: 2843, instructed: 2843 };

    // Act
    const lines = formatDemoSummary({ ...summary, counts: running, otherTradeDates: ['2024-06-27'] });

    // Assert: 2843 + 141 + 1 + 9 + 1 = 2995, 5 short of 3000
    expect(lines[2]).toBe('  note: booked versions also dated 2024-06-27');
    expect(lines[3]).toBe(
      '  trades captured       3000 = 2843 accepted + 141 rejected + 1 dead-lettered + 9 duplicates + 1 held + 5 unaccounted',
    );
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
