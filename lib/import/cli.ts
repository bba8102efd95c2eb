/** `posttrade submit --file trades.csv|trades.jsonl`: publishes the valid rows, reports the invalid ones by line. */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

import { getPublisher } from '../kafka/producer';
import { MAX_TRADES_PER_CAPTURE, captureTrades } from '../pipeline/capture';
import { parseJsonLines, parseTradeCsv } from './parse';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { file: { type: 'string' } } });
  const file = values.file;
  if (file === undefined) throw new Error('--file is required (.csv, .jsonl or .ndjson)');
  const content = fs.readFileSync(file, 'utf8');
  const parsed = /\.(jsonl|ndjson)$/i.test(file) ? parseJsonLines(content) : parseTradeCsv(content);
  for (const row of parsed.invalid) {
    const detail = row.errors.map((error) => (error.path === '' ? error.message : `${error.path}: ${error.message}`));
    process.stderr.write(`${file}:${row.line}: ${detail.join('; ')}\n`);
  }
  const publisher = getPublisher();
  try {
    for (let start = 0; start < parsed.trades.length; start += MAX_TRADES_PER_CAPTURE) {
      await captureTrades(parsed.trades.slice(start, start + MAX_TRADES_PER_CAPTURE), publisher, 'file');
    }
  } finally {
    await publisher.disconnect();
  }
  process.stdout.write(`published ${parsed.trades.length}, invalid ${parsed.invalid.length}\n`);
  if (parsed.invalid.length > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`posttrade submit: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
