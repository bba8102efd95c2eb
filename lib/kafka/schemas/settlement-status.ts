/**
 * Wire schema of `settlement.status`, version 1: a custodian's status report on one instruction (sese.024 status
 * advice, sese.025 confirmation; MT548, MT544-547), keyed by account. `messageId` is unique per report: a
 * redelivered report carries the same id and changes nothing.
 */
import { z } from 'zod';

import { SettlementReasonCode, SettlementState } from '../../domain/settlement-status';
import { decimalString, identifier, isoDate, storableText, timestamp } from './storable';
import { versionedDecoder } from './versioning';

const reasonCodes = Object.keys(SettlementReasonCode) as [SettlementReasonCode, ...SettlementReasonCode[]];
const states = Object.values(SettlementState) as [SettlementState, ...SettlementState[]];

export const SettlementStatusMessageV1Schema = z.object({
  schemaVersion: z.literal(1),
  messageId: storableText({ min: 1, max: 128 }),
  instructionId: storableText({ min: 1, max: 128 }),
  account: identifier,
  state: z.enum(states),
  statusDate: isoDate,
  reasonCode: z.enum(reasonCodes).optional(),
  /** Cumulative settled quantity (PARTIALLY_SETTLED, SETTLED). */
  settledQuantity: decimalString.optional(),
  /** Cumulative cash moved with it, absolute, in the instruction's currency. */
  settledAmount: decimalString.optional(),
  custodian: identifier,
  sentAt: timestamp,
});
export type SettlementStatusMessageV1 = z.infer<typeof SettlementStatusMessageV1Schema>;

/** Decodes a parsed JSON `settlement.status` message, reporting every field error. */
export const decodeSettlementStatus = versionedDecoder({ version: 1, schema: SettlementStatusMessageV1Schema });
