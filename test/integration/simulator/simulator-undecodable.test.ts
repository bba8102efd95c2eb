/**
 * `posttrade produce --undecodable-rate P` on the real broker, read back as Lambda would deliver it and validated
 * against the real database: the trades are the same as without it, the undecodable records come on top, each of
 * them is dead-lettered with its own reason code, and every record has exactly one outcome.
 */
import path from 'node:path';

import { Kafka, logLevel, type Admin } from 'kafkajs';

import { DeadLetterSchema } from '../../../lib/kafka/dead-letter';
import type { KafkaEvent, KafkaEventRecord } from '../../../lib/kafka/decode';
import {
  KafkaPublisher,
  createKafkaProducer,
  type EventPublisher,
  type OutgoingMessage,
} from '../../../lib/kafka/producer';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { validateHandler } from '../../../lib/pipeline/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { runProduce } from '../../../lib/simulator/cli';
import { undecodableCount } from '../../../lib/simulator/undecodable';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
}

let broker: TestBroker;
let db: TestDatabase;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  [broker, db] = await Promise.all([startTestBroker(), createTestDatabase()]);
  await loadReferenceData(db.pool, SEED);
  kafka = new Kafka({ brokers: [broker.address], clientId: 'simulator-undecodable', logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: topicSpecs() });
});
afterAll(async () => {
  await admin.disconnect();
  await Promise.all([broker.destroy(), db.drop()]);
});

/** Every record of trades.captured as the event source mapping would hand it over, in one event. */
async function capturedAsLambdaEvent(expected: number): Promise<KafkaEvent> {
  const consumer = kafka.consumer({ groupId: 'simulator-undecodable', maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.TRADES_CAPTURED, fromBeginning: true });
  const records: Record<string, KafkaEventRecord[]> = {};
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        (records[`${topic}-${partition}`] ??= []).push({
          topic,
          partition,
          offset: Number(message.offset),
          timestamp: Number(message.timestamp),
          timestampType: 'CREATE_TIME',
          key: message.key?.toString('base64') ?? null,
          value: message.value?.toString('base64') ?? null,
          headers: [],
        });
        seen += 1;
        if (seen >= expected) resolve();
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return { eventSource: 'SelfManagedKafka', bootstrapServers: broker.address, records };
}

it('publishes undecodable records on top of the same trades; validation dead-letters each with its own reason', async () => {
  // Arrange
  const publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'sim-undecodable' }));
  const count = 200;
  const rate = 0.05;

  // Act
  const summary = await runProduce(
    [
      '--count',
      String(count),
      '--seed',
      '7',
      '--error-rate',
      '0',
      '--undecodable-rate',
      String(rate),
      '--date',
      '2024-06-28',
    ],
    { publisher, stderr: { write: () => true } },
  );
  await publisher.disconnect();
  const event = await capturedAsLambdaEvent(count + summary.undecodable);
  const recorded = new RecordingPublisher();
  const outcome = await validateHandler({ pool: db.pool, publisher: recorded })(event);

  // Assert
  expect(summary).toMatchObject({ published: count, faulty: 0, undecodable: count * rate });
  expect(undecodableCount(7, rate, count)).toBe(summary.undecodable);
  expect(outcome).toMatchObject({ captured: count + 10, validated: count, rejected: 0, deadLettered: 10 });
  const letters = recorded.messages
    .filter((m) => m.topic === Topics.TRADES_DEAD_LETTER)
    .map((m) => DeadLetterSchema.parse(m.value));
  const codes = letters.map((letter) => letter.reasons[0]?.code);
  expect(new Set(codes)).toEqual(
    new Set(['NOT_UTF8', 'NOT_JSON', 'UNSUPPORTED_SCHEMA_VERSION', 'DUPLICATE_KEY', 'UNSTORABLE_TEXT']),
  );
  expect(letters.every((letter) => letter.stage === 'validateTrades' && letter.valueBase64 !== null)).toBe(true);
});
