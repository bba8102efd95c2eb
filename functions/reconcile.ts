/**
 * `reconcile`: on `custody.statements`. Reconciles each statement against our settled books, stores and ages the
 * breaks, resolves those a later statement agrees with, and publishes to `recon.breaks`.
 */
import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { withBatchMetrics } from '../lib/observability/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { withFailurePolicy, type BatchResult } from '../lib/lambda/kafka-failures';
import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { PgDeadLetterStore } from '../lib/db/dead-letter-store';
import { PgStageHeartbeatStore } from '../lib/db/stage-heartbeat-store';
import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import type { KafkaEvent } from '../lib/kafka/decode';
import { getPublisher } from '../lib/kafka/producer';
import { reconcileHandler } from '../lib/recon/handlers';
import type { ReconSummary } from '../lib/recon/service';

const failurePolicy = {
  deadLetters: new PgDeadLetterStore(getPool()),
  heartbeats: new PgStageHeartbeatStore(getPool()),
  publisher: getPublisher(),
};

export const handler = middy<KafkaEvent, BatchResult<ReconSummary>>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(
    withBatchMetrics(
      Stage.RECONCILE,
      withFailurePolicy(
        Stage.RECONCILE,
        reconcileHandler({ pool: getPool(), publisher: getPublisher() }),
        failurePolicy,
      ),
    ),
  );
