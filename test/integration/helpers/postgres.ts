/**
 * PostgreSQL for integration tests: one server for the whole run, one fresh database per test file.
 *
 * The server is the one named by DATABASE_URL, or else an embedded one in a throwaway data directory under
 * `.local/test-pg/`, on a free port, with durability off (fast). Migrations run once, into a template database;
 * each test file then gets `CREATE DATABASE ... TEMPLATE`, a file copy that takes milliseconds.
 *
 * With `globalSetup.ts`/`globalTeardown.ts` wired into Jest, the server and template are made once per run and
 * handed to the workers through the environment. Without them, each test file starts its own server (slower,
 * still correct).
 */
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { isNativeError } from 'node:util/types';
import { Client, type Pool } from 'pg';

import { createPool } from '../../../lib/db/pool';
import { randomSuffix, runningPostmaster, startPostgres, stopPostgres } from '../../../localstack/postgres';

/** Environment variables through which globalSetup hands the server and template to the test workers. */
export const TEST_PG_ENV = {
  /** URL of any database on the test server, with credentials allowed to CREATE DATABASE. */
  serverUrl: 'POSTTRADE_TEST_PG_URL',
  /** Name of the migrated template database. */
  template: 'POSTTRADE_TEST_PG_TEMPLATE',
  /** Data directory of the embedded server, when we started one (so that teardown can stop it). */
  dataDir: 'POSTTRADE_TEST_PG_DATA_DIR',
} as const;

/** The repository: the nearest folder up with package.json, so that a bundle of this helper (bench:report) finds it. */
function repoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const REPO_ROOT = repoRoot(__dirname);
const TEST_CLUSTERS_DIR = path.join(REPO_ROOT, '.local', 'test-pg');
/** `posttrade migrate`, run from the sources (tsx), as the command line runs it. */
const CLI_MAIN = path.join(REPO_ROOT, 'lib', 'cli', 'main.ts');

export interface TestServer {
  readonly serverUrl: string;
  readonly template: string;
  /** Set when the server is an embedded one we started (and must stop). */
  readonly dataDir: string | undefined;
}

export interface TestDatabase {
  readonly pool: Pool;
  readonly url: string;
  /** Closes the pool and drops the database (and stops the server if this file had to start its own). */
  drop(): Promise<void>;
}

/** Starts the run's server (or adopts DATABASE_URL's) and builds the migrated template database. */
export async function startTestServer(): Promise<TestServer> {
  const external = process.env.DATABASE_URL;
  let serverUrl: string;
  let dataDir: string | undefined;
  if (external !== undefined && external !== '') {
    serverUrl = external;
  } else {
    await removeStaleClusters();
    dataDir = path.join(TEST_CLUSTERS_DIR, `${process.pid}-${randomSuffix()}`);
    const server = await startPostgres({ dataDir, port: await freePort(), database: 'postgres', fast: true });
    serverUrl = server.url;
  }
  const template = `posttrade_template_${randomSuffix()}`;
  try {
    await createDatabase(serverUrl, template);
    await runMigrations(databaseUrl(serverUrl, template));
  } catch (error) {
    await stopTestServer({ serverUrl, template, dataDir });
    throw error;
  }
  return { serverUrl, template, dataDir };
}

/** Drops the template and, if we started the server, stops it and deletes its data directory. */
export async function stopTestServer(server: TestServer): Promise<void> {
  if (server.dataDir !== undefined) {
    await stopPostgres(server.dataDir);
    await rm(server.dataDir, { recursive: true, force: true });
    return;
  }
  await dropDatabase(server.serverUrl, server.template);
}

/**
 * A new, uniquely named database with every migration applied (`migrated: false`: an empty one), and a pool on it.
 * Call once per test file, in `beforeAll`, and `drop()` it in `afterAll`.
 */
export async function createTestDatabase(options: { readonly migrated?: boolean } = {}): Promise<TestDatabase> {
  const shared = sharedServer();
  const server = shared ?? (await startTestServer());
  const name = `posttrade_test_${randomSuffix()}`;
  await createDatabase(server.serverUrl, name, options.migrated === false ? undefined : server.template);
  const url = databaseUrl(server.serverUrl, name);
  const pool = createPool({ url, poolMax: 4, applicationName: 'posttrade-test' });
  return {
    pool,
    url,
    drop: async () => {
      await pool.end();
      await dropDatabase(server.serverUrl, name);
      if (shared === undefined) await stopTestServer(server);
    },
  };
}

/**
 * Runs `npm run migrate`'s entry point against `url` in a child process and returns its output.
 * A child process because node-pg-migrate is ESM-only and Jest's module registry cannot load it.
 */
export function runMigrations(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), CLI_MAIN, 'migrate'],
      { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: url } },
      (error, stdout, stderr) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`migrations failed: ${stderr || stdout}`, { cause: error }));
      },
    );
  });
}

/** `serverUrl` with its database replaced by `database`. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** A TCP port nobody listens on right now (the OS picks it; a race with another process is possible but rare). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

function sharedServer(): TestServer | undefined {
  const serverUrl = process.env[TEST_PG_ENV.serverUrl];
  const template = process.env[TEST_PG_ENV.template];
  if (serverUrl === undefined || template === undefined) return undefined;
  return { serverUrl, template, dataDir: process.env[TEST_PG_ENV.dataDir] };
}

async function createDatabase(serverUrl: string, name: string, template?: string): Promise<void> {
  await onServer(serverUrl, async (client) => {
    const from = template === undefined ? '' : ` TEMPLATE ${client.escapeIdentifier(template)}`;
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${from}`);
  });
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await onServer(serverUrl, async (client) => {
    // FORCE: a test that leaked a connection must not keep its database alive.
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  });
}

async function onServer(serverUrl: string, work: (client: Client) => Promise<void>): Promise<void> {
  // The maintenance database: CREATE/DROP DATABASE cannot run while connected to the database concerned.
  const client = new Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/** Deletes data directories left by runs that crashed (their Jest process is gone and no server runs on them). */
async function removeStaleClusters(): Promise<void> {
  const entries = await readdir(TEST_CLUSTERS_DIR).catch(() => []);
  for (const entry of entries) {
    const ownerPid = Number.parseInt(entry.split('-')[0] ?? '', 10);
    if (!Number.isInteger(ownerPid) || isAlive(ownerPid)) continue;
    const dataDir = path.join(TEST_CLUSTERS_DIR, entry);
    await stopPostgres(dataDir).catch(() => undefined);
    if ((await runningPostmaster(dataDir)) === undefined) await rm(dataDir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // Not `instanceof Error`: Node's errors come from outside Jest's sandbox realm.
    return isNativeError(error) && 'code' in error && error.code === 'EPERM';
  }
}
