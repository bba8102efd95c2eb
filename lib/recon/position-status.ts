/**
 * Reconciliation status of positions (account + ISIN) for the read side: the position report and the query API.
 * It reads what reconciliation stored — the statements received and the open breaks — in one set-based query for
 * any number of positions, and decides per position:
 *
 * - BREAK: a break is open on the position's key (`POSITION|account|isin`, or its DUPLICATE twin), with its
 *   class, opening date and age in business days as of the last statement that saw it;
 * - MATCHED: no break is open and the latest statement covering the account reported the ISIN, or reported
 *   nothing for it while we hold none (both sides flat agree);
 * - NOT_RECONCILED: no statement has covered the account yet, or the latest one did not report an ISIN we hold
 *   (typically a position opened after that statement's date).
 *
 * "Latest" is by statement date, then by arrival, as reconciliation processes statements in date order.
 */
import type { Pool } from 'pg';

import { Dec } from '../domain/money';

export const ReconciliationStatus = {
  MATCHED: 'MATCHED',
  BREAK: 'BREAK',
  NOT_RECONCILED: 'NOT_RECONCILED',
} as const;
export type ReconciliationStatus = (typeof ReconciliationStatus)[keyof typeof ReconciliationStatus];

export interface PositionKey {
  readonly accountId: string;
  readonly isin: string;
  /** Current (signed) quantity: a flat position needs no custodian line to agree. */
  readonly quantity: string;
}

export interface PositionReconciliation {
  readonly status: ReconciliationStatus;
  /** Id and date of the latest statement that covered the account; null when none has. */
  readonly statementId: string | null;
  readonly statementDate: string | null;
  /** The open break's details when `status` is BREAK; null otherwise. */
  readonly breakClass: string | null;
  readonly breakOpenedOn: string | null;
  readonly breakAgeBusinessDays: number | null;
  readonly breakAgeingBucket: string | null;
}

/** Map key of a position in the result of {@link positionReconciliations}. */
export function positionKeyOf(accountId: string, isin: string): string {
  return `${accountId}|${isin}`;
}

/** The reconciliation status of each position (see the module comment), keyed by {@link positionKeyOf}. */
export async function positionReconciliations(
  pool: Pool,
  positions: readonly PositionKey[],
): Promise<Map<string, PositionReconciliation>> {
  const { rows } = await pool.query<{
    account_id: string;
    isin: string;
    statement_id: string | null;
    statement_date: string | null;
    reported: boolean;
    break_class: string | null;
    opened_on: string | null;
    age_business_days: number | null;
    ageing_bucket: string | null;
  }>(
    `WITH keys AS (
       SELECT DISTINCT account_id, isin FROM unnest($1::text[], $2::text[]) AS k(account_id, isin)
     ),
     latest AS (
       SELECT DISTINCT ON (a.account_id) a.account_id, cs.statement_id, cs.statement_date
       FROM custody_statements cs CROSS JOIN LATERAL unnest(cs.accounts) AS a(account_id)
       WHERE a.account_id IN (SELECT account_id FROM keys)
       ORDER BY a.account_id, cs.statement_date DESC, cs.received_at DESC, cs.statement_id DESC
     ),
     -- Only the winning statements' documents are read (and expanded), once each.
     reported AS (
       SELECT DISTINCT l.account_id, line->>'isin' AS isin
       FROM latest l JOIN custody_statements cs USING (statement_id)
       CROSS JOIN LATERAL jsonb_array_elements(cs.statement->'positions') AS line
       WHERE line->>'account' = l.account_id
     ),
     open_break AS (
       -- A key's own break before its DUPLICATE twin, which only says the statement repeated the line.
       SELECT DISTINCT ON (account_id, isin) account_id, isin::text AS isin, break_class, opened_on,
              age_business_days, ageing_bucket
       FROM recon_breaks
       WHERE status = 'OPEN' AND scope = 'POSITION' AND account_id IN (SELECT account_id FROM keys)
       ORDER BY account_id, isin, break_class = 'DUPLICATE', opened_on
     )
     SELECT k.account_id, k.isin, l.statement_id, to_char(l.statement_date, 'YYYY-MM-DD') AS statement_date,
            r.isin IS NOT NULL AS reported, b.break_class, to_char(b.opened_on, 'YYYY-MM-DD') AS opened_on,
            b.age_business_days, b.ageing_bucket
     FROM keys k
     LEFT JOIN latest l ON l.account_id = k.account_id
     LEFT JOIN reported r ON r.account_id = k.account_id AND r.isin = k.isin
     LEFT JOIN open_break b ON b.account_id = k.account_id AND b.isin = k.isin`,
    [positions.map((p) => p.accountId), positions.map((p) => p.isin)],
  );
  const flat = new Set(
    positions.filter((p) => new Dec(p.quantity).isZero()).map((p) => positionKeyOf(p.accountId, p.isin)),
  );
  return new Map(
    rows.map((r) => {
      const key = positionKeyOf(r.account_id, r.isin);
      const status =
        r.break_class !== null
          ? ReconciliationStatus.BREAK
          : r.statement_id !== null && (r.reported || flat.has(key))
            ? ReconciliationStatus.MATCHED
            : ReconciliationStatus.NOT_RECONCILED;
      return [
        key,
        {
          status,
          statementId: r.statement_id,
          statementDate: r.statement_date,
          breakClass: r.break_class,
          breakOpenedOn: r.opened_on,
          breakAgeBusinessDays: r.age_business_days,
          breakAgeingBucket: r.ageing_bucket,
        },
      ];
    }),
  );
}
