/**
 * The publish path puts the body's schema version into the `schema-version` header, on the real broker: what a
 * consumer (or a registry-aware tool) reads next to the value, and what decodeRecord holds against the body.
 */
import { Kafka, logLevel, type Admin, type KafkaMessage } from 'kafkajs';

import { KafkaPublisher, createKafkaProducer } from '../../../lib/kafka/producer';
import { SCHEMA_VERSION_HEADER } from '../../../lib/kafka/schemas/versioning';
import { startTestBroker, type TestBroker } from '../helpers/broker';

describe('the schema-version header', () => {
  let broker: TestBroker;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = new Kafka({ brokers: [broker.address], clientId: 'schema-header-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'versioned', numPartitions: 1 }] });
  });
  afterAll(async () => {
    await admin.disconnect();
    await broker.destroy();
  });

  it("is the body's schemaVersion on every JSON message, none on raw bytes, and a caller's own header wins", async () => {
    const publisher = new KafkaPublisher(
      createKafkaProducer({ brokers: [broker.address], clientId: 'schema-header-it' }),
    );
    await publisher.publish([
      { topic: 'versioned', key: 'a', value: { schemaVersion: 1, n: 1 } },
      { topic: 'versioned', key: 'b', value: Buffer.from('not json') },
      { topic: 'versioned', key: 'c', value: { schemaVersion: 2, n: 3 }, headers: { [SCHEMA_VERSION_HEADER]: '7' } },
      { topic: 'versioned', key: 'd', value: { n: 4 } },
    ]);
    await publisher.disconnect();

    const consumer = kafka.consumer({ groupId: 'schema-header-it' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'versioned', fromBeginning: true });
    const received: KafkaMessage[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          received.push(message);
          if (received.length === 4) resolve();
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();

    expect(received.map((m) => [String(m.key), m.headers?.[SCHEMA_VERSION_HEADER]?.toString()])).toEqual([
      ['a', '1'],
      ['b', undefined],
      ['c', '7'],
      ['d', undefined],
    ]);
  });
});
