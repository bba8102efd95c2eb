/**
 * Wire schema of `positions.changed`, version 1: the positions stage rebuilt (or removed, every trade cancelled) an
 * account's position in one instrument. Keyed by account. It carries no figures: a consumer reads the position
 * as it is now, so a late or repeated record is harmless (risk re-evaluates the account from what is stored).
 *
 * Published from the `position_changes` outbox (migrations/1732408000000_risk-outbox.sql), written in the
 * transaction that writes the position: at-least-once, in order per account.
 */
import { z } from 'zod';

import { isValidIsin } from '../../domain/refdata';
import { identifier, timestamp } from './storable';
import type { DecodeResult, FieldError } from './trade-event';

export const PositionChangedV1Schema = z.object({
  schemaVersion: z.literal(1),
  account: identifier,
  isin: z.string().refine(isValidIsin, 'must be an ISO 6166 ISIN (12 characters, valid check digit)'),
  /** When the position was rebuilt (the transaction that wrote it). */
  changedAt: timestamp,
  /** False when the rebuild removed the position (no live trade left). */
  open: z.boolean(),
});
export type PositionChangedV1 = z.infer<typeof PositionChangedV1Schema>;

/** Decodes a parsed JSON `positions.changed` value, reporting every field error with its path. */
export function decodePositionChanged(json: unknown): DecodeResult<PositionChangedV1> {
  const parsed = PositionChangedV1Schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const errors: FieldError[] = parsed.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  return { ok: false, errors };
}
