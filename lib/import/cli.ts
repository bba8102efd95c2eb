/** `posttrade submit --file trades.csv|trades.jsonl`: publishes the valid rows, reports the invalid ones by line. */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

import { getPublisher, type EventPublisher } from '../kafka/producer';
import { MAX_TRADES_PER_CAPTURE, captureTrades } from '../pipeline/capture';
import { parseJsonLines, parseTradeCsv, type RowError } from './parse';

export interface SubmitIo {
  /** Defaults to the container's Kafka publisher (KAFKA_BROKERS), disconnected at the end. */
  readonly publisher?: EventPublisher;
  readonly stderr?: { write(text: string): unknown };
}

export interface SubmitSummary {
  readonly published: number;
  readonly invalid: readonly RowError[];
}

/** `posttrade submit` with its arguments: every invalid row on stderr as `file:line: field: message; ...`. */
export async function runSubmit(argv: readonly string[], io: SubmitIo = {}): Promise<SubmitSummary> {
  const { values } = parseArgs({ args: [...argv], options: { file: { type: 'string' } } });
  const file = values.file;
  if (file === undefined) throw new Error('--file is required (.csv, .jsonl or .ndjson)');
  // Bytes, not text: a line that is not UTF-8 is reported, not read as U+FFFD.
  const content = fs.readFileSync(file);
  const parsed = /\.(jsonl|ndjson)$/i.test(file) ? parseJsonLines(content) : parseTradeCsv(content);
  const stderr = io.stderr ?? process.stderr;
  for (const row of parsed.invalid) {
    const detail = row.errors.map((error) => (error.path === '' ? error.message : `${error.path}: ${error.message}`));
    stderr.write(`${file}:${row.line}: ${detail.join('; ')}\n`);
  }
  const publisher = io.publisher ?? getPublisher();
  try {
    for (let start = 0; start < parsed.trades.length; start += MAX_TRADES_PER_CAPTURE) {
      await captureTrades(parsed.trades.slice(start, start + MAX_TRADES_PER_CAPTURE), publisher, 'file');
    }
  } finally {
    if (io.publisher === undefined) await getPublisher().disconnect();
  }
  return { published: parsed.trades.length, invalid: parsed.invalid };
}

if (require.main === module) {
  runSubmit(process.argv.slice(2)).then(
    (summary) => {
      process.stdout.write(`published ${summary.published}, invalid ${summary.invalid.length}\n`);
      // A file with invalid rows is a partial success: scripts must notice.
      if (summary.invalid.length > 0) process.exitCode = 1;
    },
    (error: unknown) => {
      process.stderr.write(`posttrade submit: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
