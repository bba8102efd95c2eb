import { judge, partitionLag, Verdict, type GroupLag, type LastBatch } from '../../../lib/status/verdict';

const THRESHOLDS = { lagMax: 100, deadLettersPerHourMax: 5, staleStageSeconds: 300 };
const NOW = new Date('2026-12-03T07:00:00Z');

function group(stage: string, lag: number, overdue?: number): GroupLag {
  return {
    stage,
    group: `posttrade-local-${stage}`,
    topic: 'trades.captured',
    partitions: [],
    lag,
    ...(overdue === undefined ? {} : { overdue }),
  };
}

function batch(stage: string, secondsAgo: number, outcome: LastBatch['outcome'] = 'OK'): LastBatch {
  return {
    stage,
    endedAt: new Date(NOW.getTime() - secondsAgo * 1000),
    durationMs: 12,
    records: 3,
    outcome,
    error: outcome === 'FAILED' ? 'DbConnectionError: gone' : undefined,
  };
}

const healthy = {
  now: NOW,
  kafkaError: undefined,
  databaseError: undefined,
  groups: [group('validateTrades', 10)],
  lastBatches: [batch('validateTrades', 5)],
  deadLettersLastHour: 5,
};

describe('the status verdict', () => {
  it('is healthy at the thresholds (lag and dead letters equal to them count as within)', () => {
    expect(judge({ ...healthy, groups: [group('validateTrades', 100)] }, THRESHOLDS)).toEqual({
      verdict: Verdict.HEALTHY,
      reasons: [],
      notes: [],
    });
  });

  it('is degraded over the lag threshold, naming the stage, topic and setting', () => {
    const result = judge({ ...healthy, groups: [group('validateTrades', 101)] }, THRESHOLDS);
    expect(result).toEqual({
      verdict: Verdict.DEGRADED,
      reasons: ['validateTrades: lag 101 on trades.captured > STATUS_LAG_MAX 100'],
      notes: [],
    });
  });

  it('is degraded when a stage with work waiting has been idle too long or never ran; idle with nothing waiting is fine', () => {
    expect(judge({ ...healthy, lastBatches: [batch('validateTrades', 301)] }, THRESHOLDS).reasons).toEqual([
      expect.stringMatching(/^validateTrades: stale, 10 record\(s\) waiting and the last batch ended 301 s ago/),
    ]);
    expect(judge({ ...healthy, lastBatches: [] }, THRESHOLDS).reasons).toEqual([
      'validateTrades: 10 record(s) waiting and no batch ever ran',
    ]);
    expect(
      judge(
        { ...healthy, groups: [group('validateTrades', 0)], lastBatches: [batch('validateTrades', 86_400)] },
        THRESHOLDS,
      ).verdict,
    ).toBe(Verdict.HEALTHY);
  });

  it('calls a stage that never ran idle, and starting while nothing has waited for it past the threshold', () => {
    // A fresh stack: nothing has run, nothing waits
    expect(judge({ ...healthy, groups: [group('positions', 0)], lastBatches: [] }, THRESHOLDS)).toEqual({
      verdict: Verdict.HEALTHY,
      reasons: [],
      notes: [],
    });
    // Records have just arrived for a stage that has not run yet
    expect(judge({ ...healthy, groups: [group('positions', 10, 0)], lastBatches: [] }, THRESHOLDS)).toEqual({
      verdict: Verdict.HEALTHY,
      reasons: [],
      notes: [
        'positions: never ran yet, 10 record(s) waiting, none waiting longer than STATUS_STALE_STAGE_SECONDS 300',
      ],
    });
    // ...and some have waited past the threshold: stuck, not starting
    expect(judge({ ...healthy, groups: [group('positions', 10, 4)], lastBatches: [] }, THRESHOLDS).reasons).toEqual([
      'positions: 10 record(s) waiting and no batch ever ran; 4 waiting longer than 300 s',
    ]);
    // A stage idle for a day that was just given work is not stale until that work has waited too
    const idleForADay = { ...healthy, lastBatches: [batch('validateTrades', 86_400)] };
    expect(judge({ ...idleForADay, groups: [group('validateTrades', 10, 0)] }, THRESHOLDS).verdict).toBe(
      Verdict.HEALTHY,
    );
    expect(judge({ ...idleForADay, groups: [group('validateTrades', 10, 1)] }, THRESHOLDS).verdict).toBe(
      Verdict.DEGRADED,
    );
  });

  it('is degraded when a last batch failed or dead letters exceed their threshold', () => {
    const result = judge(
      { ...healthy, lastBatches: [batch('validateTrades', 5, 'FAILED')], deadLettersLastHour: 6 },
      THRESHOLDS,
    );
    expect(result.verdict).toBe(Verdict.DEGRADED);
    expect(result.reasons).toEqual([
      'validateTrades: last batch failed: DbConnectionError: gone',
      '6 dead letter(s) in the last hour > STATUS_DEAD_LETTERS_PER_HOUR_MAX 5',
    ]);
  });

  it('is down when the broker or the database does not answer, whatever else holds', () => {
    expect(judge({ ...healthy, kafkaError: 'connection refused', groups: [] }, THRESHOLDS)).toEqual({
      verdict: Verdict.DOWN,
      reasons: ['Kafka unreachable: connection refused'],
      notes: [],
    });
    expect(judge({ ...healthy, databaseError: 'timeout', lastBatches: [] }, THRESHOLDS).verdict).toBe(Verdict.DOWN);
  });

  it('counts a partition without a commit from the start of its log, never below zero', () => {
    expect(partitionLag(undefined, 0, 7)).toBe(7);
    expect(partitionLag(undefined, 5, 7)).toBe(2);
    expect(partitionLag(3, 5, 7)).toBe(2); // committed before retention removed the records
    expect(partitionLag(7, 0, 7)).toBe(0);
  });
});
