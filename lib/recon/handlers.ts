/** Handler factory of reconciliation: decode `custody.statements`, reconcile, publish breaks. */
import type { Pool } from 'pg';

import { decodeRecords, type KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { decodeCustodyStatement } from '../kafka/schemas/custody-statement';
import { PgDeadLetterStore } from '../db/dead-letter-store';
import { Stage } from '../kafka/dead-letter';
import { reconcileStatements, type ReconSummary } from './service';

export function reconcileHandler(deps: { pool: Pool; publisher: EventPublisher }) {
  return async (event: KafkaEvent): Promise<ReconSummary> => {
    const decoded = decodeRecords(event, decodeCustodyStatement);
    const failures = decoded.flatMap((r) => (r.ok ? [] : [r]));
    const deadLetters = new PgDeadLetterStore(deps.pool);
    await deadLetters.record(Stage.RECONCILE, failures, new Date().toISOString());
    const summary = await reconcileStatements(
      deps,
      decoded.flatMap((r) => (r.ok ? [r.value] : [])),
      'TOPIC',
    );
    await deadLetters.publishPending(Stage.RECONCILE, deps.publisher);
    return summary;
  };
}
