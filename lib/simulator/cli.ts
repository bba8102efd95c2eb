/**
 * `posttrade produce --count N [--rate R] [--seed S] [--error-rate P] [--dir DIR]`: publishes simulated trades to
 * trades.captured (KAFKA_BROKERS), keyed by account. Progress on stderr: a bar on a terminal, a line per 10% else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { Dec } from '../domain/money';
import { getPublisher } from '../kafka/producer';
import { captureTrades } from '../pipeline/capture';
import { parseCsv } from '../refdata/load';
import { simulateTrades, type SimulatorData } from './generate';

function table(dir: string, file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(fs.readFileSync(path.join(dir, file), 'utf8'));
  if (header === undefined) return [];
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])));
}

export function loadSimulatorData(dir: string): SimulatorData {
  const instruments = table(dir, 'instruments.csv')
    .filter((row) => row.active === 'true')
    .map((row) => ({
      isin: row.isin ?? '',
      mic: row.mic ?? '',
      currency: row.currency ?? '',
      lotSize: new Dec(row.lot_size ?? '1'),
      priceDecimals: Number(row.price_decimals ?? '2'),
    }));
  const listed = new Set(instruments.map((i) => i.isin));
  const counterparties = table(dir, 'counterparties.csv');
  return {
    instruments,
    accounts: table(dir, 'accounts.csv')
      .filter((row) => row.active === 'true')
      .map((row) => row.id ?? ''),
    counterparties: counterparties.filter((row) => row.active === 'true').map((row) => row.lei ?? ''),
    inactiveCounterparties: counterparties.filter((row) => row.active !== 'true').map((row) => row.lei ?? ''),
    closes: table(dir, 'reference_prices.csv')
      .filter((row) => listed.has(row.isin ?? ''))
      .map((row) => ({ isin: row.isin ?? '', date: row.price_date ?? '', price: new Dec(row.price ?? '0') })),
  };
}

function progress(done: number, total: number): void {
  if (process.stderr.isTTY) {
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done === total) process.stderr.write('\n');
  } else if (done === total || Math.floor((done * 10) / total) !== Math.floor(((done - 1) * 10) / total)) {
    process.stderr.write(`produced ${done}/${total}\n`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100' },
      rate: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'error-rate': { type: 'string', default: '0.05' },
      dir: { type: 'string', default: path.resolve(__dirname, '..', '..', 'migrations', 'seed') },
    },
  });
  const count = Number(values.count);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  const errorRate = Number(values['error-rate']);
  if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive integer');
  if (rate !== undefined && !(rate > 0)) throw new Error('--rate must be positive (trades per second)');
  if (!(errorRate >= 0 && errorRate <= 1)) throw new Error('--error-rate must be between 0 and 1');
  const trades = simulateTrades(loadSimulatorData(values.dir), { seed: Number(values.seed), errorRate });
  const publisher = getPublisher();
  const chunk = rate === undefined ? 500 : Math.max(1, Math.min(500, Math.floor(rate / 10)));
  const started = Date.now();
  let done = 0;
  try {
    while (done < count) {
      const batch = Array.from({ length: Math.min(chunk, count - done) }, () => trades.next().value).filter(
        (trade) => trade !== undefined,
      );
      await captureTrades(batch, publisher);
      done += batch.length;
      progress(done, count);
      if (rate !== undefined) {
        const due = started + (done / rate) * 1000;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
      }
    }
  } finally {
    await publisher.disconnect();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`posttrade produce: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
