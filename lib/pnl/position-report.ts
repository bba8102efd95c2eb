/**
 * The position report: every position per account with its market value at the latest end-of-day price (and the
 * report-date FX rate to the account's base currency). Reconciliation status is added when the settlement stage
 * provides it (a `position_reconciliation` relation is not there yet: the column stays null).
 */
import type { Pool } from 'pg';

import { Dec, minorUnits } from '../domain/money';

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
  readonly reconciliationStatus: string | null;
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
  return rows.map((row) => {
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
      marketValue: value?.toFixed(minorUnits(row.currency)) ?? null,
      marketValueBase:
        value === undefined || row.fx === null ? null : value.times(row.fx).toFixed(minorUnits(row.base_currency)),
      openCost: new Dec(row.open_cost).toFixed(minorUnits(row.currency)),
      realized: new Dec(row.realized).toFixed(minorUnits(row.currency)),
      reconciliationStatus: null,
    };
  });
}

export function positionReportCsv(lines: readonly PositionReportLine[]): string {
  const header =
    'account_id,isin,cost_method,currency,base_currency,quantity,price_date,price,market_value,market_value_base,open_cost,realized,reconciliation_status';
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
      l.reconciliationStatus ?? '',
    ].join(','),
  );
  return [header, ...rows].join('\r\n') + '\r\n';
}
