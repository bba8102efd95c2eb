/**
 * `persistTrades`: on `trades.validated`. Books the batch in one transaction, then publishes each newly booked
 * version to `trades.booked`; a failed publish fails the batch and the retry publishes what was missed.
 */
import { kafkaFunction } from '../lib/lambda/kafka-function';

import { config } from '../lib/config';
import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import { getPublisher } from '../lib/kafka/producer';
import { persistHandler } from '../lib/pipeline/handlers';

export const handler = kafkaFunction(
  Stage.PERSIST_TRADES,
  persistHandler({
    pool: getPool(),
    publisher: getPublisher(),
    pendingEventMaxWaitSeconds: config().pipeline.pendingEventMaxWaitSeconds,
  }),
);
