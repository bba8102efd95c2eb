/**
 * `checkDailyReport`: on a schedule after `dailyPnl`'s (serverless.yml), or invoked with `{ "date": "YYYY-MM-DD" }`.
 * Throws when the report `dailyPnl` should have stored is missing, so that its Errors alarm says so.
 * See lib/pnl/handlers.ts checkDailyReportHandler.
 */
import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { getPool } from '../lib/db/pool';
import { checkDailyReportHandler, type DailyReportInput } from '../lib/pnl/handlers';
import type { StoredReport } from '../lib/pnl/watchdog';

export const handler = middy<DailyReportInput | undefined, StoredReport>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(checkDailyReportHandler({ pool: getPool() }));
