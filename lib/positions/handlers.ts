/**
 * Handler factory of positions: on `trades.booked`, rebuild every touched position (on-booked-trades.ts) and log
 * each one that could not be built. functions/positions.ts wires it to the container's pool and publisher; tests
 * wire it to theirs.
 */
import type { Pool } from 'pg';

import { PgDeadLetterStore } from '../db/dead-letter-store';
import type { KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { getLogger } from '../observability/logger';
import { publishPositionChanges } from './change-outbox';
import { positionsFromBookedTrades, type PositionsSummary } from './on-booked-trades';
import { PgPositionStore } from './store';

export interface PositionsHandlerDeps {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
  /** Where a position that was not rebuilt is reported. Default: the platform's logger, at error level. */
  readonly logError?: (message: string, fields: Readonly<Record<string, unknown>>) => void;
}

export function positionsHandler(deps: PositionsHandlerDeps) {
  const stage = {
    store: new PgPositionStore(deps.pool),
    deadLetters: new PgDeadLetterStore(deps.pool),
    publisher: deps.publisher,
    publishChanges: () => publishPositionChanges(deps.pool, deps.publisher),
  };
  const logError = deps.logError ?? ((message, fields): void => getLogger().error(message, { ...fields }));
  return async (event: KafkaEvent): Promise<PositionsSummary> => {
    const summary = await positionsFromBookedTrades(event, stage);
    // A position that cannot be built (missing FX, conflicting versions) needs a person; retrying would not help.
    for (const failure of summary.failures) logError('position not rebuilt', { ...failure });
    return summary;
  };
}
