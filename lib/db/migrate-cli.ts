/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL, or, when it is unset, to the local embedded
 * server (started for the occasion and stopped again, unless it was already running).
 */
import { startPostgres } from '../../localstack/postgres';
import { loadConfig } from '../config';
import { migrate } from './migrate';

async function main(): Promise<void> {
  const databaseUrl = loadConfig().database.url;
  if (databaseUrl !== undefined) {
    report(await migrate(databaseUrl));
    return;
  }
  const server = await startPostgres();
  if (server.reused) console.log(`using the embedded PostgreSQL already running on ${server.dataDir}`);
  try {
    report(await migrate(server.url));
  } finally {
    await server.stop();
  }
}

function report(applied: readonly string[]): void {
  console.log(applied.length === 0 ? 'migrations: already up to date' : `migrations applied: ${applied.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
