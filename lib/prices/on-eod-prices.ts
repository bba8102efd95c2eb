/**
 * What the `eodPrices` function does with a batch of `prices.eod` records: decode each, check it against its
 * instrument, keep the LAST record per ISIN and date (delivery order: a vendor correction follows the price it
 * corrects), and upsert the accepted prices in one statement. Undecodable records are dead-lettered and rejected
 * ones reported; both are skipped: a retry could not fix them, and they must not hold up the partition's good
 * prices.
 */
import type { DeadLetterStore } from '../db/dead-letter-store';
import { Stage } from '../kafka/dead-letter';
import { decodeRecords, type KafkaEvent, type RecordCoordinates } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { decodeEodPrice, type EodPrice } from '../kafka/schemas/eod-price';
import type { FieldError } from '../kafka/schemas/trade-event';
import { eodPriceReasons, type EodPriceReason } from './rules';
import type { EodPriceStore } from './store';

export interface EodPriceSkipped {
  readonly source: RecordCoordinates;
  readonly reasons: readonly (EodPriceReason | FieldError)[];
}

export interface EodPricesSummary {
  readonly records: number;
  /** Distinct ISIN and date pairs accepted in the batch. */
  readonly accepted: number;
  /** Rows inserted or changed (a redelivered batch writes 0). */
  readonly written: number;
  readonly skipped: readonly EodPriceSkipped[];
  /** Undecodable records this call dead-lettered (a redelivered batch: 0), the DeadLettered metric. */
  readonly deadLettered: number;
}

export interface EodPricesDeps {
  readonly store: EodPriceStore;
  readonly deadLetters: DeadLetterStore;
  readonly publisher: EventPublisher;
  /** Publishes the positions.changed outbox (lib/positions/change-outbox.ts); returns how many messages. */
  readonly publishChanges: () => Promise<number>;
}

export async function eodPricesFromEvent(event: KafkaEvent, deps: EodPricesDeps): Promise<EodPricesSummary> {
  const { store } = deps;
  const decoded = decodeRecords(event, decodeEodPrice);
  const deadLettered = await deps.deadLetters.record(
    Stage.EOD_PRICES,
    decoded.flatMap((record) => (record.ok ? [] : [record])),
    new Date().toISOString(),
  );
  const skipped: EodPriceSkipped[] = [];
  const instruments = await store.instruments([
    ...new Set(decoded.flatMap((record) => (record.ok ? [record.value.isin] : []))),
  ]);
  const latest = new Map<string, EodPrice>();
  for (const record of decoded) {
    if (!record.ok) {
      skipped.push({ source: record.record.source, reasons: record.errors });
      continue;
    }
    const reasons = eodPriceReasons(record.value, instruments.get(record.value.isin));
    if (reasons.length > 0) {
      skipped.push({ source: record.record.source, reasons });
      continue;
    }
    const key = `${record.value.isin}/${record.value.date}`;
    // Delete first so that the map's order (the upsert's row order) follows the latest delivery.
    latest.delete(key);
    latest.set(key, record.value);
  }
  const written = await store.upsert([...latest.values()]);
  // The positions revalued by a new latest close (queued by the upsert) go to positions.changed: the risk stage
  // re-evaluates their accounts' exposure and margin at it.
  await deps.publishChanges();
  await deps.deadLetters.publishPending(Stage.EOD_PRICES, deps.publisher);
  return { records: decoded.length, accepted: latest.size, written, skipped, deadLettered };
}
