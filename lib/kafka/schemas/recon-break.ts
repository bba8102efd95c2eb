/**
 * Wire schema of `recon.breaks`, version 1: what a statement did to a break (OPENED, AGED, RESOLVED), keyed by
 * account. Consumers de-duplicate on (statementId, breakKey): a reprocessed statement republishes the same events.
 */
import { z } from 'zod';

import type { DecodeResult } from './trade-event';

export const ReconBreakEventV1Schema = z.object({
  schemaVersion: z.literal(1),
  event: z.enum(['OPENED', 'AGED', 'RESOLVED']),
  statementId: z.string(),
  breakKey: z.string(),
  breakClass: z.string(),
  scope: z.enum(['POSITION', 'CASH']),
  account: z.string(),
  isin: z.string().optional(),
  currency: z.string().optional(),
  internalValue: z.string().optional(),
  custodianValue: z.string().optional(),
  difference: z.string(),
  explainedBy: z.array(z.string()),
  openedOn: z.string(),
  lastSeenOn: z.string(),
  ageBusinessDays: z.number().int(),
  ageingBucket: z.string(),
});
export type ReconBreakEventV1 = z.infer<typeof ReconBreakEventV1Schema>;

/** Decodes a parsed JSON `recon.breaks` event. */
export function decodeReconBreakEvent(json: unknown): DecodeResult<ReconBreakEventV1> {
  const parsed = ReconBreakEventV1Schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  };
}
