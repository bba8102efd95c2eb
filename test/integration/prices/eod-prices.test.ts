/**
 * End-of-day prices from `prices.eod` through the Lambda entry point (functions/eod-prices.ts) into
 * reference_prices: the latest record per ISIN and date wins, bad records are skipped with their reasons (an
 * undecodable one dead-lettered to prices.deadletter on the broker), a redelivered batch changes nothing.
 */
import type { Context } from 'aws-lambda';

import type { KafkaEvent } from '../../../lib/kafka/decode';
import type { EodPricesSummary } from '../../../lib/prices/on-eod-prices';
import { loadEvent } from '../../helpers/events';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { AAPL, MSFT, seedReferenceData } from '../helpers/pnl-fixtures';
import { getLogger } from '../../../lib/observability/logger';

const HSBC = 'GB0005405286';

type Handler = (event: KafkaEvent, context: Context) => Promise<EodPricesSummary>;

describe('eodPrices handler on prices.eod', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let handler: Handler;
  let endPool: () => Promise<void>;
  let releasePublisher: () => Promise<void>;
  const context = {} as Context;

  beforeAll(async () => {
    [db, broker] = await Promise.all([createTestDatabase(), startTestBroker()]);
    await seedReferenceData(db.pool);
    // The entry point builds its pool from DATABASE_URL and its producer from KAFKA_BROKERS on first use, as in a
    // Lambda container.
    process.env.DATABASE_URL = db.url;
    process.env.KAFKA_BROKERS = broker.address;
    // Required only now: the module reads DATABASE_URL when it loads, as a Lambda container does at cold start.
    ({ handler } = jest.requireActual<{ handler: Handler }>('../../../functions/eod-prices'));
    ({ endPool } = jest.requireActual<typeof import('../../../lib/db/pool')>('../../../lib/db/pool'));
    ({ releasePublisher } =
      jest.requireActual<typeof import('../../../lib/kafka/producer')>('../../../lib/kafka/producer'));
  });
  afterAll(async () => {
    await releasePublisher?.();
    await endPool?.();
    await Promise.all([db.drop(), broker.destroy()]);
  });

  async function storedPrices(): Promise<{ isin: string; price_date: string; price: string; source: string }[]> {
    const { rows } = await db.pool.query<{ isin: string; price_date: string; price: string; source: string }>(
      `SELECT isin, to_char(price_date, 'YYYY-MM-DD') AS price_date, price::text, source FROM reference_prices
       WHERE price_date >= '2024-07-01' ORDER BY isin, price_date`,
    );
    return rows;
  }

  it('stores the latest valid price per ISIN and date and skips the rest with reasons', async () => {
    const event = loadEvent<KafkaEvent>('prices-eod');
    const errors = jest.spyOn(getLogger(), 'error').mockImplementation(() => undefined);

    const summary = await handler(event, context);

    expect(errors).toHaveBeenCalledTimes(4);
    errors.mockRestore();
    expect(await storedPrices()).toEqual([
      { isin: HSBC, price_date: '2024-07-01', price: '6.712', source: 'LSE-CLOSE' },
      { isin: AAPL, price_date: '2024-07-01', price: '190.15', source: 'BLOOMBERG-CORRECTION' },
      { isin: MSFT, price_date: '2024-07-01', price: '450.5', source: 'BLOOMBERG' },
    ]);
    expect(summary).toMatchObject({ records: 8, accepted: 3, written: 3 });
    expect(summary.skipped.map((s) => [s.source.partition, s.source.offset, s.reasons.map(codeOf)])).toEqual([
      [0, 13, ['SCHEMA_INVALID']], // a decode error (on price), also dead-lettered
      [0, 14, ['TOO_MANY_DECIMALS']],
      [0, 15, ['CURRENCY_MISMATCH']],
      [1, 4, ['UNKNOWN_INSTRUMENT']],
    ]);
  });

  it('a redelivered batch writes nothing and leaves the prices as they were', async () => {
    const before = await storedPrices();
    const errors = jest.spyOn(getLogger(), 'error').mockImplementation(() => undefined);

    const summary = await handler(loadEvent<KafkaEvent>('prices-eod'), context);

    errors.mockRestore();
    expect(summary.written).toBe(0);
    expect(await storedPrices()).toEqual(before);
  });

  it('a later correction of a stored price replaces it; the seed CSV prices stay untouched', async () => {
    const event = loadEvent<KafkaEvent>('prices-eod');
    const correction = { isin: MSFT, date: '2024-07-01', price: '451.25', currency: 'USD', source: 'MANUAL' };
    const record = event.records['prices.eod-0']?.[1];
    if (record === undefined) throw new Error('fixture changed: prices.eod-0 offset 11 missing');
    const { rows: seedBefore } = await db.pool.query(`SELECT count(*)::int AS n FROM reference_prices`);

    const summary = await handler(
      { ...event, records: { 'prices.eod-0': [{ ...record, offset: 20, value: base64(correction) }] } },
      context,
    );

    expect(summary).toMatchObject({ records: 1, accepted: 1, written: 1, skipped: [] });
    expect((await storedPrices()).find((p) => p.isin === MSFT)).toEqual({
      isin: MSFT,
      price_date: '2024-07-01',
      price: '451.25',
      source: 'MANUAL',
    });
    const { rows: seedAfter } = await db.pool.query(`SELECT count(*)::int AS n FROM reference_prices`);
    expect(seedAfter).toEqual(seedBefore);
  });
});

function codeOf(reason: { readonly code: string } | { readonly path: string }): string {
  return 'code' in reason ? reason.code : reason.path;
}

function base64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}
