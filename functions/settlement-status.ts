/**
 * `settlementStatus`: on `settlement.status`. Moves net instructions forward through their lifecycle; late and
 * duplicate reports are recorded and change nothing.
 */
import { kafkaFunction } from '../lib/lambda/kafka-function';

import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import { getPublisher } from '../lib/kafka/producer';
import { settlementStatusHandler } from '../lib/settlement/handlers';

export const handler = kafkaFunction(
  Stage.SETTLEMENT_STATUS,
  settlementStatusHandler({ pool: getPool(), publisher: getPublisher() }),
);
