/**
 * The shared failure policy of the Kafka-triggered handlers (lib/lambda/kafka-failures.ts) through the event-source
 * runner, on the real broker and database: a record that fails permanently is dead-lettered in the wrapper and the
 * partition goes on past it; a retriable failure fails the batch, which is redelivered and processed once.
 */
import path from 'node:path';

import { Kafka, logLevel, type Admin } from 'kafkajs';

import { PgDeadLetterStore } from '../../../lib/db/dead-letter-store';
import { DbConnectionError } from '../../../lib/db/errors';
import { DeadLetterSchema, Stage } from '../../../lib/kafka/dead-letter';
import { consumedRecords, type KafkaEvent } from '../../../lib/kafka/decode';
import { KafkaPublisher, createKafkaProducer } from '../../../lib/kafka/producer';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { PROCESSING_FAILED, withFailurePolicy } from '../../../lib/lambda/kafka-failures';
import { validateHandler } from '../../../lib/pipeline/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { parseEventSourceMappings, startEventSourceRunner, type EventSourceMapping } from '../../../localstack/esm';
import { seedTrade } from '../../helpers/trades';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

/** ExecIDs of the event's records (the test's trades are JSON with an execId). */
function execIds(event: KafkaEvent): string[] {
  return consumedRecords(event).map((r) => (JSON.parse(r.value.toString()) as { execId: string }).execId);
}

describe('the Kafka handlers’ failure policy', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let admin: Admin;
  let publisher: KafkaPublisher;
  let mapping: EventSourceMapping;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
    broker = await startTestBroker();
    const kafka = new Kafka({ brokers: [broker.address], clientId: 'failure-policy-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'failure-policy-it' }));
    // No retry limit, no on-failure destination: without the policy a poison record would stall its partition.
    const parsed = parseEventSourceMappings({
      functions: {
        validateTrades: {
          events: [
            {
              msk: {
                arn: 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/policy',
                topic: Topics.TRADES_CAPTURED,
                startingPosition: 'TRIM_HORIZON',
                batchSize: 50,
              },
            },
          ],
        },
      },
    });
    if (!parsed.ok || parsed.value[0] === undefined) throw new Error('mapping');
    mapping = parsed.value[0];
  });
  afterAll(async () => {
    await publisher.disconnect();
    await admin.disconnect();
    await broker.destroy();
    await db.drop();
  });

  async function run(
    handler: (event: KafkaEvent) => Promise<unknown>,
    trades: ReturnType<typeof seedTrade>[],
  ): Promise<void> {
    const runner = await startEventSourceRunner({
      brokers: broker.address,
      mappings: [{ ...mapping, consumerGroupId: `policy-${Date.now()}` }],
      handlers: { validateTrades: handler },
      retryBackoff: { initialMs: 20, maxMs: 100 },
    });
    try {
      // All on one key: one partition, so the good records queue up behind the poison one.
      await publisher.publish(trades.map((value) => ({ topic: Topics.TRADES_CAPTURED, key: 'ACC-001', value })));
      await runner.idle();
    } finally {
      await runner.stop();
    }
  }

  const policyDeps = () => ({ deadLetters: new PgDeadLetterStore(db.pool), publisher, log: () => undefined });

  it('dead-letters a poison record in the wrapper and validates every good record behind it', async () => {
    // Arrange: a stage that fails permanently (a bug, a constraint) on one record, wherever it is in the batch
    const trades = Array.from({ length: 40 }, (_, i) => seedTrade({ execId: `POISON-${i}`, tradeId: `POISON-T${i}` }));
    const validate = validateHandler({ pool: db.pool, publisher });
    const poisoned = async (event: KafkaEvent) => {
      if (execIds(event).includes('POISON-7')) throw new TypeError('cannot read the poison record');
      return validate(event);
    };

    // Act
    await run(withFailurePolicy(Stage.VALIDATE_TRADES, poisoned, policyDeps()), trades);

    // Assert: 39 validated, the poison one dead-lettered once with its reason and exact bytes, published
    const validated = await db.pool.query<{ exec_id: string }>(
      `SELECT exec_id FROM trade_captures WHERE exec_id LIKE 'POISON-%' AND outcome = 'VALIDATED' ORDER BY exec_id`,
    );
    expect(validated.rows.map((r) => r.exec_id).sort()).toEqual(
      trades
        .map((t) => t.execId)
        .filter((id) => id !== 'POISON-7')
        .sort(),
    );
    const letters = await db.pool.query<{ dead_letter: unknown; published: boolean }>(
      `SELECT dead_letter, published_at IS NOT NULL AS published FROM dead_letters WHERE stage = $1`,
      [Stage.VALIDATE_TRADES],
    );
    expect(letters.rows).toHaveLength(1);
    expect(letters.rows[0]?.published).toBe(true);
    const letter = DeadLetterSchema.parse(letters.rows[0]?.dead_letter);
    expect(letter.reasons).toEqual([{ code: PROCESSING_FAILED, message: 'TypeError: cannot read the poison record' }]);
    expect(JSON.parse(Buffer.from(letter.valueBase64 ?? '', 'base64').toString())).toEqual(trades[7]);
  });

  it('fails the batch on a retriable error, so it is redelivered and processed once, with nothing dead-lettered', async () => {
    // Arrange: the database "unreachable" for the first two invocations
    const trades = Array.from({ length: 20 }, (_, i) => seedTrade({ execId: `RETRY-${i}`, tradeId: `RETRY-T${i}` }));
    const validate = validateHandler({ pool: db.pool, publisher });
    let outage = 2;
    let invocations = 0;
    const flaky = async (event: KafkaEvent) => {
      invocations++;
      if (outage > 0) {
        outage--;
        throw new DbConnectionError('could not get a database connection: connect ECONNREFUSED');
      }
      return validate(event);
    };
    const before = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM dead_letters');

    // Act
    await run(withFailurePolicy(Stage.VALIDATE_TRADES, flaky, policyDeps()), trades);

    // Assert
    const validated = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM trade_captures WHERE exec_id LIKE 'RETRY-%' AND outcome = 'VALIDATED'`,
    );
    expect(validated.rows[0]?.n).toBe('20');
    const after = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM dead_letters');
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
    expect(invocations).toBeGreaterThanOrEqual(3);
  });
});
