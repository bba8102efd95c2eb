/**
 * `riskPositions`: on `positions.changed`. Re-evaluates each touched account's exposure, margin and alerts, and
 * publishes the alerts raised or cleared to risk.alerts (lib/risk/on-position-changes.ts).
 */
import { kafkaFunction } from '../lib/lambda/kafka-function';

import { getPool } from '../lib/db/pool';
import { Stage } from '../lib/kafka/dead-letter';
import { getPublisher } from '../lib/kafka/producer';
import { riskPositionsHandler } from '../lib/risk/handlers';

export const handler = kafkaFunction(
  Stage.RISK_POSITIONS,
  riskPositionsHandler({ pool: getPool(), publisher: getPublisher() }),
);
