/**
 * `dailyPnl`: on a weekday-evening schedule (serverless.yml), or invoked with `{ "date": "YYYY-MM-DD" }`.
 * Without a date it reports the previous business day. Runs and stores the report; a rerun replaces it.
 */
import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { isIsoDate } from '../lib/domain/calendar';
import { getPool } from '../lib/db/pool';
import { previousBusinessDay } from '../lib/pnl/dates';
import { PgDailyReportService } from '../lib/pnl/service';

interface DailyPnlInput {
  readonly date?: unknown;
}

export interface DailyPnlResult {
  readonly reportDate: string;
  readonly positions: number;
  readonly notValued: number;
  readonly totals: readonly { readonly baseCurrency: string; readonly totalToday: string }[];
}

const service = new PgDailyReportService(getPool());

export const handler = middy<DailyPnlInput | undefined, DailyPnlResult>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(async (input) => {
    const date =
      typeof input?.date === 'string' ? input.date : previousBusinessDay(new Date().toISOString().slice(0, 10));
    if (!isIsoDate(date)) throw new RangeError(`date must be YYYY-MM-DD, got ${date}`);
    const report = await service.generate(date);
    return {
      reportDate: report.reportDate,
      positions: report.lineCount,
      notValued: report.issues.length,
      totals: report.overall.map((t) => ({ baseCurrency: t.baseCurrency, totalToday: t.totalToday })),
    };
  });
