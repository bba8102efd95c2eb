/**
 * Wire schema of `settlement.status`, version 1: a custodian's status report on one instruction (sese.024 status
 * advice, sese.025 confirmation; MT548, MT544-547), keyed by account. `messageId` is unique per report: a
 * redelivered report carries the same id and changes nothing.
 */
import { z } from 'zod';

import { isIsoDate } from '../../domain/calendar';
import { parseDecimal } from '../../domain/money';
import { SettlementReasonCode, SettlementState } from '../../domain/settlement-status';
import type { DecodeResult } from './trade-event';

const decimalString = z.string().refine((t) => parseDecimal(t) !== undefined, 'must be a canonical decimal string');
const reasonCodes = Object.keys(SettlementReasonCode) as [SettlementReasonCode, ...SettlementReasonCode[]];
const states = Object.values(SettlementState) as [SettlementState, ...SettlementState[]];

export const SettlementStatusMessageV1Schema = z.object({
  schemaVersion: z.literal(1),
  messageId: z.string().min(1).max(128),
  instructionId: z.string().min(1),
  account: z.string().min(1),
  state: z.enum(states),
  statusDate: z.string().refine(isIsoDate, 'must be a calendar date YYYY-MM-DD'),
  reasonCode: z.enum(reasonCodes).optional(),
  /** Cumulative settled quantity (PARTIALLY_SETTLED, SETTLED). */
  settledQuantity: decimalString.optional(),
  /** Cumulative cash moved with it, absolute, in the instruction's currency. */
  settledAmount: decimalString.optional(),
  custodian: z.string().min(1),
  sentAt: z.iso.datetime({ offset: true }),
});
export type SettlementStatusMessageV1 = z.infer<typeof SettlementStatusMessageV1Schema>;

/** Decodes a parsed JSON `settlement.status` message, reporting every field error. */
export function decodeSettlementStatus(json: unknown): DecodeResult<SettlementStatusMessageV1> {
  const parsed = SettlementStatusMessageV1Schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  };
}
