/** The batch's correlation ids on the log lines written while it runs (lib/observability/log-context.ts). */
import { Logger } from '@aws-lambda-powertools/logger';

import type { KafkaEvent, KafkaEventRecord } from '../../../lib/kafka/decode';
import { CORRELATION_HEADER } from '../../../lib/observability/correlation';
import { MAX_LISTED_IDS, batchCorrelationIds, withBatchLogContext } from '../../../lib/observability/log-context';

function record(topic: string, offset: number, correlationId?: string): KafkaEventRecord {
  return {
    topic,
    partition: 0,
    offset,
    timestamp: 0,
    value: Buffer.from('{}').toString('base64'),
    headers: correlationId === undefined ? [] : [{ [CORRELATION_HEADER]: [...Buffer.from(correlationId)] }],
  };
}

function event(records: KafkaEventRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const r of records) (grouped[`${r.topic}-${r.partition}`] ??= []).push(r);
  return { eventSource: 'SelfManagedKafka', bootstrapServers: 'localhost:9092', records: grouped };
}

/** Runs `act` with `logger` and returns the JSON lines it wrote to stdout. */
async function logged(act: (logger: Logger) => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await act(new Logger({ serviceName: 'posttrade-test', logLevel: 'INFO' }));
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('batch log context', () => {
  it("puts a one-trade batch's id on every line as correlation_id, and removes it when the batch ends", async () => {
    // Arrange
    const batch = event([record('trades.booked', 0, 'desk:order-1'), record('trades.booked', 1, 'desk:order-1')]);

    // Act
    const lines = await logged(async (logger) => {
      await withBatchLogContext(
        () => {
          logger.info('booked');
          return Promise.resolve();
        },
        { logger: () => logger },
      )(batch);
      logger.info('after the batch');
    });

    // Assert
    expect(lines.map((line) => [line.message, line.correlation_id])).toEqual([
      ['booked', 'desk:order-1'],
      ['after the batch', undefined],
    ]);
  });

  it('lists the ids of a batch of many trades, at most MAX_LISTED_IDS of them, with their count', async () => {
    // Arrange
    const records = Array.from({ length: MAX_LISTED_IDS + 5 }, (_, i) => record('trades.booked', i, `id-${i}`));

    // Act
    const lines = await logged((logger) =>
      withBatchLogContext(
        () => {
          logger.info('position not rebuilt');
          return Promise.reject(new Error('boom'));
        },
        { logger: () => logger },
      )(event(records)).catch(() => logger.info('failed')),
    );

    // Assert
    expect(lines[0]).toMatchObject({ message: 'position not rebuilt', correlation_id_count: MAX_LISTED_IDS + 5 });
    expect(lines[0]?.correlation_ids).toEqual(records.slice(0, MAX_LISTED_IDS).map((_, i) => `id-${i}`));
    expect(lines[0]?.correlation_id).toBeUndefined();
    expect(lines[1]).not.toHaveProperty('correlation_ids');
  });

  it('names a capture record without a header by its coordinates, as validation stores it', () => {
    // Arrange / Act
    const ids = batchCorrelationIds(
      event([record('trades.captured', 7), record('trades.booked', 3), record('custody.statements', 2, 'stmt-1')]),
    );

    // Assert: the booked record without a header has no id of its own
    expect(ids).toEqual(['trades.captured:0:7', 'stmt-1']);
  });

  it('finds no ids in something that is not a Kafka event', () => {
    expect(batchCorrelationIds({} as KafkaEvent)).toEqual([]);
  });
});
