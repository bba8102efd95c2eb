/**
 * `validateTrades`: on `trades.captured`. A thrown error (database or broker unavailable) fails the batch and Lambda
 * redelivers it whole; the capture ledger makes that redelivery a no-op for what was already done.
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
import { getPublisher } from '../lib/kafka/producer';
import type { KafkaEvent } from '../lib/kafka/decode';
import type { ValidationSummary } from '../lib/pipeline/validate';
import { validateHandler } from '../lib/pipeline/handlers';

const failurePolicy = {
  deadLetters: new PgDeadLetterStore(getPool()),
  heartbeats: new PgStageHeartbeatStore(getPool()),
  publisher: getPublisher(),
};

export const handler = middy<KafkaEvent, BatchResult<ValidationSummary>>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(
    withBatchMetrics(
      Stage.VALIDATE_TRADES,
      withFailurePolicy(
        Stage.VALIDATE_TRADES,
        validateHandler({ pool: getPool(), publisher: getPublisher() }),
        failurePolicy,
      ),
    ),
  );
