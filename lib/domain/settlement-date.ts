/**
 * Settlement cycles (T+n) as data, and the settlement date they give on a market's business-day calendar.
 */
import { HolidayCalendar, toDayNumber } from './calendar';

/** From `effectiveFrom` (a trade date, inclusive) trades of this market and instrument type settle T+`days`. */
export interface SettlementCycleRule {
  /** Settlement market ('US', 'EU', 'UK') or a MIC when one venue differs from its market. */
  readonly market: string;
  readonly instrumentType: string;
  readonly effectiveFrom: string;
  readonly days: number;
}

/**
 * The platform's default cycles. A rule applies until a later rule of the same market and type takes effect.
 * - US: T+3 from 1995-06-07, T+2 from 2017-09-05, T+1 for trades from 2024-05-28 (SEC Rule 15c6-1 as amended).
 * - EU: T+2 since CSDR (2014-10-06), T+1 from 2027-10-11 (CSDR article 5 as amended in 2025).
 * - UK: T+2 since 2014-10-06, T+1 from 2027-10-11 (HM Treasury, Accelerated Settlement Taskforce, Feb 2025).
 */
export const DEFAULT_SETTLEMENT_CYCLES: readonly SettlementCycleRule[] = [
  { market: 'US', instrumentType: 'EQUITY', effectiveFrom: '1995-06-07', days: 3 },
  { market: 'US', instrumentType: 'EQUITY', effectiveFrom: '2017-09-05', days: 2 },
  { market: 'US', instrumentType: 'EQUITY', effectiveFrom: '2024-05-28', days: 1 },
  { market: 'US', instrumentType: 'ETF', effectiveFrom: '2017-09-05', days: 2 },
  { market: 'US', instrumentType: 'ETF', effectiveFrom: '2024-05-28', days: 1 },
  { market: 'EU', instrumentType: 'EQUITY', effectiveFrom: '2014-10-06', days: 2 },
  { market: 'EU', instrumentType: 'EQUITY', effectiveFrom: '2027-10-11', days: 1 },
  { market: 'EU', instrumentType: 'ETF', effectiveFrom: '2014-10-06', days: 2 },
  { market: 'EU', instrumentType: 'ETF', effectiveFrom: '2027-10-11', days: 1 },
  { market: 'UK', instrumentType: 'EQUITY', effectiveFrom: '2014-10-06', days: 2 },
  { market: 'UK', instrumentType: 'EQUITY', effectiveFrom: '2027-10-11', days: 1 },
  { market: 'UK', instrumentType: 'ETF', effectiveFrom: '2014-10-06', days: 2 },
  { market: 'UK', instrumentType: 'ETF', effectiveFrom: '2027-10-11', days: 1 },
];

/**
 * The cycle rule in force for a trade: among rules of the market and instrument type, the one with the latest
 * `effectiveFrom` on or before the trade date. `undefined` when none applies (an unknown market, or a trade
 * older than every rule): the caller reports it rather than guessing a cycle.
 */
export function resolveCycle(
  rules: readonly SettlementCycleRule[],
  market: string,
  instrumentType: string,
  tradeDate: string,
): SettlementCycleRule | undefined {
  const trade = toDayNumber(tradeDate);
  let inForce: SettlementCycleRule | undefined;
  for (const rule of rules) {
    if (rule.market !== market || rule.instrumentType !== instrumentType) continue;
    const from = toDayNumber(rule.effectiveFrom);
    if (from <= trade && (inForce === undefined || from > toDayNumber(inForce.effectiveFrom))) inForce = rule;
  }
  return inForce;
}

/**
 * Settlement date of a trade: `cycleDays` business days of the settlement calendar after the trade date.
 * With XNYS closed on 2024-05-27, Fri 2024-05-24 at T+2 and Tue 2024-05-28 at T+1 both give Wed 2024-05-29.
 */
export function settlementDate(tradeDate: string, cycleDays: number, calendar: HolidayCalendar): string {
  return calendar.addBusinessDays(tradeDate, cycleDays);
}

export const SettlementDateErrorCode = {
  SETTLEMENT_BEFORE_TRADE: 'SETTLEMENT_BEFORE_TRADE',
  SETTLEMENT_DATE_MISMATCH: 'SETTLEMENT_DATE_MISMATCH',
} as const;
export type SettlementDateErrorCode = (typeof SettlementDateErrorCode)[keyof typeof SettlementDateErrorCode];

export type SettlementDateCheck =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly error: { readonly code: SettlementDateErrorCode; readonly message: string } };

/**
 * Checks a settlement date stated by the source (FIX SettlDate) against the trade date and the date the cycle
 * gives. A date before the trade date is reported as such (it can never settle); any other difference from
 * the cycle is a mismatch. On success the value is the agreed settlement date.
 */
export function checkExplicitSettlementDate(
  tradeDate: string,
  explicitSettlementDate: string,
  expectedSettlementDate: string,
): SettlementDateCheck {
  if (toDayNumber(explicitSettlementDate) < toDayNumber(tradeDate)) {
    return {
      ok: false,
      error: {
        code: SettlementDateErrorCode.SETTLEMENT_BEFORE_TRADE,
        message: `settlement date ${explicitSettlementDate} is before trade date ${tradeDate}`,
      },
    };
  }
  if (explicitSettlementDate !== expectedSettlementDate) {
    return {
      ok: false,
      error: {
        code: SettlementDateErrorCode.SETTLEMENT_DATE_MISMATCH,
        message: `settlement date ${explicitSettlementDate} differs from ${expectedSettlementDate} given by the settlement cycle`,
      },
    };
  }
  return { ok: true, value: explicitSettlementDate };
}
