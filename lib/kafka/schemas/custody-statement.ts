/**
 * Wire schema of `custody.statements`, version 1: a custodian's end-of-day statement of securities positions
 * (MT535 / semt.002) and cash balances (MT950 / camt.053) for the accounts it names, with itemised fee and FX
 * postings. Keyed by custodian; `statementId` is unique per statement. The same shape is the file import format
 * (`posttrade recon import FILE`).
 */
import { z } from 'zod';

import { isIsoDate } from '../../domain/calendar';
import { parseDecimal } from '../../domain/money';
import type { DecodeResult } from './trade-event';

const decimalString = z.string().refine((t) => parseDecimal(t) !== undefined, 'must be a canonical decimal string');

export const CustodyStatementV1Schema = z.object({
  schemaVersion: z.literal(1),
  statementId: z.string().min(1).max(128),
  custodian: z.string().min(1),
  statementDate: z.string().refine(isIsoDate, 'must be a calendar date YYYY-MM-DD'),
  accounts: z.array(z.string().min(1)).min(1),
  positions: z.array(z.object({ account: z.string(), isin: z.string().length(12), quantity: decimalString })),
  cash: z.array(z.object({ account: z.string(), currency: z.string().length(3), amount: decimalString })),
  cashPostings: z
    .array(
      z.object({
        reference: z.string().min(1),
        account: z.string(),
        currency: z.string().length(3),
        amount: decimalString,
        type: z.enum(['FEE', 'FX']),
      }),
    )
    .default([]),
});
export type CustodyStatementV1 = z.infer<typeof CustodyStatementV1Schema>;

/** Decodes a parsed JSON custody statement, reporting every field error. */
export function decodeCustodyStatement(json: unknown): DecodeResult<CustodyStatementV1> {
  const parsed = CustodyStatementV1Schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  };
}
