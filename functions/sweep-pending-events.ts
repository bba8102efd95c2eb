/**
 * `sweepPendingEvents`: on a schedule (serverless.yml; `sls offline` runs it locally too). Rejects the held amends
 * and cancels whose trade's NEW was rejected or whose wait (PENDING_EVENT_MAX_WAIT_SECONDS) is over, so that they
 * end even on a partition where no new trade arrives to run a persistence batch (lib/pipeline/pending-events.ts).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';

import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { config } from '../lib/config';
import { getPool } from '../lib/db/pool';
import { getLogger } from '../lib/observability/logger';
import { getPublisher } from '../lib/kafka/producer';
import { scheduledPendingSweep, type PendingSweepSummary } from '../lib/pipeline/pending-events';

const sweep = scheduledPendingSweep({
  pool: getPool(),
  publisher: getPublisher(),
  pendingEventMaxWaitSeconds: config().pipeline.pendingEventMaxWaitSeconds,
});

export const handler = middy<unknown, PendingSweepSummary>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(() => sweep());
