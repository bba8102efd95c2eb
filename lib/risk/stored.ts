/**
 * Reading stored risk: an account's latest evaluation (`risk_snapshots`, with the latest end-of-day VaR) and its open
 * alerts, as the query API's GET /risk shows them; every amount rounded once, half-even, to the base currency (the
 * stored figures are exact), concentrations as percentages to two places. Read only: a GET never evaluates.
 */
import type { Pool } from 'pg';

import type { AccountRiskDoc } from '../api/query/schemas';
import { Dec, minorUnits, roundToCurrency } from '../domain/money';
import type { RiskAlertKind } from '../domain/risk-alerts';

interface SnapshotRow {
  account_id: string;
  base_currency: string;
  computed_at: string;
  prices_as_of: string | null;
  long_market_value: string;
  short_market_value: string;
  gross_exposure: string;
  net_exposure: string;
  equity: string;
  initial_requirement: string;
  maintenance_requirement: string;
  excess_over_initial: string;
  excess_over_maintenance: string;
  margin_call: boolean;
  detail: {
    instruments: { isin: string; sector: string; marketValue: string; concentration: string }[];
    sectors: { sector: string; grossMarketValue: string; concentration: string }[];
    unvalued: string[];
  };
  var_as_of: string | null;
  value_at_risk: string | null;
  var_scenario_date: string | null;
  var_issue: string | null;
}

const percent = (rate: string) => new Dec(rate).times(100).toFixed(2);

/** The account's stored risk, or undefined when it has never been evaluated. */
export async function storedAccountRisk(pool: Pool, accountId: string): Promise<AccountRiskDoc | undefined> {
  const { rows } = await pool.query<SnapshotRow>(
    `SELECT account_id, trim(base_currency) AS base_currency,
       to_char(computed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS computed_at,
       to_char(prices_as_of, 'YYYY-MM-DD') AS prices_as_of, long_market_value, short_market_value, gross_exposure,
       net_exposure, equity, initial_requirement, maintenance_requirement, excess_over_initial,
       excess_over_maintenance, margin_call, detail, to_char(var_as_of, 'YYYY-MM-DD') AS var_as_of, value_at_risk,
       to_char(var_scenario_date, 'YYYY-MM-DD') AS var_scenario_date, var_issue
     FROM risk_snapshots WHERE account_id = $1`,
    [accountId],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const { rows: alerts } = await pool.query<{
    alert_id: string;
    kind: RiskAlertKind;
    subject: string;
    value: string;
    limit_value: string;
    raised_at: string;
  }>(
    `SELECT alert_id::text, kind, subject, value::text, limit_value::text,
       to_char(raised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS raised_at
     FROM risk_alerts WHERE account_id = $1 AND cleared_at IS NULL ORDER BY alert_id`,
    [accountId],
  );
  const base = row.base_currency;
  const money = (amount: string) => roundToCurrency(new Dec(amount), base).toFixed(minorUnits(base));
  return {
    accountId: row.account_id,
    baseCurrency: base,
    computedAt: row.computed_at,
    pricesAsOf: row.prices_as_of,
    longMarketValue: money(row.long_market_value),
    shortMarketValue: money(row.short_market_value),
    grossExposure: money(row.gross_exposure),
    netExposure: money(row.net_exposure),
    equity: money(row.equity),
    initialRequirement: money(row.initial_requirement),
    maintenanceRequirement: money(row.maintenance_requirement),
    excessOverInitial: money(row.excess_over_initial),
    excessOverMaintenance: money(row.excess_over_maintenance),
    marginCall: row.margin_call,
    instruments: row.detail.instruments.map((line) => ({
      isin: line.isin,
      sector: line.sector,
      marketValue: money(line.marketValue),
      concentrationPercent: percent(line.concentration),
    })),
    sectors: row.detail.sectors.map((line) => ({
      sector: line.sector,
      grossMarketValue: money(line.grossMarketValue),
      concentrationPercent: percent(line.concentration),
    })),
    unvalued: row.detail.unvalued,
    valueAtRisk:
      row.var_as_of === null
        ? null
        : {
            asOf: row.var_as_of,
            amount: row.value_at_risk === null ? null : money(row.value_at_risk),
            scenarioDate: row.var_scenario_date,
            issue: row.var_issue,
          },
    openAlerts: alerts.map((alert) => ({
      alertId: alert.alert_id,
      kind: alert.kind,
      subject: alert.subject,
      value: new Dec(alert.value).toFixed(),
      limit: new Dec(alert.limit_value).toFixed(),
      raisedAt: alert.raised_at,
    })),
  };
}
