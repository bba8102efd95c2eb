/** `positions`: on `trades.booked`. Rebuilds every touched position by replay of its live trade set. */
import { kafkaFunction } from '../lib/lambda/kafka-function';

import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import { getPublisher } from '../lib/kafka/producer';
import { positionsHandler } from '../lib/positions/handlers';

export const handler = kafkaFunction(Stage.POSITIONS, positionsHandler({ pool: getPool(), publisher: getPublisher() }));
