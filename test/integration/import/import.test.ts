/**
 * `posttrade submit --file` against the real development broker: the spawned command reports invalid rows by line
 * and publishes only the valid ones to trades.captured, keyed by the account's owner (read from the database) and
 * marked as coming from a file.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Kafka, logLevel, type Admin } from 'kafkajs';

import type { TradeEventV1 } from '../../../lib/kafka/schemas/trade-event';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { loadReferenceData } from '../../../lib/refdata/load';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const CLI = path.join(__dirname, '..', '..', '..', 'scripts', 'posttrade.js');
const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

function submit(
  file: string,
  brokers: string,
  databaseUrl: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'submit', '--file', file], {
      env: { ...process.env, KAFKA_BROKERS: brokers, DATABASE_URL: databaseUrl },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const HEADER =
  'execId,tradeId,lifecycle,account,counterpartyLei,isin,mic,side,quantity,price,currency,tradeDate,tradeTime,commission,fees';
const row = (execId: string, overrides: { isin?: string; price?: string; account?: string } = {}): string =>
  [
    execId,
    `T-${execId}`,
    'NEW',
    overrides.account ?? 'ACC-001',
    'W22LROWP2IHZNBB6K528',
    overrides.isin ?? 'US0378331005',
    'XNYS',
    'BUY',
    '100',
    overrides.price ?? '170.10',
    'USD',
    '2024-04-02',
    '2024-04-02T14:30:00.000Z',
    '8.51',
    '0.00',
  ].join(',');

describe('posttrade submit on the broker', () => {
  let broker: TestBroker;
  let db: TestDatabase;
  let kafka: Kafka;
  let admin: Admin;
  let dir: string;
  let groups = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
    broker = await startTestBroker();
    kafka = new Kafka({ brokers: [broker.address], clientId: 'import-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'submit-'));
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.destroy();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Messages on trades.captured whose ExecID starts with `prefix`, read up to the end of the topic as it stands
   * (the command has exited, so everything it published is there): a wrongly published row would show up too.
   */
  async function captured(prefix: string): Promise<{ key: string; event: TradeEventV1 }[]> {
    const offsets = await admin.fetchTopicOffsets(Topics.TRADES_CAPTURED);
    const total = offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
    const consumer = kafka.consumer({ groupId: `import-it-${++groups}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.TRADES_CAPTURED, fromBeginning: true });
    const seen: { key: string; event: TradeEventV1 }[] = [];
    let read = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          const event = JSON.parse(message.value?.toString() ?? 'null') as TradeEventV1;
          if (event.execId.startsWith(prefix)) seen.push({ key: message.key?.toString() ?? '', event });
          if (++read >= total) resolve();
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();
    return seen;
  }

  it('CSV: reports invalid rows with their line numbers and publishes only the valid ones', async () => {
    // Arrange: line 1 header, 2 valid, 3 bad ISIN check digit, 4 blank, 5 price not a decimal, 6 valid
    const file = path.join(dir, 'trades.csv');
    const lines = [
      HEADER,
      row('CSV-1'),
      row('CSV-2', { isin: 'US0378331006' }),
      '',
      row('CSV-3', { price: '17O.10' }),
      row('CSV-4', { account: 'ACC-003' }),
    ];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);

    // Act
    const result = await submit(file, broker.address, db.url);
    const messages = await captured('CSV-');

    // Assert
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('published 2, invalid 2\n');
    expect(result.stderr).toBe(
      `${file}:3: isin: must be an ISO 6166 ISIN (12 characters, valid check digit)\n` +
        `${file}:5: price: must be a canonical decimal string such as "1234.5" (no exponent, sign only "-", at most 40 characters)\n`,
    );
    expect(messages.map((m) => [m.key, m.event.execId, m.event.source]).sort()).toEqual([
      ['ALPHA-GROWTH-FUND', 'CSV-1', 'file'],
      ['BETA-PENSION-SCHEME', 'CSV-4', 'file'],
    ]);
  });

  it('JSON Lines: a line that is not JSON and one with a bad field are reported, the rest published', async () => {
    // Arrange
    const valid = (execId: string): string => {
      const [header, values] = [HEADER.split(','), row(execId).split(',')];
      return JSON.stringify({
        schemaVersion: 1,
        version: 1,
        ...Object.fromEntries(header.map((h, i) => [h, values[i]])),
      });
    };
    const file = path.join(dir, 'trades.jsonl');
    fs.writeFileSync(
      file,
      [valid('JL-1'), '{"execId": ', valid('JL-2').replace('"BUY"', '"HOLD"'), valid('JL-3')].join('\n'),
    );

    // Act
    const result = await submit(file, broker.address, db.url);
    const messages = await captured('JL-');

    // Assert
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n').filter((line) => line !== '')).toEqual([
      `${file}:2: not valid JSON: Unexpected end of JSON input`,
      expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: side: `)),
    ]);
    expect(messages.map((m) => m.event.execId).sort()).toEqual(['JL-1', 'JL-3']);
  });
});
