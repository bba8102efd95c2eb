/** From settlement's decisions to `settlement.instructions` messages (lib/kafka/schemas/settlement-instruction.ts). */
import type { NetObligation } from '../domain/netting';
import type { SettlementParty } from '../domain/settlement-instruction';
import type {
  CancellationMessageV1,
  GrossInstructionMessageV1,
  NetInstructionMessageV1,
} from '../kafka/schemas/settlement-instruction';
import { Topics } from '../kafka/topics';
import { traceHeaders, type TraceContext } from '../observability/correlation';
import type { OutboxMessage } from './outbox';
import type { PlannedInstruction } from './plan';

/** A gross instruction's message, with the trace context of the booked version it instructs. */
export function grossMessage(planned: PlannedInstruction, trace?: TraceContext): OutboxMessage {
  const i = planned.instruction;
  const payload: GrossInstructionMessageV1 = {
    schemaVersion: 1,
    kind: 'GROSS',
    instructionId: i.instructionId,
    tradeReference: i.tradeReference,
    tradeVersion: i.tradeVersion,
    account: i.account,
    counterpartyLei: i.counterpartyLei,
    isin: i.isin,
    quantity: i.quantity.toFixed(),
    movement: i.movement,
    payment: i.payment,
    messageType: i.messageType,
    ...(i.settlementAmount === undefined ? {} : { settlementAmount: i.settlementAmount.toFixed() }),
    ...(i.creditDebit === undefined ? {} : { creditDebit: i.creditDebit }),
    currency: i.currency,
    tradeDate: i.tradeDate,
    settlementDate: i.settlementDate,
    ...(i.state === 'INSTRUCTED'
      ? { placeOfSettlement: i.placeOfSettlement, deliveringParty: i.deliveringParty, receivingParty: i.receivingParty }
      : {}),
    state: planned.state,
    exceptions: [...planned.exceptions],
    ...(i.replacesInstructionId === undefined ? {} : { replacesInstructionId: i.replacesInstructionId }),
  };
  return {
    messageId: `GROSS:${i.instructionId}`,
    topic: Topics.SETTLEMENT_INSTRUCTIONS,
    key: i.account,
    payload,
    ...(trace === undefined ? {} : { headers: traceHeaders(trace) }),
  };
}

export function netMessage(
  o: NetObligation,
  parties: { delivering: SettlementParty | null | undefined; receiving: SettlementParty | null | undefined },
): OutboxMessage {
  const payload: NetInstructionMessageV1 = {
    schemaVersion: 1,
    kind: 'NET',
    instructionId: o.netInstructionId,
    obligation: o.kind,
    account: o.account,
    counterpartyLei: o.counterpartyLei,
    isin: o.isin,
    currency: o.currency,
    settlementDate: o.settlementDate,
    placeOfSettlement: o.placeOfSettlement,
    quantity: o.kind === 'SECURITIES' ? o.quantity.toFixed() : '0',
    ...(o.kind === 'SECURITIES'
      ? { movement: o.movement, payment: o.settlementPayment, messageType: o.messageType }
      : {}),
    ...(o.settlementAmount === undefined ? {} : { settlementAmount: o.settlementAmount.toFixed() }),
    ...(o.creditDebit === undefined ? {} : { creditDebit: o.creditDebit }),
    ...(parties.delivering ? { deliveringParty: parties.delivering } : {}),
    ...(parties.receiving ? { receivingParty: parties.receiving } : {}),
    grossInstructionIds: [...o.grossInstructionIds],
  };
  return { messageId: `NET:${o.netInstructionId}`, topic: Topics.SETTLEMENT_INSTRUCTIONS, key: o.account, payload };
}

/**
 * A cancellation's message; a gross one carries the trace context of the amend or cancel that ended the instruction,
 * a net one none (a net instruction is about every trade it nets: its gross instruction ids lead to each).
 */
export function cancellationMessage(
  c: Omit<CancellationMessageV1, 'schemaVersion' | 'kind'>,
  trace?: TraceContext,
): OutboxMessage {
  const payload: CancellationMessageV1 = { schemaVersion: 1, kind: 'CANCELLATION', ...c };
  return {
    messageId: `CANC:${c.cancellationId}`,
    topic: Topics.SETTLEMENT_INSTRUCTIONS,
    key: c.account,
    payload,
    ...(trace === undefined ? {} : { headers: traceHeaders(trace) }),
  };
}
