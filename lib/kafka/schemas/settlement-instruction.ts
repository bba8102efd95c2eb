/**
 * Wire schema of `settlement.instructions`, version 1, keyed by account. Three kinds of message:
 * - GROSS: the instruction of one trade version (sese.023 fields), INSTRUCTED or held as EXCEPTION. For the
 *   record and for downstream consumers; the custodian does not settle gross instructions that were netted.
 * - NET: what the custodian settles: one per netting key and set of gross instructions, with their ids.
 * - CANCELLATION: sese.020 / MT54x CANC of a gross or net instruction.
 * Amounts are canonical decimal strings. Consumers de-duplicate on the message's id (instruction, net instruction
 * or cancellation id), which a republish keeps.
 */
import { z } from 'zod';

import { isIsoDate } from '../../domain/calendar';
import { parseDecimal } from '../../domain/money';
import type { DecodeResult, FieldError } from './trade-event';

const decimalString = z.string().refine((t) => parseDecimal(t) !== undefined, 'must be a canonical decimal string');
const isoDate = z.string().refine(isIsoDate, 'must be a calendar date YYYY-MM-DD');
const movement = z.enum(['RECE', 'DELI']);
const payment = z.enum(['APMT', 'FREE']);
const messageType = z.enum(['MT540', 'MT541', 'MT542', 'MT543']);
const creditDebit = z.enum(['DBIT', 'CRDT']);
const party = z.object({
  agentBic: z.string(),
  safekeepingAccount: z.string().optional(),
  lei: z.string().optional(),
});

export const GrossInstructionMessageV1Schema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('GROSS'),
  instructionId: z.string().min(1),
  tradeReference: z.string().min(1),
  tradeVersion: z.number().int().positive(),
  account: z.string().min(1),
  counterpartyLei: z.string().length(20),
  isin: z.string().length(12),
  quantity: decimalString,
  movement,
  payment,
  messageType,
  settlementAmount: decimalString.optional(),
  creditDebit: creditDebit.optional(),
  currency: z.string().length(3),
  tradeDate: isoDate,
  settlementDate: isoDate,
  placeOfSettlement: z.string().optional(),
  deliveringParty: party.optional(),
  receivingParty: party.optional(),
  state: z.enum(['INSTRUCTED', 'EXCEPTION', 'CANCELLED']),
  exceptions: z.array(z.object({ reason: z.string(), detail: z.string() })),
  replacesInstructionId: z.string().optional(),
});
export type GrossInstructionMessageV1 = z.infer<typeof GrossInstructionMessageV1Schema>;

export const NetInstructionMessageV1Schema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('NET'),
  instructionId: z.string().min(1),
  obligation: z.enum(['SECURITIES', 'CASH_ONLY']),
  account: z.string().min(1),
  counterpartyLei: z.string().length(20),
  isin: z.string().length(12),
  currency: z.string().length(3),
  settlementDate: isoDate,
  placeOfSettlement: z.string(),
  movement: movement.optional(),
  quantity: decimalString,
  payment: payment.optional(),
  messageType: messageType.optional(),
  settlementAmount: decimalString.optional(),
  creditDebit: creditDebit.optional(),
  deliveringParty: party.optional(),
  receivingParty: party.optional(),
  grossInstructionIds: z.array(z.string()).min(1),
});
export type NetInstructionMessageV1 = z.infer<typeof NetInstructionMessageV1Schema>;

export const CancellationMessageV1Schema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('CANCELLATION'),
  cancellationId: z.string().min(1),
  cancelsInstructionId: z.string().min(1),
  cancels: z.enum(['GROSS', 'NET']),
  account: z.string().min(1),
  sendToCustodian: z.boolean(),
  reason: z.string(),
});
export type CancellationMessageV1 = z.infer<typeof CancellationMessageV1Schema>;

export const SettlementInstructionMessageV1Schema = z.discriminatedUnion('kind', [
  GrossInstructionMessageV1Schema,
  NetInstructionMessageV1Schema,
  CancellationMessageV1Schema,
]);
export type SettlementInstructionMessageV1 = z.infer<typeof SettlementInstructionMessageV1Schema>;

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Decodes a parsed JSON `settlement.instructions` message, reporting every field error. */
export function decodeSettlementInstructionMessage(json: unknown): DecodeResult<SettlementInstructionMessageV1> {
  const parsed = SettlementInstructionMessageV1Schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: fieldErrors(parsed.error) };
}
