/**
 * Handler factory of riskPositions: on `positions.changed`, re-evaluate the touched accounts and publish their
 * alerts (on-position-changes.ts). functions/risk-positions.ts wires it to the container's pool and publisher;
 * tests wire it to theirs.
 */
import type { Pool } from 'pg';

import { PgDeadLetterStore } from '../db/dead-letter-store';
import type { KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { publishRiskAlerts } from './alert-outbox';
import { riskFromPositionChanges, type RiskPositionsSummary } from './on-position-changes';
import { PgRiskService } from './service';

export interface RiskHandlerDeps {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
}

export function riskPositionsHandler(deps: RiskHandlerDeps) {
  const stage = {
    risk: new PgRiskService(deps.pool),
    deadLetters: new PgDeadLetterStore(deps.pool),
    publisher: deps.publisher,
    publishAlerts: () => publishRiskAlerts(deps.pool, deps.publisher),
  };
  return (event: KafkaEvent): Promise<RiskPositionsSummary> => riskFromPositionChanges(event, stage);
}
