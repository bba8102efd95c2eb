/**
 * The batch metrics on the real PostgreSQL: validation's rejections counted per rule (one RejectedByRule document
 * per rule) and the batch's database time, measured on the pool's own clients (lib/observability/db-time.ts).
 */
import path from 'node:path';

import { Metrics } from '@aws-lambda-powertools/metrics';

import { createPool } from '../../../lib/db/pool';
import type { KafkaEvent } from '../../../lib/kafka/decode';
import { KafkaPublisher, createKafkaProducer } from '../../../lib/kafka/producer';
import { Topics } from '../../../lib/kafka/topics';
import { MetricName, METRICS_NAMESPACE, withBatchMetrics } from '../../../lib/observability/metrics';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { positionsHandler } from '../../../lib/positions/handlers';
import { eodPricesHandler } from '../../../lib/prices/handlers';
import { reconcileHandler } from '../../../lib/recon/handlers';
import { settleTradesHandler, settlementStatusHandler } from '../../../lib/settlement/handlers';
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

/** A batch of `values` on partition 0 of `topic` (default trades.captured), offsets from `firstOffset`. */
function captured(
  values: readonly unknown[],
  { firstOffset = 0, topic = Topics.TRADES_CAPTURED }: { firstOffset?: number; topic?: string } = {},
): KafkaEvent {
  return {
    eventSource: 'SelfManagedKafka',
    bootstrapServers: 'localhost:9092',
    records: {
      [`${topic}-0`]: values.map((value, index) => ({
        topic,
        partition: 0,
        offset: firstOffset + index,
        timestamp: Date.now(),
        value: Buffer.from(JSON.stringify(value)).toString('base64'),
      })),
    },
  };
}

/** The batch document's outcome counts and the RejectedByRule documents, by rule. */
function outcomes(documents: readonly Document[]): {
  booked: unknown;
  rejected: unknown;
  byRule: Record<string, number>;
} {
  const [batch] = documents.filter((d) => MetricName.RECORDS_IN in d);
  return {
    booked: batch?.[MetricName.BOOKED],
    rejected: batch?.[MetricName.REJECTED],
    byRule: Object.fromEntries(
      documents
        .filter((d) => MetricName.REJECTED_BY_RULE in d)
        .map((d) => [String(d.rule), Number(d[MetricName.REJECTED_BY_RULE])]),
    ),
  };
}

/** A trade as validation publishes it to trades.validated (US T+2 before 2024-05-28). */
function validated(trade: object): unknown {
  return { ...trade, settlementDate: '2024-04-04', validatedAt: '2024-04-02T14:31:00.000Z' };
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

  it("counts a redelivered validation batch's rejections once: the second delivery rejects nothing new", async () => {
    // Arrange: one good trade and two rejected on two rules, delivered once
    const handler = withBatchMetrics('validateTrades', validateHandler({ pool: db.pool, publisher }), { metrics });
    const batch = captured(
      [
        seedTrade({ execId: 'MRD-E1', tradeId: 'MRD-T1' }),
        seedTrade({ execId: 'MRD-E2', tradeId: 'MRD-T2', price: '999.00' }),
        seedTrade({ execId: 'MRD-E3', tradeId: 'MRD-T3', quantity: '-5' }),
      ],
      { firstOffset: 100 },
    );
    const first = outcomes(await emitted(() => handler(batch)));

    // Act: the same records again (a batch whose offsets were not committed)
    const again = outcomes(await emitted(() => handler(batch)));

    // Assert
    expect(first).toEqual({
      booked: 0,
      rejected: 2,
      byRule: { PRICE_TOLERANCE: 1, QUANTITY_NOT_POSITIVE: 1 },
    });
    expect(again).toEqual({ booked: 0, rejected: 0, byRule: {} });
  });

  it('counts each rejection once when the same validation batch runs twice at once', async () => {
    // Arrange: two invocations given the same records (a rebalance hands a batch in flight to a second poller)
    const handler = withBatchMetrics('validateTrades', validateHandler({ pool: db.pool, publisher }), { metrics });
    const batch = captured(
      [
        seedTrade({ execId: 'MRC-E1', tradeId: 'MRC-T1', price: '999.00' }),
        seedTrade({ execId: 'MRC-E2', tradeId: 'MRC-T2', price: '999.00' }),
        seedTrade({ execId: 'MRC-E3', tradeId: 'MRC-T3' }),
      ],
      { firstOffset: 200 },
    );

    // Act
    const documents = await emitted(() => Promise.all([handler(batch), handler(batch)]));

    // Assert: between them, the two runs counted two rejections, as the ledger holds
    const batches = documents.filter((d) => MetricName.RECORDS_IN in d);
    expect(batches).toHaveLength(2);
    expect(batches.reduce((sum, d) => sum + Number(d[MetricName.REJECTED]), 0)).toBe(2);
    const byRule = documents.filter((d) => MetricName.REJECTED_BY_RULE in d);
    expect(byRule.reduce((sum, d) => sum + Number(d[MetricName.REJECTED_BY_RULE]), 0)).toBe(2);
    const { rows } = await db.pool.query(
      `SELECT 1 FROM trade_captures WHERE source_offset BETWEEN 200 AND 202 AND outcome = 'REJECTED'`,
    );
    expect(rows).toHaveLength(2);
  });

  it("counts a redelivered persistence batch's bookings and rejections once", async () => {
    // Arrange: an execution booked, then a batch with a new trade and another execution reusing the booked ExecID
    // (DUPLICATE_EXEC_ID at booking), delivered once
    const handler = withBatchMetrics('persistTrades', persistHandler({ pool: db.pool, publisher }), { metrics });
    const topic = Topics.TRADES_VALIDATED;
    await emitted(() => handler(captured([validated(seedTrade({ execId: 'MRP-E1', tradeId: 'MRP-T1' }))], { topic })));
    const batch = captured(
      [
        validated(seedTrade({ execId: 'MRP-E2', tradeId: 'MRP-T2' })),
        validated(seedTrade({ execId: 'MRP-E1', tradeId: 'MRP-T3', account: 'ACC-003', side: 'SELL' })),
      ],
      { topic, firstOffset: 1 },
    );
    const first = outcomes(await emitted(() => handler(batch)));

    // Act
    const again = outcomes(await emitted(() => handler(batch)));

    // Assert
    expect(first).toEqual({ booked: 1, rejected: 1, byRule: { DUPLICATE_EXEC_ID: 1 } });
    expect(again).toEqual({ booked: 0, rejected: 0, byRule: {} });
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
  it('counts a query that waited for a connection towards the batch that issued it, not the one that freed it', async () => {
    // Arrange: one connection for two batches at once. settleTrades holds it while positions' pool.query waits;
    // the release hands it over from inside settleTrades' batch, where pg-pool issues the waiting query.
    const pool = createPool({ url: db.url, poolMax: 1 });
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const holder = withBatchMetrics(
      'settleTrades',
      async () => {
        const client = await pool.connect();
        try {
          holding();
          await client.query('SELECT pg_sleep(0.05)');
        } finally {
          client.release();
        }
        return {};
      },
      { metrics },
    );
    const waiter = withBatchMetrics(
      'positions',
      async () => {
        await held;
        await pool.query('SELECT pg_sleep(0.05)');
        await new Promise<void>((resolve, reject) =>
          pool.query('SELECT 1', (error) => (error instanceof Error ? reject(error) : resolve())),
        );
        return {};
      },
      { metrics },
    );

    try {
      // Act
      const documents = await emitted(() => Promise.all([holder(captured([])), waiter(captured([]))]));

      // Assert
      const queries = Object.fromEntries(documents.map((d) => [String(d.stage), d[MetricName.DATABASE_QUERIES]]));
      expect(queries).toEqual({ settleTrades: 1, positions: 2 });
      const [waited] = documents.filter((d) => d.stage === 'positions');
      expect(waited?.[MetricName.DATABASE_TIME]).toBeGreaterThanOrEqual(50);
    } finally {
      await pool.end();
    }
  });
  const deadLetterCases: [
    string,
    string,
    (deps: { pool: TestDatabase['pool']; publisher: KafkaPublisher }) => unknown,
  ][] = [
    ['settleTrades', Topics.TRADES_BOOKED, settleTradesHandler],
    ['positions', Topics.TRADES_BOOKED, (deps) => positionsHandler({ ...deps, logError: () => undefined })],
    ['settlementStatus', Topics.SETTLEMENT_STATUS, settlementStatusHandler],
    ['reconcile', Topics.CUSTODY_STATEMENTS, reconcileHandler],
    ['eodPrices', Topics.PRICES_EOD, (deps) => eodPricesHandler({ ...deps, logError: () => undefined })],
  ];

  it.each(deadLetterCases)(
    '%s counts an undecodable record in DeadLettered once, not again when redelivered',
    async (stage, topic, make) => {
      // Arrange: a batch of one record that is not JSON, on the stage's topic
      const handler = withBatchMetrics(
        stage,
        make({ pool: db.pool, publisher }) as (e: KafkaEvent) => Promise<unknown>,
        {
          metrics,
        },
      );
      const batch = captured(['{not json'], { topic, firstOffset: 700 });

      // Act
      const [first] = (await emitted(() => handler(batch))).filter((d) => MetricName.RECORDS_IN in d);
      const [again] = (await emitted(() => handler(batch))).filter((d) => MetricName.RECORDS_IN in d);

      // Assert
      expect(first?.[MetricName.DEAD_LETTERED]).toBe(1);
      expect(again?.[MetricName.DEAD_LETTERED]).toBe(0);
    },
  );
});
