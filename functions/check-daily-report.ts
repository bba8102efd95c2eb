/**
 * `checkDailyReport`: on a schedule after `dailyPnl`'s (serverless.yml), or invoked with `{ "date": "YYYY-MM-DD" }`.
 * Throws when the report `dailyPnl` should have stored is missing, so that its Errors alarm says so.
 */
import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { isIsoDate } from '../lib/domain/calendar';
import { getPool } from '../lib/db/pool';
import { previousBusinessDay } from '../lib/pnl/dates';
import { checkDailyReport, type StoredReport } from '../lib/pnl/watchdog';

const pool = getPool();

export const handler = middy<{ readonly date?: unknown } | undefined, StoredReport>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler((input) => {
    // The same date dailyPnl reports when invoked without one, on the same UTC day.
    const date =
      typeof input?.date === 'string' ? input.date : previousBusinessDay(new Date().toISOString().slice(0, 10));
    if (!isIsoDate(date)) throw new RangeError(`date must be YYYY-MM-DD, got ${date}`);
    return checkDailyReport(pool, date);
  });
