/**
 * Positions in PostgreSQL (table `positions`, migrations/1732406800000_positions.sql).
 *
 * A position is never updated incrementally: `rebuild` replays the live trade set of each touched account and
 * instrument from flat (`buildPosition`) and writes the result. The row is therefore a pure function of the live
 * set, which makes every property the domain asks for hold by construction: an amend gives the position as if the
 * trade had always been so, a cancel as if it never existed, arrival order does not matter, and a redelivered
 * event rewrites the same row (idempotent). A per-position advisory lock (of the position's bucket), taken before
 * reading, makes two concurrent rebuilds of the same position serialise, so the last writer has read the latest
 * set. Each rebuilt or removed position is put in the `positions.changed` outbox in the same transaction
 * (change-outbox.ts).
 */
import type { Pool } from 'pg';

import {
  buildPosition,
  openCost,
  positionQuantity,
  type CostMethod,
  type Position,
  type PositionError,
} from '../domain/lots';
import { Dec } from '../domain/money';
import { lockKeyBuckets } from '../db/locks';
import { withTransaction } from '../db/pool';
import { recordPositionChanges } from './change-outbox';
import { keyOf, loadLiveEvents, type PositionKey } from './live-events';
import { fromSnapshot, toSnapshot } from './snapshot';

/**
 * Namespace of the positions' advisory locks (first key of the two-key form): a rebuild locks the buckets of its
 * positions' keys (lib/db/locks.ts), not one lock per position, so that a 1,000-position batch takes at most
 * LOCK_BUCKETS locks of PostgreSQL's shared lock table.
 */
const POSITION_LOCK_NAMESPACE = 1_732_408_402;

export interface StoredPosition extends PositionKey {
  readonly costMethod: CostMethod;
  readonly currency: string;
  readonly baseCurrency: string;
  /** Signed: negative for a short. */
  readonly quantity: Dec;
  readonly position: Position;
  readonly liveTrades: number;
  readonly lastTradeDate: string;
}

export interface PositionFailure extends PositionKey {
  readonly errors: readonly PositionError[];
}

export interface RebuildResult {
  /** Positions written (a redelivery rewrites the same row). */
  readonly rebuilt: number;
  /** Positions whose every trade is cancelled: their row is gone. */
  readonly removed: number;
  /** Positions that could not be built (kept as they were): data a person must fix, retrying will not help. */
  readonly failures: readonly PositionFailure[];
}

export interface PositionPage {
  readonly items: readonly StoredPosition[];
  /** Pass back as `after` for the next page; undefined on the last page. */
  readonly next: PositionKey | undefined;
}

/** Where positions live, in the domain's terms. */
export interface PositionStore {
  /** Replays the live trades of each position and stores the result; idempotent. */
  rebuild(keys: readonly PositionKey[]): Promise<RebuildResult>;
  /** Every position any version of these trades touched (an amend may move a trade to another account). */
  keysOfTrades(tradeIds: readonly string[]): Promise<PositionKey[]>;
  get(key: PositionKey): Promise<StoredPosition | undefined>;
  /** Positions ordered by account then instrument, optionally of some accounts only, after a key. */
  list(query: {
    readonly accounts?: readonly string[];
    readonly after?: PositionKey;
    readonly limit: number;
  }): Promise<PositionPage>;
}

interface PositionRow {
  account_id: string;
  isin: string;
  cost_method: CostMethod;
  currency: string;
  base_currency: string;
  quantity: string;
  open_cost: string;
  open_cost_base: string;
  realized: string;
  realized_base: string;
  fees: string;
  fees_base: string;
  lots: unknown;
  live_trades: number;
  last_trade_date: string;
}

const SELECT_POSITION = `SELECT account_id, isin, cost_method, currency, base_currency, quantity, open_cost,
  open_cost_base, realized, realized_base, fees, fees_base, lots, live_trades,
  to_char(last_trade_date, 'YYYY-MM-DD') AS last_trade_date FROM positions`;

export class PgPositionStore implements PositionStore {
  constructor(private readonly pool: Pool) {}

  async rebuild(keys: readonly PositionKey[]): Promise<RebuildResult> {
    const unique = [...new Map(keys.map((key) => [keyOf(key), key])).values()].sort((a, b) =>
      keyOf(a) < keyOf(b) ? -1 : 1,
    );
    if (unique.length === 0) return { rebuilt: 0, removed: 0, failures: [] };
    return withTransaction(this.pool, async (client) => {
      // One lock per bucket of positions (at most LOCK_BUCKETS), sorted: bounded, and no deadlock between batches.
      await lockKeyBuckets(client, POSITION_LOCK_NAMESPACE, unique.map(keyOf));
      const live = await loadLiveEvents(client, unique);
      const failures: PositionFailure[] = [];
      const rows: unknown[][] = [];
      const gone: PositionKey[] = [];
      for (const key of unique) {
        const entry = live.get(keyOf(key));
        if (entry === undefined) {
          gone.push(key);
          continue;
        }
        if (entry.missingFx.length > 0) {
          failures.push({ ...key, errors: entry.missingFx.map((ref) => missingFx(ref, entry.currency)) });
          continue;
        }
        const built = buildPosition(entry.events, entry.costMethod);
        if (!built.ok) {
          failures.push({ ...key, errors: built.errors });
          continue;
        }
        const position = built.value;
        const cost = openCost(position);
        rows.push([
          key.accountId,
          key.isin,
          entry.costMethod,
          entry.currency,
          entry.baseCurrency,
          positionQuantity(position).toFixed(),
          cost.local.toFixed(),
          cost.base.toFixed(),
          position.realized.local.toFixed(),
          position.realized.base.toFixed(),
          position.fees.local.toFixed(),
          position.fees.base.toFixed(),
          JSON.stringify(toSnapshot(position).lots),
          entry.events.filter((event) => event.kind === 'TRADE').length,
          entry.lastTradeDate,
        ]);
      }
      if (rows.length > 0) {
        const column = (index: number): unknown[] => rows.map((row) => row[index]);
        await client.query(
          `INSERT INTO positions (account_id, isin, cost_method, currency, base_currency, quantity, open_cost,
             open_cost_base, realized, realized_base, fees, fees_base, lots, live_trades, last_trade_date)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[],
             $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::numeric[],
             $13::jsonb[], $14::int[], $15::date[])
           ON CONFLICT (account_id, isin) DO UPDATE SET cost_method = EXCLUDED.cost_method,
             currency = EXCLUDED.currency, base_currency = EXCLUDED.base_currency, quantity = EXCLUDED.quantity,
             open_cost = EXCLUDED.open_cost, open_cost_base = EXCLUDED.open_cost_base, realized = EXCLUDED.realized,
             realized_base = EXCLUDED.realized_base, fees = EXCLUDED.fees, fees_base = EXCLUDED.fees_base,
             lots = EXCLUDED.lots, live_trades = EXCLUDED.live_trades, last_trade_date = EXCLUDED.last_trade_date,
             rebuilt_at = now()`,
          Array.from({ length: 15 }, (_, index) => column(index)),
        );
      }
      let removed = 0;
      if (gone.length > 0) {
        const result = await client.query(
          `DELETE FROM positions p USING unnest($1::text[], $2::text[]) AS k(account_id, isin)
           WHERE p.account_id = k.account_id AND p.isin = k.isin`,
          [gone.map((k) => k.accountId), gone.map((k) => k.isin)],
        );
        removed = result.rowCount ?? 0;
      }
      await recordPositionChanges(client, [
        ...rows.map((row) => ({ accountId: row[0] as string, isin: row[1] as string, open: true })),
        ...gone.map((key) => ({ ...key, open: false })),
      ]);
      return { rebuilt: rows.length, removed, failures };
    });
  }

  async keysOfTrades(tradeIds: readonly string[]): Promise<PositionKey[]> {
    if (tradeIds.length === 0) return [];
    const { rows } = await this.pool.query<{ account_id: string; isin: string }>(
      'SELECT DISTINCT account_id, isin FROM trade_versions WHERE trade_id = ANY($1::text[])',
      [tradeIds],
    );
    return rows.map((row) => ({ accountId: row.account_id, isin: row.isin }));
  }

  async get(key: PositionKey): Promise<StoredPosition | undefined> {
    const { rows } = await this.pool.query<PositionRow>(`${SELECT_POSITION} WHERE account_id = $1 AND isin = $2`, [
      key.accountId,
      key.isin,
    ]);
    const row = rows[0];
    return row && toStored(row);
  }

  async list(query: {
    readonly accounts?: readonly string[];
    readonly after?: PositionKey;
    readonly limit: number;
  }): Promise<PositionPage> {
    const { rows } = await this.pool.query<PositionRow>(
      `${SELECT_POSITION}
       WHERE ($1::text[] IS NULL OR account_id = ANY($1::text[]))
         AND ($2::text IS NULL OR (account_id, isin) > ($2::text, $3::text))
       ORDER BY account_id, isin LIMIT $4`,
      [query.accounts ?? null, query.after?.accountId ?? null, query.after?.isin ?? null, query.limit + 1],
    );
    const items = rows.slice(0, query.limit).map(toStored);
    const last = items[items.length - 1];
    return {
      items,
      next: rows.length > query.limit && last ? { accountId: last.accountId, isin: last.isin } : undefined,
    };
  }
}

function toStored(row: PositionRow): StoredPosition {
  const position = fromSnapshot({
    method: row.cost_method,
    currency: row.currency,
    lots: row.lots,
    realized: { local: row.realized, base: row.realized_base },
    fees: { local: row.fees, base: row.fees_base },
  });
  return {
    accountId: row.account_id,
    isin: row.isin.trim(),
    costMethod: row.cost_method,
    currency: row.currency,
    baseCurrency: row.base_currency,
    quantity: new Dec(row.quantity),
    position,
    liveTrades: row.live_trades,
    lastTradeDate: row.last_trade_date,
  };
}

function missingFx(tradeId: string, currency: string): PositionError {
  return {
    code: 'INVALID_TRADE',
    ref: tradeId,
    message: `no FX rate from ${currency} to base within 7 days of the trade date`,
  };
}
