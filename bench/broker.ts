/**
 * Broker benchmark: throughput and produce latency of the development broker, persisting to disk, measured with
 * two clients — KafkaJS (the platform's own client) and kcat (librdkafka, a C client, so the broker is what is
 * measured). The broker runs in its own process, as it does in the local stack.
 *
 *   npm run bench:broker [-- --messages 200000 --partitions 16 --batch 1000 --concurrency 4 --out FILE]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Message } from 'kafkajs';

import { CountProgress } from '../lib/cli/progress';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    partitions: { type: 'string', default: '16' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    out: { type: 'string', default: 'bench/results/broker.json' },
  },
});
const MESSAGES = Number(values.messages);
const PARTITIONS = Number(values.partitions);
const BATCH = Number(values.batch);
const CONCURRENCY = Number(values.concurrency);

/** A JSON trade-like message of about 300 bytes, as the pipeline carries. */
function message(i: number): string {
  return JSON.stringify({
    schemaVersion: 1,
    execId: `EX-${String(i).padStart(10, '0')}`,
    tradeId: `T-${String(i).padStart(10, '0')}`,
    lifecycle: 'NEW',
    account: `ACC-${String(i % 500).padStart(4, '0')}`,
    counterpartyLei: '5493001KJTIIGC8Y1R12',
    isin: 'US0378331005',
    mic: 'XNYS',
    side: i % 2 ? 'BUY' : 'SELL',
    quantity: String(100 * ((i % 9) + 1)),
    price: (180 + (i % 1000) / 100).toFixed(2),
    currency: 'USD',
    tradeDate: '2024-05-28',
    tradeTime: '2024-05-28T14:30:00.000Z',
    commission: '1.25',
  });
}

async function startBrokerProcess(dataDir: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'localstack/broker/cli.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening`)));
  });
  return { child, address };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

/** KafkaJS produce then group consume of all payloads; `partitions` undefined = let the broker auto-create. */
async function benchKafkaJs(
  address: string,
  topic: string,
  payloads: string[],
  bytes: number,
  partitions?: number,
  consume = true,
  /** Names the run in its progress lines. */
  label = topic,
) {
  const kafka = new Kafka({ brokers: [address], clientId: 'bench', logLevel: logLevel.NOTHING });
  if (partitions !== undefined) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  const batches: Message[][] = [];
  for (let i = 0; i < payloads.length; i += BATCH) {
    batches.push(payloads.slice(i, i + BATCH).map((value, j) => ({ key: String(i + j), value })));
  }
  const latencies: number[] = [];
  let next = 0;
  // Progress on stderr (lib/cli/progress.ts), after a second; the figures go to stdout.
  const produced = new CountProgress(process.stderr, `${label}: produced`, payloads.length, { quietMs: 1_000 });
  let sent = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let b = next++; b < batches.length; b = next++) {
        const s = process.hrtime.bigint();
        await producer.send({ topic, messages: batches[b] ?? [], acks: -1 });
        latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
        sent += batches[b]?.length ?? 0;
        produced.update(sent);
      }
    }),
  ).finally(() => produced.end());
  const produceSec = Number(process.hrtime.bigint() - t0) / 1e9;
  await producer.disconnect();
  latencies.sort((a, b) => a - b);
  const produce = {
    msgsPerSec: Math.round(payloads.length / produceSec),
    mbPerSec: round(bytes / produceSec / 1e6),
    seconds: round(produceSec, 3),
    requestLatencyMs: { p50: round(percentile(latencies, 50), 2), p99: round(percentile(latencies, 99), 2) },
  };
  if (!consume) return { produce };

  const consumer = kafka.consumer({ groupId: `bench-${Date.now()}`, maxBytesPerPartition: 4 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let firstAt = 0n;
  const consumed = new CountProgress(process.stderr, `${label}: consumed`, payloads.length, { quietMs: 1_000 });
  const c0 = process.hrtime.bigint();
  const consumeSec = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${received} of ${payloads.length} in 120 s`)), 120_000);
    void consumer.run({
      autoCommit: true,
      eachBatch: ({ batch }) => {
        if (firstAt === 0n) firstAt = process.hrtime.bigint();
        received += batch.messages.length;
        consumed.update(Math.min(received, payloads.length));
        if (received >= payloads.length) {
          clearTimeout(timer);
          resolve(Number(process.hrtime.bigint() - c0) / 1e9);
        }
        return Promise.resolve();
      },
    });
  }).finally(() => {
    consumed.end();
    return consumer.disconnect();
  });
  const joinSec = Number(firstAt - c0) / 1e9;
  return {
    produce,
    consume: {
      msgsPerSec: Math.round(payloads.length / (consumeSec - joinSec)),
      mbPerSec: round(bytes / (consumeSec - joinSec) / 1e6),
      seconds: round(consumeSec - joinSec, 3),
      groupJoinSeconds: round(joinSec, 3),
      received,
    },
  };
}

/**
 * librdkafka's in-memory mock cluster, hosted by a kcat process: the reference KafkaJS is measured against, so the
 * figures say how much of KafkaJS's own ceiling this broker leaves. Its auto-created topics have 4 partitions and
 * its admin API is unusable from KafkaJS (it reports controller 0), so the comparison runs at 4 partitions.
 */
async function startMockCluster(): Promise<{ address: string; stop(): void } | undefined> {
  const child = spawn(
    'kcat',
    [
      '-C',
      '-b',
      '127.0.0.1:1',
      '-X',
      'test.mock.num.brokers=1',
      '-t',
      'bench-mock-hold',
      '-o',
      'end',
      '-q',
      '-d',
      'mock',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const address = await new Promise<string | undefined>((resolve) => {
    let err = '';
    const timer = setTimeout(() => resolve(undefined), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString('latin1');
      const m = /bootstrap\.servers=(\S+:\d+)/.exec(err);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('error', () => resolve(undefined));
  });
  child.stderr?.resume();
  if (!address) {
    child.kill('SIGKILL');
    return undefined;
  }
  return { address, stop: () => child.kill('SIGTERM') };
}

function benchKcat(address: string, file: string, count: number, bytes: number) {
  const kcatVersion = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  if (kcatVersion.status !== 0) return { skipped: 'kcat is not installed (apt-get install kcat)' };
  const topic = 'bench-kcat';
  const t0 = process.hrtime.bigint();
  const produce = spawnSync(
    'kcat',
    ['-P', '-b', address, '-t', topic, '-l', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', file],
    { encoding: 'utf8' },
  );
  const produceSec = Number(process.hrtime.bigint() - t0) / 1e9;
  if (produce.status !== 0) throw new Error(`kcat produce failed: ${produce.stderr}`);
  const c0 = process.hrtime.bigint();
  const consume = spawnSync('kcat', ['-C', '-b', address, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%o\n'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const consumeSec = Number(process.hrtime.bigint() - c0) / 1e9;
  if (consume.status !== 0) throw new Error(`kcat consume failed: ${consume.stderr}`);
  const received = consume.stdout.split('\n').filter(Boolean).length;
  if (received !== count) throw new Error(`kcat consumed ${received} of ${count} messages`);
  return {
    produce: {
      msgsPerSec: Math.round(count / produceSec),
      mbPerSec: round(bytes / produceSec / 1e6),
      seconds: round(produceSec, 3),
    },
    consume: {
      msgsPerSec: Math.round(count / consumeSec),
      mbPerSec: round(bytes / consumeSec / 1e6),
      seconds: round(consumeSec, 3),
      received,
    },
    note: 'wall time of the kcat process, including its start-up and metadata round trips',
  };
}

/** KafkaJS against this broker and against librdkafka's mock cluster, both at 4 auto-created-size partitions. */
async function benchReference(address: string, payloads: string[], bytes: number) {
  const mock = await startMockCluster();
  if (!mock) return { skipped: 'kcat (librdkafka mock cluster) is not available' };
  try {
    // KafkaJS's consumer group stalls part-way against the mock cluster, so the reference is the producer's.
    const onMock = await benchKafkaJs(mock.address, 'bench-ref', payloads, bytes, undefined, false, 'mock cluster');
    const onBroker = await benchKafkaJs(address, 'bench-ref', payloads, bytes, 4, false, 'broker, 4 partitions');
    const ratio = (a: number, b: number) => round((100 * a) / b, 1);
    const summary = {
      partitions: 4,
      mockCluster: { produceMsgsPerSec: onMock.produce.msgsPerSec },
      thisBroker: { produceMsgsPerSec: onBroker.produce.msgsPerSec },
      percentOfMock: { produce: ratio(onBroker.produce.msgsPerSec, onMock.produce.msgsPerSec) },
    };
    console.log(
      `KafkaJS vs librdkafka mock cluster (4 partitions): produce ${summary.thisBroker.produceMsgsPerSec} vs ${summary.mockCluster.produceMsgsPerSec} msgs/s (${summary.percentOfMock.produce}%)`,
    );
    return summary;
  } catch (err) {
    return { skipped: `reference run failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    mock.stop();
  }
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-broker-'));
  const payloads = Array.from({ length: MESSAGES }, (_, i) => message(i));
  const bytes = payloads.reduce((n, p) => n + Buffer.byteLength(p), 0);
  const file = path.join(work, 'messages.jsonl');
  fs.writeFileSync(file, payloads.join('\n') + '\n');
  const { child, address } = await startBrokerProcess(path.join(work, 'data'));
  try {
    console.log(
      `broker at ${address}; ${MESSAGES} messages, ${round(bytes / MESSAGES)} bytes average, ${PARTITIONS} partitions`,
    );
    const kafkajs = await benchKafkaJs(address, 'bench-kafkajs', payloads, bytes, PARTITIONS, true, 'KafkaJS');
    console.log(
      `KafkaJS  produce ${kafkajs.produce.msgsPerSec} msgs/s (${kafkajs.produce.mbPerSec} MB/s), request p50 ${kafkajs.produce.requestLatencyMs.p50} ms p99 ${kafkajs.produce.requestLatencyMs.p99} ms; consume ${kafkajs.consume?.msgsPerSec} msgs/s (${kafkajs.consume?.mbPerSec} MB/s)`,
    );
    const kcat = benchKcat(address, file, MESSAGES, bytes);
    if ('skipped' in kcat) console.log(`kcat     skipped: ${kcat.skipped}`);
    else
      console.log(
        `kcat     produce ${kcat.produce.msgsPerSec} msgs/s (${kcat.produce.mbPerSec} MB/s); consume ${kcat.consume.msgsPerSec} msgs/s (${kcat.consume.mbPerSec} MB/s)`,
      );
    const reference = await benchReference(address, payloads, bytes);
    const result = {
      benchmark: 'broker',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
      params: {
        messages: MESSAGES,
        partitions: PARTITIONS,
        batch: BATCH,
        concurrency: CONCURRENCY,
        avgBytes: round(bytes / MESSAGES),
      },
      kafkajs,
      kcat,
      reference,
    };
    fs.mkdirSync(path.dirname(values.out), { recursive: true });
    fs.writeFileSync(values.out, JSON.stringify(result, null, 2));
    console.log(`wrote ${values.out}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
