/**
 * Netting of settlement obligations: many gross instructions between the same parties, in the same security,
 * currency and settlement date, settle as one net movement of securities and one net payment.
 */
import { createHash } from 'node:crypto';
import { Dec } from './money';
import {
  CreditDebit,
  InstructedSettlementInstruction,
  PaymentType,
  SecuritiesMovement,
  SwiftMessageType,
  swiftMessageTypeFor,
} from './settlement-instruction';

/**
 * What obligations must share to be netted. Place of settlement is part of it although not a trade attribute:
 * obligations at two depositories cannot offset each other. Payment type is part of it because a FREE delivery
 * must not absorb cash from an APMT one.
 */
export interface NettingKey {
  readonly account: string;
  readonly counterpartyLei: string;
  readonly isin: string;
  readonly currency: string;
  readonly settlementDate: string;
  readonly payment: PaymentType;
  readonly placeOfSettlement: string;
}

interface NetObligationTerms extends NettingKey {
  /** Deterministic from the netting key and the gross instruction ids, whatever their input order. */
  readonly netInstructionId: string;
  /** Signed from the account's point of view: positive receives securities. */
  readonly netQuantity: Dec;
  /** Signed from the account's point of view: positive receives cash. Sum of already-rounded gross amounts. */
  readonly netCash: Dec;
  /** The gross instructions this obligation replaces, sorted by instruction id. */
  readonly grossInstructionIds: readonly string[];
}

/** A net movement of securities, with or without a net payment. */
export interface NetSecuritiesObligation extends NetObligationTerms {
  readonly kind: 'SECURITIES';
  readonly movement: SecuritiesMovement;
  readonly quantity: Dec;
  /**
   * APMT when the net cash is non-zero. When an APMT group's cash nets to exactly zero the obligation settles
   * FREE: a depository does not accept a DVP with a zero amount.
   */
  readonly settlementPayment: PaymentType;
  readonly messageType: SwiftMessageType;
  readonly settlementAmount?: Dec;
  /**
   * Carried apart from the movement: after netting a receipt can come with a credit (receive securities and
   * cash), which sese.023's SettlementAmount/CreditDebitIndicator can express.
   */
  readonly creditDebit?: CreditDebit;
}

/**
 * Securities net to zero but cash does not (e.g. buy 100 @ 10, sell 100 @ 11). Nothing moves at the depository,
 * so no MT54x: the residue is a payment obligation (payment-free-of-delivery, settled as a cash transfer).
 */
export interface NetCashObligation extends NetObligationTerms {
  readonly kind: 'CASH_ONLY';
  readonly settlementAmount: Dec;
  readonly creditDebit: CreditDebit;
}

export type NetObligation = NetSecuritiesObligation | NetCashObligation;

/** A group whose securities and cash both net to zero: nothing to settle, but the gross ids stay traceable. */
export interface FullyOffsetGroup extends NettingKey {
  readonly grossInstructionIds: readonly string[];
}

export interface NettingResult {
  readonly obligations: readonly NetObligation[];
  readonly fullyOffset: readonly FullyOffsetGroup[];
}

/** Signed securities of an instruction from the account's point of view: + receive, − deliver. */
export function signedQuantity(instruction: InstructedSettlementInstruction): Dec {
  return instruction.movement === SecuritiesMovement.RECEIVE ? instruction.quantity : instruction.quantity.negated();
}

/** Signed cash of an instruction from the account's point of view: + received, − paid, 0 for FREE. */
export function signedCash(instruction: InstructedSettlementInstruction): Dec {
  if (instruction.settlementAmount === undefined) return new Dec(0);
  return instruction.creditDebit === CreditDebit.DEBIT
    ? instruction.settlementAmount.negated()
    : instruction.settlementAmount;
}

function nettingKeyOf(instruction: InstructedSettlementInstruction): NettingKey {
  return {
    account: instruction.account,
    counterpartyLei: instruction.counterpartyLei,
    isin: instruction.isin,
    currency: instruction.currency,
    settlementDate: instruction.settlementDate,
    payment: instruction.payment,
    placeOfSettlement: instruction.placeOfSettlement,
  };
}

function keyText(key: NettingKey): string {
  return [
    key.account,
    key.counterpartyLei,
    key.isin,
    key.currency,
    key.settlementDate,
    key.payment,
    key.placeOfSettlement,
  ].join('\u0000');
}

/** Code-unit order, independent of the host's locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** grossIds arrive sorted, so the id does not depend on input order. */
function netInstructionId(key: NettingKey, grossIds: readonly string[]): string {
  const text = `${keyText(key)}\u0001${grossIds.join('\u0000')}`;
  return 'NI' + createHash('sha256').update(text).digest('hex').toUpperCase().slice(0, 14);
}

function netGroup(key: NettingKey, members: readonly InstructedSettlementInstruction[]): NetObligation | undefined {
  const netQuantity = members.reduce((sum, m) => sum.plus(signedQuantity(m)), new Dec(0));
  const netCash = members.reduce((sum, m) => sum.plus(signedCash(m)), new Dec(0));
  const grossInstructionIds = members.map((m) => m.instructionId);
  const terms: NetObligationTerms = {
    ...key,
    netInstructionId: netInstructionId(key, grossInstructionIds),
    netQuantity,
    netCash,
    grossInstructionIds,
  };
  const cash = netCash.isZero()
    ? {}
    : {
        settlementAmount: netCash.abs(),
        creditDebit: netCash.isNegative() ? CreditDebit.DEBIT : CreditDebit.CREDIT,
      };

  if (netQuantity.isZero()) {
    if (cash.settlementAmount === undefined || cash.creditDebit === undefined) return undefined;
    return { ...terms, kind: 'CASH_ONLY', settlementAmount: cash.settlementAmount, creditDebit: cash.creditDebit };
  }
  const movement = netQuantity.isPositive() ? SecuritiesMovement.RECEIVE : SecuritiesMovement.DELIVER;
  const settlementPayment = netCash.isZero() ? PaymentType.FREE : PaymentType.AGAINST_PAYMENT;
  return {
    ...terms,
    ...cash,
    kind: 'SECURITIES',
    movement,
    quantity: netQuantity.abs(),
    settlementPayment,
    messageType: swiftMessageTypeFor(movement, settlementPayment),
  };
}

/**
 * Nets settlement obligations: one net obligation per netting key (account, counterparty, ISIN, currency,
 * settlement date, payment type, place of settlement), receiving or delivering by the sign of the net quantity.
 * Cash-only residues become {@link NetCashObligation}s; groups that net to nothing are listed as fully offset.
 * Invariant: per key, and therefore in total, net quantity and net cash equal the signed sums of the gross
 * instructions — amounts are already rounded per instruction, so their sum is exact and is never re-rounded.
 * Only instructions that went to the custodian (state INSTRUCTED) can be netted; exceptions must be repaired
 * first. Output is sorted by netting key so that the result does not depend on input order.
 */
export function netObligations(instructions: readonly InstructedSettlementInstruction[]): NettingResult {
  const groups = new Map<string, { key: NettingKey; members: InstructedSettlementInstruction[] }>();
  for (const instruction of instructions) {
    const key = nettingKeyOf(instruction);
    const text = keyText(key);
    const group = groups.get(text);
    if (group) group.members.push(instruction);
    else groups.set(text, { key, members: [instruction] });
  }

  const obligations: NetObligation[] = [];
  const fullyOffset: FullyOffsetGroup[] = [];
  for (const text of [...groups.keys()].sort(compareText)) {
    const group = groups.get(text);
    if (group === undefined) continue;
    const members = [...group.members].sort((a, b) => compareText(a.instructionId, b.instructionId));
    const obligation = netGroup(group.key, members);
    if (obligation) obligations.push(obligation);
    else fullyOffset.push({ ...group.key, grossInstructionIds: members.map((m) => m.instructionId) });
  }
  return { obligations, fullyOffset };
}
