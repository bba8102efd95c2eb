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
import { versionedDecoder } from './versioning';

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

/** Decodes a parsed JSON `positions.changed` value (version 1 only, and says so), reporting every field error. */
export const decodePositionChanged = versionedDecoder({ version: 1, schema: PositionChangedV1Schema });
