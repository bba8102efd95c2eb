/**
 * `settleTrades`: on `trades.booked`. Builds, replaces or cancels settlement instructions, nets them, and
 * publishes to `settlement.instructions` from the outbox after the batch's transaction commits.
 */
import { kafkaFunction } from '../lib/lambda/kafka-function';

import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import { getPublisher } from '../lib/kafka/producer';
import { settleTradesHandler } from '../lib/settlement/handlers';

export const handler = kafkaFunction(
  Stage.SETTLE_TRADES,
  settleTradesHandler({ pool: getPool(), publisher: getPublisher() }),
);
