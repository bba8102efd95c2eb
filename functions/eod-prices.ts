/** `eodPrices`: on `prices.eod`. Upserts end-of-day prices into reference_prices (idempotent, one statement). */
import { kafkaFunction } from '../lib/lambda/kafka-function';

import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import { getPublisher } from '../lib/kafka/producer';
import { eodPricesHandler } from '../lib/prices/handlers';

export const handler = kafkaFunction(
  Stage.EOD_PRICES,
  eodPricesHandler({ pool: getPool(), publisher: getPublisher() }),
);
