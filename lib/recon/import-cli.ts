/**
 * `posttrade recon import --file statement.json|statement.jsonl|statement.csv`: reconciles custody statement files
 * through the same service as the `custody.statements` handler (origin FILE), then prints what it opened, aged
 * and resolved. Invalid lines are reported as FILE:LINE with every field error; a statement with an invalid
 * line is not reconciled at all, because a statement missing a line would raise false MISSING breaks.
 *
 * Formats: `.json` holds one statement (the `custody.statements` message) or an array of them; `.jsonl` one
 * statement per line; `.csv` one line per statement entry, header
 * `statement_id,custodian,statement_date,record_type,account,isin,currency,quantity,amount,reference,posting_type`
 * with record_type POSITION (isin, quantity), CASH (currency, amount), POSTING (currency, amount, reference,
 * posting_type FEE|FX) or ACCOUNT (an account covered with nothing to report).
 */
import fs from 'node:fs';

import type { ReconImportOptions } from '../cli/commands';
import { CliError, ExitCode } from '../cli/errors';
import type { CommandContext } from '../cli/program';
import { endPool, getPool } from '../db/pool';
import { getPublisher, releasePublisher } from '../kafka/producer';
import { decodeCustodyStatement, type CustodyStatementV1 } from '../kafka/schemas/custody-statement';
import type { FieldError } from '../kafka/schemas/trade-event';
import { decodeUtf8, parseStrictJsonText } from '../kafka/strict-json';
import { parseCsv } from '../refdata/load';
import { reconcileStatements } from './service';

export interface InvalidLine {
  readonly line: number;
  readonly errors: readonly FieldError[];
}

export interface ParsedStatements {
  readonly statements: readonly CustodyStatementV1[];
  readonly invalid: readonly InvalidLine[];
  /** Ids of statements left out because one of their lines was invalid. */
  readonly rejectedStatementIds: readonly string[];
}

/** Line (1-based) on which the n-th top-level array element, or the object itself, starts in a JSON text. */
function startLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line += 1;
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (ch === '{' && (depth === 0 || (depth === 1 && text.trimStart().startsWith('[')))) lines.push(line);
      depth += 1;
    } else if (ch === '}' || ch === ']') depth -= 1;
  }
  return lines;
}

/** A `.json` file: one statement or an array; an invalid statement is reported at the line it starts on. */
export function parseStatementJson(text: string): ParsedStatements {
  const parsed = parseStrictJsonText(text);
  if (!parsed.ok) {
    return {
      statements: [],
      invalid: [{ line: 1, errors: parsed.errors.map(({ path, message }) => ({ path, message })) }],
      rejectedStatementIds: [],
    };
  }
  const json = parsed.value;
  const items = Array.isArray(json) ? json : [json];
  const starts = startLines(text);
  const statements: CustodyStatementV1[] = [];
  const invalid: InvalidLine[] = [];
  items.forEach((item, index) => {
    const decoded = decodeCustodyStatement(item);
    if (decoded.ok) statements.push(decoded.value);
    else invalid.push({ line: starts[index] ?? 1, errors: decoded.errors });
  });
  return { statements, invalid, rejectedStatementIds: [] };
}

/** A `.jsonl` / `.ndjson` file: one statement per non-blank line. */
export function parseStatementJsonLines(text: string): ParsedStatements {
  const statements: CustodyStatementV1[] = [];
  const invalid: InvalidLine[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    const json = parseStrictJsonText(raw);
    if (!json.ok) {
      invalid.push({ line: index + 1, errors: json.errors.map(({ path, message }) => ({ path, message })) });
      return;
    }
    const decoded = decodeCustodyStatement(json.value);
    if (decoded.ok) statements.push(decoded.value);
    else invalid.push({ line: index + 1, errors: decoded.errors });
  });
  return { statements, invalid, rejectedStatementIds: [] };
}

const CSV_COLUMNS = [
  'statement_id',
  'custodian',
  'statement_date',
  'record_type',
  'account',
  'isin',
  'currency',
  'quantity',
  'amount',
  'reference',
  'posting_type',
] as const;

interface Draft {
  readonly id: string;
  /** Undefined while no valid line of it has been read. */
  statement: CustodyStatementV1 | undefined;
  accounts: Set<string>;
  valid: boolean;
}

/**
 * A `.csv` file (see the module comment). Each line is checked by building a one-line statement and decoding it
 * with the wire schema, so a CSV line and a JSON statement are held to the same rules.
 */
export function parseStatementCsv(text: string): ParsedStatements {
  const [header, ...rows] = parseCsv(text);
  const missing = CSV_COLUMNS.filter((c) => !(header ?? []).includes(c));
  if (header === undefined || missing.length > 0) {
    return {
      statements: [],
      invalid: [{ line: 1, errors: [{ path: '', message: `header must name ${missing.join(', ')}` }] }],
      rejectedStatementIds: [],
    };
  }
  const drafts = new Map<string, Draft>();
  const invalid: InvalidLine[] = [];
  rows.forEach((row, index) => {
    const line = index + 2;
    if (row.every((field) => field.trim() === '')) return;
    const get = (column: (typeof CSV_COLUMNS)[number]) => (row[header.indexOf(column)] ?? '').trim();
    const id = get('statement_id');
    const type = get('record_type').toUpperCase();
    const account = get('account');
    const probe: Record<string, unknown> = {
      schemaVersion: 1,
      statementId: id,
      custodian: get('custodian'),
      statementDate: get('statement_date'),
      accounts: [account],
      positions: type === 'POSITION' ? [{ account, isin: get('isin'), quantity: get('quantity') }] : [],
      cash: type === 'CASH' ? [{ account, currency: get('currency'), amount: get('amount') }] : [],
      cashPostings:
        type === 'POSTING'
          ? [
              {
                reference: get('reference'),
                account,
                currency: get('currency'),
                amount: get('amount'),
                type: get('posting_type').toUpperCase(),
              },
            ]
          : [],
    };
    const decoded = decodeCustodyStatement(probe);
    const errors: FieldError[] = [
      ...(['POSITION', 'CASH', 'POSTING', 'ACCOUNT'].includes(type)
        ? []
        : [{ path: 'record_type', message: 'must be POSITION, CASH, POSTING or ACCOUNT' }]),
      ...(account === '' ? [{ path: 'account', message: 'is required' }] : []),
      ...(decoded.ok ? [] : decoded.errors),
    ];
    const draft = drafts.get(id);
    if (errors.length > 0 || !decoded.ok) {
      invalid.push({ line, errors });
      if (draft !== undefined) draft.valid = false;
      else if (id !== '') drafts.set(id, { id, statement: undefined, accounts: new Set(), valid: false });
      return;
    }
    const value = decoded.value;
    if (draft?.statement === undefined) {
      if (draft === undefined) drafts.set(id, { id, statement: value, accounts: new Set([account]), valid: true });
      else {
        draft.statement = value;
        draft.accounts.add(account);
      }
      return;
    }
    if (draft.statement.custodian !== value.custodian || draft.statement.statementDate !== value.statementDate) {
      invalid.push({ line, errors: [{ path: 'statement_id', message: `${id} has another custodian or date above` }] });
      draft.valid = false;
      return;
    }
    draft.accounts.add(account);
    draft.statement = {
      ...draft.statement,
      positions: [...draft.statement.positions, ...value.positions],
      cash: [...draft.statement.cash, ...value.cash],
      cashPostings: [...draft.statement.cashPostings, ...value.cashPostings],
    };
  });
  const all = [...drafts.values()];
  return {
    statements: all.flatMap((d) =>
      d.valid && d.statement !== undefined ? [{ ...d.statement, accounts: [...d.accounts].sort() }] : [],
    ),
    invalid,
    rejectedStatementIds: all.filter((d) => !d.valid).map((d) => d.id),
  };
}

/** Parses a statement file by its extension. */
export function parseStatementFile(file: string, text: string): ParsedStatements {
  if (/\.csv$/i.test(file)) return parseStatementCsv(text);
  if (/\.(jsonl|ndjson)$/i.test(file)) return parseStatementJsonLines(text);
  return parseStatementJson(text);
}

/** `posttrade recon import`: exit 1 when a line was invalid (its statement is not reconciled). */
export async function reconImportCommand(options: ReconImportOptions, context: CommandContext): Promise<ExitCode> {
  const file = options.file;
  const bytes = fs.readFileSync(file);
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new CliError(`${file} is not valid UTF-8`);
  const parsed = parseStatementFile(file, text);
  for (const row of parsed.invalid) {
    const detail = row.errors.map((e) => (e.path === '' ? e.message : `${e.path}: ${e.message}`));
    context.stderr.write(`${file}:${row.line}: ${detail.join('; ')}\n`);
  }
  for (const id of parsed.rejectedStatementIds) context.stderr.write(`statement ${id} not reconciled: invalid lines\n`);
  if (parsed.statements.length > 0) {
    try {
      const summary = await reconcileStatements(
        { pool: getPool(), publisher: getPublisher() },
        parsed.statements,
        'FILE',
      );
      context.stdout.write(
        `statements ${summary.statements} (already received ${summary.skippedAsSeen}): breaks opened ` +
          `${summary.opened}, aged ${summary.aged}, resolved ${summary.resolved}\n`,
      );
    } finally {
      await releasePublisher();
      await endPool();
    }
  }
  return parsed.invalid.length > 0 ? ExitCode.FAILURE : ExitCode.OK;
}
