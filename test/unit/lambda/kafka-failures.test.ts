import { ConfigError } from '../../../lib/config';
import type { UndecodedRecord } from '../../../lib/db/dead-letter-store';
import { DbConflictError, DbConnectionError, DbQueryError, DbTimeoutError } from '../../../lib/db/errors';
import { Stage } from '../../../lib/kafka/dead-letter';
import type { KafkaEvent, KafkaEventRecord } from '../../../lib/kafka/decode';
import { KafkaEventShapeError, KafkaPublishError } from '../../../lib/kafka/errors';
import type { OutgoingMessage } from '../../../lib/kafka/producer';
import { classifyFailure, FailureKind, withFailurePolicy } from '../../../lib/lambda/kafka-failures';
import { PositionSnapshotError } from '../../../lib/positions/errors';

describe('classifyFailure', () => {
  it.each([
    ['a dropped connection', FailureKind.retriable, new DbConnectionError('gone')],
    ['a serialization conflict', FailureKind.retriable, new DbConflictError('40001')],
    ['a broker that cannot be reached', FailureKind.retriable, new KafkaPublishError('down')],
    [
      'a raw pg connection error',
      FailureKind.retriable,
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    ['a raw pg admin shutdown', FailureKind.retriable, Object.assign(new Error('terminating'), { code: '57P01' })],
    [
      'a raw pg full lock table',
      FailureKind.retriable,
      Object.assign(new Error('out of shared memory'), { code: '53200' }),
    ],
    ['a raw pg deadlock', FailureKind.retriable, Object.assign(new Error('deadlock detected'), { code: '40P01' })],
    ['a constraint violation', FailureKind.record, new DbQueryError('23514', { code: '23514' })],
    ['a statement timeout', FailureKind.record, new DbTimeoutError('57014')],
    ['a raw pg constraint violation', FailureKind.record, Object.assign(new Error('violates'), { code: '23505' })],
    ['an unreadable position', FailureKind.record, new PositionSnapshotError('bad')],
    ['a bug', FailureKind.record, new TypeError('undefined is not a function')],
    ['a thrown string', FailureKind.record, 'oops'],
    ['a bad configuration', FailureKind.environment, new ConfigError(['DATABASE_URL'], 'missing')],
    ['a wrongly wired trigger', FailureKind.environment, new KafkaEventShapeError('no records')],
  ])('treats %s as %s', (_what, kind, error) => {
    expect(classifyFailure(error)).toBe(kind);
  });
});

describe('withFailurePolicy', () => {
  const record = (offset: number, partition = 0): KafkaEventRecord => ({
    topic: 'trades.booked',
    partition,
    offset,
    timestamp: 0,
    key: null,
    value: Buffer.from(String(offset)).toString('base64'),
    headers: [],
  });
  const event = (records: KafkaEventRecord[]): KafkaEvent => {
    const grouped: Record<string, KafkaEventRecord[]> = {};
    for (const r of records) (grouped[`${r.topic}-${r.partition}`] ??= []).push(r);
    return { eventSource: 'SelfManagedKafka', bootstrapServers: 'b:9092', records: grouped };
  };
  const offsets = (e: KafkaEvent): number[] => Object.values(e.records).flatMap((rs) => rs.map((r) => r.offset));

  /** Keeps what the policy dead-letters, in memory. */
  function store() {
    const recorded: UndecodedRecord[] = [];
    const published: OutgoingMessage[] = [];
    return {
      recorded,
      published,
      deps: {
        deadLetters: {
          record: (_stage: Stage, failures: readonly UndecodedRecord[]) => {
            recorded.push(...failures);
            return Promise.resolve(failures.length);
          },
          publishPending: () => Promise.resolve(recorded.length),
        },
        publisher: {
          publish: (messages: readonly OutgoingMessage[]) => {
            published.push(...messages);
            return Promise.resolve();
          },
        },
        log: () => undefined,
      },
    };
  }

  it('runs the records around a poison one in offset order, and dead-letters only the poison ones', async () => {
    // Arrange
    const processed: number[] = [];
    const handler = (e: KafkaEvent): Promise<number> => {
      if (offsets(e).some((o) => o === 3 || o === 10)) return Promise.reject(new TypeError('poison'));
      processed.push(...offsets(e));
      return Promise.resolve(offsets(e).length);
    };
    const { recorded, deps } = store();

    // Act
    const result = await withFailurePolicy(
      Stage.POSITIONS,
      handler,
      deps,
    )(event(Array.from({ length: 12 }, (_, i) => record(i))));

    // Assert
    expect(processed).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9, 11]);
    expect(recorded.map((r) => r.record.source.offset)).toEqual([3, 10]);
    expect(recorded[0]?.errors).toEqual([{ code: 'PROCESSING_FAILED', path: '', message: 'TypeError: poison' }]);
    expect(result).toMatchObject({ isolated: true, deadLettered: [{ offset: 3 }, { offset: 10 }] });
  });

  it('rethrows a retriable failure, even from a half, and dead-letters nothing', async () => {
    // Arrange: a permanent failure, then the database goes away while the halves run
    let calls = 0;
    const handler = (): Promise<number> => {
      calls++;
      return Promise.reject(calls === 1 ? new TypeError('poison') : new DbConnectionError('gone'));
    };
    const { recorded, deps } = store();

    // Act
    const run = withFailurePolicy(Stage.POSITIONS, handler, deps)(event([record(0), record(1)]));

    // Assert
    await expect(run).rejects.toBeInstanceOf(DbConnectionError);
    expect(recorded).toEqual([]);
  });

  it('returns the handler’s own result when nothing fails', async () => {
    const { deps } = store();
    await expect(
      withFailurePolicy(Stage.POSITIONS, () => Promise.resolve('ok'), deps)(event([record(0)])),
    ).resolves.toBe('ok');
  });
});
