/**
 * The positions stage's outbox of `positions.changed` (migrations/1732408000000_risk-outbox.sql). `rebuild`
 * records each position it wrote or removed in its own transaction (`recordPositionChanges`), so no committed
 * change goes unannounced; the stage then publishes what is pending and deletes what it sent
 * (`publishPositionChanges`). A crash between the commit and the publish leaves the rows: the next batch (of any
 * partition) sends them. A crash between sending and deleting sends them again: at-least-once, harmless to risk,
 * which re-evaluates the account from what is stored.
 */
import type { Pool, PoolClient } from 'pg';

import { withTransaction } from '../db/pool';
import type { EventPublisher } from '../kafka/producer';
import type { PositionChangedV1 } from '../kafka/schemas/positions-changed';
import { Topics } from '../kafka/topics';
import type { PositionKey } from './live-events';

/** Largest number of changes one publish round takes; the rest go in the next round of the same call. */
const PUBLISH_CHUNK = 1000;

export interface PositionChange extends PositionKey {
  /** False when the position was removed. */
  readonly open: boolean;
}

/** Puts the changes in the outbox, in the caller's transaction; a pending change of a position is replaced. */
export async function recordPositionChanges(client: PoolClient, changes: readonly PositionChange[]): Promise<void> {
  if (changes.length === 0) return;
  await client.query(
    `INSERT INTO position_changes (account_id, isin, open, changed_at)
     SELECT a, i, o, clock_timestamp() FROM unnest($1::text[], $2::text[], $3::boolean[]) AS x(a, i, o)
     ON CONFLICT (account_id, isin) DO UPDATE SET open = EXCLUDED.open, changed_at = EXCLUDED.changed_at`,
    [changes.map((c) => c.accountId), changes.map((c) => c.isin), changes.map((c) => c.open)],
  );
}

/** Publishes every pending change to positions.changed (keyed by account) and deletes it; returns how many. */
export async function publishPositionChanges(pool: Pool, publisher: EventPublisher): Promise<number> {
  let total = 0;
  for (;;) {
    const sent = await withTransaction(pool, async (client) => {
      // SKIP LOCKED: two invocations (pollers of two partitions) never send the same row at once; a rebuild that
      // changes a row being sent waits for this transaction and then writes a new row, sent by a later round.
      const { rows } = await client.query<{ account_id: string; isin: string; open: boolean; changed_at: string }>(
        `SELECT account_id, isin, open,
           to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS changed_at
         FROM position_changes ORDER BY changed_at LIMIT ${PUBLISH_CHUNK} FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return 0;
      await publisher.publish(
        rows.map((row) => {
          const value: PositionChangedV1 = {
            schemaVersion: 1,
            account: row.account_id,
            isin: row.isin.trim(),
            changedAt: row.changed_at,
            open: row.open,
          };
          return { topic: Topics.POSITIONS_CHANGED, key: row.account_id, value };
        }),
      );
      await client.query(
        `DELETE FROM position_changes p USING unnest($1::text[], $2::text[]) AS k(a, i)
         WHERE p.account_id = k.a AND p.isin = k.i`,
        [rows.map((row) => row.account_id), rows.map((row) => row.isin)],
      );
      return rows.length;
    });
    total += sent;
    if (sent < PUBLISH_CHUNK) return total;
  }
}
