/**
 * `posttrade refdata load [--dir DIR] [--price-history DAYS [--seed S]]`: loads the reference-data CSVs of DIR
 * (default: the shipped seed, migrations/seed) into the configured database (lib/config `loadCliConfig`:
 * DATABASE_URL, PG_PORT, the running stack, or the local default). The schema must be migrated (`posttrade
 * migrate`). With --price-history, also DAYS closes per instrument before its first close in DIR, simulated
 * (lib/simulator/market-data.ts `generatePriceHistory`), so that the VaR of the end-of-day risk run has its 250-day
 * window on data that starts later; a close already stored for that date is kept.
 */
import path from 'node:path';

import type { RefdataLoadOptions } from '../cli/commands';
import { CliError } from '../cli/errors';
import type { CommandContext, OutputStream } from '../cli/program';
import { DbError } from '../db/errors';
import { endPool, getPool } from '../db/pool';
import { loadSimulatorData } from '../simulator/cli';
import { generatePriceHistory } from '../simulator/market-data';
import { loadReferenceData, type ReferenceDataLoad } from './load';

/** SQLSTATE undefined_table: the database has not been migrated. */
const UNDEFINED_TABLE = '42P01';

export async function refdataLoadCommand(options: RefdataLoadOptions, context: CommandContext): Promise<void> {
  const dir = path.resolve(options.dir);
  const pool = getPool();
  try {
    report(context.stdout, dir, await loadReferenceData(pool, dir));
    if (options.priceHistory !== undefined) {
      const closes = generatePriceHistory(loadSimulatorData(dir), { seed: options.seed, days: options.priceHistory });
      const { rowCount } = await pool.query(
        `INSERT INTO reference_prices (isin, price_date, price)
         SELECT * FROM unnest($1::text[], $2::date[], $3::numeric[]) ON CONFLICT (isin, price_date) DO NOTHING`,
        [closes.map((c) => c.isin), closes.map((c) => c.date), closes.map((c) => c.price.toFixed())],
      );
      const first = closes[0]?.date ?? 'none';
      context.stdout.write(
        `  simulated price history  ${String(closes.length).padStart(6)} closes from ${first} (seed ${options.seed}): ` +
          `${rowCount ?? 0} inserted, ${closes.length - (rowCount ?? 0)} already stored\n`,
      );
    }
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
