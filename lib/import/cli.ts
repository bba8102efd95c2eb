/** `posttrade submit --file trades.csv|trades.jsonl`: publishes the valid rows, reports the invalid ones by line. */
import fs from 'node:fs';

import type { SubmitOptions } from '../cli/commands';
import { ExitCode } from '../cli/errors';
import type { CommandContext } from '../cli/program';
import { PgAccountOwners } from '../db/account-owners';
import { endPool, getPool } from '../db/pool';
import { getPublisher, type EventPublisher } from '../kafka/producer';
import { MAX_TRADES_PER_CAPTURE, captureTrades } from '../pipeline/capture';
import type { AccountOwners } from '../pipeline/trade-keys';
import { parseJsonLines, parseTradeCsv, type RowError } from './parse';

export interface SubmitIo {
  /** Defaults to the container's Kafka publisher (KAFKA_BROKERS), disconnected at the end. */
  readonly publisher?: EventPublisher;
  /** The accounts' owners (the trade topics' key); defaults to the container's database (DATABASE_URL), closed at the end. */
  readonly owners?: AccountOwners;
  readonly stderr?: { write(text: string): unknown };
}

export interface SubmitSummary {
  readonly published: number;
  readonly invalid: readonly RowError[];
}

/** `posttrade submit`: every invalid row on stderr as `file:line: field: message; ...`. */
export async function runSubmit(options: SubmitOptions, io: SubmitIo = {}): Promise<SubmitSummary> {
  const file = options.file;
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
    if (parsed.trades.length > 0) {
      const owners = io.owners ?? new PgAccountOwners(getPool());
      for (let start = 0; start < parsed.trades.length; start += MAX_TRADES_PER_CAPTURE) {
        await captureTrades(parsed.trades.slice(start, start + MAX_TRADES_PER_CAPTURE), publisher, owners, 'file');
      }
    }
  } finally {
    if (io.publisher === undefined) await getPublisher().disconnect();
    if (io.owners === undefined) await endPool();
  }
  return { published: parsed.trades.length, invalid: parsed.invalid };
}

/** The command: a file with invalid rows is a partial success, exit 1, so that scripts notice. */
export async function submitCommand(options: SubmitOptions, context: CommandContext): Promise<ExitCode> {
  const summary = await runSubmit(options, { stderr: context.stderr });
  context.stdout.write(`published ${summary.published}, invalid ${summary.invalid.length}\n`);
  return summary.invalid.length > 0 ? ExitCode.FAILURE : ExitCode.OK;
}
