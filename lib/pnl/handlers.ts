/**
 * Handler factories of the daily P&L report's two scheduled functions: `dailyPnl` computes and stores a date's
 * report, `checkDailyReport` fails when it is missing. functions/daily-pnl.ts and functions/check-daily-report.ts
 * wire them to the container's pool; tests wire them to theirs and to a fixed clock.
 */
import type { Pool } from 'pg';

import { isIsoDate } from '../domain/calendar';
import { previousBusinessDay } from './dates';
import { PgDailyReportService } from './service';
import { checkDailyReport, type StoredReport } from './watchdog';

/** What the schedule sends (nothing) or a person invokes with: `{ "date": "YYYY-MM-DD" }`. */
export interface DailyReportInput {
  readonly date?: unknown;
}

export interface DailyPnlResult {
  readonly reportDate: string;
  readonly positions: number;
  readonly notValued: number;
  readonly totals: readonly { readonly baseCurrency: string; readonly totalToday: string }[];
}

export interface DailyReportHandlerDeps {
  readonly pool: Pool;
  readonly now?: () => Date;
}

/**
 * The input's date, or without one the business day before today (UTC): the same date for both functions on the
 * same UTC day. A date that is not YYYY-MM-DD is a RangeError.
 */
export function reportDateOf(input: DailyReportInput | undefined, now: () => Date): string {
  const date = typeof input?.date === 'string' ? input.date : previousBusinessDay(now().toISOString().slice(0, 10));
  if (!isIsoDate(date)) throw new RangeError(`date must be YYYY-MM-DD, got ${date}`);
  return date;
}

/** Runs and stores the report of the date; a rerun replaces it. */
export function dailyPnlHandler(deps: DailyReportHandlerDeps) {
  const service = new PgDailyReportService(deps.pool);
  const now = deps.now ?? ((): Date => new Date());
  return async (input: DailyReportInput | undefined): Promise<DailyPnlResult> => {
    const report = await service.generate(reportDateOf(input, now));
    return {
      reportDate: report.reportDate,
      positions: report.lineCount,
      notValued: report.issues.length,
      totals: report.overall.map((t) => ({ baseCurrency: t.baseCurrency, totalToday: t.totalToday })),
    };
  };
}

/** The stored report of the date, or throws DailyReportMissingError (not retriable) so that the alarm fires. */
export function checkDailyReportHandler(deps: DailyReportHandlerDeps) {
  const now = deps.now ?? ((): Date => new Date());
  return async (input: DailyReportInput | undefined): Promise<StoredReport> => {
    const date = reportDateOf(input, now);
    return await checkDailyReport(deps.pool, date);
  };
}
