/**
 * The PostgreSQL connection pool and transactions.
 *
 * One pool per Lambda container: the handler module asks `getPool()` (or builds its own with `createPool`) and
 * passes the pool into its stores' constructors. Nothing else holds a pool statically.
 *
 * NUMERIC and BIGINT columns come back as strings (node-postgres' default, deliberately left alone): they go
 * straight into `Dec`, never through a JavaScript number.
 */
import type { ConnectionOptions } from 'node:tls';

import { Pool, type PoolClient } from 'pg';

import { getSecretSource } from '../aws/secrets';
import { config, ConfigError } from '../config';
import { awsCredentialDeps, passwordProvider, sslOptions } from './credentials';
import { instrumentClient, instrumentPool } from '../observability/db-time';
import { DbConnectionError, isDatabaseError, toDbError } from './errors';

/** A server named by its parts, its password asked for per connection (a secret's, or an IAM token). */
export interface ServerConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: () => Promise<string>;
  readonly ssl: false | ConnectionOptions;
}

export interface PoolSettings {
  /** `postgres://...` connection URL; or `server`. */
  readonly url?: string;
  readonly server?: ServerConnection;
  /** Connections per container. Default 2: a container serves one invocation at a time. */
  readonly poolMax?: number;
  /** Server-side statement timeout in milliseconds. Default 10 000. */
  readonly statementTimeoutMs?: number;
  /** Shown in `pg_stat_activity`, so that an operator can tell which function holds a connection. */
  readonly applicationName?: string;
  /** Called when an idle connection breaks (server restart, network). Default: one line on stderr. */
  readonly onIdleClientError?: (error: Error) => void;
}

export const POOL_DEFAULTS = {
  poolMax: 2,
  statementTimeoutMs: 10_000,
  /** Fail fast rather than spend the function's whole timeout waiting for a connection. */
  connectionTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  /**
   * A container frozen between invocations must not hold a transaction (and its locks) open for long;
   * the server ends such sessions after this long.
   */
  idleInTransactionTimeoutMs: 60_000,
} as const;

/** Creates a pool. Call once per container (see `getPool`) or once per test. */
export function createPool(settings: PoolSettings): Pool {
  const pool = new Pool({
    ...(settings.server === undefined
      ? { connectionString: settings.url }
      : {
          host: settings.server.host,
          port: settings.server.port,
          database: settings.server.database,
          user: settings.server.user,
          password: settings.server.password,
          ssl: settings.server.ssl,
        }),
    max: settings.poolMax ?? POOL_DEFAULTS.poolMax,
    statement_timeout: settings.statementTimeoutMs ?? POOL_DEFAULTS.statementTimeoutMs,
    idle_in_transaction_session_timeout: POOL_DEFAULTS.idleInTransactionTimeoutMs,
    connectionTimeoutMillis: POOL_DEFAULTS.connectionTimeoutMs,
    idleTimeoutMillis: POOL_DEFAULTS.idleTimeoutMs,
    application_name: settings.applicationName ?? 'posttrade',
    keepAlive: true,
  });
  // Without a listener, an idle client's error (e.g. the server restarting) would crash the process; the pool
  // has already discarded that client, so reporting it is all there is to do.
  const onIdleClientError =
    settings.onIdleClientError ?? ((error: Error) => console.error(`idle PostgreSQL client failed: ${error.message}`));
  pool.on('error', onIdleClientError);
  // A query that waited for a connection counts towards the batch that issued it (lib/observability/db-time.ts).
  instrumentPool(pool);
  // A checked-out client has no pool listener: its 'error' event (the backend terminated, the server restarted, the
  // socket reset) would be thrown as an uncaught exception and take the whole process down. Every client gets one
  // listener for its lifetime that only remembers the failure; withTransaction turns it into a DbConnectionError.
  pool.on('connect', (client) => {
    // Each round trip counts towards its batch's DatabaseTime metric (lib/observability/db-time.ts).
    instrumentClient(client);
    client.on('error', (error: Error) => {
      brokenClients.set(client, error);
    });
  });
  return pool;
}

/** Clients whose connection failed while checked out, with the error their socket or the server reported. */
const brokenClients = new WeakMap<PoolClient, Error>();

/** The failure of `client`'s connection, if it has failed (see createPool). */
export function connectionFailure(client: PoolClient): Error | undefined {
  return brokenClients.get(client);
}

let containerPool: Pool | undefined;

/**
 * The pool of this container, created from `config()` on first use. This is the one per-container cache of the
 * database layer: Lambda reuses the container (and so the pool) across invocations.
 */
export function getPool(): Pool {
  if (containerPool === undefined) {
    const { database, stage } = config();
    const applicationName = `posttrade-${stage}`;
    if (database.server !== undefined) {
      // The cloud form: password from Secrets Manager (cached) or an IAM token, TLS with the certificate checked.
      const server = database.server;
      const connection: ServerConnection = {
        host: server.host,
        port: server.port,
        database: server.database,
        user: server.user,
        password: passwordProvider(server, awsCredentialDeps(getSecretSource())),
        ssl: sslOptions(server),
      };
      containerPool = createPool({
        server: connection,
        poolMax: database.poolMax,
        statementTimeoutMs: database.statementTimeoutMs,
        applicationName,
      });
      return containerPool;
    }
    if (database.url === undefined) {
      throw new ConfigError(
        ['DATABASE_URL'],
        'Invalid configuration: DATABASE_URL: required to connect to PostgreSQL (or DB_HOST with DB_SECRET_ARN)',
      );
    }
    containerPool = createPool({
      url: database.url,
      poolMax: database.poolMax,
      statementTimeoutMs: database.statementTimeoutMs,
      applicationName,
    });
  }
  return containerPool;
}

/** Ends the container's pool, if any (scripts and tests; Lambda never needs it). */
export async function endPool(): Promise<void> {
  const pool = containerPool;
  containerPool = undefined;
  await pool?.end();
}

export const ISOLATION_LEVELS = {
  readCommitted: 'READ COMMITTED',
  repeatableRead: 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
} as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[keyof typeof ISOLATION_LEVELS];

/**
 * Runs `work` inside one transaction on one connection: BEGIN, then COMMIT if `work` resolves, ROLLBACK if it
 * throws. The connection always goes back to the pool (destroyed instead if ROLLBACK itself failed).
 *
 * Errors from PostgreSQL are rethrown as `DbError` subclasses with the original as `cause` and `retriable` set
 * (a serialization failure or deadlock means "run the whole transaction again"). Errors thrown by `work` itself
 * are the caller's and are rethrown unchanged, after the rollback.
 */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  options: { readonly isolation?: IsolationLevel } = {},
): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw toDbError(error, 'could not get a database connection');
  }
  let connectionBroken = false;
  try {
    await client.query(options.isolation === undefined ? 'BEGIN' : `BEGIN ISOLATION LEVEL ${options.isolation}`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    const lost = connectionFailure(client);
    if (lost !== undefined) {
      // The connection went with the transaction (rolled back by the server, or committed if it failed during
      // COMMIT: every unit of work is idempotent, so running it again is right either way). Whatever `work` threw
      // (pg's "not queryable", or the caller's own error raised by a failed query), retrying on a fresh connection
      // is what helps.
      connectionBroken = true;
      throw new DbConnectionError(`transaction lost with its connection: ${lost.message}`, { cause: lost });
    }
    try {
      await client.query('ROLLBACK');
    } catch {
      // The connection is in an unknown state: make the pool discard it rather than hand it to the next caller.
      connectionBroken = true;
    }
    throw isDatabaseError(error) ? toDbError(error, 'transaction rolled back') : error;
  } finally {
    client.release(connectionBroken);
  }
}
