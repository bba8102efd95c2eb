/**
 * The benchmark's workload: simulated trades (lib/simulator, walking the reference data's calendar, with its
 * amends, cancels and invalid trades) encoded once as trades.captured records, cached on disk by their parameters
 * (generating is not what is measured), and published in large batches of pre-encoded records.
 */
import fs from 'node:fs';
import path from 'node:path';

import { Kafka, logLevel, type Message } from 'kafkajs';

import { Topics } from '../../lib/kafka/topics';
import { tradeKey } from '../../lib/pipeline/trade-keys';
import { loadSimulatorData } from '../../lib/simulator/cli';
import { simulateTrades } from '../../lib/simulator/generate';

export interface WorkloadOptions {
  readonly trades: number;
  readonly seed: number;
  readonly errorRate: number;
  readonly amendRate: number;
  readonly cancelRate: number;
}

export interface Workload {
  /** trades.captured records, key = the account's owner (lib/pipeline/trade-keys.ts), value = the event's JSON. */
  readonly records: readonly { readonly key: string; readonly value: Buffer }[];
  readonly faulty: number;
  readonly amends: number;
  readonly cancels: number;
  /** Time to generate and encode, 0 when read from the cache. */
  readonly generatedMs: number;
}

/** Generates (or reads back from `cacheDir`) the workload over the reference data in `refdataDir`. */
export function workload(refdataDir: string, cacheDir: string, options: WorkloadOptions): Workload {
  // "by-owner": files of the time the records were keyed by account are not read back.
  const name = `workload-by-owner-${path.basename(refdataDir)}-${options.trades}-${options.seed}-${options.errorRate}-${options.amendRate}-${options.cancelRate}.tsv`;
  const file = path.join(cacheDir, name);
  if (fs.existsSync(file)) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const [faulty = 0, amends = 0, cancels = 0] = (lines[0] ?? '').split('\t').map(Number);
    const records = lines
      .slice(1)
      .filter((line) => line !== '')
      .map((line) => {
        const tab = line.indexOf('\t');
        return { key: line.slice(0, tab), value: Buffer.from(line.slice(tab + 1)) };
      });
    if (records.length === options.trades) return { records, faulty, amends, cancels, generatedMs: 0 };
  }
  const started = Date.now();
  const data = loadSimulatorData(refdataDir);
  const owners = new Map(data.accounts.map((account) => [account.id, account.beneficialOwner]));
  const trades = simulateTrades(data, {
    seed: options.seed,
    errorRate: options.errorRate,
    amendRate: options.amendRate,
    cancelRate: options.cancelRate,
  });
  const lines: string[] = [];
  const records: { key: string; value: Buffer }[] = [];
  let faulty = 0;
  let amends = 0;
  let cancels = 0;
  for (let i = 0; i < options.trades; i++) {
    const trade = trades.next().value;
    if (trade.intendedFault !== undefined) faulty += 1;
    else if (trade.event.lifecycle === 'AMEND') amends += 1;
    else if (trade.event.lifecycle === 'CANCEL') cancels += 1;
    const json = JSON.stringify(trade.event);
    const key = tradeKey(trade.event.account, owners);
    lines.push(`${key}\t${json}`);
    records.push({ key, value: Buffer.from(json) });
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(file, `${faulty}\t${amends}\t${cancels}\n${lines.join('\n')}\n`);
  return { records, faulty, amends, cancels, generatedMs: Date.now() - started };
}

export interface Publisher {
  /**
   * Sends records in order, `batch` at a time (2,000 keep one partition's batch under the broker's 1 MiB), acks
   * all; `onSent` is told how many are acknowledged after each batch.
   */
  publish(records: Workload['records'], onSent?: (sent: number) => void, batch?: number): Promise<number>;
  /**
   * Sends records at `rate` a second, a hundredth of a second's worth at a time, each stamped with the time it
   * leaves (its capture timestamp); `onSent` as for `publish`.
   */
  publishPaced(records: Workload['records'], rate: number, onSent?: (sent: number) => void): Promise<number>;
  disconnect(): Promise<void>;
}

/** An idempotent KafkaJS producer, as the platform's (lib/kafka/producer.ts), for pre-encoded records. */
export async function capturePublisher(address: string): Promise<Publisher> {
  const kafka = new Kafka({ brokers: [address], clientId: 'bench-capture', logLevel: logLevel.ERROR });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return {
    publish: async (records, onSent, batch = 2_000) => {
      const started = Date.now();
      for (let i = 0; i < records.length; i += batch) {
        const messages: Message[] = records.slice(i, i + batch).map((r) => ({ key: r.key, value: r.value }));
        await producer.send({ topic: Topics.TRADES_CAPTURED, messages, acks: -1 });
        onSent?.(i + messages.length);
      }
      return Date.now() - started;
    },
    publishPaced: async (records, rate, onSent) => {
      const started = Date.now();
      const chunk = Math.max(1, Math.floor(rate / 100));
      for (let i = 0; i < records.length; i += chunk) {
        const due = started + (i / rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const timestamp = String(Date.now());
        const messages: Message[] = records.slice(i, i + chunk).map((r) => ({ key: r.key, value: r.value, timestamp }));
        await producer.send({ topic: Topics.TRADES_CAPTURED, messages, acks: -1 });
        onSent?.(i + messages.length);
      }
      return Date.now() - started;
    },
    disconnect: () => producer.disconnect(),
  };
}
