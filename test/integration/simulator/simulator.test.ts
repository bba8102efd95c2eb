/**
 * `posttrade produce` against the real development broker: the command itself (spawned through scripts/posttrade.js
 * with KAFKA_BROKERS) and its exported runProduce for timing. Messages are read back from trades.captured.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

import { Kafka, logLevel, type Admin } from 'kafkajs';

import { KafkaPublisher, createKafkaProducer } from '../../../lib/kafka/producer';
import type { TradeEventV1 } from '../../../lib/kafka/schemas/trade-event';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { DEFAULT_SEED_DIR, loadSimulatorData, runProduce } from '../../../lib/simulator/cli';
import { simulateTrades } from '../../../lib/simulator/generate';
import { startTestBroker, type TestBroker } from '../helpers/broker';

const CLI = path.join(__dirname, '..', '..', '..', 'scripts', 'posttrade.js');

interface Captured {
  readonly key: string;
  readonly partition: number;
  readonly timestamp: number;
  readonly event: TradeEventV1;
}

function posttrade(
  args: readonly string[],
  brokers: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, KAFKA_BROKERS: brokers } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('posttrade produce on the broker', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let admin: Admin;
  let groups = 0;

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ brokers: [broker.address], clientId: 'simulator-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.destroy();
  });

  /** Every message on trades.captured whose ExecID starts with `prefix`, once `count` of them are there. */
  async function captured(prefix: string, count: number): Promise<Captured[]> {
    const consumer = kafka.consumer({ groupId: `simulator-it-${++groups}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.TRADES_CAPTURED, fromBeginning: true });
    const seen: Captured[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ partition, message }) => {
          const event = JSON.parse(message.value?.toString() ?? 'null') as TradeEventV1;
          if (event.execId.startsWith(prefix)) {
            seen.push({ key: message.key?.toString() ?? '', partition, timestamp: Number(message.timestamp), event });
          }
          if (seen.length >= count) resolve();
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();
    return seen;
  }

  /** Records on trades.captured, all partitions. */
  async function capturedRecords(): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(Topics.TRADES_CAPTURED);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  }

  it("publishes the seed's trades keyed by their account's owner, the same sequence on every run, amends and cancels after their trade", async () => {
    // Arrange
    const data = loadSimulatorData(DEFAULT_SEED_DIR);
    const ownerOf = new Map(data.accounts.map((account) => [account.id, account.beneficialOwner]));
    const stream = simulateTrades(data, { seed: 21, errorRate: 0.1 });
    const expected = Array.from({ length: 150 }, () => stream.next().value.event);
    const args = ['produce', '--count', '150', '--seed', '21', '--error-rate', '0.1'];

    // Act: the same command twice
    const first = await posttrade(args, broker.address);
    const second = await posttrade(args, broker.address);
    const messages = await captured('SIM21-', 300);

    // Assert
    expect(first).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^published 150 \(15 built to fail validation\)/),
    });
    expect(second.code).toBe(0);
    expect(first.stderr).toContain('produced 150/150');
    expect(messages).toHaveLength(300);
    expect(messages.every((message) => message.key === ownerOf.get(message.event.account))).toBe(true);
    // Per owner (one partition each, holding all its accounts), each run's events in the generator's order, and
    // both runs alike.
    for (const owner of new Set(expected.map((event) => ownerOf.get(event.account)))) {
      const mine = expected
        .filter((event) => ownerOf.get(event.account) === owner)
        .map((event) => ({ ...event, source: 'simulator' }));
      const read = messages.filter((message) => message.key === owner).map((message) => message.event);
      expect(read).toEqual([...mine, ...mine]);
      expect(new Set(messages.filter((m) => m.key === owner).map((m) => m.partition)).size).toBe(1);
    }
    const versions = new Map<string, number>();
    for (const event of expected) {
      if (event.lifecycle !== 'NEW') expect(versions.get(event.tradeId)).toBe(event.version - 1);
      versions.set(event.tradeId, event.version);
    }
    expect(expected.filter((event) => event.lifecycle === 'AMEND').length).toBeGreaterThan(0);
    expect(expected.filter((event) => event.lifecycle === 'CANCEL').length).toBeGreaterThan(0);
  });

  it('honours --rate: 200 trades at 1000 per second take at least 0.2 s and spread over it', async () => {
    // Arrange
    const publisher = new KafkaPublisher(
      createKafkaProducer({ brokers: [broker.address], clientId: 'simulator-rate' }),
    );
    const progress = {
      isTTY: true,
      text: '',
      write(text: string) {
        this.text += text;
      },
    };

    // Act
    const started = Date.now();
    const summary = await runProduce(['--count', '200', '--rate', '1000', '--seed', '33', '--error-rate', '0'], {
      publisher,
      stderr: progress,
    });
    const elapsed = Date.now() - started;
    await publisher.disconnect();
    const messages = await captured('SIM33-', 200);

    // Assert: the run lasts at least count / rate by construction; the records are spread over it (unthrottled,
    // 200 records go out within a few milliseconds). The spread is bounded loosely: timers and batching jitter.
    expect(summary).toMatchObject({ published: 200, faulty: 0 });
    expect(elapsed).toBeGreaterThanOrEqual(200);
    const stamps = messages.map((message) => message.timestamp);
    expect(Math.max(...stamps) - Math.min(...stamps)).toBeGreaterThanOrEqual(100);
    // The terminal's bar, drawn by cli-progress, ends full at the total.
    expect(progress.text).toContain(`[${'#'.repeat(30)}] 200/200 · `);
  });

  it('--date puts every trade on that day; a date nothing closed on fails before anything is published', async () => {
    // Arrange: 2024-05-27 is a US and UK holiday, so only Xetra's instruments closed
    const stream = simulateTrades(loadSimulatorData(DEFAULT_SEED_DIR), {
      seed: 44,
      errorRate: 0,
      date: '2024-05-27',
      eventsOnDate: 60,
    });
    const expected = Array.from({ length: 60 }, () => stream.next().value.event);

    // Act
    const produced = await posttrade(
      ['produce', '--count', '60', '--seed', '44', '--error-rate', '0', '--date', '2024-05-27'],
      broker.address,
    );
    const messages = await captured('SIM44-', 60);
    const before = await capturedRecords();
    const refused = await posttrade(
      ['produce', '--count', '5', '--seed', '45', '--date', '2024-04-06'],
      broker.address,
    );
    const after = await capturedRecords();

    // Assert
    expect(produced).toMatchObject({ code: 0, stdout: expect.stringMatching(/^published 60 \(0 built to fail/) });
    expect(new Set(messages.map((message) => message.event.tradeDate))).toEqual(new Set(['2024-05-27']));
    expect(new Set(messages.map((message) => message.event.mic))).toEqual(new Set(['XETR']));
    const byExecId = (a: TradeEventV1, b: TradeEventV1) => a.execId.localeCompare(b.execId);
    expect(messages.map((message) => message.event).sort(byExecId)).toEqual(
      expected.map((event) => ({ ...event, source: 'simulator' })).sort(byExecId),
    );
    expect(refused).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no active instrument closed on 2024-04-06'),
    });
    expect(after).toBe(before);
  });
});
