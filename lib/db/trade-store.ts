/**
 * Booked trades in PostgreSQL: append-only versions, the current state of each trade, amends and cancels held
 * until their trade arrives, and rejected trades with every reason (migrations/1732406500000_trades.sql).
 *
 * Idempotent by construction: a version is keyed by its ExecID and by (trade id, version), a rejection by the
 * record it came from, and every write is `ON CONFLICT DO NOTHING` — so a redelivered batch books nothing and
 * reports its events as duplicates. An ExecID names one execution: an event whose ExecID is already booked or held
 * is a no-op only when it is that very execution ({@link sameExecution}); a different execution reusing it is
 * rejected (DUPLICATE_EXEC_ID), never dropped in silence. Batch-first: a batch of any size costs the same handful
 * of set-based statements (`unnest` of one array per column), in one transaction.
 */
import type { Pool, PoolClient } from 'pg';

import type { Trade } from '../domain/trade';
import { BOOKING_LOCK_NAMESPACE, bookEvents } from './booking';
import { lockKeyBuckets } from './locks';
import { withTransaction } from './pool';
import {
  eventColumns,
  rejectionRows,
  sourceOf,
  tradeFromRow,
  type CapturedEvent,
  type EventRow,
  type RejectionRow,
} from './trade-rows';

export { sameExecution } from './booking';
export { rejectionKey, tradeFromRow, type TradeVersionRow } from './trade-rows';

/** The Kafka record an event was read from, kept with what it produced for audit and idempotency. */
export interface RecordSource {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit: pass the string from the event when it has one. */
  readonly offset: string | number;
}

export const TradeStatus = { LIVE: 'LIVE', CANCELLED: 'CANCELLED' } as const;
export type TradeStatus = (typeof TradeStatus)[keyof typeof TradeStatus];

/** A version written to the trade's history by this call: publish it downstream, once. */
export interface BookedVersion {
  readonly trade: Trade;
  readonly source: RecordSource | undefined;
  /** It had been held by an earlier call, waiting for its trade, which this batch brought. */
  readonly appliedFromPending: boolean;
  /** It is now the trade's current (highest) version; false for a late, lower version. */
  readonly current: boolean;
  /** The trade's status after this call. */
  readonly tradeStatus: TradeStatus;
}

export interface BookingResult {
  /** New versions, per trade in version order, trades in the order the batch first names them. */
  readonly booked: readonly BookedVersion[];
  /** Amends and cancels of this batch whose trade is unknown: held until it arrives. */
  readonly held: readonly Trade[];
  /**
   * Exact redeliveries: events whose ExecID is already booked or held with this very execution, or repeated
   * unchanged within the batch ({@link sameExecution}). Nothing changed.
   */
  readonly duplicates: readonly Trade[];
  /**
   * Events not booked because their trade already has that version under another ExecID: a conflicting
   * correction that needs a person (or a rejection). Includes held events released by this batch.
   */
  readonly conflicts: readonly Trade[];
  /**
   * Events refused at booking, in batch order, with their reasons: DUPLICATE_EXEC_ID when another execution
   * already holds the ExecID (booked, held, or earlier in this batch); WASH_TRADE, with
   * {@link BookingOptions.recheckWashTrades}, when a live trade of the same beneficial owner mirrors a NEW.
   */
  readonly rejected: readonly BookingRejection[];
}

/** An event the store refused to book, and why. */
export interface BookingRejection {
  readonly trade: Trade;
  readonly source: RecordSource | undefined;
  /** At least one. */
  readonly reasons: readonly RejectionReason[];
}

export interface BookingOptions {
  /**
   * Check every NEW again, at booking time, for a wash trade (the validation rule, lib/domain/validation) against
   * the live trades booked so far and the NEWs before it in the batch. Validation sees only what was booked when
   * it ran: two mirrored trades of one owner on two accounts (two partitions) in flight at once both pass it.
   * Bookings of one beneficial owner and instrument are serialised for this, so the later of the two is refused.
   */
  readonly recheckWashTrades?: boolean;
}

/** Why a trade was rejected: a stable code (see ValidationCode, SCHEMA_INVALID) and a message for people. */
export interface RejectionReason {
  readonly code: string;
  readonly message: string;
}

export interface TradeRejection {
  /** Known when the record decoded far enough; a rejection without a `source` needs it as its key. */
  readonly execId?: string;
  readonly tradeId?: string;
  /** The event as received (JSON-serialisable): the decoded trade event, or the raw record. */
  readonly event: unknown;
  /** At least one. */
  readonly reasons: readonly RejectionReason[];
  /** ISO 8601 timestamp with offset. */
  readonly rejectedAt: string;
  readonly source?: RecordSource;
}

export interface RejectionRecording {
  /** Keys of rejections stored by this call. */
  readonly recorded: readonly string[];
  /** Keys already stored (a redelivery): left as they were. */
  readonly duplicates: readonly string[];
}

export interface StoredTradeVersion {
  readonly trade: Trade;
  readonly source: RecordSource | undefined;
  readonly receivedAt: string;
  readonly bookedAt: string;
}

export interface StoredRejection {
  readonly key: string;
  readonly execId: string | undefined;
  readonly event: unknown;
  readonly reasons: readonly RejectionReason[];
  readonly rejectedAt: string;
  readonly source: RecordSource | undefined;
}

/** Everything known about one trade id. */
export interface TradeHistory {
  readonly tradeId: string;
  /** Undefined while the trade itself has not arrived (only held events or rejections). */
  readonly status: TradeStatus | undefined;
  readonly currentVersion: number | undefined;
  /** Booked versions, lowest first. */
  readonly versions: readonly StoredTradeVersion[];
  /** Amends and cancels waiting for the trade. */
  readonly pending: readonly Trade[];
  readonly rejections: readonly StoredRejection[];
}

/** Where booked trades live, in the domain's terms. */
export interface TradeStore {
  /**
   * Books a batch in one transaction: a NEW starts a trade, an AMEND is a new version, a CANCEL ends it; an
   * amend or cancel whose trade is unknown is held and booked when the trade arrives (in this batch, in any
   * order, or a later one). Redelivery of the same execution is a no-op; another execution reusing a booked or
   * held ExecID, and with `options.recheckWashTrades` a NEW that washes, are refused and returned in `rejected`
   * (the caller stores and publishes them). `sources[i]` is where `trades[i]` was read from. Outcomes of this batch
   * hand back the Trade objects passed in, so a caller finds each outcome's record by identity.
   */
  bookTrades(
    trades: readonly Trade[],
    sources?: readonly (RecordSource | undefined)[],
    options?: BookingOptions,
  ): Promise<BookingResult>;
  /** Stores rejected trades with every reason, once: a redelivered rejection changes nothing. */
  recordRejections(rejections: readonly TradeRejection[]): Promise<RejectionRecording>;
  /** Books and records rejections of one batch in a single transaction. */
  recordBatch(batch: {
    readonly trades: readonly Trade[];
    readonly sources?: readonly (RecordSource | undefined)[];
    readonly rejections: readonly TradeRejection[];
  }): Promise<{ readonly booking: BookingResult; readonly rejections: RejectionRecording }>;
  /** A trade's versions, held events and rejections; undefined when the id is unknown. */
  getTrade(tradeId: string): Promise<TradeHistory | undefined>;
}

/** {@link TradeStore} on PostgreSQL. The pool comes from the container's factory (lib/db/pool.ts). */
export class PgTradeStore implements TradeStore {
  constructor(private readonly pool: Pool) {}

  async bookTrades(
    trades: readonly Trade[],
    sources: readonly (RecordSource | undefined)[] = [],
    options: BookingOptions = {},
  ): Promise<BookingResult> {
    const events = captured(trades, sources);
    return withTransaction(this.pool, (client) => bookEvents(client, events, options));
  }

  async recordRejections(rejections: readonly TradeRejection[]): Promise<RejectionRecording> {
    const rows = rejectionRows(rejections);
    return withTransaction(this.pool, (client) => insertRejections(client, rows));
  }

  async recordBatch(batch: {
    readonly trades: readonly Trade[];
    readonly sources?: readonly (RecordSource | undefined)[];
    readonly rejections: readonly TradeRejection[];
  }): Promise<{ readonly booking: BookingResult; readonly rejections: RejectionRecording }> {
    const events = captured(batch.trades, batch.sources ?? []);
    const rows = rejectionRows(batch.rejections);
    return withTransaction(this.pool, async (client) => ({
      booking: await bookEvents(client, events, {}),
      rejections: await insertRejections(client, rows),
    }));
  }

  async getTrade(tradeId: string): Promise<TradeHistory | undefined> {
    const [versions, current, pending, rejections] = await Promise.all([
      this.pool.query<EventRow & { received_at: string; booked_at: string }>(
        `SELECT ${eventColumns('v')},
           to_char(v.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
           to_char(v.booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS booked_at
         FROM trade_versions v WHERE v.trade_id = $1 ORDER BY v.version`,
        [tradeId],
      ),
      this.pool.query<{ version: number; status: TradeStatus }>(
        'SELECT version, status FROM trades WHERE trade_id = $1',
        [tradeId],
      ),
      this.pool.query<EventRow>(
        `SELECT ${eventColumns('p')} FROM pending_trade_events p WHERE p.trade_id = $1 ORDER BY p.version, p.exec_id`,
        [tradeId],
      ),
      this.pool.query<RejectionRow>(
        `SELECT rejection_key, exec_id, event, reasons,
           to_char(rejected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS rejected_at,
           source_topic, source_partition, source_offset
         FROM trade_rejections WHERE trade_id = $1 ORDER BY rejected_at, rejection_key`,
        [tradeId],
      ),
    ]);
    if (versions.rows.length === 0 && pending.rows.length === 0 && rejections.rows.length === 0) return undefined;
    const state = current.rows[0];
    return {
      tradeId,
      status: state?.status,
      currentVersion: state?.version,
      versions: versions.rows.map((row) => ({
        trade: tradeFromRow(row),
        source: sourceOf(row),
        receivedAt: row.received_at,
        bookedAt: row.booked_at,
      })),
      pending: pending.rows.map(tradeFromRow),
      rejections: rejections.rows.map((row) => ({
        key: row.rejection_key,
        execId: row.exec_id ?? undefined,
        event: row.event,
        reasons: row.reasons,
        rejectedAt: row.rejected_at,
        source: sourceOf(row),
      })),
    };
  }
}

function captured(trades: readonly Trade[], sources: readonly (RecordSource | undefined)[]): CapturedEvent[] {
  if (sources.length !== 0 && sources.length !== trades.length) {
    throw new RangeError(`bookTrades: ${trades.length} trades but ${sources.length} sources`);
  }
  return trades.map((trade, index) => ({ trade, source: sources[index] }));
}

async function insertRejections(client: PoolClient, columns: unknown[][]): Promise<RejectionRecording> {
  const keys = (columns[0] ?? []) as string[];
  if (keys.length === 0) return { recorded: [], duplicates: [] };
  const inserted = await client.query<{ rejection_key: string }>(
    `INSERT INTO trade_rejections (rejection_key, exec_id, trade_id, event, reasons, rejected_at, source_topic,
       source_partition, source_offset)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::timestamptz[],
       $7::text[], $8::integer[], $9::bigint[])
     ON CONFLICT (rejection_key) DO NOTHING RETURNING rejection_key`,
    columns,
  );
  const recorded = new Set(inserted.rows.map((row) => row.rejection_key));
  return { recorded: [...recorded], duplicates: keys.filter((key) => !recorded.has(key)) };
}

/** Rejection codes of held amends and cancels that can never be booked (lib/pipeline/pending-events.ts). */
export const PendingRejectionCode = {
  TRADE_REJECTED: 'TRADE_REJECTED',
  PENDING_EXPIRED: 'PENDING_EXPIRED',
} as const;

/** Why a held amend or cancel can never be booked. */
export const UnresolvableCause = {
  /** Its trade's NEW was rejected (at validation or at booking) and the trade was never booked. */
  TRADE_REJECTED: 'TRADE_REJECTED',
  /** Its trade did not arrive within the wait (PENDING_EVENT_MAX_WAIT_SECONDS). */
  EXPIRED: 'EXPIRED',
} as const;
export type UnresolvableCause = (typeof UnresolvableCause)[keyof typeof UnresolvableCause];

/** A held event taken out of `pending_trade_events` because it can never be booked. */
export interface UnresolvablePending {
  readonly trade: Trade;
  readonly source: RecordSource;
  readonly cause: UnresolvableCause;
  /** When it was held. */
  readonly heldSince: string;
  /** The reason codes of its trade's rejected NEW (TRADE_REJECTED only). */
  readonly newRejectionCodes: readonly string[];
}

/** Most held events one call takes out; the rest go with the next call. */
const UNRESOLVABLE_CHUNK = 1_000;

/**
 * Takes out of `pending_trade_events`, in `client`'s transaction, the held amends and cancels that can never be
 * booked: their trade was never booked and either its NEW was rejected, or they were held before `expiredBefore`.
 * The caller records each one's outcome in the same transaction. The trade's booking lock is taken first (as a
 * booking takes it), and the condition checked again under it, so an event released by a booking that commits at
 * the same moment is never also taken out here. Only events read from Kafka (with a source record) are taken: the
 * source is the outcome's key.
 */
export async function takeUnresolvablePending(
  client: PoolClient,
  options: { readonly expiredBefore: Date },
): Promise<UnresolvablePending[]> {
  const unresolvable = `NOT EXISTS (SELECT 1 FROM trade_versions v WHERE v.trade_id = p.trade_id)
    AND p.source_topic IS NOT NULL
    AND (p.received_at < $1::timestamptz OR EXISTS (
      SELECT 1 FROM trade_rejections r WHERE r.trade_id = p.trade_id AND r.event ->> 'lifecycle' = 'NEW'))`;
  const candidates = await client.query<{ trade_id: string }>(
    `SELECT DISTINCT p.trade_id FROM pending_trade_events p WHERE ${unresolvable} LIMIT ${UNRESOLVABLE_CHUNK}`,
    [options.expiredBefore.toISOString()],
  );
  if (candidates.rows.length === 0) return [];
  const tradeIds = candidates.rows.map((row) => row.trade_id);
  await lockKeyBuckets(client, BOOKING_LOCK_NAMESPACE, tradeIds);
  const taken = await client.query<EventRow & { trade_rejected: boolean; held_since: string; codes: string[] | null }>(
    `WITH taken AS (
       DELETE FROM pending_trade_events p WHERE p.trade_id = ANY($2::text[]) AND ${unresolvable} RETURNING p.*)
     SELECT ${eventColumns('t')},
       to_char(t.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS held_since,
       EXISTS (SELECT 1 FROM trade_rejections r WHERE r.trade_id = t.trade_id AND r.event ->> 'lifecycle' = 'NEW')
         AS trade_rejected,
       (SELECT array_agg(DISTINCT reason ->> 'code' ORDER BY reason ->> 'code')
          FROM trade_rejections r CROSS JOIN jsonb_array_elements(r.reasons) AS reason
          WHERE r.trade_id = t.trade_id AND r.event ->> 'lifecycle' = 'NEW') AS codes
     FROM taken t ORDER BY t.trade_id, t.version, t.exec_id`,
    [options.expiredBefore.toISOString(), tradeIds],
  );
  return taken.rows.flatMap((row) => {
    const source = sourceOf(row);
    if (source === undefined) return [];
    return [
      {
        trade: tradeFromRow(row),
        source,
        cause: row.trade_rejected ? UnresolvableCause.TRADE_REJECTED : UnresolvableCause.EXPIRED,
        heldSince: row.held_since,
        newRejectionCodes: row.codes ?? [],
      },
    ];
  });
}
