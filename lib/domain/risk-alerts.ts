/**
 * Risk alerts (issue 19): which limits an account breaches now, and how that changes the alerts already open.
 *
 * An alert is open per (account, kind, subject) from the evaluation that first finds the breach to the first one
 * that finds it resolved: raised once per breach, however many evaluations see it, and cleared when it resolves
 * (a later breach of the same limit is a new alert). The subject is '' for an account-wide alert, else the ISIN or
 * sector concerned. Limits are per account (table `risk_accounts`); a limit left empty is not checked.
 *
 * | kind                       | breached when                                                          |
 * | -------------------------- | ---------------------------------------------------------------------- |
 * | MARGIN_CALL                | equity < maintenance requirement (risk-margin.ts)                      |
 * | GROSS_EXPOSURE_LIMIT       | gross exposure > the account's gross limit                             |
 * | NET_EXPOSURE_LIMIT         | |net exposure| > the account's net limit                               |
 * | INSTRUMENT_CONCENTRATION   | an instrument's |market value| / gross > the instrument limit (a rate)  |
 * | SECTOR_CONCENTRATION       | a sector's gross market value / gross > the sector limit (a rate)       |
 *
 * Limits are exclusive: exactly at the limit is no breach.
 */
import type { Exposure } from './risk-exposure';
import type { Margin } from './risk-margin';
import type { Dec } from './money';

export const RiskAlertKind = {
  MARGIN_CALL: 'MARGIN_CALL',
  GROSS_EXPOSURE_LIMIT: 'GROSS_EXPOSURE_LIMIT',
  NET_EXPOSURE_LIMIT: 'NET_EXPOSURE_LIMIT',
  INSTRUMENT_CONCENTRATION: 'INSTRUMENT_CONCENTRATION',
  SECTOR_CONCENTRATION: 'SECTOR_CONCENTRATION',
} as const;
export type RiskAlertKind = (typeof RiskAlertKind)[keyof typeof RiskAlertKind];

export interface RiskLimits {
  readonly grossExposureLimit: Dec | undefined;
  readonly netExposureLimit: Dec | undefined;
  /** A rate of gross exposure, e.g. 0.25. */
  readonly instrumentConcentrationLimit: Dec | undefined;
  readonly sectorConcentrationLimit: Dec | undefined;
}

export const NO_LIMITS: RiskLimits = {
  grossExposureLimit: undefined,
  netExposureLimit: undefined,
  instrumentConcentrationLimit: undefined,
  sectorConcentrationLimit: undefined,
};

export interface AlertKey {
  readonly kind: RiskAlertKind;
  readonly subject: string;
}

export interface Breach extends AlertKey {
  /** The measured figure: equity (margin call), an exposure, or a concentration rate. */
  readonly value: Dec;
  /** What it is held against: the maintenance requirement, or the limit. */
  readonly limit: Dec;
}

/** Every breach of `limits` (and the margin call) in an account's exposure and margin, in a stable order. */
export function riskBreaches(exposure: Exposure, margin: Margin, limits: RiskLimits): Breach[] {
  const breaches: Breach[] = [];
  if (margin.marginCall)
    breaches.push({
      kind: RiskAlertKind.MARGIN_CALL,
      subject: '',
      value: margin.equity,
      limit: margin.maintenanceRequirement,
    });
  const gross = limits.grossExposureLimit;
  if (gross !== undefined && exposure.grossExposure.gt(gross))
    breaches.push({
      kind: RiskAlertKind.GROSS_EXPOSURE_LIMIT,
      subject: '',
      value: exposure.grossExposure,
      limit: gross,
    });
  const net = limits.netExposureLimit;
  if (net !== undefined && exposure.netExposure.abs().gt(net))
    breaches.push({ kind: RiskAlertKind.NET_EXPOSURE_LIMIT, subject: '', value: exposure.netExposure, limit: net });
  const instrument = limits.instrumentConcentrationLimit;
  if (instrument !== undefined)
    for (const line of exposure.instruments)
      if (line.concentration.gt(instrument))
        breaches.push({
          kind: RiskAlertKind.INSTRUMENT_CONCENTRATION,
          subject: line.isin,
          value: line.concentration,
          limit: instrument,
        });
  const sector = limits.sectorConcentrationLimit;
  if (sector !== undefined)
    for (const line of exposure.sectors)
      if (line.concentration.gt(sector))
        breaches.push({
          kind: RiskAlertKind.SECTOR_CONCENTRATION,
          subject: line.sector,
          value: line.concentration,
          limit: sector,
        });
  return breaches;
}

const keyOf = (key: AlertKey): string => `${key.kind}/${key.subject}`;

/** What an evaluation does to the open alerts: breaches not yet open are raised, open ones no longer breached cleared. */
export function alertTransitions(
  open: readonly AlertKey[],
  breaches: readonly Breach[],
): { readonly raise: readonly Breach[]; readonly clear: readonly AlertKey[] } {
  const openKeys = new Set(open.map(keyOf));
  const breached = new Set(breaches.map(keyOf));
  return {
    raise: breaches.filter((breach) => !openKeys.has(keyOf(breach))),
    clear: open.filter((alert) => !breached.has(keyOf(alert))),
  };
}

/** True when `text` names an alert kind. */
export function isRiskAlertKind(text: string): text is RiskAlertKind {
  return (Object.values(RiskAlertKind) as string[]).includes(text);
}
