/**
 * What the `positions` function does with a batch of `trades.booked` records: find every position the booked
 * versions touch (including where an amend moved a trade from) and rebuild each once by replay. A redelivered or
 * reordered batch rebuilds the same rows from the same live set, so it is idempotent without any offset ledger.
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
}

export interface PositionsDeps {
  readonly store: PositionStore;
  readonly deadLetters: DeadLetterStore;
  readonly publisher: EventPublisher;
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
  await deps.deadLetters.record(Stage.POSITIONS, undecodable, new Date().toISOString());
  const result = await deps.store.rebuild([...keys, ...(await deps.store.keysOfTrades(tradeIds))]);
  await deps.deadLetters.publishPending(Stage.POSITIONS, deps.publisher);
  return { ...result, records: decoded.length, undecodable: undecodable.length };
}
