/**
 * Delivering a batch's decisions: store the rejections, publish the messages, then mark them published. Every step
 * is idempotent and re-derived from the ledger, so a batch retried after any failure finishes what was left:
 * rejections are keyed by source record (a second call stores nothing), and only unpublished decisions are sent.
 * A crash between sending and marking re-sends those messages on retry: at-least-once, consumers de-duplicate on
 * the ExecID (or, for dead letters, the source coordinates) the message carries.
 */
import type { TradeStore } from '../db/trade-store';
import type { RecordCoordinates } from '../kafka/decode';
import type { EventPublisher, OutgoingMessage } from '../kafka/producer';
import { coordinatesKey, type PgCaptureLedger, type StoredDecision } from './capture-ledger';

export interface OutboxDeps {
  readonly ledger: PgCaptureLedger;
  readonly trades: Pick<TradeStore, 'recordRejections'>;
  readonly publisher: EventPublisher;
}

/**
 * Delivers the undelivered decisions on `sources`; returns every decision on them, and those this call delivered
 * (marked published): the outcomes a stage counts as its own, so that a redelivered batch, or the same batch run
 * twice at once, counts each outcome once, and a batch retried after a failed publish counts what it delivers.
 */
export async function deliverDecisions(
  sources: readonly RecordCoordinates[],
  deps: OutboxDeps,
): Promise<{
  readonly decisions: readonly StoredDecision[];
  readonly delivered: readonly StoredDecision[];
  readonly published: number;
}> {
  const stored = await deps.ledger.decisions(sources);
  const decisions = sources.flatMap((source) => stored.get(coordinatesKey(source)) ?? []);
  const pending = decisions.filter((decision) => !decision.published);
  const rejections = pending.flatMap((decision) =>
    decision.rejection === undefined ? [] : [{ ...decision.rejection, source: decision.source }],
  );
  await deps.trades.recordRejections(rejections);
  const messages: OutgoingMessage[] = pending.flatMap((decision) =>
    decision.message === undefined ? [] : [decision.message],
  );
  await deps.publisher.publish(messages);
  const marked = await deps.ledger.markPublished(pending.map((decision) => decision.source));
  const delivered = pending.filter((decision) => marked.has(coordinatesKey(decision.source)));
  return { decisions, delivered, published: messages.length };
}
