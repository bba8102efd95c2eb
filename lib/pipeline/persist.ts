/**
 * The persistence stage: decoded records from `trades.validated` → booked versions (PgTradeStore.bookTrades, one
 * transaction per batch) → one `trades.booked` event per newly booked version.
 *
 * Publish-after-commit under at-least-once delivery: which versions still need publishing is re-derived from the
 * database (versions of the batch's trades without a publication row), so a batch retried after a failed publish
 * publishes what was missed and books nothing twice. A crash between sending and recording the publication sends
 * those versions again: consumers de-duplicate on `trade.execId`. Records that do not decode are dead-lettered;
 * rejected, with the reasons stored and published to `trades.rejected` like validation's rejections, are a version
 * that conflicts with a booked one (same trade and version, other ExecID: VERSION_CONFLICT), another execution
 * reusing a booked or held ExecID (DUPLICATE_EXEC_ID: validated on another partition while the first was in flight),
 * and a NEW mirroring a live trade of the same beneficial owner booked meanwhile (WASH_TRADE, the same race). All go
 * through the capture ledger, and a record it already decided is not booked again, so a redelivery repeats none
 * of them and changes no decision. The exact redelivery of a booked execution is a no-op (PgTradeStore).
 */
import type { Pool } from 'pg';

import type { RejectionReason, TradeStore } from '../db/trade-store';
import type { Trade } from '../domain/trade';
import type { ValidatedTrade } from '../domain/validation';
import { Stage } from '../kafka/dead-letter';
import type { DecodedRecord, RecordCoordinates } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { encodeRejectedTradeEvent } from '../kafka/schemas/trade-event';
import { Topics } from '../kafka/topics';
import { traceContextOf, traceHeaders } from '../observability/correlation';
import { countByRule } from '../observability/metrics';
import type { PgBookedTradeOutbox } from './booked-outbox';
import {
  CaptureOutcome,
  coordinatesKey,
  type CaptureDecision,
  type PgCaptureLedger,
  type StoredDecision,
} from './capture-ledger';
import { deliverDecisions } from './outbox';
import { rejectUnresolvablePendingEvents } from './pending-events';
import { deadLetterDecision } from './validate';

/**
 * Code of the rejection of an event the unique keys refused: its trade already has that version under another
 * ExecID. (An ExecID already booked for another execution is DUPLICATE_EXEC_ID: the store checks it first.)
 */
export const VERSION_CONFLICT = 'VERSION_CONFLICT';

export interface PersistDeps {
  readonly trades: Pick<TradeStore, 'bookTrades' | 'recordRejections'>;
  readonly ledger: PgCaptureLedger;
  readonly bookedOutbox: PgBookedTradeOutbox;
  readonly publisher: EventPublisher;
  /** For the sweep of held events that can never be booked (lib/pipeline/pending-events.ts). */
  readonly pool: Pool;
  readonly pendingEventMaxWaitSeconds?: number;
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
  /** Refused at booking by this call: DUPLICATE_EXEC_ID (another execution) or WASH_TRADE. */
  readonly rejected: number;
  /** How many trades each rule refused at booking, conflicts included (the RejectedByRule metric). */
  readonly rejectedByRule: Readonly<Record<string, number>>;
  /** Records an earlier delivery already rejected (or dead-lettered): their decision stands, nothing is booked. */
  readonly decidedBefore: number;
  readonly deadLettered: number;
  /** `trades.booked` events published by this call. */
  readonly published: number;
  /**
   * Held amends and cancels this call rejected because they can never be booked: their trade's NEW was rejected,
   * or it did not arrive in time (lib/pipeline/pending-events.ts).
   */
  readonly unresolvable: { readonly tradeRejected: number; readonly expired: number };
}

/** Books a batch of validated trades and publishes each newly booked version once (see module TSDoc). */
export async function persistValidatedTrades(
  records: readonly DecodedRecord<ValidatedTrade>[],
  deps: PersistDeps,
): Promise<PersistSummary> {
  const at = (deps.now ?? (() => new Date()))().toISOString();
  // A rejection is final: a redelivered record it decided is not booked, even if what refused it has changed since
  // (a wash-trade leg cancelled in between), so a trade is never both rejected and booked.
  const decided = await deps.ledger.decisions(records.map((record) => record.record.source));
  const undecided = records.filter((record) => !decided.has(coordinatesKey(record.record.source)));
  const decoded = undecided.flatMap((record) => (record.ok ? [record] : []));
  const booking = await deps.trades.bookTrades(
    decoded.map((record) => record.value),
    decoded.map((record) => record.record.source),
    { recheckWashTrades: true },
  );

  // The store hands back the very Trade objects it was given, so each outcome finds its own record even when two
  // records share an ExecID.
  const sourceOf = new Map<Trade, RecordCoordinates>(decoded.map((record) => [record.value, record.record.source]));
  const headersOf = new Map<Trade, Record<string, string>>(
    decoded.map((record) => [record.value, traceHeaders(traceContextOf(record.record))]),
  );
  const decisions: CaptureDecision[] = undecided.flatMap((record) =>
    record.ok ? [] : [deadLetterDecision(record.record, Stage.PERSIST_TRADES, record.errors, at)],
  );
  const rejection = (trade: Trade, source: RecordCoordinates, reasons: readonly RejectionReason[]): void => {
    const value = encodeRejectedTradeEvent(trade, reasons, at);
    decisions.push({
      source,
      outcome: CaptureOutcome.REJECTED,
      execId: trade.execId,
      message: { topic: Topics.TRADES_REJECTED, key: trade.account, value, headers: headersOf.get(trade) ?? {} },
      rejection: { execId: trade.execId, tradeId: trade.tradeId, event: value.trade, reasons, rejectedAt: at },
    });
  };
  for (const trade of booking.conflicts) {
    const source = sourceOf.get(trade);
    // A conflicting held event released by this batch came from an earlier record; its rejection has no record
    // of this batch to hang on, so it is reported through the summary only.
    if (source === undefined) continue;
    rejection(trade, source, [
      {
        code: VERSION_CONFLICT,
        message: `not booked: version ${trade.version} of trade ${trade.tradeId} is already booked under another ExecID`,
      },
    ]);
  }
  for (const refused of booking.rejected) {
    const source = sourceOf.get(refused.trade);
    if (source !== undefined) rejection(refused.trade, source, refused.reasons);
  }
  await deps.ledger.record(decisions);
  const toDeliver = [
    ...records.map((record) => record.record.source).filter((source) => decided.has(coordinatesKey(source))),
    ...decisions.map((decision) => decision.source),
  ];
  // This call's rejections and dead letters are those it delivered (lib/pipeline/outbox.ts): a redelivered batch, or
  // the same batch run at once elsewhere, counts none again. A released held event has no record of this batch and
  // no ledger row: counted by the call that released it, the only one that can.
  const delivered = toDeliver.length > 0 ? (await deliverDecisions(toDeliver, deps)).delivered : [];
  const isConflict = (decision: StoredDecision): boolean =>
    decision.rejection?.reasons.some((reason) => reason.code === VERSION_CONFLICT) === true;
  const deliveredRejections = delivered.filter((decision) => decision.outcome === CaptureOutcome.REJECTED);
  const releasedRejected = booking.rejected.filter((refused) => !sourceOf.has(refused.trade));
  const releasedConflicts = booking.conflicts.filter((trade) => !sourceOf.has(trade));

  const tradeIds = [
    ...decoded.map((record) => record.value.tradeId),
    ...booking.booked.map((version) => version.trade.tradeId),
  ];
  const unpublished = await deps.bookedOutbox.unpublished(tradeIds);
  await deps.publisher.publish(
    unpublished.map((version) => ({
      topic: Topics.TRADES_BOOKED,
      key: version.account,
      value: version.event,
      headers: traceHeaders(version.trace),
    })),
  );
  await deps.bookedOutbox.markPublished(unpublished.map((version) => version.execId));

  // Last, so that this batch's own rejections of NEWs are stored: the amends and cancels held for those trades end
  // here, in the same batch.
  const swept = await rejectUnresolvablePendingEvents(deps);

  return {
    received: records.length,
    booked: booking.booked.length,
    held: booking.held.length,
    duplicates: booking.duplicates.length,
    conflicts: deliveredRejections.filter(isConflict).length + releasedConflicts.length,
    rejected: deliveredRejections.filter((decision) => !isConflict(decision)).length + releasedRejected.length,
    rejectedByRule: countByRule([
      ...deliveredRejections.map((decision) => decision.rejection?.reasons ?? []),
      ...releasedRejected.map((refused) => refused.reasons),
      ...releasedConflicts.map(() => [{ code: VERSION_CONFLICT }]),
    ]),
    decidedBefore: records.length - undecided.length,
    deadLettered: delivered.filter((decision) => decision.outcome === CaptureOutcome.DEAD_LETTER).length,
    published: unpublished.length,
    unresolvable: { tradeRejected: swept.tradeRejected, expired: swept.expired },
  };
}
