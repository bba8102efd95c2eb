/**
 * What the `positions` function does with a batch of `trades.booked` records: find every position the booked
 * versions touch (including where an amend moved a trade from) and rebuild each once by replay. A redelivered or
 * reordered batch rebuilds the same rows from the same live set, so it is idempotent without any offset ledger.
 * Then it sends the positions.changed records the rebuild put in its outbox (change-outbox.ts), for risk.
 */
import type { DeadLetterStore } from '../db/dead-letter-store';
import { Stage } from '../kafka/dead-letter';
import { decodeRecords, type KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { decodeBookedTrade } from '../kafka/schemas/booked-trade';
import type { PositionKey } from './live-events';
import type { PositionStore, RebuildResult } from './store';

export interface PositionsSummary extends RebuildResult {
  readonly records: number;
  /** Records that were not a valid trades.booked event: dead-lettered (a retry cannot fix them). */
  readonly undecodable: number;
  /** Of those, the dead letters this call recorded (a redelivered batch: 0), the DeadLettered metric. */
  readonly deadLettered: number;
  /** positions.changed records sent by this batch (its own changes and any a crash left in the outbox). */
  readonly changesPublished: number;
}

export interface PositionsDeps {
  readonly store: PositionStore;
  readonly deadLetters: DeadLetterStore;
  readonly publisher: EventPublisher;
  /** Sends the pending positions.changed records (change-outbox.ts); returns how many. */
  readonly publishChanges: () => Promise<number>;
}

export async function positionsFromBookedTrades(event: KafkaEvent, deps: PositionsDeps): Promise<PositionsSummary> {
  const decoded = decodeRecords(event, decodeBookedTrade);
  const keys: PositionKey[] = [];
  const tradeIds: string[] = [];
  for (const record of decoded) {
    if (!record.ok) continue;
    keys.push({ accountId: record.value.trade.account, isin: record.value.trade.isin });
    tradeIds.push(record.value.trade.tradeId);
  }
  const undecodable = decoded.flatMap((record) => (record.ok ? [] : [record]));
  const deadLettered = await deps.deadLetters.record(Stage.POSITIONS, undecodable, new Date().toISOString());
  const result = await deps.store.rebuild([...keys, ...(await deps.store.keysOfTrades(tradeIds))]);
  const changesPublished = await deps.publishChanges();
  await deps.deadLetters.publishPending(Stage.POSITIONS, deps.publisher);
  return { ...result, records: decoded.length, undecodable: undecodable.length, deadLettered, changesPublished };
}
