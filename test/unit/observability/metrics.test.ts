/** The EMF documents a batch emits: CloudWatch's embedded metric format, the names and units of one module. */
import { Metrics } from '@aws-lambda-powertools/metrics';

import { CAPTURED_AT_HEADER } from '../../../lib/observability/correlation';
import { countByRule, MetricName, METRICS_NAMESPACE, withBatchMetrics } from '../../../lib/observability/metrics';
import type { KafkaEvent } from '../../../lib/kafka/decode';

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

function event(capturedAt: string[]): KafkaEvent {
  return {
    eventSource: 'SelfManagedKafka',
    bootstrapServers: 'localhost:9092',
    records: {
      'trades.validated-0': capturedAt.map((at, offset) => ({
        topic: 'trades.validated',
        partition: 0,
        offset,
        timestamp: 0,
        value: Buffer.from('{}').toString('base64'),
        headers: [{ [CAPTURED_AT_HEADER]: [...Buffer.from(at)] }],
      })),
    },
  };
}

/** Runs `act` and returns the EMF documents it wrote to stdout. */
async function emitted(act: () => Promise<unknown>): Promise<EmfDocument[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await act().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
}

describe('batch metrics', () => {
  it('emits one EMF document per batch with every metric, its unit and the stage dimension', async () => {
    // Arrange
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'posttrade-test' });
    const clock = [Date.parse('2024-04-02T14:30:10.000Z'), Date.parse('2024-04-02T14:30:10.250Z')];
    const handler = withBatchMetrics('persistTrades', () => Promise.resolve({ booked: 2, rejected: 1 }), {
      metrics: () => metrics,
      now: () => clock.shift() ?? 0,
    });

    // Act
    const documents = await emitted(() =>
      handler(event(['2024-04-02T14:30:09.000Z', '2024-04-02T14:30:09.500Z', '2024-04-02T14:30:09.750Z'])),
    );

    // Assert
    expect(documents).toHaveLength(1);
    const [document] = documents as [EmfDocument];
    const [directive] = document._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe('posttrade');
    expect(directive?.Dimensions).toEqual([['service', 'stage']]);
    expect(Object.fromEntries((directive?.Metrics ?? []).map((metric) => [metric.Name, metric.Unit]))).toEqual({
      [MetricName.BOOKED]: 'Count',
      [MetricName.REJECTED]: 'Count',
      [MetricName.DEAD_LETTERED]: 'Count',
      [MetricName.RECORDS_IN]: 'Count',
      [MetricName.BATCH_SIZE]: 'Count',
      [MetricName.BATCH_DURATION]: 'Milliseconds',
      [MetricName.END_TO_END_LATENCY]: 'Milliseconds',
      [MetricName.DATABASE_TIME]: 'Milliseconds',
      [MetricName.DATABASE_QUERIES]: 'Count',
    });
    expect(document).toMatchObject({
      service: 'posttrade-test',
      stage: 'persistTrades',
      Booked: 2,
      Rejected: 1,
      DeadLettered: 0,
      RecordsIn: 3,
      BatchDuration: 250,
      EndToEndLatency: 1250,
      DatabaseTime: 0,
      DatabaseQueries: 0,
    });
  });

  it("counts the failure policy's dead letters once: a poison record an earlier delivery dead-lettered is not counted", async () => {
    // Arrange: an isolated batch whose two poison records were dead-lettered before this delivery and now
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'posttrade-test' });
    const poison = (offset: number, firstRecorded: boolean) => ({
      topic: 'trades.booked',
      partition: 0,
      offset,
      errorType: 'TypeError',
      message: 'poison',
      firstRecorded,
    });
    const handler = withBatchMetrics(
      'positions',
      () => Promise.resolve({ isolated: true, results: [{}], deadLettered: [poison(3, false), poison(10, true)] }),
      { metrics: () => metrics },
    );

    // Act
    const documents = await emitted(() => handler(event(['2024-04-02T14:30:09.000Z'])));

    // Assert
    expect(documents.filter((document) => MetricName.RECORDS_IN in document)[0]?.[MetricName.DEAD_LETTERED]).toBe(1);
  });

  it('emits one RejectedByRule document per rule, with the rule as a dimension, summed over isolated parts', async () => {
    // Arrange: the failure policy's isolated form, two parts that each rejected
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'posttrade-test' });
    const summary = (rejectedByRule: Record<string, number>) => ({ rejected: 1, rejectedByRule });
    const handler = withBatchMetrics(
      'validateTrades',
      () =>
        Promise.resolve({
          isolated: true,
          results: [summary({ PRICE_TOLERANCE: 2, RESTRICTED: 1 }), summary({ PRICE_TOLERANCE: 1 })],
          deadLettered: [],
        }),
      { metrics: () => metrics },
    );

    // Act
    const documents = await emitted(() => handler(event(['2024-04-02T14:30:09.000Z'])));

    // Assert
    const byRule = documents.filter((document) => MetricName.REJECTED_BY_RULE in document);
    expect(byRule.map((document) => [document.rule, document[MetricName.REJECTED_BY_RULE]])).toEqual([
      ['PRICE_TOLERANCE', 3],
      ['RESTRICTED', 1],
    ]);
    expect(byRule[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'stage', 'rule']]);
    expect(byRule[0]).toMatchObject({ service: 'posttrade-test', stage: 'validateTrades' });
    expect(documents.filter((document) => MetricName.RECORDS_IN in document)).toHaveLength(1);
  });

  it('counts a rule once per rejected trade, however many reasons of it the trade has', () => {
    expect(countByRule([[{ code: 'A' }, { code: 'A' }, { code: 'B' }], [{ code: 'B' }], []])).toEqual({ A: 1, B: 2 });
  });

  it('still emits the batch figures when the handler throws', async () => {
    // Arrange
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'posttrade-test' });
    const handler = withBatchMetrics('validateTrades', () => Promise.reject(new Error('database down')), {
      metrics: () => metrics,
    });

    // Act
    const documents = await emitted(() => handler(event(['2024-04-02T14:30:09.000Z'])));

    // Assert
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ stage: 'validateTrades', RecordsIn: 1 });
    expect(documents[0]).not.toHaveProperty('Booked');
  });
});
