/**
 * Reference data at the benchmark's scale: the seed CSVs (migrations/seed) with accounts and instruments added
 * until there are as many as asked (default 2,000 and 500), written in the layout `posttrade refdata load` and the
 * simulator read. Each added account copies an active seed account (base currency, cost method, limits) with its
 * SSIs, two accounts to a beneficial owner; each added instrument copies an active seed instrument (venue,
 * currency, lot size, decimals) with its closing prices, under a new ISIN with a valid check digit. The seed's own
 * rows stay as they are, so everything the seed holds (holidays, cycles, FX, the restricted list) still applies.
 */
import fs from 'node:fs';
import path from 'node:path';

import { isValidIsin } from '../../lib/domain/refdata';
import { parseCsv } from '../../lib/refdata/load';

type Row = Record<string, string>;

interface Table {
  readonly header: string[];
  readonly rows: Row[];
}

function readTable(dir: string, file: string): Table {
  const [header = [], ...rows] = parseCsv(fs.readFileSync(path.join(dir, file), 'utf8'));
  return { header, rows: rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? '']))) };
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function writeTable(dir: string, file: string, table: Table): void {
  const lines = [table.header, ...table.rows.map((row) => table.header.map((name) => row[name] ?? ''))];
  fs.writeFileSync(path.join(dir, file), lines.map((line) => line.map(csvField).join(',')).join('\n') + '\n');
}

/** A new ISIN: the template's country code, nine characters numbered `n`, and the check digit that makes it valid. */
export function syntheticIsin(country: string, n: number): string {
  const body = `${country}B${String(n).padStart(8, '0')}`;
  for (let digit = 0; digit <= 9; digit++) {
    if (isValidIsin(`${body}${digit}`)) return `${body}${digit}`;
  }
  throw new Error(`no check digit makes ${body}? an ISIN`);
}

export interface ScaledReferenceData {
  readonly dir: string;
  readonly accounts: number;
  readonly instruments: number;
}

/**
 * Writes the seed's CSVs from `seedDir` into `outDir`, grown to `accounts` accounts and `instruments` instruments
 * (never fewer than the seed has).
 */
export function writeScaledReferenceData(
  seedDir: string,
  outDir: string,
  scale: { readonly accounts: number; readonly instruments: number },
): ScaledReferenceData {
  fs.mkdirSync(outDir, { recursive: true });
  for (const file of fs.readdirSync(seedDir).filter((name) => name.endsWith('.csv'))) {
    fs.copyFileSync(path.join(seedDir, file), path.join(outDir, file));
  }

  const accounts = readTable(seedDir, 'accounts.csv');
  const ssis = readTable(seedDir, 'ssis.csv');
  const activeAccounts = accounts.rows.filter((row) => row.active === 'true');
  for (let n = 1; accounts.rows.length < scale.accounts; n++) {
    const template = activeAccounts[(n - 1) % activeAccounts.length];
    if (template === undefined) throw new Error('the seed has no active account to copy');
    const from = template.id ?? '';
    const id = `BENCH-${String(n).padStart(5, '0')}`;
    accounts.rows.push({ ...template, id, beneficial_owner: `BENCH-OWNER-${Math.ceil(n / 2)}` });
    for (const ssi of ssis.rows.filter((row) => row.account_id === from)) {
      ssis.rows.push({
        ...ssi,
        ref: (ssi.ref ?? '').replace(from, id),
        account_id: id,
        safekeeping_account: (ssi.safekeeping_account ?? '').replace(from, id),
      });
    }
  }
  writeTable(outDir, 'accounts.csv', accounts);
  writeTable(outDir, 'ssis.csv', ssis);

  const instruments = readTable(seedDir, 'instruments.csv');
  const prices = readTable(seedDir, 'reference_prices.csv');
  const activeInstruments = instruments.rows.filter((row) => row.active === 'true');
  const pricesOf = new Map<string, Row[]>();
  for (const price of prices.rows) {
    const list = pricesOf.get(price.isin ?? '') ?? [];
    list.push(price);
    pricesOf.set(price.isin ?? '', list);
  }
  for (let n = 1; instruments.rows.length < scale.instruments; n++) {
    const template = activeInstruments[(n - 1) % activeInstruments.length];
    if (template === undefined) throw new Error('the seed has no active instrument to copy');
    const isin = syntheticIsin((template.isin ?? 'XS').slice(0, 2), n);
    instruments.rows.push({ ...template, isin, name: `${template.name ?? ''} (bench copy ${n})` });
    for (const price of pricesOf.get(template.isin ?? '') ?? []) prices.rows.push({ ...price, isin });
  }
  writeTable(outDir, 'instruments.csv', instruments);
  writeTable(outDir, 'reference_prices.csv', prices);
  return { dir: outDir, accounts: accounts.rows.length, instruments: instruments.rows.length };
}
