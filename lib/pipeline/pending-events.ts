/**
 * Every amend and cancel gets an outcome. One whose trade is unknown is held in `pending_trade_events` until the
 * trade's NEW is booked; this sweep ends the wait of those that can never be booked, as rejections:
 *
 * - `TRADE_REJECTED`: the trade's NEW was rejected (at validation, or at booking as a duplicate ExecID or a wash
 *   trade) and the trade was never booked, so the amend or cancel has nothing to apply to;
 * - `PENDING_EXPIRED`: the trade did not arrive within the wait (`PENDING_EVENT_MAX_WAIT_SECONDS`, default an hour).
 *
 * Each is taken out of the held events and its decision recorded in the persistence stage's capture ledger, in one
 * transaction, on the coordinates of the `trades.validated` record it came from; then the ledger's outbox stores
 * the rejection in `trade_rejections` and publishes it to `trades.rejected`, as for any rejection at booking. A
 * crash after the commit leaves the decision undelivered: the next sweep delivers it. The persistence stage sweeps
 * at the end of every batch; since a quiet partition runs no batch, the `sweepPendingEvents` function also sweeps
 * on a schedule (serverless.yml; serverless-offline runs it locally), so an expired wait ends without new trades.
 */
import type { Pool } from 'pg';

import { withTransaction } from '../db/pool';
import {
  PendingRejectionCode,
  PgTradeStore,
  takeUnresolvablePending,
  UnresolvableCause,
  type TradeStore,
  type UnresolvablePending,
} from '../db/trade-store';
import type { EventPublisher } from '../kafka/producer';
import { encodeRejectedTradeEvent } from '../kafka/schemas/trade-event';
import { Topics } from '../kafka/topics';
import { CaptureOutcome, coordinatesKey, PgCaptureLedger, type CaptureDecision } from './capture-ledger';
import { deliverDecisions } from './outbox';

export { PendingRejectionCode };

/** How long an amend or cancel may wait for its trade by default (PENDING_EVENT_MAX_WAIT_SECONDS). */
export const DEFAULT_PENDING_EVENT_MAX_WAIT_SECONDS = 3_600;

/** A decision older than this and still unpublished was left by a crash, not by a batch delivering it right now. */
const UNDELIVERED_AFTER_MS = 30_000;

export interface PendingSweepDeps {
  readonly pool: Pool;
  readonly ledger: PgCaptureLedger;
  readonly trades: Pick<TradeStore, 'recordRejections'>;
  readonly publisher: EventPublisher;
  readonly now?: () => Date;
  readonly pendingEventMaxWaitSeconds?: number;
}

export interface PendingSweepSummary {
  /** Held events rejected by this call because their trade's NEW was rejected. */
  readonly tradeRejected: number;
  /** Held events rejected by this call because their trade did not arrive in time. */
  readonly expired: number;
  /** Messages published by this call (its own rejections and any a crash left undelivered). */
  readonly published: number;
}

function decisionOf(held: UnresolvablePending, at: string, maxWaitSeconds: number): CaptureDecision {
  const { trade } = held;
  const what = `${trade.lifecycle} ${trade.execId} (version ${trade.version})`;
  const reason =
    held.cause === UnresolvableCause.TRADE_REJECTED
      ? {
          code: PendingRejectionCode.TRADE_REJECTED,
          message: `not booked: the NEW of trade ${trade.tradeId} was rejected (${held.newRejectionCodes.join(', ')}), so its ${what} has no trade to apply to`,
        }
      : {
          code: PendingRejectionCode.PENDING_EXPIRED,
          message: `not booked: trade ${trade.tradeId} did not arrive within ${maxWaitSeconds} s of its ${what}, held since ${held.heldSince}`,
        };
  const value = encodeRejectedTradeEvent(trade, [reason], at);
  return {
    source: { ...held.source, offset: Number(held.source.offset) },
    outcome: CaptureOutcome.REJECTED,
    execId: trade.execId,
    message: { topic: Topics.TRADES_REJECTED, key: trade.account, value },
    rejection: { execId: trade.execId, tradeId: trade.tradeId, event: value.trade, reasons: [reason], rejectedAt: at },
  };
}

/** Rejects the held events that can never be booked and delivers their rejections (see module TSDoc). */
export async function rejectUnresolvablePendingEvents(deps: PendingSweepDeps): Promise<PendingSweepSummary> {
  const now = (deps.now ?? (() => new Date()))();
  const at = now.toISOString();
  const maxWaitSeconds = deps.pendingEventMaxWaitSeconds ?? DEFAULT_PENDING_EVENT_MAX_WAIT_SECONDS;
  const expiredBefore = new Date(now.getTime() - maxWaitSeconds * 1000);

  const decisions = await withTransaction(deps.pool, async (client) => {
    const taken = await takeUnresolvablePending(client, { expiredBefore });
    const made = taken.map((held) => decisionOf(held, at, maxWaitSeconds));
    await deps.ledger.record(made, client);
    return made;
  });
  const undelivered = await deps.ledger.undelivered(Topics.TRADES_VALIDATED, UNDELIVERED_AFTER_MS);
  const sources = [
    ...new Map(
      [...decisions.map((decision) => decision.source), ...undelivered].map((source) => [
        coordinatesKey(source),
        source,
      ]),
    ).values(),
  ];
  const delivered = sources.length === 0 ? { published: 0 } : await deliverDecisions(sources, deps);
  const count = (code: string): number =>
    decisions.filter((decision) => decision.rejection?.reasons[0]?.code === code).length;
  return {
    tradeRejected: count(PendingRejectionCode.TRADE_REJECTED),
    expired: count(PendingRejectionCode.PENDING_EXPIRED),
    published: delivered.published,
  };
}

/** What the scheduled sweep needs: the container's pool and producer, and the settings. */
export interface ScheduledSweepDeps {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
  readonly now?: () => Date;
  readonly pendingEventMaxWaitSeconds?: number;
}

/**
 * The body of the scheduled `sweepPendingEvents` function: sweeps, a chunk at a time, until no held event is left
 * that can never be booked, whatever partition it came from. Safe beside a persistence batch sweeping at the same
 * moment: each trade's held events are taken under that trade's lock and deleted as they are decided, and the
 * ledger keeps a record's first decision.
 */
export function scheduledPendingSweep(deps: ScheduledSweepDeps): () => Promise<PendingSweepSummary> {
  const sweepDeps: PendingSweepDeps = {
    pool: deps.pool,
    ledger: new PgCaptureLedger(deps.pool),
    trades: new PgTradeStore(deps.pool),
    publisher: deps.publisher,
    ...(deps.now === undefined ? {} : { now: deps.now }),
    ...(deps.pendingEventMaxWaitSeconds === undefined
      ? {}
      : { pendingEventMaxWaitSeconds: deps.pendingEventMaxWaitSeconds }),
  };
  return async () => {
    let total = { tradeRejected: 0, expired: 0, published: 0 };
    for (;;) {
      const swept = await rejectUnresolvablePendingEvents(sweepDeps);
      total = {
        tradeRejected: total.tradeRejected + swept.tradeRejected,
        expired: total.expired + swept.expired,
        published: total.published + swept.published,
      };
      if (swept.tradeRejected + swept.expired === 0) return total;
    }
  };
}
