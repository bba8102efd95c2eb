/**
 * Handler factories of risk: riskPositions, on `positions.changed`, re-evaluates the touched accounts and publishes
 * their alerts (on-position-changes.ts); riskEndOfDay runs the end-of-day risk (end-of-day.ts). functions/risk-*.ts
 * wire them to the container's pool and publisher; tests wire them to theirs.
 */
import type { Pool } from 'pg';

import { PgDeadLetterStore } from '../db/dead-letter-store';
import type { KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { reportDateOf } from '../pnl/handlers';
import { publishRiskAlerts } from './alert-outbox';
import { riskEndOfDay, type RiskEndOfDaySummary } from './end-of-day';
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

/** What the schedule sends (nothing) or a person invokes with: `{ "date": "YYYY-MM-DD" }`. */
export interface RiskEndOfDayInput {
  readonly date?: unknown;
}

/**
 * Handler factory of riskEndOfDay: the end-of-day run (end-of-day.ts) of the input's date, or without one of the
 * previous business day, the date the daily P&L report of the same evening covers.
 */
export function riskEndOfDayHandler(deps: RiskHandlerDeps & { readonly now?: () => Date }) {
  const now = deps.now ?? ((): Date => new Date());
  return (input: RiskEndOfDayInput | undefined): Promise<RiskEndOfDaySummary> =>
    riskEndOfDay(deps.pool, reportDateOf(input, now), { publisher: deps.publisher, now: now() });
}
