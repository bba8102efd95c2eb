import fs from 'node:fs';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { Client, type PoolClient } from 'pg';

import { DbConflictError, DbError, DbQueryError, DbTimeoutError } from '../../../lib/db/errors';
import { createPool, ISOLATION_LEVELS, withTransaction } from '../../../lib/db/pool';
import { Dec } from '../../../lib/domain/money';
import { randomSuffix, runningPostmaster, startPostgres } from '../../../localstack/postgres';
import { createTestDatabase, freePort, runMigrations, type TestDatabase } from '../helpers/postgres';

const REFERENCE_TABLES = [
  'accounts',
  'counterparties',
  'fx_rates',
  'holidays',
  'instruments',
  'reference_prices',
  'restricted_list',
  'settlement_cycles',
  'ssis',
  'validation_thresholds',
];

const INSERT_INSTRUMENT = `INSERT INTO instruments (isin, mic, currency, lot_size, price_decimals, instrument_type, settlement_mic)
  VALUES ($1, 'XNYS', 'USD', 1, 2, 'EQUITY', 'XNYS')`;

/** Resolves when `count` parties have arrived: lets two transactions interleave at a known point, without sleeps. */
function barrier(count: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => {
    release = resolve;
  });
  return () => {
    arrived += 1;
    if (arrived === count) release();
    return allArrived;
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  let empty: TestDatabase;
  beforeAll(async () => {
    empty = await createTestDatabase({ migrated: false });
  });
  afterAll(async () => {
    await empty.drop();
  });

  it('apply every migration file in order to a fresh database, and a second run applies nothing', async () => {
    const files = fs
      .readdirSync(path.resolve(__dirname, '..', '../../migrations'))
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.replace(/\.sql$/, ''))
      .sort();
    const firstRun = await runMigrations(empty.url);
    const secondRun = await runMigrations(empty.url);

    const tables = await empty.pool.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    const applied = await empty.pool.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY id');
    expect(firstRun).toContain('migrations applied: 1732406400000_reference-data');
    expect(secondRun).toContain('already up to date');
    expect(tables.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining([...REFERENCE_TABLES, 'pgmigrations']),
    );
    expect(applied.rows.map((row) => row.name)).toEqual(files);
  });
});

describe('embedded server lifecycle', () => {
  // Named like the harness' clusters so that a crashed run's directory is cleaned up by the next run.
  const dataDir = path.resolve(
    __dirname,
    '..',
    '..',
    '..',
    '.local',
    'test-pg',
    `${process.pid}-lifecycle-${randomSuffix()}`,
  );
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('restarts an already-initialised data directory with its data, and reuses a server already running on it', async () => {
    const port = await freePort();
    const first = await startPostgres({ dataDir, port, fast: true });
    await withClient(first.url, async (client) => {
      await client.query('CREATE TABLE survivor (id int PRIMARY KEY)');
      await client.query('INSERT INTO survivor VALUES (42)');
    });
    await first.stop();
    const afterStop = await runningPostmaster(dataDir);

    const second = await startPostgres({ dataDir, port, fast: true });
    const reused = await startPostgres({ dataDir, port, fast: true });
    await reused.stop();
    const afterReusedStop = await runningPostmaster(dataDir);
    const survivors = await withClient(second.url, (client) => client.query<{ id: number }>('SELECT id FROM survivor'));
    await second.stop();

    expect(first.reused).toBe(false);
    expect(afterStop).toBeUndefined();
    expect(second.reused).toBe(false);
    expect(survivors.rows).toEqual([{ id: 42 }]);
    expect(reused.reused).toBe(true);
    expect(reused.pid).toBe(second.pid);
    expect(reused.url).toBe(second.url);
    // Stopping the handle of a reused server must leave the server running: it belongs to someone else.
    expect(afterReusedStop?.pid).toBe(second.pid);
  });
});

describe('on a migrated database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  describe('withTransaction', () => {
    it('commits what the work wrote when it resolves', async () => {
      const result = await withTransaction(db.pool, async (client) => {
        await client.query(INSERT_INSTRUMENT, ['US0378331005']);
        return 'done';
      });

      const rows = await db.pool.query('SELECT isin FROM instruments WHERE isin = $1', ['US0378331005']);
      expect(result).toBe('done');
      expect(rows.rowCount).toBe(1);
    });

    it('rolls back every statement when the work throws, and rethrows the same error', async () => {
      const failure = new Error('validation blew up after the first write');

      const outcome = withTransaction(db.pool, async (client) => {
        await client.query(INSERT_INSTRUMENT, ['US5949181045']);
        throw failure;
      });

      await expect(outcome).rejects.toBe(failure);
      const rows = await db.pool.query('SELECT isin FROM instruments WHERE isin = $1', ['US5949181045']);
      expect(rows.rowCount).toBe(0);
    });

    it('rethrows a constraint violation as a non-retriable DbQueryError carrying the pg error as cause', async () => {
      await db.pool.query(INSERT_INSTRUMENT, ['US88160R1014']);

      const outcome = withTransaction(db.pool, async (client) => {
        await client.query(INSERT_INSTRUMENT, ['US88160R1014']);
      });

      const error: unknown = await outcome.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DbQueryError);
      expect(error).toMatchObject({ name: 'DbQueryError', code: '23505', retriable: false });
      expect((error as DbError).cause).toMatchObject({ code: '23505' });
    });

    it('reports a serialization failure between two SERIALIZABLE transactions as a retriable DbConflictError', async () => {
      // Write skew: each transaction reads the whole table, then inserts a row the other's read would have seen.
      const bothHaveRead = barrier(2);
      const readThenInsert = (key: string) => async (client: PoolClient) => {
        await client.query('SELECT count(*) FROM validation_thresholds');
        await bothHaveRead();
        await client.query('INSERT INTO validation_thresholds (key, value) VALUES ($1, 1)', [key]);
      };

      const outcomes = await Promise.allSettled([
        withTransaction(db.pool, readThenInsert('skew.a'), { isolation: ISOLATION_LEVELS.serializable }),
        withTransaction(db.pool, readThenInsert('skew.b'), { isolation: ISOLATION_LEVELS.serializable }),
      ]);

      const failures = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      expect(failures).toHaveLength(1);
      expect(failures[0]).toBeInstanceOf(DbConflictError);
      expect(failures[0]).toMatchObject({ code: '40001', retriable: true });
    });
  });

  describe('createPool', () => {
    it('sets the statement timeout on every connection, and a query that exceeds it fails as DbTimeoutError', async () => {
      const pool = createPool({ url: db.url, statementTimeoutMs: 200 });

      try {
        const setting = await pool.query<{ statement_timeout: string }>('SHOW statement_timeout');
        const outcome = withTransaction(pool, (client) => client.query('SELECT pg_sleep(5)'));
        const error: unknown = await outcome.catch((caught: unknown) => caught);

        expect(setting.rows[0]?.statement_timeout).toBe('200ms');
        expect(error).toBeInstanceOf(DbTimeoutError);
        expect(error).toMatchObject({ code: '57014', retriable: false });
      } finally {
        await pool.end();
      }
    });
  });

  describe('NUMERIC', () => {
    it('round-trips a 20-digit price with 9 decimals exactly, as a string', async () => {
      const price = '12345678901234567890.123456789';
      await db.pool.query(INSERT_INSTRUMENT, ['GB0002634946']);

      await db.pool.query(`INSERT INTO reference_prices (isin, price_date, price) VALUES ($1, '2024-05-28', $2)`, [
        'GB0002634946',
        new Dec(price).toFixed(),
      ]);
      const row = await db.pool.query<{ price: string; tripled: string }>(
        `SELECT price, price * 3 AS tripled FROM reference_prices WHERE isin = $1`,
        ['GB0002634946'],
      );

      expect(row.rows[0]?.price).toBe(price);
      // By hand: 12345678901234567890 × 3 = 37037036703703703670 and 0.123456789 × 3 = 0.370370367.
      expect(row.rows[0]?.tripled).toBe('37037036703703703670.370370367');
    });
  });
});
