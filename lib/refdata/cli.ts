/**
 * `posttrade refdata load [--dir DIR]`: loads the reference-data CSVs of DIR (default: the shipped seed,
 * migrations/seed) into the configured database (lib/config `loadCliConfig`: DATABASE_URL, PG_PORT, the running
 * stack, or the local default). The schema must be migrated (`posttrade migrate`).
 */
import path from 'node:path';

import type { RefdataLoadOptions } from '../cli/commands';
import { CliError } from '../cli/errors';
import type { CommandContext, OutputStream } from '../cli/program';
import { DbError } from '../db/errors';
import { endPool, getPool } from '../db/pool';
import { loadReferenceData, type ReferenceDataLoad } from './load';

/** SQLSTATE undefined_table: the database has not been migrated. */
const UNDEFINED_TABLE = '42P01';

export async function refdataLoadCommand(options: RefdataLoadOptions, context: CommandContext): Promise<void> {
  const dir = path.resolve(options.dir);
  const pool = getPool();
  try {
    report(context.stdout, dir, await loadReferenceData(pool, dir));
  } catch (error) {
    if (error instanceof DbError && error.code === UNDEFINED_TABLE) {
      throw new CliError('reference tables are missing: run `posttrade migrate` first', undefined, { cause: error });
    }
    throw error;
  } finally {
    await endPool();
  }
}

function report(out: OutputStream, dir: string, load: ReferenceDataLoad): void {
  out.write(`reference data from ${dir}:\n`);
  for (const table of load.tables) {
    const unchanged = table.rows - table.inserted - table.updated;
    out.write(
      `  ${table.table.padEnd(22)} ${String(table.rows).padStart(6)} rows: ` +
        `${table.inserted} inserted, ${table.updated} updated, ${unchanged} unchanged\n`,
    );
  }
  if (load.missingFiles.length > 0) out.write(`  not in ${dir} (left alone): ${load.missingFiles.join(', ')}\n`);
}
