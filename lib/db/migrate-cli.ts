/**
 * `posttrade migrate`: applies pending migrations to the configured database (DATABASE_URL, PG_PORT, the running
 * stack, or the local default; lib/config `loadCliConfig`).
 */
import { CliError } from '../cli/errors';
import type { CommandContext } from '../cli/program';
import { migrate } from './migrate';

export async function migrateCommand(_options: unknown, context: CommandContext): Promise<void> {
  const url = context.config.database.url;
  if (url === undefined) {
    // The DB_HOST form takes its password from Secrets Manager or IAM: the deployed migrate function's job.
    throw new CliError('posttrade migrate needs DATABASE_URL (or PG_PORT); in AWS, invoke the migrate function');
  }
  const applied = await migrate(url);
  context.stdout.write(
    applied.length === 0 ? 'migrations: already up to date\n' : `migrations applied: ${applied.join(', ')}\n`,
  );
}
