/**
 * Bounded advisory locking: a transaction that serialises on keys (trade ids, ExecIDs, positions...) locks the
 * key's *bucket* — `hashtext(key)` reduced to one of {@link LOCK_BUCKETS} — rather than the key itself.
 *
 * Why: PostgreSQL keeps every held advisory lock in one shared lock table of about
 * `max_locks_per_transaction × (max_connections + max_prepared_transactions)` entries (64 × 100 with the defaults,
 * RDS's too), shared by every session. One lock per key made a 500-trade booking take up to ~1,500 of them and a
 * 1,000-position rebuild ~1,000, so a few concurrent batches exhausted the table: "out of shared memory"
 * (SQLSTATE 53200) in whatever session asked next. With buckets a transaction holds at most {@link LOCK_BUCKETS}
 * advisory locks per namespace, whatever the size of its batch.
 *
 * Correctness is unchanged: two transactions that share a key share its bucket, so they still serialise. Two that
 * share no key may now also wait for each other when two of their keys fall into one bucket (a false conflict):
 * the price of the bound. Every caller takes all of its bucket locks in one statement, in ascending bucket order,
 * so two transactions cannot deadlock on them.
 *
 * The bucket count is a constant, not a setting: every process locking a namespace must map keys to buckets in
 * the same way, or two of them could lock different buckets for one key (and stop serialising) during a rolling
 * deploy that changed it.
 */
import type { PoolClient } from 'pg';

/** Buckets per namespace: the most advisory locks one transaction takes in a namespace (a power of two). */
export const LOCK_BUCKETS = 256;

/** SQL of a key's bucket (`key` a text expression): its hash's low bits, 0 .. LOCK_BUCKETS - 1. */
export function lockBucketSql(key: string): string {
  return `(hashtext(${key}) & ${LOCK_BUCKETS - 1})`;
}

/**
 * Locks, in `client`'s transaction, the buckets of `keys` in `namespace` (the first key of the two-key form of
 * pg_advisory_xact_lock), sorted; the locks are released at commit or rollback. Returns how many were taken.
 */
export async function lockKeyBuckets(client: PoolClient, namespace: number, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const { rows } = await client.query<{ locked: string }>(
    `SELECT count(pg_advisory_xact_lock($1::integer, b)) AS locked
     FROM (SELECT DISTINCT ${lockBucketSql('k')} AS b FROM unnest($2::text[]) AS k ORDER BY b) buckets`,
    [namespace, [...keys]],
  );
  return Number(rows[0]?.locked ?? 0);
}
