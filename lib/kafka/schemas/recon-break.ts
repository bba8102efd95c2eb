/**
 * Wire schema of `recon.breaks`, version 1: what a statement did to a break (OPENED, AGED, RESOLVED), keyed by
 * account. Consumers de-duplicate on (statementId, breakKey): a reprocessed statement republishes the same events.
 */
import { z } from 'zod';

import { versionedDecoder } from './versioning';

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
export const decodeReconBreakEvent = versionedDecoder({ version: 1, schema: ReconBreakEventV1Schema });
