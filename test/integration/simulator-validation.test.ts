/**
 * The simulator's trades through the real validation and persistence handlers against PostgreSQL with the seed
 * reference data: the trades it means to be good are all accepted (100% straight-through with --error-rate 0), and
 * with --error-rate 0.1 exactly the tenth it builds to fail is rejected, each for the rule it was built to break.
 * Batches are validated and then booked, as the pipeline does, so positions and wash-trade candidates from earlier
 * batches are in the database when later ones are validated.
 */
import type { KafkaEvent } from '../../lib/kafka/decode';
import type { EventPublisher, OutgoingMessage } from '../../lib/kafka/producer';
import { Topics } from '../../lib/kafka/topics';
import { persistHandler, validateHandler } from '../../lib/pipeline/handlers';
import { loadReferenceData } from '../../lib/refdata/load';
import { DEFAULT_SEED_DIR, loadSimulatorData } from '../../lib/simulator/cli';
import { simulateTrades, type SimulatedTrade } from '../../lib/simulator/generate';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

const BATCH = 50;

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
}

/** A Lambda MSK event with `messages` on partition 0 of `topic`, from `offset` on. */
function mskEvent(topic: string, messages: readonly { key: string; value: unknown }[], offset: number): KafkaEvent {
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/simulator',
    bootstrapServers: 'localhost:9092',
    records: {
      [`${topic}-0`]: messages.map((message, index) => ({
        topic,
        partition: 0,
        offset: offset + index,
        timestamp: 1_714_000_000_000,
        timestampType: 'CREATE_TIME',
        key: Buffer.from(message.key).toString('base64'),
        value: Buffer.from(JSON.stringify(message.value)).toString('base64'),
        headers: [],
      })),
    },
  };
}

interface PipelineOutcome {
  readonly validated: number;
  readonly rejected: number;
  readonly deadLettered: number;
  /** Reason codes by ExecID of each rejected trade. */
  readonly reasons: ReadonlyMap<string, readonly string[]>;
}

/** Validates then books the trades batch by batch, as the two handlers would on their topics. */
async function throughPipeline(db: TestDatabase, trades: readonly SimulatedTrade[]): Promise<PipelineOutcome> {
  const publisher = new RecordingPublisher();
  const validate = validateHandler({ pool: db.pool, publisher });
  const persist = persistHandler({ pool: db.pool, publisher });
  let validated = 0;
  let rejected = 0;
  let deadLettered = 0;
  for (let start = 0; start < trades.length; start += BATCH) {
    const batch = trades.slice(start, start + BATCH).map(({ event }) => ({ key: event.account, value: event }));
    const published = publisher.messages.length;
    const summary = await validate(mskEvent(Topics.TRADES_CAPTURED, batch, start));
    validated += summary.validated;
    rejected += summary.rejected;
    deadLettered += summary.deadLettered;
    const accepted = publisher.messages.slice(published).filter((message) => message.topic === Topics.TRADES_VALIDATED);
    await persist(mskEvent(Topics.TRADES_VALIDATED, accepted, start));
  }
  const reasons = new Map(
    publisher.messages
      .filter((message) => message.topic === Topics.TRADES_REJECTED)
      .map((message) => {
        const value = message.value as { trade: { execId: string }; reasons: { code: string }[] };
        return [value.trade.execId, value.reasons.map((reason) => reason.code)] as const;
      }),
  );
  return { validated, rejected, deadLettered, reasons };
}

function simulate(seed: number, errorRate: number, count: number): SimulatedTrade[] {
  const stream = simulateTrades(loadSimulatorData(DEFAULT_SEED_DIR), { seed, errorRate });
  return Array.from({ length: count }, () => stream.next().value);
}

describe('simulated trades through the real validation', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    // A database per run: the simulator starts from flat positions and an empty ledger.
    db = await createTestDatabase();
    await loadReferenceData(db.pool, DEFAULT_SEED_DIR);
  });
  afterEach(async () => {
    await db.drop();
  });

  it('accepts every trade with --error-rate 0: straight-through rate 100%, amends and cancels included', async () => {
    // Arrange
    const trades = simulate(42, 0, 600);

    // Act
    const outcome = await throughPipeline(db, trades);

    // Assert
    expect([...outcome.reasons]).toEqual([]);
    expect(outcome).toMatchObject({ validated: 600, rejected: 0, deadLettered: 0 });
    expect(trades.some(({ event }) => event.lifecycle === 'AMEND')).toBe(true);
    expect(trades.some(({ event }) => event.lifecycle === 'CANCEL')).toBe(true);
    const booked = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM trade_versions`);
    expect(Number(booked.rows[0]?.n)).toBe(600);
  });

  it('rejects exactly the tenth built to fail with --error-rate 0.1, each for the rule it was built to break', async () => {
    // Arrange: 400 events at 0.1 hold exactly 40 faulty ones (one in each window of ten)
    const trades = simulate(7, 0.1, 400);
    const faulty = trades.filter((trade) => trade.intendedFault !== undefined);

    // Act
    const outcome = await throughPipeline(db, trades);

    // Assert
    expect(faulty).toHaveLength(40);
    expect(outcome).toMatchObject({ validated: 360, rejected: 40, deadLettered: 0 });
    for (const { event, intendedFault } of faulty) {
      expect({ execId: event.execId, codes: outcome.reasons.get(event.execId) }).toEqual({
        execId: event.execId,
        codes: expect.arrayContaining([intendedFault]),
      });
    }
    expect(new Set(faulty.map((trade) => trade.intendedFault)).size).toBeGreaterThanOrEqual(12);
  });
});
