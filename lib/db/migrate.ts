/**
 * Applies the SQL migrations in `migrations/` (forward only) with node-pg-migrate's programmatic runner.
 *
 * node-pg-migrate 8 is ESM-only. Node 20.19+ `require`s it natively and tsx loads it, but Jest's CommonJS module
 * registry cannot: tests run migrations through `posttrade migrate` (lib/db/migrate-cli.ts) in a child process.
 */
import path from 'node:path';

import { runner } from 'node-pg-migrate';
import type { ClientConfig } from 'pg';

import { packageRoot } from '../config';
import { toDbError } from './errors';

/** Where the migrations live, independent of the working directory (and of being bundled into dist/). */
export const MIGRATIONS_DIR = path.join(packageRoot(), 'migrations');

/** node-pg-migrate's bookkeeping table (its default name, kept so that its CLI agrees with us). */
export const MIGRATIONS_TABLE = 'pgmigrations';

/**
 * Brings the database at `databaseUrl` up to the latest migration, in one transaction, under node-pg-migrate's
 * advisory lock (so that two processes migrating at once do not both apply a migration).
 * Returns the names of the migrations it applied; empty when the database was already current.
 */
export async function migrate(
  databaseUrl: string | ClientConfig,
  options: { readonly log?: (message: string) => void; readonly dir?: string } = {},
): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  try {
    const applied = await runner({
      databaseUrl,
      dir: options.dir ?? MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      count: Infinity,
      checkOrder: true,
      singleTransaction: true,
      // The runner narrates every step at info level; keep warnings and errors, route the rest to `log`.
      logger: { debug: log, info: log, warn: console.warn, error: console.error },
    });
    return applied.map((migration) => migration.name);
  } catch (error) {
    throw toDbError(error, 'migration failed');
  }
}

export interface MigrateHandlerDeps {
  /** Where to migrate, resolved per invocation (lib/db/credentials.ts connectionTarget over the settings). */
  readonly target: () => string | ClientConfig;
  readonly dir: string;
  /** The runner's narration and the summary line. */
  readonly log: (message: string, fields?: Readonly<Record<string, unknown>>) => void;
}

/** The `migrate` function's body: apply what is pending, log and return the names applied (empty when current). */
export function migrateHandler(deps: MigrateHandlerDeps) {
  return async (): Promise<{ readonly applied: readonly string[] }> => {
    const applied = await migrate(deps.target(), { dir: deps.dir, log: (line) => deps.log(line) });
    deps.log('migrations applied', { applied });
    return { applied };
  };
}
