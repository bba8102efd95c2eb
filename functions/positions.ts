/** `positions`: on `trades.booked`. Rebuilds every touched position by replay of its live trade set. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

import { withFailurePolicy, type BatchResult } from '../lib/lambda/kafka-failures';
import { releaseAfterLocalInvoke } from '../lib/lambda/local-invoke';

import { PgDeadLetterStore } from '../lib/db/dead-letter-store';
import { PgStageHeartbeatStore } from '../lib/db/stage-heartbeat-store';
import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import type { KafkaEvent } from '../lib/kafka/decode';
import { getPublisher } from '../lib/kafka/producer';
import { getLogger } from '../lib/observability/logger';
import { withBatchMetrics } from '../lib/observability/metrics';
import { positionsFromBookedTrades, type PositionsSummary } from '../lib/positions/on-booked-trades';
import { PgPositionStore } from '../lib/positions/store';

const deps = {
  store: new PgPositionStore(getPool()),
  deadLetters: new PgDeadLetterStore(getPool()),
  heartbeats: new PgStageHeartbeatStore(getPool()),
  publisher: getPublisher(),
};

export const handler = middy<KafkaEvent, BatchResult<PositionsSummary>>()
  .use(injectLambdaContext(getLogger()))
  .use(releaseAfterLocalInvoke())
  .handler(
    withBatchMetrics(
      Stage.POSITIONS,
      withFailurePolicy(
        Stage.POSITIONS,
        async (event) => {
          const summary = await positionsFromBookedTrades(event, deps);
          // A position that cannot be built (missing FX, conflicting versions) needs a person; retrying would not help.
          for (const failure of summary.failures) getLogger().error('position not rebuilt', { ...failure });
          return summary;
        },
        deps,
      ),
    ),
  );
