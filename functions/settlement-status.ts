/**
 * `settlementStatus`: on `settlement.status`. Moves net instructions forward through their lifecycle; late and
 * duplicate reports are recorded and change nothing.
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
import { settlementStatusHandler } from '../lib/settlement/handlers';
import type { StatusSummary } from '../lib/settlement/status-service';

const failurePolicy = {
  deadLetters: new PgDeadLetterStore(getPool()),
  heartbeats: new PgStageHeartbeatStore(getPool()),
  publisher: getPublisher(),
};

export const handler = middy<KafkaEvent, BatchResult<StatusSummary>>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(
    withBatchMetrics(
      Stage.SETTLEMENT_STATUS,
      withFailurePolicy(
        Stage.SETTLEMENT_STATUS,
        settlementStatusHandler({ pool: getPool(), publisher: getPublisher() }),
        failurePolicy,
      ),
    ),
  );
