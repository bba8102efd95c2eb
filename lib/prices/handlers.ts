/**
 * Handler factory of end-of-day prices: on `prices.eod`, upsert the batch's prices (on-eod-prices.ts) and log each
 * record skipped. functions/eod-prices.ts wires it to the container's pool and publisher; tests wire it to theirs.
 */
import type { Pool } from 'pg';

import { PgDeadLetterStore } from '../db/dead-letter-store';
import type { KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { getLogger } from '../observability/logger';
import { publishPositionChanges } from '../positions/change-outbox';
import { eodPricesFromEvent, type EodPricesSummary } from './on-eod-prices';
import { PgEodPriceStore } from './store';

export interface EodPricesHandlerDeps {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
  /** Where a skipped price is reported. Default: the platform's logger, at error level. */
  readonly logError?: (message: string, fields: Readonly<Record<string, unknown>>) => void;
}

export function eodPricesHandler(deps: EodPricesHandlerDeps) {
  const stage = {
    store: new PgEodPriceStore(deps.pool),
    deadLetters: new PgDeadLetterStore(deps.pool),
    publisher: deps.publisher,
    publishChanges: () => publishPositionChanges(deps.pool, deps.publisher),
  };
  const logError = deps.logError ?? ((message, fields): void => getLogger().error(message, { ...fields }));
  return async (event: KafkaEvent): Promise<EodPricesSummary> => {
    const summary = await eodPricesFromEvent(event, stage);
    // A price that fails its schema or its instrument's rules needs a person; retrying would not help.
    for (const skipped of summary.skipped) logError('end-of-day price skipped', { ...skipped });
    return summary;
  };
}
