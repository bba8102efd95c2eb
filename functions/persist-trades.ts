/**
 * `persistTrades`: on `trades.validated`. Books the batch in one transaction, then publishes each newly booked
 * version to `trades.booked`; a failed publish fails the batch and the retry publishes what was missed.
 */
import middy from '@middy/core';
import { getLogger } from '../lib/observability/logger';
import { withBatchMetrics } from '../lib/observability/metrics';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { withFailurePolicy, type BatchResult } from '../lib/lambda/kafka-failures';
import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { config } from '../lib/config';
import { PgDeadLetterStore } from '../lib/db/dead-letter-store';
import { PgStageHeartbeatStore } from '../lib/db/stage-heartbeat-store';
import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import { getPublisher } from '../lib/kafka/producer';
import type { KafkaEvent } from '../lib/kafka/decode';
import type { PersistSummary } from '../lib/pipeline/persist';
import { persistHandler } from '../lib/pipeline/handlers';

const failurePolicy = {
  deadLetters: new PgDeadLetterStore(getPool()),
  heartbeats: new PgStageHeartbeatStore(getPool()),
  publisher: getPublisher(),
};

export const handler = middy<KafkaEvent, BatchResult<PersistSummary>>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(
    withBatchMetrics(
      Stage.PERSIST_TRADES,
      withFailurePolicy(
        Stage.PERSIST_TRADES,
        persistHandler({
          pool: getPool(),
          publisher: getPublisher(),
          pendingEventMaxWaitSeconds: config().pipeline.pendingEventMaxWaitSeconds,
        }),
        failurePolicy,
      ),
    ),
  );
