/**
 * The persistence stage: decoded records from `trades.validated` → booked versions (PgTradeStore.bookTrades, one
 * transaction per batch) → one `trades.booked` event per newly booked version.
 *
 * Publish-after-commit under at-least-once delivery: which versions still need publishing is re-derived from the
 * database (versions of the batch's trades without a publication row), so a batch retried after a failed publish
 * publishes what was missed and books nothing twice. A crash between sending and recording the publication sends
 * those versions again: consumers de-duplicate on `trade.execId`. Records that do not decode are dead-lettered,
 * and a version that conflicts with a booked one (same trade and version, other ExecID) is rejected as
 * VERSION_CONFLICT — both through the capture ledger, so a redelivery repeats neither.
 */
import type { TradeStore } from '../db/trade-store';
import type { ValidatedTrade } from '../domain/validation';
import type { DecodedRecord } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { encodeRejectedTradeEvent } from '../kafka/schemas/trade-event';
import { Topics } from '../kafka/topics';
import type { PgBookedTradeOutbox } from './booked-outbox';
import { CaptureOutcome, type CaptureDecision, type PgCaptureLedger } from './capture-ledger';
import { deliverDecisions } from './outbox';
import { deadLetterDecision } from './validate';

/**
 * Code of the rejection of an event the unique keys refused: its trade already has that version under another
 * ExecID, or its ExecID is already booked for another trade.
 */
export const VERSION_CONFLICT = 'VERSION_CONFLICT';

export interface PersistDeps {
  readonly trades: Pick<TradeStore, 'bookTrades' | 'recordRejections'>;
  readonly ledger: PgCaptureLedger;
  readonly bookedOutbox: PgBookedTradeOutbox;
  readonly publisher: EventPublisher;
  readonly now?: () => Date;
}

export interface PersistSummary {
  readonly received: number;
  /** Versions newly written to trade history by this call (including held ones released). */
  readonly booked: number;
  readonly held: number;
  /** Already captured ExecIDs: redeliveries, nothing changed. */
  readonly duplicates: number;
  readonly conflicts: number;
  readonly deadLettered: number;
  /** `trades.booked` events published by this call. */
  readonly published: number;
}

/** Books a batch of validated trades and publishes each newly booked version once (see module TSDoc). */
export async function persistValidatedTrades(
  records: readonly DecodedRecord<ValidatedTrade>[],
  deps: PersistDeps,
): Promise<PersistSummary> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  const decoded = records.flatMap((record) => (record.ok ? [record] : []));
  const booking = await deps.trades.bookTrades(
    decoded.map((record) => record.value),
    decoded.map((record) => record.record.source),
  );

  const sourceByExecId = new Map(decoded.map((record) => [record.value.execId, record.record.source]));
  const decisions: CaptureDecision[] = records.flatMap((record) =>
    record.ok ? [] : [deadLetterDecision(record.record, record.errors, at)],
  );
  for (const trade of booking.conflicts) {
    const source = sourceByExecId.get(trade.execId);
    // A conflicting held event released by this batch came from an earlier record; its rejection has no record
    // of this batch to hang on, so it is reported through the summary only.
    if (source === undefined) continue;
    const reasons = [
      {
        code: VERSION_CONFLICT,
        // Either the trade's version is booked under another ExecID, or this ExecID is booked for another trade
        // (two executions sharing an ExecID validated concurrently on different partitions): the unique keys
        // refuse both, so nothing is booked twice.
        message: `not booked: version ${trade.version} of trade ${trade.tradeId} or ExecID ${trade.execId} is already booked for another execution`,
      },
    ];
    const value = encodeRejectedTradeEvent(trade, reasons, at);
    decisions.push({
      source,
      outcome: CaptureOutcome.REJECTED,
      execId: trade.execId,
      message: { topic: Topics.TRADES_REJECTED, key: trade.account, value },
      rejection: { execId: trade.execId, tradeId: trade.tradeId, event: value.trade, reasons, rejectedAt: at },
    });
  }
  await deps.ledger.record(decisions);
  if (decisions.length > 0) {
    await deliverDecisions(
      decisions.map((decision) => decision.source),
      deps,
    );
  }

  const tradeIds = [
    ...decoded.map((record) => record.value.tradeId),
    ...booking.booked.map((version) => version.trade.tradeId),
  ];
  const unpublished = await deps.bookedOutbox.unpublished(tradeIds);
  await deps.publisher.publish(
    unpublished.map((version) => ({ topic: Topics.TRADES_BOOKED, key: version.account, value: version.event })),
  );
  await deps.bookedOutbox.markPublished(unpublished.map((version) => version.execId));

  return {
    received: records.length,
    booked: booking.booked.length,
    held: booking.held.length,
    duplicates: booking.duplicates.length,
    conflicts: booking.conflicts.length,
    deadLettered: records.length - decoded.length,
    published: unpublished.length,
  };
}
