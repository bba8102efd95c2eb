/**
 * `riskEndOfDay`: on a weekday-evening schedule after the daily P&L report (serverless.yml), or invoked with
 * `{ "date": "YYYY-MM-DD" }`. Every account's exposure, margin and VaR at the date's closes, stored; the alerts the
 * day's prices raise or clear published to risk.alerts (lib/risk/end-of-day.ts). A rerun replaces the date's figures.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { getPool } from '../lib/db/pool';
import { getPublisher } from '../lib/kafka/producer';
import { getLogger } from '../lib/observability/logger';
import type { RiskEndOfDaySummary } from '../lib/risk/end-of-day';
import { riskEndOfDayHandler, type RiskEndOfDayInput } from '../lib/risk/handlers';

export const handler = middy<RiskEndOfDayInput | undefined, RiskEndOfDaySummary>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(riskEndOfDayHandler({ pool: getPool(), publisher: getPublisher() }));
