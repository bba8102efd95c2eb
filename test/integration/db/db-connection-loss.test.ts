/**
 * PostgreSQL connections lost under the handlers (a failover, a postmaster killed, a network cut), imitated with
 * pg_terminate_backend on the real test server: the process survives, the transaction fails with a retriable
 * DbConnectionError, the pool reconnects, and a pipeline run through the event-source runner books every trade
 * exactly once.
 */
import path from 'node:path';

import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { Pool } from 'pg';

import { DbConnectionError } from '../../../lib/db/errors';
import { createPool, withTransaction } from '../../../lib/db/pool';
import { KafkaPublisher, createKafkaProducer } from '../../../lib/kafka/producer';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { parseEventSourceMappings, startEventSourceRunner } from '../../../localstack/esm';
import { seedTrade } from '../../helpers/trades';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

/** The backends of connections named `application`, on the database of `pool`. */
async function backends(pool: Pool, application: string): Promise<{ pid: number; state: string }[]> {
  const { rows } = await pool.query<{ pid: number; state: string }>(
    `SELECT pid, coalesce(state, '') AS state FROM pg_stat_activity
     WHERE application_name = $1 AND datname = current_database()`,
    [application],
  );
  return rows;
}

async function terminate(pool: Pool, pid: number): Promise<void> {
  await pool.query('SELECT pg_terminate_backend($1)', [pid]);
}

const nextTick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('a PostgreSQL connection lost under a transaction', () => {
  let db: TestDatabase;
  let victim: Pool;
  const idleErrors: Error[] = [];
  const APP = 'posttrade-connection-loss';

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query('CREATE TABLE connection_loss_probe (id integer PRIMARY KEY)');
    victim = createPool({ url: db.url, applicationName: APP, onIdleClientError: (e) => idleErrors.push(e) });
  });
  afterAll(async () => {
    await victim.end();
    await db.drop();
  });

  it('fails with a retriable DbConnectionError when the backend dies between two statements, and commits nothing', async () => {
    // Arrange
    let ended: Promise<void> | undefined;

    // Act
    const attempt = withTransaction(victim, async (client) => {
      await client.query('INSERT INTO connection_loss_probe VALUES (1)');
      ended = new Promise((resolve) => client.once('end', () => resolve()));
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await terminate(db.pool, rows[0]?.pid ?? -1);
      await ended;
      await client.query('INSERT INTO connection_loss_probe VALUES (2)');
    });

    // Assert
    const error: unknown = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbConnectionError);
    expect((error as DbConnectionError).retriable).toBe(true);
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM connection_loss_probe');
    expect(rows[0]?.n).toBe('0');
  });

  it('fails with a retriable DbConnectionError when the backend dies during a statement, then reconnects', async () => {
    // Arrange: the transaction's statement runs until its backend is terminated
    const attempt = withTransaction(victim, async (client) => {
      await client.query('INSERT INTO connection_loss_probe VALUES (3)');
      await client.query('SELECT pg_sleep(30)');
    }).catch((e: unknown) => e);
    let sleeping: { pid: number } | undefined;
    while (sleeping === undefined) {
      await nextTick();
      sleeping = (await backends(db.pool, APP)).find((b) => b.state === 'active');
    }

    // Act
    await terminate(db.pool, sleeping.pid);
    const error = await attempt;
    const after = await withTransaction(victim, async (client) => {
      await client.query('INSERT INTO connection_loss_probe VALUES (4)');
      return (await client.query<{ id: number }>('SELECT id FROM connection_loss_probe ORDER BY id')).rows;
    });

    // Assert
    expect(error).toBeInstanceOf(DbConnectionError);
    expect(after).toEqual([{ id: 4 }]);
  });
});

describe('the pipeline while its database connections are cut', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let admin: Admin;
  let publisher: KafkaPublisher;
  let handlersPool: Pool;
  const APP = 'posttrade-pipeline-cut';

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
    broker = await startTestBroker();
    const kafka = new Kafka({ brokers: [broker.address], clientId: 'connection-loss-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'connection-loss-it' }));
    handlersPool = createPool({ url: db.url, applicationName: APP, poolMax: 4, onIdleClientError: () => undefined });
  });
  afterAll(async () => {
    await handlersPool.end();
    await publisher.disconnect();
    await admin.disconnect();
    await broker.destroy();
    await db.drop();
  });

  it('books every trade exactly once while backends are terminated mid-batch', async () => {
    // Arrange
    const arn = 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/cut';
    const msk = (topic: string) => ({ msk: { arn, topic, startingPosition: 'TRIM_HORIZON', batchSize: 5 } });
    const parsed = parseEventSourceMappings({
      functions: {
        validateTrades: { events: [msk(Topics.TRADES_CAPTURED)] },
        persistTrades: { events: [msk(Topics.TRADES_VALIDATED)] },
      },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const deps = { pool: handlersPool, publisher };
    const runner = await startEventSourceRunner({
      brokers: broker.address,
      mappings: parsed.value,
      handlers: { validateTrades: validateHandler(deps), persistTrades: persistHandler(deps) },
      retryBackoff: { initialMs: 20, maxMs: 200 },
    });
    const count = 300;
    const trades = Array.from({ length: count }, (_, i) =>
      seedTrade({ execId: `CUT-${i}`, tradeId: `CUT-T${i}`, account: i % 2 === 0 ? 'ACC-001' : 'ACC-003' }),
    );

    const bookedSoFar = async (): Promise<number> =>
      Number(
        (await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM trade_versions WHERE exec_id LIKE 'CUT-%'`))
          .rows[0]?.n,
      );

    // Act: publish, and terminate a handler's backend whenever one is in a transaction, up to ten times
    let terminated = 0;
    try {
      await publisher.publish(trades.map((value) => ({ topic: Topics.TRADES_CAPTURED, key: value.account, value })));
      while (terminated < 10 && (await bookedSoFar()) < count) {
        const busy = (await backends(db.pool, APP)).find(
          (b) => b.state.includes('transaction') || b.state === 'active',
        );
        if (busy === undefined) {
          await nextTick();
          continue;
        }
        await terminate(db.pool, busy.pid);
        terminated++;
      }
      await runner.idle();
      await runner.idle();
    } finally {
      await runner.stop();
    }

    // Assert: every ExecID booked once, each with one capture decision per stage
    const booked = await db.pool.query<{ n: string; distinct: string }>(
      `SELECT count(*) AS n, count(DISTINCT exec_id) AS distinct FROM trade_versions WHERE exec_id LIKE 'CUT-%'`,
    );
    expect(booked.rows[0]).toEqual({ n: String(count), distinct: String(count) });
    const live = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM trades WHERE exec_id LIKE 'CUT-%' AND status = 'LIVE'`,
    );
    expect(live.rows[0]?.n).toBe(String(count));
    const rejected = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM trade_rejections WHERE exec_id LIKE 'CUT-%'`,
    );
    expect(rejected.rows[0]?.n).toBe('0');
    // Enough cuts landed for the run to mean something (each one failed a batch that was then redelivered).
    expect(terminated).toBeGreaterThanOrEqual(3);
  });
});
