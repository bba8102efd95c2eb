/**
 * Did the daily report run? The scheduled `dailyPnl` invocation can fail silently from the platform's point of view —
 * the schedule disabled, the invocation throttled or timed out, the function never invoked — and CloudWatch cannot
 * alarm on a metric that weekends leave missing by design. `checkDailyReport` is invoked on its own schedule after
 * the report's and fails (so its Errors alarm fires) when the expected date's report is not stored.
 */
import type { Pool } from 'pg';

import { toDbError } from '../db/errors';

/** The report that should exist is not stored: a person must look (rerun with `{ "date": ... }`). */
export class DailyReportMissingError extends Error {
  override readonly name: string = 'DailyReportMissingError';
  readonly retriable = false;
  constructor(readonly reportDate: string) {
    super(`no daily P&L report is stored for ${reportDate}: the scheduled run did not complete`);
  }
}

export interface StoredReport {
  readonly reportDate: string;
  readonly generatedAt: string;
  readonly lineCount: number;
}

/** The stored report of `reportDate`, or throws {@link DailyReportMissingError}. */
export async function checkDailyReport(pool: Pool, reportDate: string): Promise<StoredReport> {
  let rows: { generated_at: Date; line_count: number }[];
  try {
    ({ rows } = await pool.query<{ generated_at: Date; line_count: number }>(
      'SELECT generated_at, line_count FROM daily_pnl_reports WHERE report_date = $1',
      [reportDate],
    ));
  } catch (error) {
    throw toDbError(error, 'could not read the daily report');
  }
  const row = rows[0];
  if (row === undefined) throw new DailyReportMissingError(reportDate);
  return { reportDate, generatedAt: row.generated_at.toISOString(), lineCount: row.line_count };
}
