import type { StageBatch } from '../../../lib/db/stage-heartbeat-store';
import { DbConnectionError } from '../../../lib/db/errors';
import { Stage } from '../../../lib/kafka/dead-letter';
import type { KafkaEvent, KafkaEventRecord } from '../../../lib/kafka/decode';
import { withFailurePolicy } from '../../../lib/lambda/kafka-failures';

const record = (offset: number): KafkaEventRecord => ({
  topic: 'trades.booked',
  partition: 0,
  offset,
  timestamp: 0,
  key: null,
  value: Buffer.from(String(offset)).toString('base64'),
  headers: [],
});
const event = (offsets: number[]): KafkaEvent => ({
  eventSource: 'SelfManagedKafka',
  bootstrapServers: 'b:9092',
  records: { 'trades.booked-0': offsets.map(record) },
});

/** A clock that moves 40 ms each time it is read. */
function clock(): () => Date {
  let t = Date.parse('2026-12-03T07:00:00Z');
  return () => new Date((t += 40));
}

function deps(recordBatch: (batch: StageBatch) => Promise<void>) {
  const logged: Record<string, unknown>[] = [];
  return {
    logged,
    deps: {
      deadLetters: { record: () => Promise.resolve(0), publishPending: () => Promise.resolve(0) },
      publisher: { publish: () => Promise.resolve() },
      heartbeats: { recordBatch },
      now: clock(),
      log: (line: Readonly<Record<string, unknown>>) => void logged.push({ ...line }),
    },
  };
}

describe("the failure policy's stage heartbeat", () => {
  it('records every batch once: its records, duration and outcome (OK, ISOLATED, FAILED with the error)', async () => {
    const batches: StageBatch[] = [];
    const { deps: policyDeps } = deps((batch) => Promise.resolve(void batches.push(batch)));
    const ok = withFailurePolicy(Stage.POSITIONS, () => Promise.resolve('done'), policyDeps);
    const poisoned = withFailurePolicy(
      Stage.POSITIONS,
      (e) =>
        Object.values(e.records)
          .flat()
          .some((r) => r.offset === 1)
          ? Promise.reject(new TypeError('bad'))
          : Promise.resolve('done'),
      policyDeps,
    );
    const unavailable = withFailurePolicy(
      Stage.POSITIONS,
      () => Promise.reject(new DbConnectionError('gone')),
      policyDeps,
    );

    await ok(event([0, 1, 2]));
    await poisoned(event([0, 1, 2, 3]));
    await expect(unavailable(event([5]))).rejects.toThrow('gone');

    expect(batches.map((b) => ({ stage: b.stage, records: b.records, outcome: b.outcome, error: b.error }))).toEqual([
      { stage: Stage.POSITIONS, records: 3, outcome: 'OK', error: undefined },
      { stage: Stage.POSITIONS, records: 4, outcome: 'ISOLATED', error: undefined },
      { stage: Stage.POSITIONS, records: 1, outcome: 'FAILED', error: 'DbConnectionError: gone' },
    ]);
    for (const b of batches) expect(b.endedAt.getTime()).toBeGreaterThan(b.startedAt.getTime());
  });

  it('never fails a batch because its heartbeat could not be written, and says so in the log', async () => {
    const { deps: policyDeps, logged } = deps(() => Promise.reject(new DbConnectionError('database restarting')));
    const handler = withFailurePolicy(Stage.POSITIONS, () => Promise.resolve('done'), policyDeps);

    await expect(handler(event([0]))).resolves.toBe('done');
    expect(logged).toEqual([
      { event: 'stage heartbeat not recorded', stage: Stage.POSITIONS, error: 'database restarting' },
    ]);
  });
});
