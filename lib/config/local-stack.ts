/**
 * The local stack, as the command line reaches it.
 *
 * `npm start` (scripts/start.sh) runs the stack on KAFKA_PORT, PG_PORT, HTTP_PORT and LAMBDA_PORT with its state in
 * POSTTRADE_DATA_DIR, and once it is ready records what it listens on in `<data dir>/run/stack.env`. The command
 * line reaches that same stack: each setting is taken from the environment first, then from the running stack's
 * file, then from the defaults below (the same ones scripts/lib.sh uses; a unit test keeps them equal).
 */
import fs from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { ConfigError, problemsOf } from './errors';

/** The local stack's defaults. The PostgreSQL role and database are those the embedded server is initialised with. */
export const LOCAL_STACK_DEFAULTS = {
  dataDir: '.local',
  kafkaPort: 9092,
  pgPort: 5433,
  httpPort: 3000,
  lambdaPort: 3002,
  pgUser: 'posttrade',
  pgPassword: 'posttrade',
  pgDatabase: 'posttrade',
} as const;

const port = z.coerce.number().int().min(1).max(65_535);
const localEnvironment = z.object({
  /** Where the local stack keeps its data, logs and run files; relative paths are taken from the package root. */
  POSTTRADE_DATA_DIR: z.string().min(1).default(LOCAL_STACK_DEFAULTS.dataDir),
  KAFKA_PORT: port.optional(),
  PG_PORT: port.optional(),
  HTTP_PORT: port.default(LOCAL_STACK_DEFAULTS.httpPort),
  LAMBDA_PORT: port.default(LOCAL_STACK_DEFAULTS.lambdaPort),
});

/** The local stack's variables, parsed. */
export type LocalVars = z.output<typeof localEnvironment>;

/** Parses the set variables against the local stack's schema; throws `ConfigError` naming each that fails it. */
export function parseLocalEnvironment(present: Record<string, string>): LocalVars {
  const parsed = localEnvironment.safeParse(present);
  if (!parsed.success) throw ConfigError.of(problemsOf(parsed.error.issues));
  return parsed.data;
}

/** The package's root: the nearest directory above this module (or the bundle built from it) with package.json. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

export interface StackPaths {
  readonly dataDir: string;
  readonly runDir: string;
  readonly logDir: string;
  /** Written by `npm start` once the stack is ready, removed when it stops: DATABASE_URL, KAFKA_BROKERS, HTTP_URL. */
  readonly stackEnv: string;
}

/** Where the scripts keep the stack (a relative POSTTRADE_DATA_DIR is resolved against the package root). */
export function stackPathsIn(env: NodeJS.ProcessEnv): StackPaths {
  const dataDir = path.resolve(packageRoot(), env.POSTTRADE_DATA_DIR || LOCAL_STACK_DEFAULTS.dataDir);
  const runDir = path.join(dataDir, 'run');
  return { dataDir, runDir, logDir: path.join(dataDir, 'logs'), stackEnv: path.join(runDir, 'stack.env') };
}

/** The `NAME=value` lines of a stack file; empty when there is none (no stack running on that data directory). */
export function readStackFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const entries = text.split('\n').flatMap((line) => {
    const at = line.indexOf('=');
    return at > 0 && line.slice(at + 1) !== '' ? [[line.slice(0, at), line.slice(at + 1)] as const] : [];
  });
  return Object.fromEntries(entries);
}

/** The local PostgreSQL URL on `port`, as the embedded server is reached. */
export function localDatabaseUrl(pgPort: number): string {
  const url = new URL('postgres://127.0.0.1');
  url.username = encodeURIComponent(LOCAL_STACK_DEFAULTS.pgUser);
  url.password = encodeURIComponent(LOCAL_STACK_DEFAULTS.pgPassword);
  url.port = String(pgPort);
  url.pathname = `/${encodeURIComponent(LOCAL_STACK_DEFAULTS.pgDatabase)}`;
  return url.toString();
}

/** Hides the password of a connection URL for printing. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Where a setting's value came from, as `posttrade config` and the unreachable-service messages say it. */
export type SettingSource =
  | { readonly kind: 'environment'; readonly variable: string }
  | { readonly kind: 'stack'; readonly file: string }
  | { readonly kind: 'default' };

export function describeSource(source: SettingSource): string {
  switch (source.kind) {
    case 'environment':
      return `${source.variable} in the environment`;
    case 'stack':
      return `the running stack's ${source.file}`;
    case 'default':
      return 'the default';
  }
}
