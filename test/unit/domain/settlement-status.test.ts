import { HolidayCalendar } from '../../../lib/domain/calendar';
import { Dec } from '../../../lib/domain/money';
import {
  SettlementLifecycle,
  SettlementReasonCode,
  SettlementState,
  SettlementStatusMessage,
  StatusUpdateResult,
  ageInBusinessDays,
  applySettlementStatus,
  startSettlementLifecycle,
} from '../../../lib/domain/settlement-status';

const INSTRUCTION = 'SI0123456789ABCD';

/** A lifecycle already in `state`: 100 instructed, 40 settled when partial, matched once past MATCHED. */
function at(state: SettlementState, overrides: Partial<SettlementLifecycle> = {}): SettlementLifecycle {
  return {
    instructionId: INSTRUCTION,
    state,
    instructedQuantity: new Dec(100),
    settledQuantity: new Dec(state === 'SETTLED' ? 100 : state === 'PARTIALLY_SETTLED' ? 40 : 0),
    matched: ['MATCHED', 'PARTIALLY_SETTLED', 'SETTLED', 'FAILED'].includes(state),
    statusDate: '2024-05-29',
    appliedMessageIds: ['earlier'],
    ...(state === 'FAILED' ? { failedSince: '2024-05-29', reasonCode: 'LACK' as const } : {}),
    ...overrides,
  };
}

function report(state: SettlementState, overrides: Partial<SettlementStatusMessage> = {}): SettlementStatusMessage {
  return {
    messageId: `msg-${state}`,
    instructionId: INSTRUCTION,
    state,
    statusDate: '2024-05-30',
    ...(state === 'PARTIALLY_SETTLED' ? { settledQuantity: new Dec(60) } : {}),
    ...overrides,
  };
}

function outcome(result: StatusUpdateResult): 'APPLIED' | 'IGNORED' | 'ILLEGAL' {
  if (!result.ok) return 'ILLEGAL';
  return result.applied ? 'APPLIED' : 'IGNORED';
}

function applied(result: StatusUpdateResult): SettlementLifecycle {
  if (!result.ok || !result.applied) throw new Error(`expected an applied transition, got ${JSON.stringify(result)}`);
  return result.value;
}

const A = 'APPLIED';
const I = 'IGNORED';
const X = 'ILLEGAL';
const STATES: readonly SettlementState[] = [
  'EXCEPTION',
  'INSTRUCTED',
  'MATCHED',
  'PARTIALLY_SETTLED',
  'SETTLED',
  'FAILED',
  'CANCELLED',
];
// Rows: from; columns: to, in STATES order. FAILED here failed after matching (LACK).
const EXPECTED: Record<SettlementState, readonly string[]> = {
  //                 EXC INS MAT PART SET FAIL CANC
  EXCEPTION: /*   */ [I, A, X, X, X, X, A],
  INSTRUCTED: /*  */ [A, I, A, A, A, A, A],
  MATCHED: /*     */ [X, I, I, A, A, A, A],
  PARTIALLY_SETTLED: [X, I, I, A, A, I, X],
  SETTLED: /*     */ [X, I, I, I, I, I, X],
  FAILED: /*      */ [X, I, I, A, A, I, A],
  CANCELLED: /*   */ [I, I, I, X, X, I, I],
};

describe('settlement status transitions', () => {
  const cases = STATES.flatMap((from) => STATES.map((to, column) => [from, to, EXPECTED[from][column]] as const));

  it.each(cases)('%s -> %s is %s', (from, to, expected) => {
    const lifecycle = at(from);

    const result = applySettlementStatus(lifecycle, report(to));

    expect(outcome(result)).toBe(expected);
    if (result.ok && !result.applied) expect(result.value).toBe(lifecycle);
    if (result.ok && result.applied) expect(result.value.state).toBe(to);
    if (!result.ok) expect(result.errors).toEqual([expect.objectContaining({ code: 'ILLEGAL_TRANSITION', from, to })]);
  });

  it('lets a failed instruction that never matched become matched when the counterparty instructs', () => {
    const failedUnmatched = at('FAILED', { matched: false, reasonCode: 'CMIS' });

    const result = applySettlementStatus(failedUnmatched, report('MATCHED'));

    const lifecycle = applied(result);
    expect(lifecycle.state).toBe('MATCHED');
    expect(lifecycle.matched).toBe(true);
    expect(lifecycle.failedSince).toBeUndefined();
  });

  it('treats a partial settlement reporting no more than already settled as late', () => {
    const partial = at('PARTIALLY_SETTLED');

    const same = applySettlementStatus(partial, report('PARTIALLY_SETTLED', { settledQuantity: new Dec(40) }));
    const less = applySettlementStatus(partial, report('PARTIALLY_SETTLED', { settledQuantity: new Dec(30) }));

    expect(same).toEqual({ ok: true, applied: false, ignoredBecause: 'STALE_STATUS', value: partial });
    expect(less).toEqual({ ok: true, applied: false, ignoredBecause: 'STALE_STATUS', value: partial });
  });

  it('reports a partial settlement without a quantity, or with none or all of it settled', () => {
    const matched = at('MATCHED');

    const results = [undefined, new Dec(0), new Dec(100)].map((settledQuantity) =>
      applySettlementStatus(matched, { ...report('PARTIALLY_SETTLED'), settledQuantity }),
    );

    for (const result of results) {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors[0]?.code).toBe('INVALID_SETTLED_QUANTITY');
    }
  });

  it('ignores a message id already applied, whatever it says', () => {
    const matched = applied(applySettlementStatus(at('INSTRUCTED'), report('MATCHED', { messageId: 'm-1' })));

    const redelivered = applySettlementStatus(matched, report('MATCHED', { messageId: 'm-1' }));
    const reusedId = applySettlementStatus(matched, report('SETTLED', { messageId: 'm-1' }));

    expect(redelivered).toEqual({ ok: true, applied: false, ignoredBecause: 'DUPLICATE_MESSAGE', value: matched });
    expect(outcome(reusedId)).toBe('IGNORED');
  });

  it('refuses a status for another instruction', () => {
    const result = applySettlementStatus(at('INSTRUCTED'), report('MATCHED', { instructionId: 'SI-OTHER' }));

    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.code).toBe('WRONG_INSTRUCTION');
  });

  it('follows a trade through match, repeated fails, partial and full settlement', () => {
    const start = startSettlementLifecycle(INSTRUCTION, new Dec(100), 'INSTRUCTED', '2024-05-28');

    const matched = applied(applySettlementStatus(start, report('MATCHED', { statusDate: '2024-05-28' })));
    const failed = applied(
      applySettlementStatus(matched, report('FAILED', { statusDate: '2024-05-29', reasonCode: 'LACK' })),
    );
    const failedAgain = applySettlementStatus(
      failed,
      report('FAILED', { messageId: 'msg-FAILED-2', statusDate: '2024-05-30', reasonCode: 'LACK' }),
    );
    const partial = applied(applySettlementStatus(failed, report('PARTIALLY_SETTLED', { statusDate: '2024-05-31' })));
    const settled = applied(applySettlementStatus(partial, report('SETTLED', { statusDate: '2024-06-03' })));

    expect(failed.failedSince).toBe('2024-05-29');
    expect(failed.reasonCode).toBe('LACK');
    expect(failedAgain).toEqual({ ok: true, applied: false, ignoredBecause: 'STALE_STATUS', value: failed });
    expect(partial.settledQuantity.toFixed()).toBe('60');
    expect(partial.failedSince).toBeUndefined();
    expect(settled.state).toBe('SETTLED');
    expect(settled.settledQuantity.toFixed()).toBe('100');
    expect(settled.statusDate).toBe('2024-06-03');
    expect(settled.appliedMessageIds).toEqual(['msg-MATCHED', 'msg-FAILED', 'msg-PARTIALLY_SETTLED', 'msg-SETTLED']);
  });

  it('treats settlement as implying the match, so a MATCHED report arriving afterwards is late', () => {
    const settled = applied(applySettlementStatus(at('INSTRUCTED', { matched: false }), report('SETTLED')));

    const lateMatch = applySettlementStatus(settled, report('MATCHED'));

    expect(settled.matched).toBe(true);
    expect(outcome(lateMatch)).toBe('IGNORED');
  });

  it('names the sese.024 reasons for lack of securities, lack of cash and SSI mismatch', () => {
    const codes: SettlementReasonCode[] = ['LACK', 'MONY', 'DEPT', 'ICAG'];

    expect(codes.map((code) => SettlementReasonCode[code])).toEqual([
      'Lack of securities: insufficient securities in the delivering account',
      'Insufficient money in the paying account',
      'Place of settlement does not match (SSI mismatch)',
      'Incorrect agent (SSI mismatch)',
    ]);
  });
});

describe('ageInBusinessDays', () => {
  // XNYS closed Monday 2024-05-27 (Memorial Day).
  const xnys = new HolidayCalendar('XNYS', ['2024-05-27']);

  it('is zero on the day of failure and for a date before it', () => {
    expect(ageInBusinessDays('2024-05-24', '2024-05-24', xnys)).toBe(0);
    expect(ageInBusinessDays('2024-05-24', '2024-05-23', xnys)).toBe(0);
  });

  it('skips the weekend and the holiday', () => {
    // Failed Friday 24th: Sat, Sun, Memorial Day do not count; Tue 28th is day 1, Wed 29th day 2.
    expect(ageInBusinessDays('2024-05-24', '2024-05-27', xnys)).toBe(0);
    expect(ageInBusinessDays('2024-05-24', '2024-05-28', xnys)).toBe(1);
    expect(ageInBusinessDays('2024-05-24', '2024-05-29', xnys)).toBe(2);
  });

  it('counts a plain week as five', () => {
    expect(ageInBusinessDays('2024-06-03', '2024-06-10', xnys)).toBe(5);
  });
});
