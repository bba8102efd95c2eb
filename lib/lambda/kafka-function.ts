/**
 * The one shape of a Kafka-triggered function: the tracer's handler segment (tracer.ts), the Lambda context on the logger, the local-invoke release, one EMF
 * document per batch (withBatchMetrics) around the batch's correlation ids on the log (withBatchLogContext) around the
 * shared failure policy (withFailurePolicy) with this container's
 * dead-letter and heartbeat stores, around the stage's handler. `functions/<stage>.ts` builds its handler from its
 * factory and passes it here, so the middleware order is written once.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddyfiedHandler } from '@middy/core';

import { PgDeadLetterStore } from '../db/dead-letter-store';
import { getPool } from '../db/pool';
import { PgStageHeartbeatStore } from '../db/stage-heartbeat-store';
import type { Stage } from '../kafka/dead-letter';
import type { KafkaEvent } from '../kafka/decode';
import { getPublisher } from '../kafka/producer';
import { withBatchLogContext } from '../observability/log-context';
import { getLogger } from '../observability/logger';
import { getTracer, traced } from '../observability/tracer';
import { withBatchMetrics } from '../observability/metrics';
import { withFailurePolicy, type BatchResult } from './kafka-failures';
import { releaseAfterLocalInvoke } from './local-invoke';

export function kafkaFunction<R>(
  stage: Stage,
  handler: (event: KafkaEvent) => Promise<R>,
): MiddyfiedHandler<KafkaEvent, BatchResult<R>> {
  const failurePolicy = {
    deadLetters: new PgDeadLetterStore(getPool()),
    heartbeats: new PgStageHeartbeatStore(getPool()),
    publisher: getPublisher(),
  };
  // A subsegment per run of the stage's handler: a batch the failure policy splits shows each part it ran.
  const stageHandler = (event: KafkaEvent): Promise<R> => traced(`handle ${stage}`, () => handler(event));
  return middy<KafkaEvent, BatchResult<R>>()
    .use(captureLambdaHandler(getTracer(), { captureResponse: false }))
    .use(injectLambdaContext(getLogger()))
    .use(releaseAfterLocalInvoke())
    .handler(withBatchMetrics(stage, withBatchLogContext(withFailurePolicy(stage, stageHandler, failurePolicy))));
}
