/**
 * Records PostgreSQL could not store, and records that do not decode at all, arriving at every Kafka-triggered
 * stage against the real database: each is refused at decoding with its reason and dead-lettered in the one
 * wrapper (lib/kafka/dead-letter.ts), and the good records of the same batch go through in that same call — no
 * retry, no batch held. Before the boundary refused them, a NUL in an ExecID passed decoding and failed the
 * capture ledger's INSERT (`invalid byte sequence for encoding "UTF8": 0x00`) for the whole batch, on every retry.
 */
import path from 'node:path';

import { PgDeadLetterStore } from '../../../lib/db/dead-letter-store';
import { DeadLetterSchema, type DeadLetter } from '../../../lib/kafka/dead-letter';
import type { KafkaEvent, KafkaEventRecord } from '../../../lib/kafka/decode';
import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import { Topics } from '../../../lib/kafka/topics';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { publishPositionChanges } from '../../../lib/positions/change-outbox';
import { positionsFromBookedTrades } from '../../../lib/positions/on-booked-trades';
import { PgPositionStore } from '../../../lib/positions/store';
import { riskPositionsHandler } from '../../../lib/risk/handlers';
import { eodPricesFromEvent } from '../../../lib/prices/on-eod-prices';
import { PgEodPriceStore } from '../../../lib/prices/store';
import { reconcileHandler } from '../../../lib/recon/handlers';
import { settlementStatusHandler, settleTradesHandler } from '../../../lib/settlement/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { loadEvent } from '../../helpers/events';
import { seedTrade } from '../../helpers/trades';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
  deadLetters(topic: string): DeadLetter[] {
    return this.messages.filter((m) => m.topic === topic).map((m) => DeadLetterSchema.parse(m.value));
  }
}

let nextOffset = 1000;
/** A Lambda MSK event of raw values (a string is sent as its UTF-8, a Buffer as it is), with a header each. */
function rawEvent(topic: string, values: readonly (string | Buffer)[], key = 'ACC-001'): KafkaEvent {
  const records: KafkaEventRecord[] = values.map((value) => ({
    topic,
    partition: 0,
    offset: nextOffset++,
    timestamp: 1_716_561_001_000,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(key).toString('base64'),
    value: (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64'),
    headers: [{ 'trace-id': [...Buffer.from('abc-123')] }],
  }));
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/test',
    bootstrapServers: 'localhost:9092',
    records: { [`${topic}-0`]: records },
  };
}

/** The first record of a fixture event, as text. */
function fixtureValue(name: string): string {
  const event = loadEvent<KafkaEvent>(name);
  const first = Object.values(event.records)[0]?.[0];
  return Buffer.from(first?.value ?? '', 'base64').toString('utf8');
}

/** `json` with one string field set to a value holding a NUL (as `\u0000` in the JSON text, as a sender writes it). */
function withNul(json: string, field: string): string {
  const value = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify({ ...value, [field]: `X\u0000${String(value[field])}` });
}

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadReferenceData(db.pool, SEED);
});
afterAll(async () => {
  await db.drop();
});

describe('validation: what PostgreSQL cannot store is refused at decoding, and the batch goes on', () => {
  const cases: readonly [string, string | Buffer, string][] = [
    ['a NUL in the ExecID', JSON.stringify(seedTrade({ execId: 'X\u0000Y', tradeId: 'B-NUL' })), 'UNSTORABLE_TEXT'],
    ['an unpaired surrogate', JSON.stringify(seedTrade({ execId: 'B-SUR', account: 'ACC-\udc00' })), 'UNSTORABLE_TEXT'],
    [
      'a NUL in a field no schema knows',
      JSON.stringify({ ...seedTrade({ execId: 'B-X' }), note: '\u0000' }),
      'UNSTORABLE_TEXT',
    ],
    [
      'a version past PostgreSQL integer',
      JSON.stringify(seedTrade({ execId: 'B-V', version: 2 ** 31 })),
      'SCHEMA_INVALID',
    ],
    [
      'a 41-character quantity',
      JSON.stringify(seedTrade({ execId: 'B-Q', quantity: '1'.repeat(41) })),
      'SCHEMA_INVALID',
    ],
    ['year 0000', JSON.stringify(seedTrade({ execId: 'B-Y', tradeTime: '0000-04-02T14:30:00Z' })), 'SCHEMA_INVALID'],
    ['an ExecID of 65 characters', JSON.stringify(seedTrade({ execId: 'E'.repeat(65) })), 'SCHEMA_INVALID'],
    [
      'a key named twice',
      JSON.stringify(seedTrade({ execId: 'B-D' })).replace('"price":"170.00"', '"price":"170.00","price":"1.00"'),
      'DUPLICATE_KEY',
    ],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), 'NOT_UTF8'],
    ['truncated JSON', JSON.stringify(seedTrade({ execId: 'B-T' })).slice(0, 40), 'NOT_JSON'],
    [
      'an unknown schema version',
      JSON.stringify({ ...seedTrade({ execId: 'B-S' }), schemaVersion: 2 }),
      'UNSUPPORTED_SCHEMA_VERSION',
    ],
  ];

  it('dead-letters each bad record with its reason, raw bytes, key and headers; books the good ones; no retry', async () => {
    // Arrange
    const publisher = new RecordingPublisher();
    const validate = validateHandler({ pool: db.pool, publisher });
    const good = [
      seedTrade({ execId: 'B-GOOD-1', tradeId: 'B-G1' }),
      seedTrade({ execId: 'B-GOOD-2', tradeId: 'B-G2' }),
    ];
    const values = [JSON.stringify(good[0]), ...cases.map(([, value]) => value), JSON.stringify(good[1])];
    const event = rawEvent(Topics.TRADES_CAPTURED, values);

    // Act
    const summary = await validate(event);

    // Assert
    expect(summary).toMatchObject({ captured: values.length, validated: 2, rejected: 0, deadLettered: cases.length });
    const letters = publisher.deadLetters(Topics.TRADES_DEAD_LETTER);
    expect(letters.map((letter) => letter.reasons[0]?.code)).toEqual(cases.map(([, , code]) => code));
    const first = letters[0];
    expect(first).toMatchObject({
      schemaVersion: 2,
      stage: 'validateTrades',
      source: { topic: Topics.TRADES_CAPTURED, partition: 0, timestampType: 'CREATE_TIME' },
      key: 'ACC-001',
      keyBase64: Buffer.from('ACC-001').toString('base64'),
      headers: [{ key: 'trace-id', valueBase64: Buffer.from('abc-123').toString('base64') }],
      reasons: [{ code: 'UNSTORABLE_TEXT', message: expect.stringMatching(/^execId: contains U\+0000/) }],
    });
    letters.forEach((letter, index) => {
      const raw = cases[index]?.[1] ?? '';
      expect(Buffer.from(letter.valueBase64 ?? '', 'base64')).toEqual(typeof raw === 'string' ? Buffer.from(raw) : raw);
    });
    expect(publisher.messages.filter((m) => m.topic === Topics.TRADES_VALIDATED)).toHaveLength(2);
    const stored = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM trade_captures WHERE outcome = 'DEAD_LETTER' AND source_offset = ANY($1::bigint[])`,
      [
        Object.values(event.records)
          .flat()
          .map((r) => r.offset),
      ],
    );
    expect(Number(stored.rows[0]?.n)).toBe(cases.length);
  });

  it('persistence does the same with a trades.validated record published by anything else', async () => {
    // Arrange
    const publisher = new RecordingPublisher();
    const persist = persistHandler({ pool: db.pool, publisher });
    const validated = (execId: string, tradeId: string) => ({
      ...seedTrade({ execId, tradeId }),
      settlementDate: '2024-04-04',
      validatedAt: '2024-04-02T14:30:01.000Z',
    });
    const event = rawEvent(Topics.TRADES_VALIDATED, [
      JSON.stringify(validated('P-NUL\u0000', 'P-T0')),
      JSON.stringify(validated('P-GOOD', 'P-T1')),
    ]);

    // Act
    const summary = await persist(event);

    // Assert
    expect(summary).toMatchObject({ received: 2, booked: 1, deadLettered: 1 });
    expect(publisher.deadLetters(Topics.TRADES_DEAD_LETTER)).toEqual([
      expect.objectContaining({
        stage: 'persistTrades',
        reasons: [expect.objectContaining({ code: 'UNSTORABLE_TEXT' })],
      }),
    ]);
  });
});

describe('every other stage dead-letters in the same wrapper, stored then published, once', () => {
  async function storedLetters(stage: string): Promise<{ dead_letter: DeadLetter; published: boolean }[]> {
    const { rows } = await db.pool.query<{ dead_letter: DeadLetter; published: boolean }>(
      `SELECT dead_letter, published_at IS NOT NULL AS published FROM dead_letters WHERE stage = $1
       ORDER BY source_offset`,
      [stage],
    );
    return rows;
  }

  const stages: readonly {
    readonly stage: string;
    readonly topic: string;
    readonly deadLetterTopic: string;
    readonly good: () => string;
    readonly bad: () => string;
    /** What the bad record is refused for. */
    readonly code: string;
    readonly run: (event: KafkaEvent, publisher: EventPublisher) => Promise<unknown>;
  }[] = [
    {
      stage: 'settleTrades',
      topic: Topics.TRADES_BOOKED,
      deadLetterTopic: Topics.TRADES_DEAD_LETTER,
      good: () => fixtureValue('trades-booked'),
      bad: () => fixtureValue('trades-booked').replace('"execId":"EX-T1-1"', '"execId":"EX-T1-1\\u0000"'),
      code: 'UNSTORABLE_TEXT',
      run: (event, publisher) => settleTradesHandler({ pool: db.pool, publisher })(event),
    },
    {
      stage: 'positions',
      topic: Topics.TRADES_BOOKED,
      deadLetterTopic: Topics.TRADES_DEAD_LETTER,
      good: () => fixtureValue('trades-booked'),
      bad: () => fixtureValue('trades-booked').replace('"account":"ACC-001"', '"account":"ACC-\\ud800"'),
      code: 'UNSTORABLE_TEXT',
      run: (event, publisher) =>
        positionsFromBookedTrades(event, {
          store: new PgPositionStore(db.pool),
          deadLetters: new PgDeadLetterStore(db.pool),
          publisher,
          publishChanges: () => publishPositionChanges(db.pool, publisher),
        }),
    },
    {
      stage: 'riskPositions',
      topic: Topics.POSITIONS_CHANGED,
      deadLetterTopic: Topics.POSITIONS_DEAD_LETTER,
      good: () => fixtureValue('positions-changed'),
      bad: () => fixtureValue('positions-changed').replace('"account":"ACC-001"', '"account":"ACC-\\ud800"'),
      code: 'UNSTORABLE_TEXT',
      run: (event, publisher) => riskPositionsHandler({ pool: db.pool, publisher })(event),
    },
    {
      stage: 'settlementStatus',
      topic: Topics.SETTLEMENT_STATUS,
      deadLetterTopic: Topics.SETTLEMENT_DEAD_LETTER,
      good: () => fixtureValue('settlement-status'),
      bad: () => withNul(fixtureValue('settlement-status'), 'messageId'),
      code: 'UNSTORABLE_TEXT',
      run: (event, publisher) => settlementStatusHandler({ pool: db.pool, publisher })(event),
    },
    {
      stage: 'reconcile',
      topic: Topics.CUSTODY_STATEMENTS,
      deadLetterTopic: Topics.CUSTODY_DEAD_LETTER,
      good: () => fixtureValue('custody-statements'),
      bad: () => withNul(fixtureValue('custody-statements'), 'statementId'),
      code: 'UNSTORABLE_TEXT',
      run: (event, publisher) => reconcileHandler({ pool: db.pool, publisher })(event),
    },
    {
      stage: 'eodPrices',
      topic: Topics.PRICES_EOD,
      deadLetterTopic: Topics.PRICES_DEAD_LETTER,
      good: () => fixtureValue('prices-eod'),
      bad: () => fixtureValue('prices-eod').replace('"price":"190.12"', `"price":"${'9'.repeat(200_000)}"`),
      code: 'SCHEMA_INVALID',
      run: (event, publisher) =>
        eodPricesFromEvent(event, {
          store: new PgEodPriceStore(db.pool),
          deadLetters: new PgDeadLetterStore(db.pool),
          publisher,
          publishChanges: () => publishPositionChanges(db.pool, publisher),
        }),
    },
  ];

  it.each(stages.map((s) => [s.stage, s] as const))(
    '%s: the good record is handled, the bad one dead-lettered; a redelivery adds and publishes nothing',
    async (_, spec) => {
      // Arrange
      const publisher = new RecordingPublisher();
      const event = rawEvent(spec.topic, [spec.good(), spec.bad(), '\u0000'], 'K-1');

      // Act
      await spec.run(event, publisher);
      const again = new RecordingPublisher();
      await spec.run(event, again);

      // Assert
      const published = publisher.deadLetters(spec.deadLetterTopic).filter((letter) => letter.stage === spec.stage);
      expect(published.map((letter) => letter.reasons[0]?.code)).toEqual([spec.code, 'NOT_JSON']);
      expect(published[1]).toMatchObject({ key: 'K-1', valueBase64: Buffer.from('\u0000').toString('base64') });
      const stored = await storedLetters(spec.stage);
      expect(stored.map((row) => [row.dead_letter.source.offset, row.published])).toEqual(
        published.map((letter) => [letter.source.offset, true]),
      );
      expect(again.deadLetters(spec.deadLetterTopic)).toEqual([]);
    },
  );
});
