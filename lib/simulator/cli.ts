/**
 * `posttrade produce --count N [--rate R] [--seed S] [--error-rate P] [--undecodable-rate P] [--date YYYY-MM-DD]
 * [--dir DIR]`: publishes simulated trades to trades.captured (KAFKA_BROKERS), keyed by the account's owner, and with
 * `--undecodable-rate` records no consumer can decode among them (lib/simulator/undecodable.ts). Without --date the simulator walks the
 * reference data's calendar (100 events a trading day); with it, all N trades are dated that day (see
 * lib/simulator/generate.ts, single-day mode). Progress on stderr: a bar on a terminal, a line per 10% else.
 */
import fs from 'node:fs';
import path from 'node:path';

import { parseOptions, produceSpec, SEED_DIR, type ProduceOptions } from '../cli/commands';
import type { CommandContext } from '../cli/program';
import { CountProgress } from '../cli/progress';
import { Dec } from '../domain/money';
import { getPublisher, type EventPublisher } from '../kafka/producer';
import { Topics } from '../kafka/topics';
import { captureTrades } from '../pipeline/capture';
import { StaticAccountOwners } from '../pipeline/trade-keys';
import { parseCsv } from '../refdata/load';
import { simulateTrades, type SimulatorData } from './generate';
import { undecodableRecord, undecodableSchedule } from './undecodable';

export const DEFAULT_SEED_DIR = SEED_DIR;

function table(dir: string, file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(fs.readFileSync(path.join(dir, file), 'utf8'));
  if (header === undefined) return [];
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])));
}

/** The reference-data CSVs (the layout `posttrade refdata load` reads) as the simulator needs them. */
export function loadSimulatorData(dir: string): SimulatorData {
  const thresholds = new Map(table(dir, 'validation_thresholds.csv').map((row) => [row.key ?? '', row.value ?? '']));
  return {
    instruments: table(dir, 'instruments.csv').map((row) => ({
      isin: row.isin ?? '',
      mic: row.mic ?? '',
      currency: row.currency ?? '',
      lotSize: new Dec(row.lot_size || '1'),
      priceDecimals: Number(row.price_decimals || '2'),
      active: row.active === 'true',
    })),
    accounts: table(dir, 'accounts.csv').map((row) => ({
      id: row.id ?? '',
      baseCurrency: row.base_currency ?? '',
      notionalLimit: new Dec(row.notional_limit || Infinity),
      positionLimit: new Dec(row.position_limit || Infinity),
      beneficialOwner: row.beneficial_owner || (row.id ?? ''),
      active: row.active === 'true',
    })),
    counterparties: table(dir, 'counterparties.csv').map((row) => ({
      lei: row.lei ?? '',
      active: row.active === 'true',
    })),
    ssis: table(dir, 'ssis.csv').map((row) => ({
      account: row.account_id ?? '',
      counterpartyLei: row.counterparty_lei || undefined,
      market: row.settlement_mic ?? '',
      currency: row.currency ?? '',
      active: row.active === 'true',
    })),
    closes: table(dir, 'reference_prices.csv').map((row) => ({
      isin: row.isin ?? '',
      date: row.price_date ?? '',
      price: new Dec(row.price || '0'),
    })),
    fxRates: table(dir, 'fx_rates.csv').map((row) => ({
      base: row.base ?? '',
      quote: row.quote ?? '',
      date: row.rate_date ?? '',
      rate: new Dec(row.rate || '0'),
    })),
    restrictions: table(dir, 'restricted_list.csv').map((row) => ({
      isin: row.isin ?? '',
      from: row.from_date ?? '',
      to: row.to_date || undefined,
    })),
    holidays: table(dir, 'holidays.csv').map((row) => ({ mic: row.mic ?? '', date: row.date ?? '' })),
    priceToleranceBps: new Dec(thresholds.get('price_tolerance_bps') || '500'),
    washTradeWindowSeconds: Number(thresholds.get('wash_trade_window_seconds') || '60'),
  };
}

/** Where progress goes: process.stderr, or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProduceIo {
  /** Defaults to the container's Kafka publisher (KAFKA_BROKERS), disconnected at the end. */
  readonly publisher?: EventPublisher;
  readonly stderr?: ProgressStream;
}

export interface ProduceSummary {
  readonly published: number;
  /** Of them, built to fail validation. */
  readonly faulty: number;
  /** Records published besides the trades that no consumer can decode (`--undecodable-rate`). */
  readonly undecodable: number;
  readonly elapsedMs: number;
}

/**
 * Messages per publish: 2,000 unpaced (one round trip per 2,000 trades; a partition's batch of them stays under the
 * broker's 1 MiB), and at `--rate R` a hundredth of a second's worth (at most 500), so that the messages are spread
 * over the run rather than sent in bursts with pauses between them.
 */
function chunkSize(rate: number | undefined): number {
  return rate === undefined ? 2_000 : Math.max(1, Math.min(500, Math.floor(rate / 100)));
}

/** `posttrade produce` with its options, or with its arguments (without the command word) parsed as the command line does. */
export async function runProduce(
  input: readonly string[] | ProduceOptions,
  io: ProduceIo = {},
): Promise<ProduceSummary> {
  const options = isArgv(input) ? parseOptions<ProduceOptions>(produceSpec, input) : input;
  const { count, rate, seed, errorRate, undecodableRate } = options;
  const values = { date: options.date, dir: options.dir };
  // Single-day mode spreads exactly the trades asked for over the day's sessions.
  const data = loadSimulatorData(values.dir);
  // The trade topics' key from the same reference data the trades were simulated from (no database needed).
  const owners = new StaticAccountOwners(data.accounts);
  const trades = simulateTrades(data, {
    seed,
    errorRate,
    ...(values.date === undefined ? {} : { date: values.date, eventsOnDate: count }),
  });
  const publisher = io.publisher ?? getPublisher();
  const stderr = io.stderr ?? process.stderr;
  const chunk = chunkSize(rate);
  const started = Date.now();
  let done = 0;
  let faulty = 0;
  let undecodable = 0;
  const nextUndecodable = undecodableSchedule(seed, undecodableRate);
  let undecodableAfter = nextUndecodable();
  const progress = new CountProgress(stderr, 'produced', count);
  // One chunk in flight while the next is generated: generating and publishing overlap instead of adding up, and
  // chunks still go out one after the other, in order.
  let inFlight: Promise<number> = Promise.resolve(0);
  const acknowledged = async (): Promise<void> => {
    const sent = await inFlight;
    if (sent > 0) progress.update(sent);
  };
  try {
    while (done < count) {
      const batch = Array.from({ length: Math.min(chunk, count - done) }, () => trades.next().value);
      faulty += batch.filter((trade) => trade.intendedFault !== undefined).length;
      // Undecodable records follow the chunk of trades they were made from (keyed by their trades' accounts).
      const broken = batch.flatMap((trade, index) => {
        const records = [];
        while (undecodableAfter === done + index + 1) {
          records.push(undecodableRecord(trade.event, undecodable));
          undecodable += 1;
          undecodableAfter = nextUndecodable();
        }
        return records;
      });
      await acknowledged();
      const sent = done + batch.length;
      inFlight = (async () => {
        await captureTrades(
          batch.map((trade) => trade.event),
          publisher,
          owners,
        );
        if (broken.length > 0) {
          await publisher.publish(
            broken.map((record) => ({ topic: Topics.TRADES_CAPTURED, key: record.key, value: record.value })),
          );
        }
        return sent;
      })();
      // Its failure is taken up by the next acknowledged(); until then (a paced wait) it must not count as unhandled.
      inFlight.catch(() => undefined);
      done = sent;
      if (rate !== undefined) {
        // Message n goes out no earlier than n / rate seconds after the start, and the run lasts count / rate.
        const wait = started + (done / rate) * 1000 - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    await acknowledged();
  } finally {
    // A failed chunk has thrown by now (awaited above, or the loop ended on another error): nothing is left running.
    await inFlight.catch(() => 0);
    progress.end();
    if (io.publisher === undefined) await getPublisher().disconnect();
  }
  return { published: done, faulty, undecodable, elapsedMs: Date.now() - started };
}

function isArgv(input: readonly string[] | ProduceOptions): input is readonly string[] {
  return Array.isArray(input);
}

export async function produceCommand(options: ProduceOptions, context: CommandContext): Promise<void> {
  const summary = await runProduce(options, { stderr: context.stderr });
  context.stdout.write(
    `published ${summary.published} (${summary.faulty} built to fail validation)` +
      (summary.undecodable > 0 ? ` and ${summary.undecodable} undecodable records` : '') +
      ` in ${summary.elapsedMs} ms\n`,
  );
}
