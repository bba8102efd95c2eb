/**
 * The lifecycle of a settlement instruction as custodians report it (ISO 20022 sese.024 status advice and
 * sese.025 confirmation; SWIFT MT548 and MT544–547).
 *
 * Status messages arrive at least once and not always in order, so the state machine distinguishes three
 * outcomes: a transition that moves the instruction forward, a late or duplicate report that changes nothing
 * (not an error: redelivery is normal), and a transition that cannot happen, which is reported for an operator.
 */
import { HolidayCalendar } from './calendar';
import { Dec } from './money';

export const SettlementState = {
  /** Held internally: could not be instructed (e.g. SSI missing) or was rejected by the custodian. */
  EXCEPTION: 'EXCEPTION',
  INSTRUCTED: 'INSTRUCTED',
  /** The custodian matched our instruction with the counterparty's. */
  MATCHED: 'MATCHED',
  PARTIALLY_SETTLED: 'PARTIALLY_SETTLED',
  SETTLED: 'SETTLED',
  /** Did not settle on the intended settlement date; custodians retry every settlement cycle. */
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
} as const;
export type SettlementState = (typeof SettlementState)[keyof typeof SettlementState];

/**
 * Pending/failing and unmatched reason codes of sese.024 / MT548 field 24B that the platform interprets.
 * The first group is about settlement (positions), the second about matching (SSI or trade details disagree).
 */
export const SettlementReasonCode = {
  LACK: 'Lack of securities: insufficient securities in the delivering account',
  MONY: 'Insufficient money in the paying account',
  CLAC: 'Counterparty has insufficient securities',
  CMON: 'Counterparty has insufficient money',
  BLOC: 'Account blocked: no instruction can settle over it',
  ADEA: 'Received after the account servicer deadline; processed on a best-effort basis',
  CMIS: 'Matching instruction from the counterparty not found',
  DDAT: 'Settlement date does not match',
  DDEA: 'Deal price does not match',
  DELN: 'Direction of trade does not match',
  DMON: 'Settlement amount does not match',
  DQUA: 'Quantity does not match',
  DSEC: 'Security does not match',
  DEPT: 'Place of settlement does not match (SSI mismatch)',
  ICAG: 'Incorrect agent (SSI mismatch)',
} as const;
export type SettlementReasonCode = keyof typeof SettlementReasonCode;

/** Where one instruction is in its lifecycle. */
export interface SettlementLifecycle {
  readonly instructionId: string;
  readonly state: SettlementState;
  readonly instructedQuantity: Dec;
  /** Cumulative quantity settled so far (all of it once SETTLED). */
  readonly settledQuantity: Dec;
  /**
   * True once the custodian has reported a match. It decides whether a MATCHED report after a failure is a
   * re-match (the instruction failed unmatched and has now been matched) or a late copy of an old report.
   */
  readonly matched: boolean;
  /** Status date of the first failure report of the current failure; repeated daily fail reports keep it. */
  readonly failedSince?: string;
  readonly reasonCode?: SettlementReasonCode;
  readonly statusDate: string;
  /** Ids of the status messages already applied, so that a redelivered message is recognised. */
  readonly appliedMessageIds: readonly string[];
}

/** A status report from the custodian (sese.024/025, MT544–548), decoded. */
export interface SettlementStatusMessage {
  readonly messageId: string;
  readonly instructionId: string;
  readonly state: SettlementState;
  readonly statusDate: string;
  readonly reasonCode?: SettlementReasonCode;
  /** Cumulative settled quantity; required for PARTIALLY_SETTLED. */
  readonly settledQuantity?: Dec;
}

/** How a reported state relates to the current one. */
export const TransitionVerdict = {
  ADVANCE: 'ADVANCE',
  /** Same or earlier state: a late or duplicate report, a no-op. */
  STALE: 'STALE',
  ILLEGAL: 'ILLEGAL',
  /** FAILED → MATCHED: a re-match if the instruction never matched before, otherwise a late report. */
  ADVANCE_IF_NEVER_MATCHED: 'ADVANCE_IF_NEVER_MATCHED',
  /** PARTIALLY_SETTLED → PARTIALLY_SETTLED: progress if more has settled, otherwise a late report. */
  ADVANCE_IF_MORE_SETTLED: 'ADVANCE_IF_MORE_SETTLED',
} as const;
export type TransitionVerdict = (typeof TransitionVerdict)[keyof typeof TransitionVerdict];

const { ADVANCE, STALE, ILLEGAL, ADVANCE_IF_NEVER_MATCHED, ADVANCE_IF_MORE_SETTLED } = TransitionVerdict;

/**
 * The transition table, as data. Decisions worth knowing:
 * - INSTRUCTED → PARTIALLY_SETTLED / SETTLED: settlement implies matching, and the match report may be lost or
 *   arrive later (it is then stale).
 * - INSTRUCTED → FAILED: an instruction still unmatched on its settlement date fails (e.g. CMIS).
 * - INSTRUCTED → EXCEPTION: the custodian rejected the instruction; it goes back to operations for repair.
 * - FAILED → MATCHED / PARTIALLY_SETTLED / SETTLED: custodians re-attempt failed settlement every cycle, so a
 *   failure is not final; a FAILED report after a FAILED one is a daily repeat and keeps the original date.
 * - PARTIALLY_SETTLED → FAILED is stale: part has settled; the remainder's pending state does not undo that.
 * - Nothing settled can be cancelled, and nothing cancelled can settle: both are reported as illegal.
 */
const TRANSITIONS: Readonly<Record<SettlementState, Readonly<Record<SettlementState, TransitionVerdict>>>> = {
  EXCEPTION: {
    EXCEPTION: STALE,
    INSTRUCTED: ADVANCE,
    MATCHED: ILLEGAL,
    PARTIALLY_SETTLED: ILLEGAL,
    SETTLED: ILLEGAL,
    FAILED: ILLEGAL,
    CANCELLED: ADVANCE,
  },
  INSTRUCTED: {
    EXCEPTION: ADVANCE,
    INSTRUCTED: STALE,
    MATCHED: ADVANCE,
    PARTIALLY_SETTLED: ADVANCE,
    SETTLED: ADVANCE,
    FAILED: ADVANCE,
    CANCELLED: ADVANCE,
  },
  MATCHED: {
    EXCEPTION: ILLEGAL,
    INSTRUCTED: STALE,
    MATCHED: STALE,
    PARTIALLY_SETTLED: ADVANCE,
    SETTLED: ADVANCE,
    FAILED: ADVANCE,
    CANCELLED: ADVANCE,
  },
  FAILED: {
    EXCEPTION: ILLEGAL,
    INSTRUCTED: STALE,
    MATCHED: ADVANCE_IF_NEVER_MATCHED,
    PARTIALLY_SETTLED: ADVANCE,
    SETTLED: ADVANCE,
    FAILED: STALE,
    CANCELLED: ADVANCE,
  },
  PARTIALLY_SETTLED: {
    EXCEPTION: ILLEGAL,
    INSTRUCTED: STALE,
    MATCHED: STALE,
    PARTIALLY_SETTLED: ADVANCE_IF_MORE_SETTLED,
    SETTLED: ADVANCE,
    FAILED: STALE,
    CANCELLED: ILLEGAL,
  },
  SETTLED: {
    EXCEPTION: ILLEGAL,
    INSTRUCTED: STALE,
    MATCHED: STALE,
    PARTIALLY_SETTLED: STALE,
    SETTLED: STALE,
    FAILED: STALE,
    CANCELLED: ILLEGAL,
  },
  CANCELLED: {
    EXCEPTION: STALE,
    INSTRUCTED: STALE,
    MATCHED: STALE,
    PARTIALLY_SETTLED: ILLEGAL,
    SETTLED: ILLEGAL,
    FAILED: STALE,
    CANCELLED: STALE,
  },
};

/** The table's verdict for a reported state, before the conditions on matching and quantity are resolved. */
export function transitionVerdict(from: SettlementState, to: SettlementState): TransitionVerdict {
  return TRANSITIONS[from][to];
}

export const StatusErrorCode = {
  ILLEGAL_TRANSITION: 'ILLEGAL_TRANSITION',
  WRONG_INSTRUCTION: 'WRONG_INSTRUCTION',
  INVALID_SETTLED_QUANTITY: 'INVALID_SETTLED_QUANTITY',
} as const;
export type StatusErrorCode = (typeof StatusErrorCode)[keyof typeof StatusErrorCode];

export interface StatusError {
  readonly code: StatusErrorCode;
  readonly messageId: string;
  readonly from: SettlementState;
  readonly to: SettlementState;
  readonly detail: string;
}

export type StatusUpdateResult =
  | { readonly ok: true; readonly applied: true; readonly value: SettlementLifecycle }
  | {
      readonly ok: true;
      readonly applied: false;
      readonly ignoredBecause: 'DUPLICATE_MESSAGE' | 'STALE_STATUS';
      readonly value: SettlementLifecycle;
    }
  | { readonly ok: false; readonly errors: readonly StatusError[] };

/** The lifecycle of a freshly built instruction (INSTRUCTED, or EXCEPTION when it could not be sent). */
export function startSettlementLifecycle(
  instructionId: string,
  instructedQuantity: Dec,
  state: 'INSTRUCTED' | 'EXCEPTION',
  statusDate: string,
): SettlementLifecycle {
  return {
    instructionId,
    state,
    instructedQuantity,
    settledQuantity: new Dec(0),
    matched: false,
    statusDate,
    appliedMessageIds: [],
  };
}

function settledQuantityProblem(lifecycle: SettlementLifecycle, message: SettlementStatusMessage): string | undefined {
  if (message.state !== SettlementState.PARTIALLY_SETTLED) return undefined;
  const settled = message.settledQuantity;
  if (settled === undefined) return 'a partial settlement must report the cumulative settled quantity';
  if (settled.lte(0) || settled.gte(lifecycle.instructedQuantity)) {
    return `partially settled quantity ${settled.toFixed()} must be above 0 and below ${lifecycle.instructedQuantity.toFixed()}`;
  }
  return undefined;
}

function resolveVerdict(lifecycle: SettlementLifecycle, message: SettlementStatusMessage): TransitionVerdict {
  const verdict = transitionVerdict(lifecycle.state, message.state);
  if (verdict === ADVANCE_IF_NEVER_MATCHED) return lifecycle.matched ? STALE : ADVANCE;
  if (verdict === ADVANCE_IF_MORE_SETTLED) {
    const reported = message.settledQuantity ?? new Dec(0);
    return reported.gt(lifecycle.settledQuantity) ? ADVANCE : STALE;
  }
  return verdict;
}

function advance(lifecycle: SettlementLifecycle, message: SettlementStatusMessage): SettlementLifecycle {
  const to = message.state;
  const failing = to === SettlementState.FAILED;
  const settledQuantity =
    to === SettlementState.SETTLED
      ? lifecycle.instructedQuantity
      : to === SettlementState.PARTIALLY_SETTLED && message.settledQuantity !== undefined
        ? message.settledQuantity
        : lifecycle.settledQuantity;
  const next: SettlementLifecycle = {
    instructionId: lifecycle.instructionId,
    state: to,
    instructedQuantity: lifecycle.instructedQuantity,
    settledQuantity,
    // Settlement implies a match even when the MATCHED report never came.
    matched:
      lifecycle.matched ||
      to === SettlementState.MATCHED ||
      to === SettlementState.PARTIALLY_SETTLED ||
      to === SettlementState.SETTLED,
    statusDate: message.statusDate,
    appliedMessageIds: [...lifecycle.appliedMessageIds, message.messageId],
  };
  const reasonCode = message.reasonCode;
  return {
    ...next,
    ...(failing ? { failedSince: message.statusDate } : {}),
    ...(reasonCode === undefined ? {} : { reasonCode }),
  };
}

/**
 * Applies a custodian status report to an instruction's lifecycle. A message id seen before, or a state the
 * instruction has already passed (see the transition table), is ignored and returns the lifecycle unchanged;
 * a transition that cannot happen (e.g. a cancelled instruction reported settled) or an inconsistent partial
 * quantity is returned as an error for an operator, never thrown.
 */
export function applySettlementStatus(
  lifecycle: SettlementLifecycle,
  message: SettlementStatusMessage,
): StatusUpdateResult {
  const error = (code: StatusErrorCode, detail: string): StatusUpdateResult => ({
    ok: false,
    errors: [{ code, messageId: message.messageId, from: lifecycle.state, to: message.state, detail }],
  });
  if (message.instructionId !== lifecycle.instructionId) {
    return error(
      StatusErrorCode.WRONG_INSTRUCTION,
      `status for ${message.instructionId} applied to ${lifecycle.instructionId}`,
    );
  }
  if (lifecycle.appliedMessageIds.includes(message.messageId)) {
    return { ok: true, applied: false, ignoredBecause: 'DUPLICATE_MESSAGE', value: lifecycle };
  }
  const tableVerdict = transitionVerdict(lifecycle.state, message.state);
  if (tableVerdict === ILLEGAL) {
    return error(StatusErrorCode.ILLEGAL_TRANSITION, `${lifecycle.state} cannot become ${message.state}`);
  }
  if (tableVerdict !== STALE) {
    // Checked before deciding "more settled or not", so that a malformed partial is reported, not ignored.
    const quantityProblem = settledQuantityProblem(lifecycle, message);
    if (quantityProblem !== undefined) return error(StatusErrorCode.INVALID_SETTLED_QUANTITY, quantityProblem);
  }
  if (resolveVerdict(lifecycle, message) !== ADVANCE) {
    return { ok: true, applied: false, ignoredBecause: 'STALE_STATUS', value: lifecycle };
  }
  return { ok: true, applied: true, value: advance(lifecycle, message) };
}

/**
 * Age of a failed settlement in business days of the settlement market: the business days after the first
 * failure up to and including `asOf` (failed Friday, Monday is 1 day; a holiday in between does not count).
 * Zero on the failure date itself and for an `asOf` before it.
 */
export function ageInBusinessDays(failedSince: string, asOf: string, calendar: HolidayCalendar): number {
  return Math.max(0, calendar.businessDaysBetween(failedSince, asOf));
}
