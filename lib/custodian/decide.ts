/**
 * What a simulated custodian does with one net settlement instruction (sese.023): whether it matches, and on the
 * settlement date whether it settles in full, in part, fails, or stays matched and pending — reported the way a
 * custodian reports it (sese.024 status advice, sese.025 confirmation; MT548, MT544–547).
 *
 * Pure and deterministic: every random draw comes from a generator seeded with the run's seed and the
 * instruction's id, so an instruction gets the same fate whatever order or partition it arrives in, and a
 * replay of the topic produces the same reports with the same message ids.
 */
import type { HolidayCalendar } from '../domain/calendar';
import { Dec, roundToCurrency } from '../domain/money';
import type { SettlementReasonCode } from '../domain/settlement-status';
import type { NetInstructionMessageV1 } from '../kafka/schemas/settlement-instruction';
import { seededRandom, stableHash } from '../simulator/market';

/**
 * Shares that decide an instruction's fate. `matchRate` is the share of instructions that match; of the matched
 * ones `settleRate` settle in full on the settlement date, `partialRate` settle in part (the rest the next
 * business day), `failRate` fail for lack of securities or cash, and the remainder stay matched and pending.
 * Of the failed or unmatched ones `recoverRate` settle (re-match) on the next business day.
 */
export interface CustodianRates {
  readonly matchRate: number;
  readonly settleRate: number;
  readonly partialRate: number;
  readonly failRate: number;
  readonly recoverRate: number;
}

/** A policy choice: most instructions settle on time, a few percent fail or settle in part. */
export const DEFAULT_CUSTODIAN_RATES: CustodianRates = {
  matchRate: 0.95,
  settleRate: 0.85,
  partialRate: 0.05,
  failRate: 0.1,
  recoverRate: 0.5,
};

/** Checks that every rate is a share in [0, 1] and that the matched outcomes do not exceed all of them. */
export function validateRates(
  rates: CustodianRates,
): { ok: true; value: CustodianRates } | { ok: false; errors: string[] } {
  const errors = Object.entries(rates)
    .filter(([, value]) => !(typeof value === 'number' && value >= 0 && value <= 1))
    .map(([name]) => `${name} must be between 0 and 1`);
  const matchedShares = rates.settleRate + rates.partialRate + rates.failRate;
  if (matchedShares > 1 + 1e-9) {
    errors.push(`settleRate + partialRate + failRate must not exceed 1, got ${matchedShares}`);
  }
  return errors.length === 0 ? { ok: true, value: rates } : { ok: false, errors };
}

/** A net instruction as the custodian sees it: signed effects and our side of the settlement chain. */
export interface CustodianInstruction {
  readonly instructionId: string;
  readonly account: string;
  readonly isin: string;
  readonly currency: string;
  readonly obligation: 'SECURITIES' | 'CASH_ONLY';
  readonly settlementDate: string;
  readonly placeOfSettlement: string;
  /** Absolute quantity; zero for a cash-only obligation. */
  readonly quantity: Dec;
  /** + received, − delivered. */
  readonly signedQuantity: Dec;
  /** + received, − paid; zero when free of payment. */
  readonly signedCash: Dec;
  readonly delivering: boolean;
  /** Our agent (the custodian serving the account), when the instruction names it. */
  readonly ownAgentBic?: string;
  readonly ownSafekeepingAccount?: string;
}

/** Reads a `settlement.instructions` NET message into the custodian's terms. */
export function toCustodianInstruction(message: NetInstructionMessageV1): CustodianInstruction {
  const quantity = new Dec(message.quantity);
  const delivering = message.movement === 'DELI';
  const amount = message.settlementAmount === undefined ? new Dec(0) : new Dec(message.settlementAmount);
  const ours = delivering ? message.deliveringParty : message.receivingParty;
  return {
    instructionId: message.instructionId,
    account: message.account,
    isin: message.isin,
    currency: message.currency,
    obligation: message.obligation,
    settlementDate: message.settlementDate,
    placeOfSettlement: message.placeOfSettlement,
    quantity,
    signedQuantity: delivering ? quantity.negated() : quantity,
    signedCash: message.creditDebit === 'DBIT' ? amount.negated() : amount,
    delivering,
    ...(ours === undefined ? {} : { ownAgentBic: ours.agentBic }),
    ...(ours?.safekeepingAccount === undefined ? {} : { ownSafekeepingAccount: ours.safekeepingAccount }),
  };
}

/** What moved at the custodian on one date for one instruction: the increment, not the cumulative total. */
export interface SettlementEffect {
  readonly instructionId: string;
  readonly account: string;
  readonly isin: string;
  readonly currency: string;
  readonly obligation: 'SECURITIES' | 'CASH_ONLY';
  readonly signedQuantity: Dec;
  readonly signedCash: Dec;
  readonly settledOn: string;
}

export const ReportedState = {
  MATCHED: 'MATCHED',
  PARTIALLY_SETTLED: 'PARTIALLY_SETTLED',
  SETTLED: 'SETTLED',
  FAILED: 'FAILED',
  /** Confirms our cancellation (sese.027 status): only before anything of the instruction has settled. */
  CANCELLED: 'CANCELLED',
} as const;
export type ReportedState = (typeof ReportedState)[keyof typeof ReportedState];

/** One status report the custodian will send, in order; `step` orders them in (simulated) time. */
export interface PlannedReport {
  readonly messageId: string;
  readonly instructionId: string;
  readonly state: ReportedState;
  readonly statusDate: string;
  readonly step: number;
  readonly reasonCode?: SettlementReasonCode;
  /** Cumulative (PARTIALLY_SETTLED, SETTLED of securities). */
  readonly settledQuantity?: Dec;
  /** Cumulative cash, absolute. */
  readonly settledAmount?: Dec;
  /** What this report moved, when it moved anything. */
  readonly effect?: SettlementEffect;
}

export const CustodianOutcome = {
  SETTLED: 'SETTLED',
  PARTIAL_THEN_SETTLED: 'PARTIAL_THEN_SETTLED',
  FAILED: 'FAILED',
  FAILED_THEN_SETTLED: 'FAILED_THEN_SETTLED',
  UNMATCHED: 'UNMATCHED',
  UNMATCHED_THEN_SETTLED: 'UNMATCHED_THEN_SETTLED',
  PENDING: 'PENDING',
} as const;
export type CustodianOutcome = (typeof CustodianOutcome)[keyof typeof CustodianOutcome];

export interface CustodianDecision {
  readonly instruction: CustodianInstruction;
  readonly outcome: CustodianOutcome;
  readonly reports: readonly PlannedReport[];
}

export { stableHash };

/** The generator of one subject (an instruction, a statement) under a run's seed. */
export function randomFor(seed: number, subject: string): () => number {
  return seededRandom(stableHash(`${seed}|${subject}`));
}

const SSI_MISMATCH_CODES = ['DEPT', 'ICAG'] as const satisfies readonly SettlementReasonCode[];

/** Why a matched instruction fails on our side: we lack the securities to deliver or the cash to pay. */
function failReason(instruction: CustodianInstruction, random: () => number): SettlementReasonCode {
  const ours: SettlementReasonCode = instruction.delivering
    ? 'LACK'
    : instruction.signedCash.isNegative()
      ? 'MONY'
      : 'LACK';
  // Most fails are ours to fix; some are the counterparty's (CLAC: they lack securities, CMON: they lack cash).
  if (random() < 0.75) return ours;
  return instruction.delivering || instruction.signedQuantity.isZero() ? 'CMON' : 'CLAC';
}

/**
 * Decides the fate of one net instruction and the status reports that tell it. Dates are business days of the
 * instruction's settlement market: MATCHED the business day before the settlement date, the settlement (or
 * failure) on it, a recovery or the rest of a partial settlement the next business day.
 *
 * A securities instruction that does not name our safekeeping account cannot match (SSI mismatch, ICAG) whatever
 * the rates say. A partial settlement needs at least 2 units (it settles whole units, at least one, never all);
 * a cash-only obligation settles all or nothing.
 */
export function decideSettlement(
  instruction: CustodianInstruction,
  rates: CustodianRates,
  seed: number,
  calendar: HolidayCalendar,
): CustodianDecision {
  const random = randomFor(seed, instruction.instructionId);
  const id = instruction.instructionId;
  const sd = instruction.settlementDate;
  const nextDay = calendar.nextBusinessDay(sd);
  const matchDay = calendar.addBusinessDays(sd, -1);
  const amount = instruction.signedCash.abs();
  const isSecurities = instruction.obligation === 'SECURITIES';
  const effect = (signedQuantity: Dec, signedCash: Dec, settledOn: string): SettlementEffect => ({
    instructionId: id,
    account: instruction.account,
    isin: instruction.isin,
    currency: instruction.currency,
    obligation: instruction.obligation,
    signedQuantity,
    signedCash,
    settledOn,
  });
  const settledInFull = (statusDate: string, step: number, before?: { quantity: Dec; cash: Dec }): PlannedReport => ({
    messageId: `${id}:SETTLED`,
    instructionId: id,
    state: ReportedState.SETTLED,
    statusDate,
    step,
    ...(isSecurities ? { settledQuantity: instruction.quantity } : {}),
    ...(amount.isZero() ? {} : { settledAmount: amount }),
    effect: effect(
      instruction.signedQuantity.minus(before?.quantity ?? 0),
      instruction.signedCash.minus(before?.cash ?? 0),
      statusDate,
    ),
  });
  const matched = (statusDate: string, step: number, suffix = ''): PlannedReport => ({
    messageId: `${id}:MATCHED${suffix}`,
    instructionId: id,
    state: ReportedState.MATCHED,
    statusDate,
    step,
  });
  const failed = (reasonCode: SettlementReasonCode, step: number): PlannedReport => ({
    messageId: `${id}:FAILED`,
    instructionId: id,
    state: ReportedState.FAILED,
    statusDate: sd,
    step,
    reasonCode,
  });

  const matchRoll = random();
  const recoverRoll = random();
  const ssiBroken = isSecurities && instruction.ownSafekeepingAccount === undefined;
  if (ssiBroken || matchRoll >= rates.matchRate) {
    const code = ssiBroken ? 'ICAG' : (SSI_MISMATCH_CODES[Math.floor(random() * SSI_MISMATCH_CODES.length)] ?? 'ICAG');
    // A broken SSI stays broken: only a rate-drawn mismatch (a repaired instruction) can re-match.
    if (!ssiBroken && recoverRoll < rates.recoverRate) {
      return {
        instruction,
        outcome: CustodianOutcome.UNMATCHED_THEN_SETTLED,
        reports: [failed(code, 1), matched(nextDay, 2, '-2'), settledInFull(nextDay, 3)],
      };
    }
    return { instruction, outcome: CustodianOutcome.UNMATCHED, reports: [failed(code, 1)] };
  }

  const roll = random();
  const match = matched(matchDay, 1);
  if (roll < rates.settleRate) {
    return { instruction, outcome: CustodianOutcome.SETTLED, reports: [match, settledInFull(sd, 2)] };
  }
  if (roll < rates.settleRate + rates.partialRate) {
    const units = instruction.quantity.times(0.2 + 0.6 * random()).floor();
    const part = Dec.max(units, 1);
    if (!isSecurities || part.gte(instruction.quantity) || !instruction.quantity.isInteger()) {
      return { instruction, outcome: CustodianOutcome.SETTLED, reports: [match, settledInFull(sd, 2)] };
    }
    // Cash moves pro rata, rounded once to the currency's minor units (half-even), as our books round it.
    const partCash = roundToCurrency(amount.times(part).dividedBy(instruction.quantity), instruction.currency);
    const sign = instruction.signedCash.isNegative() ? -1 : 1;
    const signedPart = instruction.delivering ? part.negated() : part;
    const partial: PlannedReport = {
      messageId: `${id}:PARTIALLY_SETTLED:${part.toFixed()}`,
      instructionId: id,
      state: ReportedState.PARTIALLY_SETTLED,
      statusDate: sd,
      step: 2,
      settledQuantity: part,
      ...(amount.isZero() ? {} : { settledAmount: partCash }),
      effect: effect(signedPart, partCash.times(sign), sd),
    };
    return {
      instruction,
      outcome: CustodianOutcome.PARTIAL_THEN_SETTLED,
      reports: [match, partial, settledInFull(nextDay, 3, { quantity: signedPart, cash: partCash.times(sign) })],
    };
  }
  if (roll < rates.settleRate + rates.partialRate + rates.failRate) {
    const fail = failed(failReason(instruction, random), 2);
    if (recoverRoll < rates.recoverRate) {
      return {
        instruction,
        outcome: CustodianOutcome.FAILED_THEN_SETTLED,
        reports: [match, fail, settledInFull(nextDay, 3)],
      };
    }
    return { instruction, outcome: CustodianOutcome.FAILED, reports: [match, fail] };
  }
  return { instruction, outcome: CustodianOutcome.PENDING, reports: [match] };
}
