/**
 * `posttrade refdata load [--dir DIR]`: loads the reference-data CSVs of DIR (default: the shipped seed,
 * migrations/seed) into DATABASE_URL, or, when it is unset, into the local embedded server (started for the
 * occasion and stopped again, unless it was already running). The schema must be migrated (`npm run migrate`).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

import { startPostgres } from '../../localstack/postgres';
import { loadConfig } from '../config';
import { DbError } from '../db/errors';
import { createPool } from '../db/pool';
import { loadReferenceData, type ReferenceDataLoad } from './load';

const DEFAULT_SEED_DIR = path.resolve(__dirname, '..', '..', 'migrations', 'seed');

/** SQLSTATE undefined_table: the database has not been migrated. */
const UNDEFINED_TABLE = '42P01';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string', default: DEFAULT_SEED_DIR } } });
  const dir = path.resolve(values.dir);
  const configured = loadConfig().database.url;
  const server = configured === undefined ? await startPostgres() : undefined;
  const pool = createPool({ url: configured ?? server?.url ?? '', applicationName: 'posttrade-refdata-load' });
  try {
    report(dir, await loadReferenceData(pool, dir));
  } catch (error) {
    if (error instanceof DbError && error.code === UNDEFINED_TABLE) {
      throw new Error('reference tables are missing: run `npm run migrate` first', { cause: error });
    }
    throw error;
  } finally {
    await pool.end();
    await server?.stop();
  }
}

function report(dir: string, load: ReferenceDataLoad): void {
  console.log(`reference data from ${dir}:`);
  for (const table of load.tables) {
    const unchanged = table.rows - table.inserted - table.updated;
    console.log(
      `  ${table.table.padEnd(22)} ${String(table.rows).padStart(6)} rows: ` +
        `${table.inserted} inserted, ${table.updated} updated, ${unchanged} unchanged`,
    );
  }
  if (load.missingFiles.length > 0) console.log(`  not in ${dir} (left alone): ${load.missingFiles.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
