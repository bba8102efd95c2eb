/** Handler factory of reconciliation: decode `custody.statements`, reconcile, publish breaks. */
import type { Pool } from 'pg';

import { decodeRecords, type KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { decodeCustodyStatement } from '../kafka/schemas/custody-statement';
import { PgDeadLetterStore } from '../db/dead-letter-store';
import { Stage } from '../kafka/dead-letter';
import { traceContextsBy } from '../observability/correlation';
import { reconcileStatements, type ReconSummary } from './service';

export function reconcileHandler(deps: { pool: Pool; publisher: EventPublisher }) {
  return async (event: KafkaEvent): Promise<ReconSummary & { readonly deadLettered: number }> => {
    const decoded = decodeRecords(event, decodeCustodyStatement);
    const failures = decoded.flatMap((r) => (r.ok ? [] : [r]));
    const deadLetters = new PgDeadLetterStore(deps.pool);
    // How many this call recorded (a redelivered batch: 0): the DeadLettered metric.
    const deadLettered = await deadLetters.record(Stage.RECONCILE, failures, new Date().toISOString());
    const summary = await reconcileStatements(
      deps,
      decoded.flatMap((r) => (r.ok ? [r.value] : [])),
      'TOPIC',
      // A statement's arrival is its capture: without a correlation-id header its coordinates name it.
      traceContextsBy(decoded, (statement) => statement.statementId, { isCapture: true }),
    );
    await deadLetters.publishPending(Stage.RECONCILE, deps.publisher);
    return { ...summary, deadLettered };
  };
}
