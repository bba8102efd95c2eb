/**
 * The booking's and the positions' advisory locks stay within PostgreSQL's shared lock table
 * (max_locks_per_transaction × max_connections entries for every session together, 64 × 100 by default and on
 * RDS): a transaction locks the buckets of its keys (lib/db/locks.ts), at most LOCK_BUCKETS of them, whatever
 * the size of its batch; and two transactions sharing a key still wait for each other.
 *
 * Before the buckets a booking took one lock per trade id, ExecID and owner|ISIN, and concurrent large batches
 * failed with "out of shared memory" (SQLSTATE 53200).
 */
import type { Pool, PoolClient } from 'pg';

import { bookEvents } from '../../../lib/db/booking';
import { LOCK_BUCKETS, lockKeyBuckets } from '../../../lib/db/locks';
import { createPool } from '../../../lib/db/pool';
import { PgTradeStore } from '../../../lib/db/trade-store';
import { Dec } from '../../../lib/domain/money';
import { Side, TradeLifecycle, type Trade } from '../../../lib/domain/trade';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const GOLDMAN_LEI = 'W22LROWP2IHZNBB6K528';

/** `count` NEWs with their own trade ids, ExecIDs and owners (so that each has its own owner|ISIN lock key too). */
function trades(prefix: string, count: number): Trade[] {
  return Array.from({ length: count }, (_, i) => ({
    execId: `${prefix}-E${i}`,
    tradeId: `${prefix}-T${i}`,
    version: 1,
    lifecycle: TradeLifecycle.NEW,
    account: 'ACC-001',
    counterpartyLei: GOLDMAN_LEI,
    isin: 'US0378331005',
    mic: 'XNYS',
    side: i % 2 === 0 ? Side.BUY : Side.SELL,
    quantity: new Dec(String(100 + i)),
    price: new Dec('189.87'),
    currency: 'USD',
    tradeDate: '2024-05-28',
    tradeTime: '2024-05-28T14:30:00.000Z',
    commission: new Dec('1.5'),
    fees: new Dec('0.0123'),
    beneficialOwner: `${prefix}-OWNER-${i}`,
  }));
}

async function advisoryLocksHeld(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted`,
  );
  return Number(rows[0]?.n);
}

async function inTransactionRolledBack<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    return await work(client);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

describe('advisory locks are bounded per transaction', () => {
  let db: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool({ url: db.url, poolMax: 10, applicationName: 'posttrade-test-locks' });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('a 1,000-trade booking with the wash-trade recheck holds at most LOCK_BUCKETS advisory locks', async () => {
    // 1,000 trade ids + 1,000 ExecIDs + 1,000 owner|ISIN pairs: 3,000 keys, one lock each before the buckets.
    const batch = trades('BIG', 1000).map((trade) => ({ trade, source: undefined }));

    const held = await inTransactionRolledBack(pool, async (client) => {
      const result = await bookEvents(client, batch, { recheckWashTrades: true });
      expect(result.booked).toHaveLength(1000);
      return advisoryLocksHeld(client);
    });

    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(LOCK_BUCKETS);
  });

  it('eight concurrent 2,000-trade bookings all book, none runs out of shared memory', async () => {
    // 8 × 6,000 keys: far past the shared lock table (~64 × 100 entries) had each key its own lock.
    const store = new PgTradeStore(pool);
    const batches = Array.from({ length: 8 }, (_, b) => trades(`CONC${b}`, 2000));

    const results = await Promise.allSettled(
      batches.map((batch) => store.bookTrades(batch, [], { recheckWashTrades: true })),
    );

    expect(
      results.map((result) => (result.status === 'fulfilled' ? result.value.booked.length : String(result.reason))),
    ).toEqual(Array.from({ length: 8 }, () => 2000));
  });

  it('any number of keys takes at most LOCK_BUCKETS locks, and a transaction sharing a key waits for the holder', async () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `K-${i}`);
    const holder = await pool.connect();
    const waiter = await pool.connect();
    try {
      await holder.query('BEGIN');
      const taken = await lockKeyBuckets(holder, 42, keys);
      expect(taken).toBe(LOCK_BUCKETS); // 10,000 keys fill every bucket
      expect(await advisoryLocksHeld(holder)).toBe(LOCK_BUCKETS);

      const holderPid = Number((await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
      const waiterPid = Number((await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
      await waiter.query('BEGIN');
      let acquired = false;
      const waiting = lockKeyBuckets(waiter, 42, ['K-1234']).then((n) => {
        acquired = true;
        return n;
      });
      // The waiter is blocked by the holder (polled: no timed assertion), and has not got its lock.
      for (;;) {
        const { rows } = await pool.query<{ blockers: number[] }>('SELECT pg_blocking_pids($1) AS blockers', [
          waiterPid,
        ]);
        if (rows[0]?.blockers.includes(holderPid)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(acquired).toBe(false);

      await holder.query('COMMIT');
      expect(await waiting).toBe(1);
      // Another namespace is independent of namespace 42.
      expect(await lockKeyBuckets(holder, 43, ['K-1234'])).toBe(1);
    } finally {
      await waiter.query('ROLLBACK');
      waiter.release();
      holder.release();
    }
  });
});
