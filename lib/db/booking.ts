/**
 * One booking, in the caller's transaction, as named set-based steps (PgTradeStore.bookTrades and recordBatch):
 *
 * 1. {@link lockBookings}: the advisory locks of every trade id, ExecID and (with the wash-trade recheck) owner and
 *    ISIN of the batch, in one statement, sorted, one per bucket of keys (lib/db/locks.ts: at most 256);
 * 2. {@link resolveExecIds}: who holds each ExecID already (booked, held, or earlier in the batch): exact
 *    redeliveries are duplicates, another execution reusing an ExecID is refused, and with the recheck the NEWs
 *    that wash are refused (lib/db/wash-check.ts);
 * 3. {@link insertVersions}: the NEWs into the history, then the amends and cancels into the history when their
 *    trade is known (including a NEW of this batch) or into the held events when not;
 * 4. {@link releaseHeldEvents}: held events whose trade is now known move into the history;
 * 5. {@link refreshCurrentTrades}: each booked trade's current row (highest version, cancelled or live);
 * 6. {@link bookingOutcome}: what the caller publishes and rejects, in the batch's order.
 *
 * A batch of any size costs the same seven statements at most (`unnest` of one array per column).
 */
import type { PoolClient } from 'pg';

import { Trade, TradeLifecycle } from '../domain/trade';
import { ValidationCode } from '../domain/validation/codes';
import {
  COLUMN_NAMES,
  columnArrays,
  eventColumns,
  isNew,
  sourceOf,
  tradeFromRow,
  UNNEST,
  type CapturedEvent,
  type EventRow,
} from './trade-rows';
import {
  TradeStatus,
  type BookedVersion,
  type BookingOptions,
  type BookingRejection,
  type BookingResult,
  type RejectionReason,
} from './trade-store';
import { lockBucketSql } from './locks';
import { washTradesAmong } from './wash-check';

/**
 * Namespace of the booking's advisory locks (the first key of the two-key form), so no one else's lock collides.
 * A booking locks the buckets (lib/db/locks.ts) of its trade ids, ExecIDs and owner|ISIN pairs in this one
 * namespace, in one statement, in bucket order: at most LOCK_BUCKETS locks whatever the batch's size, and two
 * bookings cannot deadlock on them. (Before: one lock per key in three namespaces, up to ~1,500 per 500-trade
 * batch, which exhausted PostgreSQL's shared lock table under concurrent batches.)
 */
export const BOOKING_LOCK_NAMESPACE = 1_732_408_401;

/** Books `events` in `client`'s transaction (see the module comment and TradeStore.bookTrades). */
export async function bookEvents(
  client: PoolClient,
  events: readonly CapturedEvent[],
  options: BookingOptions,
): Promise<BookingResult> {
  if (events.length === 0) return { booked: [], held: [], duplicates: [], conflicts: [], rejected: [] };
  const tradeIds = [...new Set(events.map((event) => event.trade.tradeId))];
  const washChecked = options.recheckWashTrades === true ? events.filter(isNew) : [];
  await lockBookings(client, events, washChecked);
  const resolution = await resolveExecIds(client, events, washChecked.length > 0);
  const written = await insertVersions(client, resolution.fresh);
  const released = await releaseHeldEvents(client, tradeIds, resolution.fresh, written);
  const state = await refreshCurrentTrades(client, [...resolution.fresh, ...released.events], written.bookedIds);
  return bookingOutcome(events, resolution, written, released, state);
}

/**
 * Serialises bookings per trade: otherwise a NEW and its AMEND booked at once by two invocations could each miss
 * the other's uncommitted row, and the amend would be held for a trade that has in fact arrived. Per ExecID: so
 * that a second execution reusing an ExecID booked at the same time (validated on another partition) finds the
 * first one booked and is rejected as such. Per owner and ISIN: so that the wash-trade check sees every booking
 * that could mirror its NEWs (see BookingOptions). Each key locks its bucket, sorted: bounded, and no deadlock.
 */
async function lockBookings(
  client: PoolClient,
  events: readonly CapturedEvent[],
  washChecked: readonly CapturedEvent[],
): Promise<void> {
  await client.query(
    `WITH keys AS (
       SELECT id AS k FROM unnest($2::text[]) id
       UNION ALL SELECT e FROM unnest($3::text[]) e
       UNION ALL SELECT coalesce(w.owner, a.beneficial_owner) || '|' || w.isin
         FROM unnest($4::text[], $5::text[], $6::text[]) AS w(account_id, owner, isin)
         LEFT JOIN accounts a ON a.id = w.account_id
         WHERE coalesce(w.owner, a.beneficial_owner) IS NOT NULL)
     SELECT count(pg_advisory_xact_lock($1::integer, b))
     FROM (SELECT DISTINCT ${lockBucketSql('k')} AS b FROM keys ORDER BY b) buckets`,
    [
      BOOKING_LOCK_NAMESPACE,
      [...new Set(events.map((event) => event.trade.tradeId))],
      [...new Set(events.map((event) => event.trade.execId))],
      washChecked.map((event) => event.trade.account),
      washChecked.map((event) => event.trade.beneficialOwner ?? null),
      washChecked.map((event) => event.trade.isin),
    ],
  );
}

/** The execution an ExecID already belongs to, and where it was found. */
interface ExecIdHolder {
  readonly trade: Trade;
  readonly where: 'booked' | 'held' | 'batch';
}

interface ExecIdResolution {
  /** Events to write: their ExecID is new and nothing refused them. */
  readonly fresh: readonly CapturedEvent[];
  readonly duplicates: readonly Trade[];
  readonly refused: ReadonlyMap<CapturedEvent, RejectionReason>;
}

/**
 * Who holds each ExecID already: the booked version or the held event (never both), read after the locks so that
 * a concurrent booking of the same ExecID is committed and visible; then the wash-trade recheck of what is left.
 */
async function resolveExecIds(
  client: PoolClient,
  events: readonly CapturedEvent[],
  recheckWashTrades: boolean,
): Promise<ExecIdResolution> {
  const known = await client.query<EventRow & { held: boolean }>(
    `SELECT ${eventColumns('v')}, false AS held FROM trade_versions v WHERE v.exec_id = ANY($1::text[])
     UNION ALL SELECT ${eventColumns('p')}, true FROM pending_trade_events p WHERE p.exec_id = ANY($1::text[])`,
    [[...new Set(events.map((event) => event.trade.execId))]],
  );
  const holders = new Map<string, ExecIdHolder>(
    known.rows.map((row) => [row.exec_id, { trade: tradeFromRow(row), where: row.held ? 'held' : 'booked' }]),
  );
  const duplicates: Trade[] = [];
  const refused = new Map<CapturedEvent, RejectionReason>();
  const claimants: CapturedEvent[] = [];
  for (const event of events) {
    const holder = holders.get(event.trade.execId);
    if (holder === undefined) {
      holders.set(event.trade.execId, { trade: event.trade, where: 'batch' });
      claimants.push(event);
    } else if (sameExecution(holder.trade, event.trade)) duplicates.push(event.trade);
    else refused.set(event, duplicateExecIdReason(event.trade, holder));
  }
  if (recheckWashTrades) {
    for (const [event, reason] of await washTradesAmong(client, claimants)) refused.set(event, reason);
  }
  return { fresh: claimants.filter((event) => !refused.has(event)), duplicates, refused };
}

interface WrittenVersions {
  readonly bookedIds: Set<string>;
  readonly heldIds: Set<string>;
}

/**
 * Every event's ExecID is new by now, so an insert that does nothing collided on (trade id, version): a conflict.
 * The NEWs go first, so that "the trade is known" for the amends and cancels includes trades that arrived earlier
 * in this very batch.
 */
async function insertVersions(client: PoolClient, fresh: readonly CapturedEvent[]): Promise<WrittenVersions> {
  const news = fresh.filter((event) => event.trade.lifecycle === TradeLifecycle.NEW);
  const changes = fresh.filter((event) => event.trade.lifecycle !== TradeLifecycle.NEW);
  const bookedIds = new Set<string>();
  const heldIds = new Set<string>();
  if (news.length > 0) {
    const inserted = await client.query<{ exec_id: string }>(
      `INSERT INTO trade_versions (${COLUMN_NAMES}) SELECT * FROM ${UNNEST}
       ON CONFLICT DO NOTHING RETURNING exec_id`,
      columnArrays(news),
    );
    for (const row of inserted.rows) bookedIds.add(row.exec_id);
  }
  if (changes.length > 0) {
    const outcome = await client.query<{ exec_id: string; outcome: 'BOOKED' | 'HELD' }>(
      `WITH incoming AS (SELECT * FROM ${UNNEST} AS i(${COLUMN_NAMES})),
       booked AS (
         INSERT INTO trade_versions (${COLUMN_NAMES})
         SELECT * FROM incoming i WHERE EXISTS (SELECT 1 FROM trade_versions v WHERE v.trade_id = i.trade_id)
         ON CONFLICT DO NOTHING RETURNING exec_id),
       held AS (
         INSERT INTO pending_trade_events (${COLUMN_NAMES})
         SELECT * FROM incoming i WHERE NOT EXISTS (SELECT 1 FROM trade_versions v WHERE v.trade_id = i.trade_id)
         ON CONFLICT DO NOTHING RETURNING exec_id)
       SELECT exec_id, 'BOOKED' AS outcome FROM booked UNION ALL SELECT exec_id, 'HELD' FROM held`,
      columnArrays(changes),
    );
    for (const row of outcome.rows) (row.outcome === 'BOOKED' ? bookedIds : heldIds).add(row.exec_id);
  }
  return { bookedIds, heldIds };
}

interface ReleasedEvents {
  /** Held events taken out of pending_trade_events by this call, applied or not. */
  readonly events: readonly CapturedEvent[];
  /** ExecIDs of held events of earlier calls that this call booked. */
  readonly appliedFromPending: ReadonlySet<string>;
}

/**
 * Held events whose trade is now known move into the history. Only this batch's trades can have become known,
 * hence the filter (and the index on pending_trade_events.trade_id). Updates `written` with what was applied.
 */
async function releaseHeldEvents(
  client: PoolClient,
  tradeIds: readonly string[],
  fresh: readonly CapturedEvent[],
  written: WrittenVersions,
): Promise<ReleasedEvents> {
  const released = await client.query<EventRow & { applied: boolean }>(
    `WITH released AS (
       DELETE FROM pending_trade_events p
       WHERE p.trade_id = ANY($1::text[]) AND EXISTS (SELECT 1 FROM trade_versions v WHERE v.trade_id = p.trade_id)
       RETURNING p.*),
     applied AS (
       INSERT INTO trade_versions (${COLUMN_NAMES}, received_at)
       SELECT ${COLUMN_NAMES}, received_at FROM released ORDER BY trade_id, version, received_at, exec_id
       ON CONFLICT DO NOTHING RETURNING exec_id)
     SELECT ${eventColumns('r')}, a.exec_id IS NOT NULL AS applied
     FROM released r LEFT JOIN applied a ON a.exec_id = r.exec_id`,
    [tradeIds],
  );
  const ofThisCall = new Set(fresh.map((event) => event.trade.execId));
  const appliedFromPending = new Set<string>();
  for (const row of released.rows) {
    if (row.applied) written.bookedIds.add(row.exec_id);
    if (row.applied && !ofThisCall.has(row.exec_id)) appliedFromPending.add(row.exec_id);
    // A held event of this very call released at once cannot happen (its trade was unknown a statement ago), but
    // one held earlier and redelivered now is a duplicate above and booked here: it is not held any more.
    written.heldIds.delete(row.exec_id);
  }
  return {
    events: released.rows.map((row) => ({ trade: tradeFromRow(row), source: sourceOf(row) })),
    appliedFromPending,
  };
}

type TradeState = ReadonlyMap<string, { readonly version: number; readonly status: TradeStatus }>;

/** Rewrites the current row (highest version; CANCELLED once any version cancels) of every trade booked now. */
async function refreshCurrentTrades(
  client: PoolClient,
  written: readonly CapturedEvent[],
  bookedIds: ReadonlySet<string>,
): Promise<TradeState> {
  const bookedTradeIds = [...new Set(written.filter((e) => bookedIds.has(e.trade.execId)).map((e) => e.trade.tradeId))];
  const state = new Map<string, { version: number; status: TradeStatus }>();
  if (bookedTradeIds.length === 0) return state;
  const refreshed = await client.query<{ trade_id: string; version: number; status: TradeStatus }>(
    `INSERT INTO trades (trade_id, version, status, exec_id, lifecycle, account_id, counterparty_lei, isin, mic, side,
       quantity, price, currency, trade_date, trade_time, settlement_date, commission, fees, beneficial_owner,
       updated_at)
     SELECT DISTINCT ON (v.trade_id) v.trade_id, v.version,
       CASE WHEN c.cancelled THEN 'CANCELLED' ELSE 'LIVE' END, v.exec_id, v.lifecycle, v.account_id,
       v.counterparty_lei, v.isin, v.mic, v.side, v.quantity, v.price, v.currency, v.trade_date, v.trade_time,
       v.settlement_date, v.commission, v.fees, v.beneficial_owner, now()
     FROM trade_versions v
     JOIN (SELECT trade_id, bool_or(lifecycle = 'CANCEL') AS cancelled FROM trade_versions
           WHERE trade_id = ANY($1::text[]) GROUP BY trade_id) c ON c.trade_id = v.trade_id
     WHERE v.trade_id = ANY($1::text[])
     ORDER BY v.trade_id, v.version DESC
     ON CONFLICT (trade_id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status,
       exec_id = EXCLUDED.exec_id, lifecycle = EXCLUDED.lifecycle, account_id = EXCLUDED.account_id,
       counterparty_lei = EXCLUDED.counterparty_lei, isin = EXCLUDED.isin, mic = EXCLUDED.mic,
       side = EXCLUDED.side, quantity = EXCLUDED.quantity, price = EXCLUDED.price, currency = EXCLUDED.currency,
       trade_date = EXCLUDED.trade_date, trade_time = EXCLUDED.trade_time,
       settlement_date = EXCLUDED.settlement_date, commission = EXCLUDED.commission, fees = EXCLUDED.fees,
       beneficial_owner = EXCLUDED.beneficial_owner, updated_at = EXCLUDED.updated_at
     RETURNING trade_id, version, status`,
    [bookedTradeIds],
  );
  for (const row of refreshed.rows) state.set(row.trade_id, { version: row.version, status: row.status });
  return state;
}

/** The result in the batch's terms: booked versions in publication order, held, duplicates, conflicts, refused. */
function bookingOutcome(
  events: readonly CapturedEvent[],
  resolution: ExecIdResolution,
  written: WrittenVersions,
  released: ReleasedEvents,
  state: TradeState,
): BookingResult {
  const { fresh, refused } = resolution;
  const { bookedIds, heldIds } = written;
  const rejected: BookingRejection[] = events.flatMap((event) => {
    const reason = refused.get(event);
    return reason === undefined ? [] : [{ trade: event.trade, source: event.source, reasons: [reason] }];
  });
  // Order of publication: trades as the batch first names them, each trade's versions ascending.
  const tradeOrder = new Map<string, number>();
  events.forEach((event, index) => {
    if (!tradeOrder.has(event.trade.tradeId)) tradeOrder.set(event.trade.tradeId, index);
  });
  const candidates = [
    ...fresh,
    ...released.events.filter((event) => released.appliedFromPending.has(event.trade.execId)),
  ];
  const booked: BookedVersion[] = candidates
    .filter((event) => bookedIds.has(event.trade.execId))
    .sort(
      (a, b) =>
        (tradeOrder.get(a.trade.tradeId) ?? 0) - (tradeOrder.get(b.trade.tradeId) ?? 0) ||
        a.trade.version - b.trade.version,
    )
    .map((event) => {
      const trade = state.get(event.trade.tradeId);
      return {
        trade: event.trade,
        source: event.source,
        appliedFromPending: released.appliedFromPending.has(event.trade.execId),
        current: trade?.version === event.trade.version,
        tradeStatus: trade?.status ?? TradeStatus.LIVE,
      };
    });
  const conflicts = [
    ...fresh.filter((event) => !bookedIds.has(event.trade.execId) && !heldIds.has(event.trade.execId)),
    ...released.events.filter((event) => !bookedIds.has(event.trade.execId)),
  ].map((event) => event.trade);
  return {
    booked,
    held: fresh.filter((event) => heldIds.has(event.trade.execId)).map((event) => event.trade),
    duplicates: resolution.duplicates,
    conflicts,
    rejected,
  };
}

/**
 * Whether two events carrying one ExecID are the same execution, i.e. the second is an exact redelivery: every
 * field of the trade is equal — trade id, version, lifecycle, account, counterparty, ISIN, venue, side, quantity,
 * price, currency, commission, fees, trade date, trade time, settlement date, beneficial owner and capture source —
 * decimals by value (100 = 100.00) and the trade time as an instant (14:30Z = 16:30+02:00). The same test as
 * validation's content hash (lib/pipeline/validate.ts), on values rather than their spelling, and with the
 * settlement date validation resolved. Anything else is another execution reusing the ExecID.
 */
export function sameExecution(a: Trade, b: Trade): boolean {
  return (
    a.execId === b.execId &&
    a.tradeId === b.tradeId &&
    a.version === b.version &&
    a.lifecycle === b.lifecycle &&
    a.account === b.account &&
    a.counterpartyLei === b.counterpartyLei &&
    a.isin === b.isin &&
    a.mic === b.mic &&
    a.side === b.side &&
    a.quantity.equals(b.quantity) &&
    a.price.equals(b.price) &&
    a.currency === b.currency &&
    a.commission.equals(b.commission) &&
    a.fees.equals(b.fees) &&
    a.tradeDate === b.tradeDate &&
    Date.parse(a.tradeTime) === Date.parse(b.tradeTime) &&
    a.settlementDate === b.settlementDate &&
    a.beneficialOwner === b.beneficialOwner &&
    a.source === b.source
  );
}

function duplicateExecIdReason(trade: Trade, holder: ExecIdHolder): RejectionReason {
  const where = { booked: 'is already booked', held: 'is already held', batch: 'came earlier in this batch' }[
    holder.where
  ];
  return {
    code: ValidationCode.DUPLICATE_EXEC_ID,
    message:
      `ExecID ${trade.execId} ${where} for another execution (trade ${holder.trade.tradeId} version ` +
      `${holder.trade.version}): not booked`,
  };
}
