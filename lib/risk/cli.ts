/**
 * `posttrade risk --account A`: evaluates the account now (lib/risk/service.ts: its snapshot is stored and its
 * alerts raised or cleared, as the risk stage would) and prints the figures, each rounded once, half-even, to the
 * account's base currency (concentrations as percentages to two places). With `--as-of D` the figures at D's closes
 * are printed only (PgRiskService.preview): they replace neither the current snapshot nor any alert, and the
 * breaches they would have are listed instead. Exit 1 for an account with no positions and no risk settings.
 */
import type { RiskEodOptions, RiskOptions } from '../cli/commands';
import { CliError, UsageError } from '../cli/errors';
import type { CommandContext } from '../cli/program';
import { endPool, getPool } from '../db/pool';
import { minorUnits, roundToCurrency, type Dec } from '../domain/money';
import { getPublisher, releasePublisher } from '../kafka/producer';
import { previousBusinessDay } from '../pnl/dates';
import { PastPositionsError, riskEndOfDay } from './end-of-day';
import { PgRiskService, type AccountRisk } from './service';

/** An account's risk as JSON: amounts rounded to its base currency, rates exact. */
export function riskDocument(risk: AccountRisk, openAlerts: readonly Record<string, string>[]) {
  const money = (amount: Dec) => roundToCurrency(amount, risk.baseCurrency).toFixed(minorUnits(risk.baseCurrency));
  return {
    accountId: risk.accountId,
    baseCurrency: risk.baseCurrency,
    pricesAsOf: risk.pricesAsOf ?? null,
    longMarketValue: money(risk.exposure.longMarketValue),
    shortMarketValue: money(risk.exposure.shortMarketValue),
    grossExposure: money(risk.exposure.grossExposure),
    netExposure: money(risk.exposure.netExposure),
    equity: money(risk.margin.equity),
    initialRequirement: money(risk.margin.initialRequirement),
    maintenanceRequirement: money(risk.margin.maintenanceRequirement),
    excessOverInitial: money(risk.margin.excessOverInitial),
    excessOverMaintenance: money(risk.margin.excessOverMaintenance),
    marginCall: risk.margin.marginCall,
    instruments: risk.exposure.instruments.map((line) => ({
      isin: line.isin,
      sector: line.sector,
      marketValue: money(line.marketValue),
      concentrationPercent: line.concentration.times(100).toFixed(2),
    })),
    sectors: risk.exposure.sectors.map((line) => ({
      sector: line.sector,
      grossMarketValue: money(line.grossMarketValue),
      concentrationPercent: line.concentration.times(100).toFixed(2),
    })),
    unvalued: risk.exposure.unvalued,
    openAlerts,
  };
}

export async function riskCommand(options: RiskOptions, context: CommandContext): Promise<void> {
  const account = options.account;
  if (account === undefined) throw new UsageError("required option '--account <id>' not specified");
  try {
    const pool = getPool();
    const service = new PgRiskService(pool);
    const asOf = options.asOf;
    const previewed = asOf === undefined ? undefined : (await service.preview([account], asOf))[0];
    const risk = asOf === undefined ? (await service.evaluate([account])).risks[0] : previewed?.risk;
    if (risk === undefined) throw new CliError(`no account ${account} with positions or risk settings`);
    const { rows } = await pool.query<Record<string, string>>(
      `SELECT kind, subject, value::text, limit_value::text AS "limit", to_char(raised_at AT TIME ZONE 'UTC',
         'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "raisedAt"
       FROM risk_alerts WHERE account_id = $1 AND cleared_at IS NULL ORDER BY alert_id`,
      [account],
    );
    const breaches = (previewed?.breaches ?? []).map((b) => ({
      kind: b.kind,
      subject: b.subject,
      value: b.value.toFixed(),
      limit: b.limit.toFixed(),
    }));
    const doc = {
      ...riskDocument(risk, rows),
      ...(asOf === undefined ? {} : { asOf, stored: false, breachesAsOf: breaches }),
    };
    if (options.format === 'json') {
      context.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
      return;
    }
    const lines = [
      `${doc.accountId} (${doc.baseCurrency}), prices as of ${doc.pricesAsOf ?? 'none'}` +
        (asOf === undefined ? '' : ` (as of ${asOf}: printed only, not stored; positions are the current ones)`),
      `  long ${doc.longMarketValue}  short ${doc.shortMarketValue}  gross ${doc.grossExposure}  net ${doc.netExposure}`,
      `  equity ${doc.equity}  initial ${doc.initialRequirement}  maintenance ${doc.maintenanceRequirement}`,
      `  excess over initial ${doc.excessOverInitial}  over maintenance ${doc.excessOverMaintenance}` +
        (doc.marginCall ? '  MARGIN CALL' : ''),
      ...doc.sectors.map((s) => `  sector ${s.sector}: ${s.grossMarketValue} (${s.concentrationPercent} %)`),
      ...doc.unvalued.map((isin) => `  not valued (no price or FX): ${isin}`),
      ...breaches.map((b) => `  breach as of ${asOf ?? ''} ${b.kind} ${b.subject} value ${b.value} limit ${b.limit}`),
      ...doc.openAlerts.map((a) => `  open alert ${a.kind} ${a.subject} value ${a.value} limit ${a.limit}`),
    ];
    context.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await endPool();
  }
}

/**
 * `posttrade risk eod [--date D]`: the end-of-day risk run of D (lib/risk/end-of-day.ts), as the schedule runs it,
 * then its alerts published to risk.alerts. Prints how many accounts have a VaR and why the others have none.
 */
export async function riskEodCommand(options: RiskEodOptions, context: CommandContext): Promise<void> {
  try {
    const date = options.date ?? previousBusinessDay(new Date().toISOString().slice(0, 10));
    const summary = await riskEndOfDay(getPool(), date, { publisher: getPublisher() }).catch((error: unknown) => {
      throw error instanceof PastPositionsError ? new CliError(error.message, undefined, { cause: error }) : error;
    });
    if (options.format === 'json') {
      context.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    const without = Object.entries(summary.withoutVar).map(([code, n]) => `${n} ${code}`);
    context.stdout.write(
      `risk end of day ${summary.date}: ${summary.accounts} account(s), VaR for ${summary.withVar}` +
        (without.length === 0 ? '' : ` (none for ${without.join(', ')})`) +
        `, ${summary.scenarioDates} scenario date(s); alerts raised ${summary.raised}, cleared ${summary.cleared},` +
        ` published ${summary.alertsPublished}\n`,
    );
  } finally {
    await releasePublisher();
    await endPool();
  }
}
