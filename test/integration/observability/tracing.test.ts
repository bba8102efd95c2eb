/**
 * The tracer's subsegments on the real PostgreSQL and broker (lib/observability/tracer.ts): the stage's handler as a
 * subsegment of the function's, and inside it one per PostgreSQL round trip (with its SQL, no values) and one per
 * Kafka publish (annotated with topics and count); nothing at all when tracing is off, as it is outside Lambda.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import AWSXRay from 'aws-xray-sdk-core';

import { KafkaPublisher, createKafkaProducer } from '../../../lib/kafka/producer';
import { traced, useTracer } from '../../../lib/observability/tracer';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

interface SegmentDocument {
  name: string;
  subsegments?: SegmentDocument[];
  annotations?: Record<string, unknown>;
  sql?: { sanitized_query?: string };
}

describe('tracing', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let publisher: KafkaPublisher;
  const env = { ...process.env };

  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    broker = await startTestBroker();
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'tracing-it' }));
    AWSXRay.setContextMissingStrategy('IGNORE_ERROR');
  });
  afterAll(async () => {
    useTracer(undefined);
    process.env = env;
    await publisher.disconnect();
    await broker.destroy();
    await db.drop();
  });

  async function runTraced(): Promise<{ segment: SegmentDocument; ran: boolean }> {
    const segment = new AWSXRay.Segment('posttrade-test');
    let ran = false;
    await AWSXRay.getNamespace().runPromise(async () => {
      AWSXRay.setSegment(segment);
      await traced('handle positions', async () => {
        await db.pool.query('SELECT $1::int AS answer', [42]);
        await publisher.publish([{ topic: 'traced', key: 'k', value: { schemaVersion: 1 } }]);
        ran = true;
      });
    });
    return { segment: JSON.parse(JSON.stringify(segment)) as SegmentDocument, ran };
  }

  it('gives the stage handler a subsegment with one per query and per publish inside it', async () => {
    // Arrange: a Lambda execution environment, where Powertools traces
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs20.x';
    useTracer(new Tracer({ serviceName: 'posttrade-test' }));

    // Act
    const { segment, ran } = await runTraced();

    // Assert
    expect(ran).toBe(true);
    const [step] = segment.subsegments ?? [];
    expect(step?.name).toBe('handle positions');
    const inner = step?.subsegments ?? [];
    expect(inner.map((s) => s.name)).toEqual(['postgres', 'kafka.publish']);
    expect(inner[0]?.sql?.sanitized_query).toBe('SELECT $1::int AS answer');
    expect(inner[1]?.annotations).toEqual({ topics: 'traced', messages: 1 });
  });

  it('records nothing when tracing is off (TRACING_ENABLED=false, or outside Lambda) and still runs the work', async () => {
    // Arrange
    useTracer(new Tracer({ serviceName: 'posttrade-test', enabled: false }));

    // Act
    const { segment, ran } = await runTraced();

    // Assert
    expect(ran).toBe(true);
    expect(segment.subsegments ?? []).toEqual([]);
  });
});
