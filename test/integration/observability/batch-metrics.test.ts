/**
 * The batch metrics on the real PostgreSQL: validation's rejections counted per rule (one RejectedByRule document
 * per rule) and the batch's database time, measured on the pool's own clients (lib/observability/db-time.ts).
 */
import path from 'node:path';

import { Metrics } from '@aws-lambda-powertools/metrics';

import type { KafkaEvent } from '../../../lib/kafka/decode';
import { KafkaPublisher, createKafkaProducer } from '../../../lib/kafka/producer';
import { Topics } from '../../../lib/kafka/topics';
import { MetricName, METRICS_NAMESPACE, withBatchMetrics } from '../../../lib/observability/metrics';
import { validateHandler } from '../../../lib/pipeline/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { seedTrade } from '../../helpers/trades';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

type Document = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][] }[] } };

async function emitted(act: () => Promise<unknown>): Promise<Document[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Document);
}

function captured(trades: readonly unknown[]): KafkaEvent {
  return {
    eventSource: 'SelfManagedKafka',
    bootstrapServers: 'localhost:9092',
    records: {
      [`${Topics.TRADES_CAPTURED}-0`]: trades.map((trade, offset) => ({
        topic: Topics.TRADES_CAPTURED,
        partition: 0,
        offset,
        timestamp: Date.now(),
        value: Buffer.from(JSON.stringify(trade)).toString('base64'),
      })),
    },
  };
}

describe('batch metrics on the real database', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let publisher: KafkaPublisher;
  const metrics = () => new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'posttrade-test' });

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
    broker = await startTestBroker();
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'metrics-it' }));
  });
  afterAll(async () => {
    await publisher.disconnect();
    await broker.destroy();
    await db.drop();
  });

  it("counts validation's rejections per rule and the batch's database time", async () => {
    // Arrange: one good trade, two fat-finger prices, one of them also on a second rule (a quantity off the lot)
    const handler = withBatchMetrics('validateTrades', validateHandler({ pool: db.pool, publisher }), { metrics });
    const batch = captured([
      seedTrade({ execId: 'MET-E1', tradeId: 'MET-T1' }),
      seedTrade({ execId: 'MET-E2', tradeId: 'MET-T2', price: '999.00' }),
      seedTrade({ execId: 'MET-E3', tradeId: 'MET-T3', price: '999.00', quantity: '0' }),
    ]);

    // Act
    const documents = await emitted(() => handler(batch));

    // Assert
    const byRule: Record<string, number> = Object.fromEntries(
      documents
        .filter((d) => MetricName.REJECTED_BY_RULE in d)
        .map((d) => [String(d.rule), Number(d[MetricName.REJECTED_BY_RULE])]),
    );
    expect(byRule).toMatchObject({ PRICE_TOLERANCE: 2 });
    expect(Object.values(byRule).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(2);
    const [batchDocument] = documents.filter((d) => MetricName.RECORDS_IN in d);
    expect(batchDocument).toMatchObject({ Rejected: 2, RecordsIn: 3 });
    expect(batchDocument?.[MetricName.DATABASE_QUERIES]).toBeGreaterThan(0);
    expect(batchDocument?.[MetricName.DATABASE_TIME]).toBeGreaterThan(0);
  });

  it('measures the time spent waiting on PostgreSQL, in a transaction client too, and nothing outside a batch', async () => {
    // Arrange
    const handler = withBatchMetrics(
      'positions',
      async () => {
        await db.pool.query('SELECT pg_sleep(0.05)');
        const client = await db.pool.connect();
        try {
          await client.query('SELECT pg_sleep(0.05)');
        } finally {
          client.release();
        }
        return {};
      },
      { metrics },
    );

    // Act
    await db.pool.query('SELECT pg_sleep(0.2)'); // outside any batch: counted nowhere
    const [document] = await emitted(() => handler(captured([])));

    // Assert
    expect(document?.[MetricName.DATABASE_QUERIES]).toBe(2);
    expect(document?.[MetricName.DATABASE_TIME]).toBeGreaterThanOrEqual(100);
    expect(document?.[MetricName.DATABASE_TIME]).toBeLessThan(200);
  });
});
