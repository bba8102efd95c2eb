/**
 * `dailyPnl`: on a weekday-evening schedule (serverless.yml), or invoked with `{ "date": "YYYY-MM-DD" }`.
 * Without a date it reports the previous business day. Runs and stores the report; a rerun replaces it.
 * See lib/pnl/handlers.ts dailyPnlHandler.
 */
import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { getPool } from '../lib/db/pool';
import { dailyPnlHandler, type DailyPnlResult, type DailyReportInput } from '../lib/pnl/handlers';

export const handler = middy<DailyReportInput | undefined, DailyPnlResult>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(dailyPnlHandler({ pool: getPool() }));
