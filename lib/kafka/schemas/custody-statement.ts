/**
 * Wire schema of `custody.statements`, version 1: a custodian's end-of-day statement of securities positions
 * (MT535 / semt.002) and cash balances (MT950 / camt.053) for the accounts it names, with itemised fee and FX
 * postings. Keyed by custodian; `statementId` is unique per statement. The same shape is the file import format
 * (`posttrade recon import FILE`).
 */
import { z } from 'zod';

import { decimalString, identifier, isoDate, storableText } from './storable';
import { versionedDecoder } from './versioning';

export const CustodyStatementV1Schema = z.object({
  schemaVersion: z.literal(1),
  statementId: storableText({ min: 1, max: 128 }),
  custodian: identifier,
  statementDate: isoDate,
  accounts: z.array(identifier).min(1),
  positions: z.array(
    z.object({ account: identifier, isin: storableText({ min: 12, max: 12 }), quantity: decimalString }),
  ),
  cash: z.array(z.object({ account: identifier, currency: storableText({ min: 3, max: 3 }), amount: decimalString })),
  cashPostings: z
    .array(
      z.object({
        reference: storableText({ min: 1, max: 128 }),
        account: identifier,
        currency: storableText({ min: 3, max: 3 }),
        amount: decimalString,
        type: z.enum(['FEE', 'FX']),
      }),
    )
    .default([]),
});
export type CustodyStatementV1 = z.infer<typeof CustodyStatementV1Schema>;

/** Decodes a parsed JSON custody statement, reporting every field error. */
export const decodeCustodyStatement = versionedDecoder({ version: 1, schema: CustodyStatementV1Schema });
