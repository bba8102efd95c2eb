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

import { decimalString, identifier, isoDate, positiveInteger, storableText } from './storable';
import { versionedDecoder } from './versioning';

const id = storableText({ min: 1, max: 128 });
const text = storableText();
const movement = z.enum(['RECE', 'DELI']);
const payment = z.enum(['APMT', 'FREE']);
const messageType = z.enum(['MT540', 'MT541', 'MT542', 'MT543']);
const creditDebit = z.enum(['DBIT', 'CRDT']);
const party = z.object({
  agentBic: text,
  safekeepingAccount: text.optional(),
  lei: text.optional(),
});

export const GrossInstructionMessageV1Schema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('GROSS'),
  instructionId: id,
  tradeReference: id,
  tradeVersion: positiveInteger,
  account: identifier,
  counterpartyLei: storableText({ min: 20, max: 20 }),
  isin: storableText({ min: 12, max: 12 }),
  quantity: decimalString,
  movement,
  payment,
  messageType,
  settlementAmount: decimalString.optional(),
  creditDebit: creditDebit.optional(),
  currency: storableText({ min: 3, max: 3 }),
  tradeDate: isoDate,
  settlementDate: isoDate,
  placeOfSettlement: text.optional(),
  deliveringParty: party.optional(),
  receivingParty: party.optional(),
  state: z.enum(['INSTRUCTED', 'EXCEPTION', 'CANCELLED']),
  exceptions: z.array(z.object({ reason: text, detail: storableText({ max: 1024 }) })),
  replacesInstructionId: id.optional(),
});
export type GrossInstructionMessageV1 = z.infer<typeof GrossInstructionMessageV1Schema>;

export const NetInstructionMessageV1Schema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('NET'),
  instructionId: id,
  obligation: z.enum(['SECURITIES', 'CASH_ONLY']),
  account: identifier,
  counterpartyLei: storableText({ min: 20, max: 20 }),
  isin: storableText({ min: 12, max: 12 }),
  currency: storableText({ min: 3, max: 3 }),
  settlementDate: isoDate,
  placeOfSettlement: text,
  movement: movement.optional(),
  quantity: decimalString,
  payment: payment.optional(),
  messageType: messageType.optional(),
  settlementAmount: decimalString.optional(),
  creditDebit: creditDebit.optional(),
  deliveringParty: party.optional(),
  receivingParty: party.optional(),
  grossInstructionIds: z.array(id).min(1),
});
export type NetInstructionMessageV1 = z.infer<typeof NetInstructionMessageV1Schema>;

export const CancellationMessageV1Schema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('CANCELLATION'),
  cancellationId: id,
  cancelsInstructionId: id,
  cancels: z.enum(['GROSS', 'NET']),
  account: identifier,
  sendToCustodian: z.boolean(),
  reason: storableText({ max: 1024 }),
});
export type CancellationMessageV1 = z.infer<typeof CancellationMessageV1Schema>;

export const SettlementInstructionMessageV1Schema = z.discriminatedUnion('kind', [
  GrossInstructionMessageV1Schema,
  NetInstructionMessageV1Schema,
  CancellationMessageV1Schema,
]);
export type SettlementInstructionMessageV1 = z.infer<typeof SettlementInstructionMessageV1Schema>;

/** Decodes a parsed JSON `settlement.instructions` message, reporting every field error. */
export const decodeSettlementInstructionMessage = versionedDecoder({ version: 1, schema: SettlementInstructionMessageV1Schema });
