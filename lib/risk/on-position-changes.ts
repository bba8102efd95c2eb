/**
 * What the `riskPositions` function does with a batch of `positions.changed` records: decode each (an undecodable
 * one is dead-lettered to positions.deadletter, a retry cannot fix it), re-evaluate every account they touch once
 * (PgRiskService.evaluate: exposure and margin at the latest closes, the snapshot, alerts raised or cleared, one
 * transaction), then send the alerts' unsent transitions to risk.alerts (alert-outbox.ts).
 *
 * Idempotent under redelivery: the evaluation reads the positions as they are, not the record's content, so a
 * repeated record rewrites the same snapshot and finds the alerts already open (nothing raised twice); the outbox
 * has nothing left to send for them.
 */
import type { DeadLetterStore } from '../db/dead-letter-store';
import { Stage } from '../kafka/dead-letter';
import { decodeRecords, type KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { decodePositionChanged } from '../kafka/schemas/positions-changed';
import type { EvaluationSummary, PgRiskService } from './service';

export interface RiskPositionsSummary extends EvaluationSummary {
  readonly records: number;
  /** Records that were not a valid positions.changed event: dead-lettered. */
  readonly undecodable: number;
  /** Of those, the ones recorded as dead letters by this run (a redelivered batch records none again). */
  readonly deadLettered: number;
  /** risk.alerts messages sent by this batch (its own transitions and any left unsent before). */
  readonly alertsPublished: number;
}

export interface RiskPositionsDeps {
  readonly risk: Pick<PgRiskService, 'evaluate'>;
  readonly deadLetters: DeadLetterStore;
  readonly publisher: EventPublisher;
  /** Sends the unsent alert transitions (alert-outbox.ts); returns how many messages. */
  readonly publishAlerts: () => Promise<number>;
}

export async function riskFromPositionChanges(
  event: KafkaEvent,
  deps: RiskPositionsDeps,
): Promise<RiskPositionsSummary> {
  const decoded = decodeRecords(event, decodePositionChanged);
  const undecodable = decoded.flatMap((record) => (record.ok ? [] : [record]));
  const deadLettered = await deps.deadLetters.record(Stage.RISK_POSITIONS, undecodable, new Date().toISOString());
  const accounts = [...new Set(decoded.flatMap((record) => (record.ok ? [record.value.account] : [])))].sort();
  const evaluated = accounts.length === 0 ? { accounts: 0, raised: 0, cleared: 0 } : await deps.risk.evaluate(accounts);
  const alertsPublished = await deps.publishAlerts();
  await deps.deadLetters.publishPending(Stage.RISK_POSITIONS, deps.publisher);
  return {
    accounts: evaluated.accounts,
    raised: evaluated.raised,
    cleared: evaluated.cleared,
    records: decoded.length,
    undecodable: undecodable.length,
    deadLettered,
    alertsPublished,
  };
}
