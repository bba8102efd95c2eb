/**
 * The position report: every position per account with its market value at the latest end-of-day price (and the
 * report-date FX rate to the account's base currency), and its reconciliation status from the reconciliation
 * stage (lib/recon/position-status.ts: MATCHED, BREAK with class and age, or NOT_RECONCILED), read for all lines
 * in one more set-based query.
 */
import type { Pool } from 'pg';

import { Dec, minorUnits, roundToCurrency } from '../domain/money';
import { positionKeyOf, positionReconciliations, ReconciliationStatus } from '../recon/position-status';

/** An amount as text, rounded once to its currency's minor units (roundToCurrency). */
const money = (amount: Dec, currency: string): string =>
  roundToCurrency(amount, currency).toFixed(minorUnits(currency));

export interface PositionReportLine {
  readonly accountId: string;
  readonly isin: string;
  readonly costMethod: string;
  readonly currency: string;
  readonly baseCurrency: string;
  readonly quantity: string;
  readonly priceDate: string | null;
  readonly price: string | null;
  readonly marketValue: string | null;
  readonly marketValueBase: string | null;
  readonly openCost: string;
  readonly realized: string;
  readonly reconciliationStatus: ReconciliationStatus;
  /** Date of the latest custodian statement that covered the account; null when none has. */
  readonly reconciledAsOf: string | null;
  /** When the status is BREAK: the open break's class, opening date and age (as of the last statement seeing it). */
  readonly breakClass: string | null;
  readonly breakOpenedOn: string | null;
  readonly breakAgeBusinessDays: number | null;
  readonly breakAgeingBucket: string | null;
}

export async function positionReport(
  pool: Pool,
  query: { readonly accounts?: readonly string[] | undefined },
): Promise<PositionReportLine[]> {
  const { rows } = await pool.query<{
    account_id: string;
    isin: string;
    cost_method: string;
    currency: string;
    base_currency: string;
    quantity: string;
    open_cost: string;
    realized: string;
    price: string | null;
    price_date: string | null;
    fx: string | null;
  }>(
    `SELECT p.account_id, p.isin, p.cost_method, p.currency, p.base_currency, p.quantity, p.open_cost, p.realized,
            rp.price, to_char(rp.price_date, 'YYYY-MM-DD') AS price_date,
            fx_rate_to_base(p.currency, p.base_currency, rp.price_date) AS fx
     FROM positions p
     LEFT JOIN LATERAL (SELECT price, price_date FROM reference_prices r WHERE r.isin = p.isin
                        AND r.price_date > current_date - 3650 ORDER BY price_date DESC LIMIT 1) rp ON true
     WHERE $1::text[] IS NULL OR p.account_id = ANY($1::text[])
     ORDER BY p.account_id, p.isin`,
    [query.accounts ?? null],
  );
  const reconciliations = await positionReconciliations(
    pool,
    rows.map((r) => ({ accountId: r.account_id, isin: r.isin, quantity: r.quantity })),
  );
  return rows.map((row) => {
    const recon = reconciliations.get(positionKeyOf(row.account_id, row.isin));
    const value = row.price === null ? undefined : new Dec(row.quantity).times(row.price);
    return {
      accountId: row.account_id,
      isin: row.isin,
      costMethod: row.cost_method,
      currency: row.currency,
      baseCurrency: row.base_currency,
      quantity: row.quantity,
      priceDate: row.price_date,
      price: row.price,
      marketValue: value === undefined ? null : money(value, row.currency),
      marketValueBase: value === undefined || row.fx === null ? null : money(value.times(row.fx), row.base_currency),
      openCost: money(new Dec(row.open_cost), row.currency),
      realized: money(new Dec(row.realized), row.currency),
      reconciliationStatus: recon?.status ?? ReconciliationStatus.NOT_RECONCILED,
      reconciledAsOf: recon?.statementDate ?? null,
      breakClass: recon?.breakClass ?? null,
      breakOpenedOn: recon?.breakOpenedOn ?? null,
      breakAgeBusinessDays: recon?.breakAgeBusinessDays ?? null,
      breakAgeingBucket: recon?.breakAgeingBucket ?? null,
    };
  });
}

export function positionReportCsv(lines: readonly PositionReportLine[]): string {
  const header =
    'account_id,isin,cost_method,currency,base_currency,quantity,price_date,price,market_value,market_value_base,open_cost,realized,' +
    'reconciliation_status,reconciled_as_of,break_class,break_opened_on,break_age_business_days,break_ageing_bucket';
  const rows = lines.map((l) =>
    [
      l.accountId,
      l.isin,
      l.costMethod,
      l.currency,
      l.baseCurrency,
      l.quantity,
      l.priceDate ?? '',
      l.price ?? '',
      l.marketValue ?? '',
      l.marketValueBase ?? '',
      l.openCost,
      l.realized,
      l.reconciliationStatus,
      l.reconciledAsOf ?? '',
      l.breakClass ?? '',
      l.breakOpenedOn ?? '',
      l.breakAgeBusinessDays ?? '',
      l.breakAgeingBucket ?? '',
    ].join(','),
  );
  return [header, ...rows].join('\r\n') + '\r\n';
}
