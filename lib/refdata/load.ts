/**
 * Loads reference data from CSV files (one per table, as in migrations/seed/) into PostgreSQL.
 *
 * One set-based upsert per table (`INSERT ... SELECT FROM unnest(...) ON CONFLICT (key) DO UPDATE ... WHERE
 * changed`), all tables in one transaction: loading the same files twice changes nothing, not even a row
 * version, and a file that fails to parse loads nothing at all. Rows absent from a file are left alone: this is
 * an upsert, not a sync, so a file of today's prices adds to the history rather than replacing it.
 *
 * Conventions of the seed files (migrations/seed/):
 * - Empty field = NULL; booleans are `true`/`false`; decimals are plain decimal strings (they stay strings all
 *   the way into NUMERIC, never a JavaScript number).
 * - London (XLON) prices are in pounds (GBP), not pence (GBX) as LSE quotes them: the platform has one currency
 *   per instrument and GBX is not an ISO 4217 code. A pence tick becomes more price decimals: Vodafone's 0.02p
 *   tick is 4 decimals of a pound, AstraZeneca's 1p tick 2.
 * - Settlement markets are keyed by their MIC (XNYS = US, XLON = UK, XETR = EU): `settlement_cycles.market` and
 *   `instruments.settlement_mic` hold the same code, so `Instrument.settlementMarket` is that MIC too.
 * - FX rates are stored in market convention only (EUR/USD, GBP/USD, USD/JPY, EUR/GBP, EUR/JPY, GBP/JPY);
 *   readers invert (see lib/db/reference-store.ts).
 * - Deliberate gaps, so that validation has something to catch: ACC-008 has no XETR/EUR SSI (SSI_MISSING),
 *   ACC-017's XNYS/USD SSI is inactive (SSI_INACTIVE); ACC-020, the Walmart XNYS listing (moved to Nasdaq) and the
 *   fictitious counterparty 9845007XQ3RUNOFF0086 are inactive; Bayer is restricted 2024-05-13 … 2024-06-14.
 * - Reference prices and FX cover 2024-04-01 … 2024-06-28 (each venue's business days; FX every weekday). They
 *   are a seeded random walk from real 2024-04-01 levels, not historical closes: plausible, not market data.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isNativeError } from 'node:util/types';

import type { Pool } from 'pg';

import { isIsoDate } from '../domain/calendar';
import { parseDecimal } from '../domain/money';
import { withTransaction } from '../db/pool';

/** PostgreSQL array types the loader sends columns as; the INSERT coerces them to the columns' own types. */
type ColumnType = 'text' | 'numeric' | 'date' | 'boolean' | 'integer';

interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable?: boolean;
}

interface TableSpec {
  readonly table: string;
  readonly file: string;
  readonly columns: readonly ColumnSpec[];
  /** The conflict target: the table's primary key or a unique constraint. */
  readonly key: readonly string[];
}

const text = (name: string, nullable = false): ColumnSpec => ({ name, type: 'text', nullable });
const numeric = (name: string, nullable = false): ColumnSpec => ({ name, type: 'numeric', nullable });
const date = (name: string, nullable = false): ColumnSpec => ({ name, type: 'date', nullable });
const boolean = (name: string): ColumnSpec => ({ name, type: 'boolean' });
const integer = (name: string): ColumnSpec => ({ name, type: 'integer' });

/** Tables in load order: parents before the rows that reference them. */
export const REFERENCE_TABLES: readonly TableSpec[] = [
  {
    table: 'counterparties',
    file: 'counterparties.csv',
    key: ['lei'],
    columns: [text('lei'), text('name'), boolean('active')],
  },
  {
    table: 'accounts',
    file: 'accounts.csv',
    key: ['id'],
    columns: [
      text('id'),
      text('base_currency'),
      text('cost_method'),
      numeric('notional_limit', true),
      numeric('position_limit', true),
      text('beneficial_owner'),
      boolean('active'),
    ],
  },
  {
    table: 'instruments',
    file: 'instruments.csv',
    key: ['isin'],
    columns: [
      text('isin'),
      text('mic'),
      text('name', true),
      text('currency'),
      numeric('lot_size'),
      integer('price_decimals'),
      text('instrument_type'),
      text('settlement_mic'),
      boolean('active'),
    ],
  },
  { table: 'holidays', file: 'holidays.csv', key: ['mic', 'date'], columns: [text('mic'), date('date'), text('name')] },
  {
    table: 'settlement_cycles',
    file: 'settlement_cycles.csv',
    key: ['market', 'instrument_type', 'effective_from'],
    columns: [text('market'), text('instrument_type'), date('effective_from'), integer('days')],
  },
  {
    table: 'ssis',
    file: 'ssis.csv',
    key: ['ref'],
    columns: [
      text('ref'),
      text('account_id'),
      text('counterparty_lei', true),
      text('settlement_mic'),
      text('currency'),
      text('place_of_settlement'),
      text('own_agent_bic'),
      text('safekeeping_account'),
      text('agent_bic'),
      text('counterparty_safekeeping_account', true),
      boolean('active'),
    ],
  },
  {
    table: 'reference_prices',
    file: 'reference_prices.csv',
    key: ['isin', 'price_date'],
    columns: [text('isin'), date('price_date'), numeric('price')],
  },
  {
    table: 'fx_rates',
    file: 'fx_rates.csv',
    key: ['base', 'quote', 'rate_date'],
    columns: [text('base'), text('quote'), date('rate_date'), numeric('rate')],
  },
  {
    table: 'restricted_list',
    file: 'restricted_list.csv',
    key: ['isin', 'from_date'],
    columns: [text('isin'), date('from_date'), date('to_date', true), text('reason', true)],
  },
  {
    table: 'validation_thresholds',
    file: 'validation_thresholds.csv',
    key: ['key'],
    columns: [text('key'), numeric('value')],
  },
  // Risk (migrations/1732407600000_risk.sql): sectors, the margin rule set, collateral and limits per account.
  {
    table: 'instrument_sectors',
    file: 'instrument_sectors.csv',
    key: ['isin'],
    columns: [text('isin'), text('sector')],
  },
  {
    table: 'margin_rules',
    file: 'margin_rules.csv',
    key: ['scope'],
    columns: [
      text('scope'),
      numeric('initial_long'),
      numeric('initial_short'),
      numeric('maintenance_long'),
      numeric('maintenance_short'),
      text('note', true),
    ],
  },
  {
    table: 'risk_accounts',
    file: 'risk_accounts.csv',
    key: ['account_id'],
    columns: [
      text('account_id'),
      numeric('collateral'),
      numeric('gross_exposure_limit', true),
      numeric('net_exposure_limit', true),
      numeric('instrument_concentration_limit', true),
      numeric('sector_concentration_limit', true),
    ],
  },
];

/** What loading one file did. `rows - inserted - updated` rows were already there, unchanged. */
export interface TableLoad {
  readonly table: string;
  readonly file: string;
  readonly rows: number;
  readonly inserted: number;
  readonly updated: number;
}

export interface ReferenceDataLoad {
  readonly tables: readonly TableLoad[];
  /** Files of {@link REFERENCE_TABLES} not present in the directory (their tables were left alone). */
  readonly missingFiles: readonly string[];
}

/** A seed file is malformed; nothing was loaded. Retrying cannot help: the file must be fixed. */
export class ReferenceDataFileError extends Error {
  override readonly name: string = 'ReferenceDataFileError';
  readonly retriable = false;
}

/**
 * Loads every reference-data CSV found in `dir` (see {@link REFERENCE_TABLES} for the file names) in one
 * transaction, one upsert statement per table. Idempotent: a second load of the same files inserts and updates
 * nothing.
 */
export async function loadReferenceData(pool: Pool, dir: string): Promise<ReferenceDataLoad> {
  const parsed: { spec: TableSpec; rows: (string | null)[][] }[] = [];
  const missingFiles: string[] = [];
  for (const spec of REFERENCE_TABLES) {
    const file = path.join(dir, spec.file);
    let content: string;
    try {
      content = await readFile(file, 'utf8');
    } catch (error) {
      // isNativeError, not instanceof: fs errors come from outside Jest's sandbox realm.
      if (isNativeError(error) && 'code' in error && error.code === 'ENOENT') {
        missingFiles.push(spec.file);
        continue;
      }
      throw error;
    }
    parsed.push({ spec, rows: parseTableCsv(spec, content, file) });
  }
  const tables = await withTransaction(pool, async (client) => {
    const loads: TableLoad[] = [];
    for (const { spec, rows } of parsed) {
      // Column-major: one array parameter per column, the shape unnest() takes.
      const columns = spec.columns.map((_, index) => rows.map((row) => row[index] ?? null));
      const result = await client.query<{ inserted: boolean }>(upsertStatement(spec), columns);
      const inserted = result.rows.filter((row) => row.inserted).length;
      loads.push({
        table: spec.table,
        file: spec.file,
        rows: rows.length,
        inserted,
        updated: result.rows.length - inserted,
      });
    }
    return loads;
  });
  return { tables, missingFiles };
}

/**
 * `INSERT ... SELECT FROM unnest($1::type[], ...) ON CONFLICT (key) DO UPDATE ... WHERE` something differs.
 * The WHERE makes an identical row a no-op (no new row version); `xmax = 0` on the returned row tells an insert
 * from an update. Table and column names come from {@link REFERENCE_TABLES}, never from input.
 */
function upsertStatement(spec: TableSpec): string {
  const names = spec.columns.map((column) => column.name);
  const unnest = spec.columns.map((column, index) => `$${index + 1}::${column.type}[]`).join(', ');
  const others = names.filter((name) => !spec.key.includes(name));
  const set = others.map((name) => `${name} = EXCLUDED.${name}`).join(', ');
  const current = others.map((name) => `${spec.table}.${name}`).join(', ');
  const incoming = others.map((name) => `EXCLUDED.${name}`).join(', ');
  return `INSERT INTO ${spec.table} (${names.join(', ')})
    SELECT * FROM unnest(${unnest})
    ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${set}
    WHERE (${current}) IS DISTINCT FROM (${incoming})
    RETURNING (xmax = 0) AS inserted`;
}

/** Parses and checks one table's CSV; every problem names the file and line. */
function parseTableCsv(spec: TableSpec, content: string, file: string): (string | null)[][] {
  const records = parseCsv(content);
  const header = records[0];
  if (header === undefined) throw new ReferenceDataFileError(`${file}: empty file, expected a header line`);
  const expected = spec.columns.map((column) => column.name);
  const unknown = header.filter((name) => !expected.includes(name));
  const missing = expected.filter((name) => !header.includes(name));
  if (unknown.length > 0 || missing.length > 0) {
    throw new ReferenceDataFileError(
      `${file}: header must name ${expected.join(',')}` +
        (missing.length > 0 ? `; missing ${missing.join(',')}` : '') +
        (unknown.length > 0 ? `; unknown ${unknown.join(',')}` : ''),
    );
  }
  return records.slice(1).map((record, index) => {
    const line = index + 2;
    if (record.length !== header.length) {
      throw new ReferenceDataFileError(`${file} line ${line}: ${record.length} fields, header has ${header.length}`);
    }
    return spec.columns.map((column) => {
      const value = record[header.indexOf(column.name)] ?? '';
      const problem = checkValue(column, value);
      if (problem !== undefined) throw new ReferenceDataFileError(`${file} line ${line}: ${column.name} ${problem}`);
      return value === '' ? null : value;
    });
  });
}

function checkValue(column: ColumnSpec, value: string): string | undefined {
  if (value === '') return column.nullable === true ? undefined : 'is required';
  switch (column.type) {
    case 'numeric':
      return parseDecimal(value) === undefined ? `is not a decimal: ${JSON.stringify(value)}` : undefined;
    case 'integer':
      return /^-?\d{1,9}$/.test(value) ? undefined : `is not an integer: ${JSON.stringify(value)}`;
    case 'date':
      return isIsoDate(value) ? undefined : `is not a date YYYY-MM-DD: ${JSON.stringify(value)}`;
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : `must be true or false: ${JSON.stringify(value)}`;
    case 'text':
      return undefined;
  }
}

/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes (a quote inside doubled), CRLF or LF line
 * ends. Blank lines are skipped. Names such as "JPMorgan Chase Bank, National Association" need the quotes.
 */
export function parseCsv(content: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRecord = (): void => {
    record.push(field);
    if (!(record.length === 1 && record[0] === '')) records.push(record);
    record = [];
    field = '';
  };
  while (i < content.length) {
    const char = content[i];
    if (quoted) {
      if (char === '"' && content[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (char === '"') quoted = false;
      else field += char;
      i += 1;
      continue;
    }
    if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\n') endRecord();
    else if (char !== '\r') field += char;
    i += 1;
  }
  if (quoted) throw new ReferenceDataFileError('unterminated quoted field at end of file');
  if (field !== '' || record.length > 0) endRecord();
  return records;
}
