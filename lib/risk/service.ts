/**
 * The risk stage's evaluation (issue 19): for some accounts (or every account with positions or risk settings),
 * read their positions marked at the latest close on or before the as-of date, compute exposure and margin
 * (lib/domain/risk-exposure.ts, risk-margin.ts), store the account's current snapshot (`risk_snapshots`), and
 * raise and clear its alerts (`risk_alerts`, lib/domain/risk-alerts.ts) — all in one transaction per call.
 *
 * Concurrency: each evaluated account is locked (a transaction-scoped advisory lock on its bucket, lib/db/locks.ts,
 * taken in sorted order, so two evaluations cannot deadlock) before its inputs are read, so the later of two evaluations of an account reads
 * what the earlier one committed and an alert is never raised twice (the partial unique index of migration
 * 1732407600000_risk.sql enforces it too). Risk only reads prices and positions, never writes them: it takes no
 * lock that the prices or positions stages take (the deadlock of a previous attempt came from writing prices).
 */
import type { Pool, PoolClient } from 'pg';

import { copyRow, copyRows } from '../db/copy';
import { lockKeyBuckets } from '../db/locks';
import { withTransaction } from '../db/pool';
import { Dec } from '../domain/money';
import {
  alertTransitions,
  isRiskAlertKind,
  riskBreaches,
  type AlertKey,
  type Breach,
  type RiskLimits,
} from '../domain/risk-alerts';
import { accountExposureScaled, type Exposure, type ScaledRiskPosition } from '../domain/risk-exposure';
import {
  REG_T_FINRA_4210,
  accountMarginScaled,
  type Margin,
  type MarginRule,
  type MarginRuleSet,
} from '../domain/risk-margin';
import { parseScaled, pow10, unitsAt } from '../domain/risk-scaled';

/** Namespace of the per-account advisory locks (first key of the two-key form). */
const RISK_LOCK_CLASS = 1_732_407_600;

export interface AccountRisk {
  readonly accountId: string;
  readonly baseCurrency: string;
  readonly exposure: Exposure;
  readonly margin: Margin;
  readonly pricesAsOf: string | undefined;
  /** Each line of `exposure.instruments`' market value as an integer at `scale` (for the VaR, risk-var.ts). */
  readonly marketValues: readonly bigint[];
  readonly scale: number;
}

export interface EvaluationSummary {
  readonly accounts: number;
  readonly raised: number;
  readonly cleared: number;
}

export interface AccountRow {
  id: string;
  base_currency: string;
  collateral: string;
  gross_exposure_limit: string | null;
  net_exposure_limit: string | null;
  instrument_concentration_limit: string | null;
  sector_concentration_limit: string | null;
}

interface PositionRow {
  account_id: string;
  isin: string;
  quantity: string;
  open_cost_base: string;
  realized_base: string;
  sector: string | null;
  price: string | null;
  price_date: string | null;
  fx: string | null;
}

const optional = (text: string | null): Dec | undefined => (text === null ? undefined : new Dec(text));

function ruleOf(row: {
  initial_long: string;
  initial_short: string;
  maintenance_long: string;
  maintenance_short: string;
}): MarginRule {
  return {
    initialLong: new Dec(row.initial_long),
    initialShort: new Dec(row.initial_short),
    maintenanceLong: new Dec(row.maintenance_long),
    maintenanceShort: new Dec(row.maintenance_short),
  };
}

/** The margin rule set of `margin_rules`: its DEFAULT row (Reg T / FINRA 4210 when absent) and overrides by ISIN. */
export async function loadMarginRules(client: Pool | PoolClient): Promise<MarginRuleSet> {
  const { rows } = await client.query<{
    scope: string;
    initial_long: string;
    initial_short: string;
    maintenance_long: string;
    maintenance_short: string;
  }>('SELECT scope, initial_long, initial_short, maintenance_long, maintenance_short FROM margin_rules');
  const overrides = new Map<string, MarginRule>();
  let defaults = REG_T_FINRA_4210;
  for (const row of rows) {
    if (row.scope === 'DEFAULT') defaults = ruleOf(row);
    else overrides.set(row.scope, ruleOf(row));
  }
  return { default: defaults, overrides };
}

export class PgRiskService {
  constructor(private readonly pool: Pool) {}

  /**
   * Evaluates `accounts` (undefined: every account with a position or a risk_accounts row) at the latest closes on
   * or before `asOf` (undefined: the latest there are), stores the snapshots and alerts; idempotent.
   */
  async evaluate(
    accounts: readonly string[] | undefined,
    options: { readonly asOf?: string; readonly now?: Date } = {},
  ): Promise<EvaluationSummary & { readonly risks: readonly AccountRisk[] }> {
    const at = (options.now ?? new Date()).toISOString();
    return withTransaction(this.pool, async (client) => {
      const inputs = await readRiskInputs(client, accounts, options.asOf);
      if (inputs.accountRows.length === 0) return { accounts: 0, raised: 0, cleared: 0, risks: [] };
      const { accountRows, rules, positions } = inputs;
      const ids = accountRows.map((row) => row.id);
      const { rows: openRows } = await client.query<{ account_id: string; kind: string; subject: string }>(
        'SELECT account_id, kind, subject FROM risk_alerts WHERE cleared_at IS NULL AND account_id = ANY($1::text[])',
        [ids],
      );
      const open = new Map<string, AlertKey[]>();
      for (const row of openRows)
        if (isRiskAlertKind(row.kind))
          open.set(row.account_id, [...(open.get(row.account_id) ?? []), { kind: row.kind, subject: row.subject }]);

      const risks: AccountRisk[] = [];
      const raised: { accountId: string; kind: string; subject: string; value: string; limit: string }[] = [];
      const cleared: { accountId: string; kind: string; subject: string }[] = [];
      for (const row of accountRows) {
        const risk = accountRisk(row, positions.get(row.id), rules);
        const { exposure, margin } = risk;
        const transitions = alertTransitions(open.get(row.id) ?? [], riskBreaches(exposure, margin, limitsOf(row)));
        for (const breach of transitions.raise)
          raised.push({
            accountId: row.id,
            kind: breach.kind,
            subject: breach.subject,
            value: breach.value.toFixed(),
            limit: breach.limit.toFixed(),
          });
        for (const key of transitions.clear) cleared.push({ accountId: row.id, ...key });
        risks.push(risk);
      }
      await writeSnapshots(client, risks, at);
      if (raised.length > 0)
        await client.query(
          `INSERT INTO risk_alerts (account_id, kind, subject, raised_at, value, limit_value)
           SELECT a, k, s, $1, v, l FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[], $6::numeric[])
             AS x(a, k, s, v, l)`,
          [
            at,
            raised.map((r) => r.accountId),
            raised.map((r) => r.kind),
            raised.map((r) => r.subject),
            raised.map((r) => r.value),
            raised.map((r) => r.limit),
          ],
        );
      if (cleared.length > 0)
        await client.query(
          `UPDATE risk_alerts r SET cleared_at = $1
           FROM unnest($2::text[], $3::text[], $4::text[]) AS x(a, k, s)
           WHERE r.cleared_at IS NULL AND r.account_id = x.a AND r.kind = x.k AND r.subject = x.s`,
          [at, cleared.map((c) => c.accountId), cleared.map((c) => c.kind), cleared.map((c) => c.subject)],
        );
      return { accounts: risks.length, raised: raised.length, cleared: cleared.length, risks };
    });
  }

  /**
   * The accounts' risk at the closes on or before `asOf`, computed and not stored (a read-only transaction): an
   * as-of figure is not the account's current risk, so it replaces no snapshot and raises or clears no alert. With
   * each account, the breaches it would have at that date.
   */
  async preview(
    accounts: readonly string[],
    asOf: string,
  ): Promise<readonly { readonly risk: AccountRisk; readonly breaches: readonly Breach[] }[]> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SET TRANSACTION READ ONLY');
      const { accountRows, rules, positions } = await readRiskInputs(client, accounts, asOf);
      return accountRows.map((row) => {
        const risk = accountRisk(row, positions.get(row.id), rules);
        return { risk, breaches: riskBreaches(risk.exposure, risk.margin, limitsOf(row)) };
      });
    });
  }
}

/** An account's limits (an empty one is not checked). */
function limitsOf(row: AccountRow): RiskLimits {
  return {
    grossExposureLimit: optional(row.gross_exposure_limit),
    netExposureLimit: optional(row.net_exposure_limit),
    instrumentConcentrationLimit: optional(row.instrument_concentration_limit),
    sectorConcentrationLimit: optional(row.sector_concentration_limit),
  };
}

/** An account's positions as risk reads them, and the latest close any of them was marked at. */
export interface AccountPositions {
  readonly list: ScaledRiskPosition[];
  asOf: string | undefined;
}

export interface RiskInputs {
  readonly accountRows: readonly AccountRow[];
  readonly rules: MarginRuleSet;
  readonly positions: ReadonlyMap<string, AccountPositions>;
}

/**
 * Locks `accounts` (undefined: every account with a position or risk settings) and reads what evaluating them
 * needs: their settings, the margin rules and their positions marked at the latest close on or before `asOf`.
 */
export async function readRiskInputs(
  client: PoolClient,
  accounts: readonly string[] | undefined,
  asOf: string | undefined,
): Promise<RiskInputs> {
  const { rows: accountRows } = await client.query<AccountRow>(
    `SELECT a.id, a.base_currency, coalesce(r.collateral, 0) AS collateral, r.gross_exposure_limit,
       r.net_exposure_limit, r.instrument_concentration_limit, r.sector_concentration_limit
     FROM accounts a LEFT JOIN risk_accounts r ON r.account_id = a.id
     WHERE ($1::text[] IS NULL OR a.id = ANY($1::text[]))
       AND (r.account_id IS NOT NULL OR EXISTS (SELECT 1 FROM positions p WHERE p.account_id = a.id))
     ORDER BY a.id`,
    [accounts ?? null],
  );
  const ids = accountRows.map((row) => row.id);
  const positions = new Map<string, AccountPositions>();
  if (ids.length === 0) return { accountRows, rules: { default: REG_T_FINRA_4210, overrides: new Map() }, positions };
  // Bounded (lib/db/locks.ts): an end-of-day run over 2,000 accounts took 2,000 locks of the shared lock table.
  await lockKeyBuckets(client, RISK_LOCK_CLASS, ids);
  const rules = await loadMarginRules(client);
  const { rows: positionRows } = await client.query<PositionRow>(
    // The latest close once per instrument and the FX rate once per currency, base and date (not per position:
    // an end-of-day run reads every position of every account).
    `WITH held AS MATERIALIZED (
       SELECT p.account_id, p.isin, p.currency, p.quantity, p.open_cost_base, p.realized_base, a.base_currency
       FROM positions p JOIN accounts a ON a.id = p.account_id WHERE p.account_id = ANY($1::text[])),
     closes AS MATERIALIZED (
       SELECT i.isin, lp.price, lp.price_date FROM (SELECT DISTINCT isin FROM held) i
       LEFT JOIN LATERAL (
         SELECT rp.price, rp.price_date FROM reference_prices rp
         WHERE rp.isin = i.isin AND ($2::date IS NULL OR rp.price_date <= $2::date)
         ORDER BY rp.price_date DESC LIMIT 1
       ) lp ON true),
     rates AS MATERIALIZED (
       SELECT c, b, d, fx_rate_to_base(c, b, d) AS fx
       FROM (SELECT DISTINCT h.currency AS c, h.base_currency AS b, cl.price_date AS d
             FROM held h JOIN closes cl ON cl.isin = h.isin WHERE cl.price_date IS NOT NULL) k)
     SELECT h.account_id, h.isin, h.quantity, h.open_cost_base, h.realized_base, s.sector, cl.price,
       to_char(cl.price_date, 'YYYY-MM-DD') AS price_date, r.fx
     FROM held h
     JOIN closes cl ON cl.isin = h.isin
     LEFT JOIN rates r ON r.c = h.currency AND r.b = h.base_currency AND r.d = cl.price_date
     LEFT JOIN instrument_sectors s ON s.isin = h.isin`,
    [ids, asOf ?? null],
  );
  for (const row of positionRows) {
    const entry = positions.get(row.account_id) ?? { list: [], asOf: undefined };
    entry.list.push({
      isin: row.isin.trim(),
      sector: row.sector ?? undefined,
      quantity: parseScaled(row.quantity),
      price: row.price === null ? undefined : parseScaled(row.price),
      fxRate: row.fx === null ? undefined : parseScaled(row.fx),
      openCostBase: parseScaled(row.open_cost_base),
      realizedBase: parseScaled(row.realized_base),
    });
    if (row.price_date !== null && (entry.asOf === undefined || row.price_date > entry.asOf))
      entry.asOf = row.price_date;
    positions.set(row.account_id, entry);
  }
  return { accountRows, rules, positions };
}

/** Exposure and margin of one account (equity = collateral + realized + unrealized). */
export function accountRisk(
  row: AccountRow,
  positions: AccountPositions | undefined,
  rules: MarginRuleSet,
): AccountRisk {
  const scaled = accountExposureScaled(positions?.list ?? []);
  const { exposure } = scaled;
  const collateral = parseScaled(row.collateral);
  const scale = Math.max(scaled.scale, collateral.scale);
  const equity = {
    units: unitsAt(collateral, scale) + (scaled.realized + scaled.unrealized) * pow10(scale - scaled.scale),
    scale,
  };
  const margin = accountMarginScaled(
    exposure.instruments.map((line) => line.isin),
    scaled.marketValues,
    scaled.scale,
    equity,
    rules,
  );
  return {
    accountId: row.id,
    baseCurrency: row.base_currency,
    exposure,
    margin,
    pricesAsOf: positions?.asOf,
    marketValues: scaled.marketValues,
    scale: scaled.scale,
  };
}

/** The columns of a snapshot that an evaluation writes (the var_* columns are the end-of-day run's). */
const SNAPSHOT_COLUMNS = [
  'account_id',
  'base_currency',
  'computed_at',
  'prices_as_of',
  'long_market_value',
  'short_market_value',
  'gross_exposure',
  'net_exposure',
  'equity',
  'initial_requirement',
  'maintenance_requirement',
  'excess_over_initial',
  'excess_over_maintenance',
  'margin_call',
  'detail',
] as const;

/** A snapshot's `detail`: its instrument and sector lines, exact, and the positions it could not value. */
function detailOf(risk: AccountRisk): string {
  return JSON.stringify({
    instruments: risk.exposure.instruments.map((l) => ({
      isin: l.isin,
      sector: l.sector,
      marketValue: l.marketValue.toFixed(),
      concentration: l.concentration.toFixed(),
    })),
    sectors: risk.exposure.sectors.map((s) => ({
      sector: s.sector,
      grossMarketValue: s.grossMarketValue.toFixed(),
      concentration: s.concentration.toFixed(),
    })),
    unvalued: risk.exposure.unvalued,
  });
}

/**
 * Upserts each account's current snapshot, exact (rounding is the reader's, once, to the base currency). COPY into
 * a temporary table, then one upsert from it: 2,000 snapshots as array parameters (`unnest($n::jsonb[])`) took
 * PostgreSQL 4–5 s to parse under load, the array literal of their details being most of it.
 */
async function writeSnapshots(client: PoolClient, risks: readonly AccountRisk[], at: string): Promise<void> {
  if (risks.length === 0) return;
  await client.query(`CREATE TEMP TABLE risk_snapshots_in (LIKE risk_snapshots INCLUDING DEFAULTS) ON COMMIT DROP`);
  await copyRows(
    client,
    'risk_snapshots_in',
    SNAPSHOT_COLUMNS,
    (function* rows() {
      for (const r of risks)
        yield copyRow([
          r.accountId,
          r.baseCurrency,
          at,
          r.pricesAsOf,
          r.exposure.longMarketValue.toFixed(),
          r.exposure.shortMarketValue.toFixed(),
          r.exposure.grossExposure.toFixed(),
          r.exposure.netExposure.toFixed(),
          r.margin.equity.toFixed(),
          r.margin.initialRequirement.toFixed(),
          r.margin.maintenanceRequirement.toFixed(),
          r.margin.excessOverInitial.toFixed(),
          r.margin.excessOverMaintenance.toFixed(),
          r.margin.marginCall,
          detailOf(r),
        ]);
    })(),
  );
  const updates = SNAPSHOT_COLUMNS.filter((c) => c !== 'account_id').map((c) => `${c} = EXCLUDED.${c}`);
  await client.query(
    `INSERT INTO risk_snapshots (${SNAPSHOT_COLUMNS.join(', ')})
     SELECT ${SNAPSHOT_COLUMNS.join(', ')} FROM risk_snapshots_in
     ON CONFLICT (account_id) DO UPDATE SET ${updates.join(', ')}`,
  );
  await client.query('DROP TABLE risk_snapshots_in');
}
