/**
 * Wire schema of `risk.alerts`, version 1: a risk alert raised or cleared (lib/domain/risk-alerts.ts), keyed by
 * account. Each alert is published once when raised and once when cleared, from the `risk_alerts` outbox
 * (lib/risk/alert-outbox.ts). A crash between sending and marking can send a transition again: consumers
 * de-duplicate on (`alertId`, `transition`), which a resend repeats exactly.
 */
import { z } from 'zod';

import { RiskAlertKind } from '../../domain/risk-alerts';
import { decimalString, identifier, storableText, timestamp } from './storable';

export const RiskAlertTransition = { RAISED: 'RAISED', CLEARED: 'CLEARED' } as const;
export type RiskAlertTransition = (typeof RiskAlertTransition)[keyof typeof RiskAlertTransition];

export const RiskAlertEventV1Schema = z.object({
  schemaVersion: z.literal(1),
  /** The alert's id (risk_alerts.alert_id), the same on its RAISED and its CLEARED event. */
  alertId: z.string().regex(/^[1-9][0-9]*$/, 'must be a positive integer as a string'),
  transition: z.enum([RiskAlertTransition.RAISED, RiskAlertTransition.CLEARED]),
  account: identifier,
  kind: z.enum([
    RiskAlertKind.MARGIN_CALL,
    RiskAlertKind.GROSS_EXPOSURE_LIMIT,
    RiskAlertKind.NET_EXPOSURE_LIMIT,
    RiskAlertKind.INSTRUMENT_CONCENTRATION,
    RiskAlertKind.SECTOR_CONCENTRATION,
  ]),
  /** '' for an account-wide alert, else the ISIN or sector concerned. */
  subject: storableText({ max: 64 }),
  /** The breaching figure and what it was held against, at raising (base currency amounts, or rates), exact. */
  value: decimalString,
  limit: decimalString,
  raisedAt: timestamp,
  /** Present on CLEARED only. */
  clearedAt: timestamp.optional(),
});
export type RiskAlertEventV1 = z.infer<typeof RiskAlertEventV1Schema>;
