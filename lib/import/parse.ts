/**
 * Trade files for `posttrade submit`: CSV (a header naming TradeEventV1 fields; `schemaVersion` and `version`
 * default to 1) or JSON Lines (one event per line). Every row is checked against the wire schema; invalid rows are
 * reported with their line number and every field error, the valid ones returned for publishing.
 */
import { parseCsv } from '../refdata/load';
import { TradeEventV1Schema, type FieldError, type TradeEventV1 } from '../kafka/schemas/trade-event';

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

export function parseJsonLines(content: string): ParsedFile {
  const trades: TradeEventV1[] = [];
  const invalid: RowError[] = [];
  content.split(/\r?\n/).forEach((text, index) => {
    if (text.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      invalid.push({ line: index + 1, errors: [{ path: '', message: 'not valid JSON' }] });
      return;
    }
    check(index + 1, json, trades, invalid);
  });
  return { trades, invalid };
}

const NUMERIC_FIELDS = new Set(['schemaVersion', 'version']);

/** CSV rows; line numbers assume one line per record (quoted newlines would shift them). */
export function parseTradeCsv(content: string): ParsedFile {
  const lines = content.split(/\r?\n/);
  const [header, ...rows] = parseCsv(content);
  const trades: TradeEventV1[] = [];
  const invalid: RowError[] = [];
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
  return { trades, invalid };
}
