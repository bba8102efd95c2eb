/**
 * What the `positions` function does with a batch of `trades.booked` records: find every position the booked
 * versions touch (including where an amend moved a trade from) and rebuild each once by replay. A redelivered or
 * reordered batch rebuilds the same rows from the same live set, so it is idempotent without any offset ledger.
 */
import { decodeRecords, type KafkaEvent } from '../kafka/decode';
import { decodeBookedTrade } from '../kafka/schemas/booked-trade';
import type { PositionKey } from './live-events';
import type { PositionStore, RebuildResult } from './store';

export interface PositionsSummary extends RebuildResult {
  readonly records: number;
  /** Records that were not a valid trades.booked event: logged, skipped (a retry cannot fix them). */
  readonly undecodable: number;
}

export async function positionsFromBookedTrades(event: KafkaEvent, store: PositionStore): Promise<PositionsSummary> {
  const decoded = decodeRecords(event, decodeBookedTrade);
  const keys: PositionKey[] = [];
  const tradeIds: string[] = [];
  for (const record of decoded) {
    if (!record.ok) continue;
    keys.push({ accountId: record.value.trade.account, isin: record.value.trade.isin });
    tradeIds.push(record.value.trade.tradeId);
  }
  const result = await store.rebuild([...keys, ...(await store.keysOfTrades(tradeIds))]);
  return { ...result, records: decoded.length, undecodable: decoded.filter((r) => !r.ok).length };
}
