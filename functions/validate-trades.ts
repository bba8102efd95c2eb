/**
 * `validateTrades`: on `trades.captured`. A thrown error (database or broker unavailable) fails the batch and Lambda
 * redelivers it whole; the capture ledger makes that redelivery a no-op for what was already done.
 */
import { kafkaFunction } from '../lib/lambda/kafka-function';

import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import { getPublisher } from '../lib/kafka/producer';
import { validateHandler } from '../lib/pipeline/handlers';

export const handler = kafkaFunction(
  Stage.VALIDATE_TRADES,
  validateHandler({ pool: getPool(), publisher: getPublisher() }),
);
