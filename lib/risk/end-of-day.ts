/**
 * The end-of-day risk run (issue 19): after the day's closes are loaded, for every account with positions or risk
 * settings,
 *
 * 1. the current evaluation at the latest closes (PgRiskService.evaluate): snapshots, and alerts raised or cleared
 *    by the price move even where no position changed (the Kafka stage only runs on position changes); when the
 *    date is the latest close (the evening run), this evaluation is also the date's and is not computed twice;
 * 2. the date's figures: exposure and margin at the closes on or before the date, and the one-day 99 %
 *    historical-simulation VaR (lib/domain/risk-var.ts) over the 250 scenario dates up to it, one scenario set for
 *    every account; stored in `risk_eod_snapshots` (a rerun of the date replaces its rows) and, unless a later
 *    date's VaR is already there, as the account's current VaR in `risk_snapshots.var_*`;
 * 3. the alerts' unsent transitions published to risk.alerts (alert-outbox.ts), when a publisher is given.
 *
 * Positions are the current ones (the positions table), marked at the date's closes. They are the positions as of
 * the date as long as no live trade is dated after it (positions are a pure function of the live trades up to their
 * trade dates; an amend or cancel of an earlier trade corrects the date's positions too, as it should). A past date
 * (closes exist after it) once a later-dated live trade exists is refused ({@link PastPositionsError}) rather than
 * computed on positions the date never had: rebuilding the positions as of a date is not done here. The VaR is not computed for an
 * account with a position that cannot be valued at the date (no close or no FX rate): a figure that silently left
 * out a position would understate the risk. Its reason is stored instead (`var_issue`).
 */
import type { Pool, PoolClient } from 'pg';

import { copyRow, copyRows } from '../db/copy';
import { withTransaction } from '../db/pool';
import { parseScaled, type Scaled } from '../domain/risk-scaled';
import {
  historicalVarScaled,
  scenarioReturns,
  VAR_WINDOW_DAYS,
  type PriceHistory,
  type VarResult,
} from '../domain/risk-var';
import type { EventPublisher } from '../kafka/producer';
import { publishRiskAlerts } from './alert-outbox';
import { accountRisk, PgRiskService, readRiskInputs, type AccountRisk } from './service';

export const VarIssue = {
  INSUFFICIENT_HISTORY: 'INSUFFICIENT_HISTORY',
  UNVALUED_POSITIONS: 'UNVALUED_POSITIONS',
} as const;

export interface AccountVar {
  readonly risk: AccountRisk;
  /** The VaR, or why there is none. */
  readonly result: VarResult | { readonly ok: false; readonly code: 'UNVALUED_POSITIONS'; readonly message: string };
}

export interface RiskEndOfDaySummary {
  readonly date: string;
  readonly accounts: number;
  /** Accounts with a VaR figure. */
  readonly withVar: number;
  /** Accounts without one, per reason. */
  readonly withoutVar: Readonly<Record<string, number>>;
  /** The scenario dates of the window (0 when there are fewer than 251 price dates up to the date). */
  readonly scenarioDates: number;
  /** Alerts raised and cleared by the current evaluation. */
  readonly raised: number;
  readonly cleared: number;
  /** risk.alerts messages sent (0 without a publisher). */
  readonly alertsPublished: number;
}

/** Closes of `isins` on the window's dates up to `date`, and each one's latest close before the window (its base). */
async function loadPriceHistories(client: PoolClient, isins: readonly string[], date: string): Promise<PriceHistory[]> {
  if (isins.length === 0) return [];
  // The instruments as a hashed set (not `= ANY` of a 500-element array tested on every close), each one's base
  // close by index, and no ORDER BY: sorting 126,000 rows by formatted text spilled to disk; Node orders each list.
  const { rows } = await client.query<{ isin: string; price_date: string; price: string }>(
    `WITH wanted AS MATERIALIZED (SELECT DISTINCT unnest($1::bpchar[]) AS isin),
     window_dates AS (
       SELECT DISTINCT rp.price_date FROM reference_prices rp JOIN wanted w ON w.isin = rp.isin
       WHERE rp.price_date <= $2::date ORDER BY rp.price_date DESC LIMIT $3),
     first_date AS (SELECT min(price_date) AS d FROM window_dates)
     SELECT trim(c.isin) AS isin, to_char(c.price_date, 'YYYY-MM-DD') AS price_date, c.price::text AS price FROM (
       SELECT rp.isin, rp.price_date, rp.price FROM reference_prices rp JOIN wanted w ON w.isin = rp.isin, first_date f
       WHERE rp.price_date <= $2::date AND rp.price_date >= f.d
       UNION ALL
       SELECT w.isin, b.price_date, b.price FROM wanted w, first_date f, LATERAL (
         SELECT rp.price_date, rp.price FROM reference_prices rp WHERE rp.isin = w.isin AND rp.price_date < f.d
         ORDER BY rp.price_date DESC LIMIT 1) b) AS c`,
    [isins, date, VAR_WINDOW_DAYS + 1],
  );
  const byIsin = new Map<string, { date: string; price: Scaled }[]>();
  for (const row of rows) {
    const list = byIsin.get(row.isin) ?? [];
    list.push({ date: row.price_date, price: parseScaled(row.price) });
    byIsin.set(row.isin, list);
  }
  for (const list of byIsin.values()) list.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
  return [...byIsin.entries()].map(([isin, closes]) => ({ isin, closes }));
}

/** Exposure, margin and VaR of every account at `date`'s closes, in the caller's transaction (accounts locked). */
export async function accountsAtEndOfDay(
  client: PoolClient,
  date: string,
  evaluated?: readonly AccountRisk[],
): Promise<{ readonly accounts: readonly AccountVar[]; readonly scenarioDates: number }> {
  let risks = evaluated;
  if (risks === undefined) {
    const inputs = await readRiskInputs(client, undefined, date);
    risks = inputs.accountRows.map((row) => accountRisk(row, inputs.positions.get(row.id), inputs.rules));
  }
  const held = [
    ...new Set(risks.flatMap((r) => r.exposure.instruments.filter((l) => !l.marketValue.isZero()).map((l) => l.isin))),
  ].sort();
  const scenarios = scenarioReturns(await loadPriceHistories(client, held, date), date);
  const accounts = risks.map((risk): AccountVar => {
    if (risk.exposure.unvalued.length > 0)
      return {
        risk,
        result: {
          ok: false,
          code: VarIssue.UNVALUED_POSITIONS,
          message: `no close or FX rate on or before ${date} for ${risk.exposure.unvalued.join(', ')}`,
        },
      };
    const isins = risk.exposure.instruments.map((line) => line.isin);
    return { risk, result: historicalVarScaled(isins, risk.marketValues, risk.scale, scenarios) };
  });
  return { accounts, scenarioDates: scenarios.dates.length };
}

async function storeEndOfDay(client: PoolClient, date: string, accounts: readonly AccountVar[], at: string) {
  await client.query('DELETE FROM risk_eod_snapshots WHERE as_of_date = $1', [date]);
  if (accounts.length === 0) return;
  const column = <T>(f: (a: AccountVar) => T): T[] => accounts.map(f);
  const varOf = (a: AccountVar) => (a.result.ok ? a.result.valueAtRisk.toFixed() : null);
  const scenarioOf = (a: AccountVar) => (a.result.ok ? a.result.scenarioDate : null);
  const issueOf = (a: AccountVar) => (a.result.ok ? null : `${a.result.code}: ${a.result.message}`);
  // COPY, not array parameters: PostgreSQL parses the rows' text once, not an array literal per column.
  await copyRows(
    client,
    'risk_eod_snapshots',
    [
      'as_of_date',
      'account_id',
      'base_currency',
      'computed_at',
      'long_market_value',
      'short_market_value',
      'gross_exposure',
      'net_exposure',
      'equity',
      'initial_requirement',
      'maintenance_requirement',
      'excess_over_maintenance',
      'margin_call',
      'value_at_risk',
      'var_scenario_date',
      'var_issue',
    ],
    accounts.map((a) =>
      copyRow([
        date,
        a.risk.accountId,
        a.risk.baseCurrency,
        at,
        a.risk.exposure.longMarketValue.toFixed(),
        a.risk.exposure.shortMarketValue.toFixed(),
        a.risk.exposure.grossExposure.toFixed(),
        a.risk.exposure.netExposure.toFixed(),
        a.risk.margin.equity.toFixed(),
        a.risk.margin.initialRequirement.toFixed(),
        a.risk.margin.maintenanceRequirement.toFixed(),
        a.risk.margin.excessOverMaintenance.toFixed(),
        a.risk.margin.marginCall,
        varOf(a),
        scenarioOf(a),
        issueOf(a),
      ]),
    ),
  );
  // The current snapshot keeps the latest date's VaR: a rerun of an earlier date does not replace a later one.
  await client.query(
    `UPDATE risk_snapshots s SET var_as_of = $1, value_at_risk = x.v, var_scenario_date = x.sd, var_issue = x.vi
     FROM unnest($2::text[], $3::numeric[], $4::date[], $5::text[]) AS x(a, v, sd, vi)
     WHERE s.account_id = x.a AND (s.var_as_of IS NULL OR s.var_as_of <= $1)`,
    [date, column((a) => a.risk.accountId), column(varOf), column(scenarioOf), column(issueOf)],
  );
}

/** A past date's run refused: a live trade dated after it has changed the positions since (see the module's TSDoc). */
export class PastPositionsError extends Error {
  override readonly name: string = 'PastPositionsError';
  constructor(
    readonly date: string,
    readonly laterTradeDate: string,
  ) {
    super(
      `the end-of-day risk of ${date} needs the positions as of ${date}, and live trades dated up to ` +
        `${laterTradeDate} have changed them since; the run computes on the current positions only, so it runs for ` +
        `the latest date or for a past date no later trade has touched`,
    );
  }
}

/** The end-of-day run of `date` (see the module's TSDoc); a rerun of the date replaces its figures. */
export async function riskEndOfDay(
  pool: Pool,
  date: string,
  options: { readonly publisher?: EventPublisher; readonly now?: Date } = {},
): Promise<RiskEndOfDaySummary> {
  const now = options.now ?? new Date();
  // The usual evening run is of the latest closes: the current evaluation is then the date's, computed once.
  const { rows } = await pool.query<{ later: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM reference_prices WHERE price_date > $1::date) AS later',
    [date],
  );
  const latest = rows[0]?.later === false;
  if (!latest) {
    const { rows: later } = await pool.query<{ last: string | null }>(
      `SELECT to_char(max(trade_date), 'YYYY-MM-DD') AS last FROM trades WHERE status = 'LIVE' AND trade_date > $1::date`,
      [date],
    );
    const last = later[0]?.last ?? null;
    if (last !== null) throw new PastPositionsError(date, last);
  }
  const current = await new PgRiskService(pool).evaluate(undefined, latest ? { now, asOf: date } : { now });
  const { accounts, scenarioDates } = await withTransaction(pool, async (client) => {
    const computed = await accountsAtEndOfDay(client, date, latest ? current.risks : undefined);
    await storeEndOfDay(client, date, computed.accounts, now.toISOString());
    return computed;
  });
  const alertsPublished = options.publisher === undefined ? 0 : await publishRiskAlerts(pool, options.publisher);
  const withoutVar: Record<string, number> = {};
  for (const a of accounts) if (!a.result.ok) withoutVar[a.result.code] = (withoutVar[a.result.code] ?? 0) + 1;
  return {
    date,
    accounts: accounts.length,
    withVar: accounts.filter((a) => a.result.ok).length,
    withoutVar,
    scenarioDates,
    raised: current.raised,
    cleared: current.cleared,
    alertsPublished,
  };
}
