/** Handler factory of reconciliation: decode `custody.statements`, reconcile, publish breaks. */
import type { Pool } from 'pg';

import { decodeRecords, type KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { decodeCustodyStatement } from '../kafka/schemas/custody-statement';
import { withTransaction } from '../db/pool';
import { recordDeadLetters } from '../settlement/dead-letters';
import { reconcileStatements, type ReconSummary } from './service';

export function reconcileHandler(deps: { pool: Pool; publisher: EventPublisher }) {
  return async (event: KafkaEvent): Promise<ReconSummary> => {
    const decoded = decodeRecords(event, decodeCustodyStatement);
    const failures = decoded.flatMap((r) => (r.ok ? [] : [r]));
    if (failures.length > 0) await withTransaction(deps.pool, (c) => recordDeadLetters(c, 'reconcile', failures));
    return reconcileStatements(
      deps,
      decoded.flatMap((r) => (r.ok ? [r.value] : [])),
      'TOPIC',
    );
  };
}
