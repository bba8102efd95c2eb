/**
 * `settleTrades`: on `trades.booked`. Builds, replaces or cancels settlement instructions, nets them, and
 * publishes to `settlement.instructions` from the outbox after the batch's transaction commits.
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
import { settleTradesHandler } from '../lib/settlement/handlers';
import type { SettlementSummary } from '../lib/settlement/service';

const failurePolicy = {
  deadLetters: new PgDeadLetterStore(getPool()),
  heartbeats: new PgStageHeartbeatStore(getPool()),
  publisher: getPublisher(),
};

export const handler = middy<KafkaEvent, BatchResult<SettlementSummary>>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(
    withBatchMetrics(
      Stage.SETTLE_TRADES,
      withFailurePolicy(
        Stage.SETTLE_TRADES,
        settleTradesHandler({ pool: getPool(), publisher: getPublisher() }),
        failurePolicy,
      ),
    ),
  );
