/**
 * The simulator's trades through the real validation and persistence handlers against PostgreSQL with the seed
 * reference data: the trades it means to be good are all accepted (100% straight-through with --error-rate 0), and
 * with --error-rate 0.1 exactly the tenth it builds to fail is rejected, each for the rule it was built to break.
 * Batches are validated and then booked, as the pipeline does, so positions and wash-trade candidates from earlier
 * batches are in the database when later ones are validated. The same holds for single-day mode (every trade on one
 * date), also with position limits so tight that the day's book runs into them again and again.
 */
import { Dec } from '../../../lib/domain/money';
import type { KafkaEvent } from '../../../lib/kafka/decode';
import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import { Topics } from '../../../lib/kafka/topics';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { DEFAULT_SEED_DIR, loadSimulatorData } from '../../../lib/simulator/cli';
import {
  simulateTrades,
  type SimulatedTrade,
  type SimulatorData,
  type SimulatorOptions,
} from '../../../lib/simulator/generate';
import { generateMarketData, withMarketData } from '../../../lib/simulator/market-data';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

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

function simulate(
  seed: number,
  errorRate: number,
  count: number,
  day: Pick<SimulatorOptions, 'date'> = {},
  data: SimulatorData = loadSimulatorData(DEFAULT_SEED_DIR),
): SimulatedTrade[] {
  const stream = simulateTrades(data, {
    seed,
    errorRate,
    ...(day.date === undefined ? {} : { date: day.date, eventsOnDate: count }),
  });
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

  it('accepts every trade of one day with --error-rate 0: 2000 trades dated 2024-06-28', async () => {
    // Arrange
    const trades = simulate(17, 0, 2000, { date: '2024-06-28' });

    // Act
    const outcome = await throughPipeline(db, trades);

    // Assert
    expect([...outcome.reasons]).toEqual([]);
    expect(outcome).toMatchObject({ validated: 2000, rejected: 0, deadLettered: 0 });
    expect(new Set(trades.map(({ event }) => event.tradeDate))).toEqual(new Set(['2024-06-28']));
    const booked = await db.pool.query<{ n: string; dates: string }>(
      `SELECT count(*) AS n, string_agg(DISTINCT trade_date::text, ',') AS dates FROM trade_versions`,
    );
    expect(booked.rows[0]).toEqual({ n: '2000', dates: '2024-06-28' });
  });

  it("keeps one account's day inside a position limit of 1200 shares, which the day runs into", async () => {
    // Arrange: one account trades all day (50 trades an instrument on average) under a limit of 1200 shares, in the
    // database the validator reads and in the data the simulator reads. The limit leaves the simulator's headroom
    // (240 shares) above one trade's size: the validator's batch view may count a trade amended or cancelled in
    // the same batch once too often (see PgReferenceDataStore.positions).
    await db.pool.query(`UPDATE accounts SET position_limit = 1200 WHERE id = 'ACC-003'`);
    const seed = loadSimulatorData(DEFAULT_SEED_DIR);
    const oneAccount = {
      ...seed,
      accounts: seed.accounts.filter((a) => a.id === 'ACC-003').map((a) => ({ ...a, positionLimit: new Dec(1200) })),
    };
    const trades = simulate(23, 0, 1500, { date: '2024-06-28' }, oneAccount);

    // Act
    const outcome = await throughPipeline(db, trades);

    // Assert: nothing rejected, and the limit was within reach (a position beyond the 960-share headroom line)
    expect([...outcome.reasons]).toEqual([]);
    expect(outcome).toMatchObject({ validated: 1500, rejected: 0, deadLettered: 0 });
    const widest = await db.pool.query<{ q: string }>(
      `SELECT max(abs(q)) AS q FROM (SELECT sum(CASE WHEN side = 'BUY' THEN quantity ELSE -quantity END) AS q
       FROM trades WHERE status = 'LIVE' GROUP BY isin) p`,
    );
    expect(Number(widest.rows[0]?.q)).toBeGreaterThan(700);
    expect(Number(widest.rows[0]?.q)).toBeLessThanOrEqual(1200);
  });

  it('rejects exactly the tenth built to fail on one day, each for the rule it was built to break', async () => {
    // Arrange: 400 events at 0.1 hold exactly 40 faulty ones
    const trades = simulate(7, 0.1, 400, { date: '2024-06-28' });
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
  });

  it('accepts every trade of a multi-day run, late corrections and trades past the seed data included', async () => {
    // Arrange: the seed data extended with generated prices and rates through 2024-07-02, loaded as the demo
    // loads each day's (the validator compares a trade with its previous close and converts at the trade date)
    const seed = loadSimulatorData(DEFAULT_SEED_DIR);
    const generated = generateMarketData(seed, { seed: 5, through: '2024-07-02' });
    await db.pool.query(
      `INSERT INTO reference_prices (isin, price_date, price)
       SELECT * FROM unnest($1::text[], $2::date[], $3::numeric[])`,
      [
        generated.closes.map((c) => c.isin),
        generated.closes.map((c) => c.date),
        generated.closes.map((c) => c.price.toFixed()),
      ],
    );
    await db.pool.query(
      `INSERT INTO fx_rates (base, quote, rate_date, rate)
       SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::numeric[])`,
      [
        generated.fxRates.map((r) => r.base),
        generated.fxRates.map((r) => r.quote),
        generated.fxRates.map((r) => r.date),
        generated.fxRates.map((r) => r.rate.toFixed()),
      ],
    );
    const days = ['2024-05-24', '2024-05-27', '2024-05-28', '2024-06-28', '2024-07-01', '2024-07-02'];
    const stream = simulateTrades(withMarketData(seed, generated), { seed: 31, errorRate: 0, days, eventsPerDay: 150 });
    const trades = Array.from({ length: days.length * 150 }, () => stream.next().value);

    // Act
    const outcome = await throughPipeline(db, trades);

    // Assert
    expect([...outcome.reasons]).toEqual([]);
    expect(outcome).toMatchObject({ validated: 900, rejected: 0, deadLettered: 0 });
    const late = trades.filter(
      ({ event }, n) => event.lifecycle !== 'NEW' && event.tradeDate !== days[Math.floor(n / 150)],
    );
    expect(late.length).toBeGreaterThan(0);
    const booked = await db.pool.query<{ dates: string }>(
      `SELECT string_agg(DISTINCT trade_date::text, ',' ORDER BY trade_date::text) AS dates FROM trade_versions`,
    );
    expect(booked.rows[0]?.dates).toBe(days.join(','));
  });
});
