/**
 * Trade files for `posttrade submit`: CSV (a header naming TradeEventV1 fields; `schemaVersion` and `version`
 * default to 1) or JSON Lines (one event per line). Every row is checked against the wire schema; invalid rows are
 * reported with their line number and every field error, the valid ones returned for publishing. The same boundary
 * as the HTTP API and the Kafka decoders: a line that is not UTF-8, a JSON line that names a key twice or holds
 * text PostgreSQL cannot store is an invalid row, never published (lib/kafka/strict-json.ts).
 */
import { parseCsv } from '../refdata/load';
import { TradeEventV1Schema, type FieldError, type TradeEventV1 } from '../kafka/schemas/trade-event';
import { parseStrictJsonText, utf8Lines } from '../kafka/strict-json';

export interface RowError {
  readonly line: number;
  readonly errors: readonly FieldError[];
}

export interface ParsedFile {
  readonly trades: readonly TradeEventV1[];
  readonly invalid: readonly RowError[];
}

function check(line: number, candidate: unknown, trades: TradeEventV1[], invalid: RowError[]): void {
  const parsed = TradeEventV1Schema.safeParse(candidate);
  if (parsed.success) trades.push(parsed.data);
  else {
    invalid.push({
      line,
      errors: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    });
  }
}

const NOT_UTF8: readonly FieldError[] = [{ path: '', message: 'not valid UTF-8' }];

/** The file's lines as text; a line of bytes that are not UTF-8 is blank here and reported in `invalid`. */
function textLines(content: string | Uint8Array, invalid: RowError[]): string[] {
  const lines = typeof content === 'string' ? content.split(/\r?\n/) : utf8Lines(content);
  return lines.map((line, index) => {
    if (line !== undefined) return line;
    invalid.push({ line: index + 1, errors: NOT_UTF8 });
    return '';
  });
}

export function parseJsonLines(content: string | Uint8Array): ParsedFile {
  const trades: TradeEventV1[] = [];
  const invalid: RowError[] = [];
  textLines(content, invalid).forEach((text, index) => {
    if (text.trim() === '') return;
    const json = parseStrictJsonText(text);
    if (!json.ok) {
      invalid.push({ line: index + 1, errors: json.errors.map(({ path, message }) => ({ path, message })) });
      return;
    }
    check(index + 1, json.value, trades, invalid);
  });
  return { trades, invalid: sortedByLine(invalid) };
}

function sortedByLine(rows: RowError[]): RowError[] {
  return [...rows].sort((a, b) => a.line - b.line);
}

const NUMERIC_FIELDS = new Set(['schemaVersion', 'version']);

/** CSV rows; line numbers assume one line per record (quoted newlines would shift them). */
export function parseTradeCsv(content: string | Uint8Array): ParsedFile {
  const trades: TradeEventV1[] = [];
  const invalid: RowError[] = [];
  const lines = textLines(content, invalid);
  const [header, ...rows] = parseCsv(lines.join('\n'));
  if (header === undefined) return { trades, invalid };
  // parseCsv skips blank lines: map each record back to its physical line.
  const recordLines = lines.flatMap((text, index) => (text.trim() === '' ? [] : [index + 1])).slice(1);
  rows.forEach((row, index) => {
    const entries = header.flatMap((name, column) => {
      const value = row[column] ?? '';
      if (value === '') return [];
      return [[name, NUMERIC_FIELDS.has(name) ? Number(value) : value] as const];
    });
    const candidate = { schemaVersion: 1, version: 1, ...Object.fromEntries(entries) };
    check(recordLines[index] ?? index + 2, candidate, trades, invalid);
  });
  return { trades, invalid: sortedByLine(invalid) };
}
