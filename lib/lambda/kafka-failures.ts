/**
 * The failure policy every Kafka-triggered handler shares: the thrown error's `retriable` flag decides.
 *
 * - Retriable (the database or broker unreachable, a dropped connection, a serialization conflict): rethrown, so the
 *   invocation fails and the event source mapping redelivers the batch with the backoff, bisect and retry limit it
 *   declares (serverless.yml `resources.extensions`). Every stage is idempotent under redelivery, so the part of the
 *   batch that had already taken effect is a no-op the second time.
 * - Permanent (a constraint the record breaks, a bug a record triggers): retrying the same records would fail the
 *   same way and stall the partition behind them. The batch is split in halves and each half run again, down to the
 *   record that fails alone; that record is dead-lettered in the platform's wrapper (lib/kafka/dead-letter.ts, the
 *   reason its error's name and message) through the dead-letter outbox, and the good records around it are
 *   processed. Splitting keeps each partition's records in offset order: the first half runs before the second.
 * - About the environment rather than a record (a configuration error, an event that is not a Kafka event): no
 *   record is to blame, so nothing is dead-lettered; the batch fails and the mapping's retries and on-failure
 *   destination take over.
 *
 * Every batch, whatever its end, also leaves a heartbeat (`deps.heartbeats`, the `stage_heartbeats` row of the stage):
 * when it started, how long it took, how many records and how it ended. `posttrade status` and GET /health read it to
 * tell a stage that keeps up from one that has stopped. A heartbeat that cannot be written is logged and never fails
 * the batch: the pipeline must not stop for its own monitoring.
 *
 * A plain wrapper rather than a middy middleware because it must run the handler again on parts of the event,
 * which middy's before/after/onError hooks cannot; functions/*.ts put it inside their middy chain.
 */
import type { PoolClient } from 'pg';

import { ConfigError } from '../config';
import type { UndecodedRecord } from '../db/dead-letter-store';
import { BatchOutcome, type StageHeartbeatRecorder } from '../db/stage-heartbeat-store';
import { isDatabaseError, toDbError } from '../db/errors';
import type { Stage } from '../kafka/dead-letter';
import { consumedRecords, type ConsumedRecord, type KafkaEvent, type KafkaEventRecord } from '../kafka/decode';
import { KafkaEventShapeError, messageOf } from '../kafka/errors';
import type { EventPublisher } from '../kafka/producer';
import { traceContextOf } from '../observability/correlation';
import { getLogger } from '../observability/logger';

/** Reason code of a record dead-lettered because processing it failed (not its decoding). */
export const PROCESSING_FAILED = 'PROCESSING_FAILED';

/** What the policy needs of the dead-letter outbox (PgDeadLetterStore). */
export interface PoisonRecordStore {
  /** Returns how many of `failures` this call recorded (a redelivered one: 0). */
  record(stage: Stage, failures: readonly UndecodedRecord[], at: string, client?: PoolClient): Promise<number>;
  publishPending(stage: Stage, publisher: EventPublisher): Promise<number>;
}

export interface FailurePolicyDeps {
  readonly deadLetters: PoisonRecordStore;
  readonly publisher: EventPublisher;
  /** Where each batch's heartbeat goes (PgStageHeartbeatStore); without one, none is kept. */
  readonly heartbeats?: StageHeartbeatRecorder;
  readonly now?: () => Date;
  /** One structured line per dead-lettered record. Default: the platform's logger (lib/observability/logger.ts). */
  readonly log?: (line: Readonly<Record<string, unknown>>) => void;
}

/** A record the policy dead-lettered, and why. */
export interface PoisonRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly errorType: string;
  readonly message: string;
  /** False when an earlier delivery had dead-lettered it already: the DeadLettered metric counts it once. */
  readonly firstRecorded: boolean;
}

/** The result of a batch in which some records failed permanently: the results of the parts that succeeded. */
export interface IsolatedBatch<R> {
  readonly isolated: true;
  readonly results: readonly R[];
  readonly deadLettered: readonly PoisonRecord[];
}

export type BatchResult<R> = R | IsolatedBatch<R>;

export const FailureKind = { retriable: 'retriable', environment: 'environment', record: 'record' } as const;
export type FailureKind = (typeof FailureKind)[keyof typeof FailureKind];

/**
 * How a handler's error is treated. An explicit `retriable` flag (DbError, KafkaError, PositionsError, KafkaJS's
 * errors) is read first; a raw error from `pg` (a `pool.query` outside withTransaction) is classified as the database
 * layer does; anything else is a permanent failure of some record: the safe side, since retrying an unknown error
 * forever would stall the partition.
 */
export function classifyFailure(error: unknown): FailureKind {
  if (error instanceof ConfigError || error instanceof KafkaEventShapeError) return FailureKind.environment;
  if (typeof error === 'object' && error !== null && 'retriable' in error && typeof error.retriable === 'boolean') {
    return error.retriable ? FailureKind.retriable : FailureKind.record;
  }
  if (isDatabaseError(error) && toDbError(error).retriable) return FailureKind.retriable;
  return FailureKind.record;
}

/** The event with only `records` (given in delivery order), grouped back under their "<topic>-<partition>" keys. */
function eventOf(event: KafkaEvent, records: readonly KafkaEventRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const record of records) (grouped[`${record.topic}-${record.partition}`] ??= []).push(record);
  return { ...event, records: grouped };
}

/** The event's records in delivery order: partitions as listed, offsets ascending (as consumedRecords reads them). */
function recordsOf(event: KafkaEvent): KafkaEventRecord[] {
  return Object.values(event.records).flatMap((records) => [...records].sort((a, b) => a.offset - b.offset));
}

/** Wraps `handler` in the failure policy (see module TSDoc) for `stage`. */
export function withFailurePolicy<R>(
  stage: Stage,
  handler: (event: KafkaEvent) => Promise<R>,
  deps: FailurePolicyDeps,
): (event: KafkaEvent) => Promise<BatchResult<R>> {
  const log =
    deps.log ??
    ((line) => getLogger().error(typeof line.event === 'string' ? line.event : 'dead-lettered', { ...line }));

  const deadLetter = async (record: KafkaEventRecord, event: KafkaEvent, error: unknown): Promise<PoisonRecord> => {
    const [consumed] = consumedRecords(eventOf(event, [record])) as [ConsumedRecord];
    const errorType = error instanceof Error ? error.name : typeof error;
    const message = messageOf(error);
    const at = (deps.now ?? (() => new Date()))().toISOString();
    const recorded = await deps.deadLetters.record(
      stage,
      [
        {
          ok: false,
          record: consumed,
          errors: [{ code: PROCESSING_FAILED, path: '', message: `${errorType}: ${message}` }],
        },
      ],
      at,
    );
    const poison = { topic: record.topic, partition: record.partition, offset: record.offset, errorType, message };
    const correlationId = traceContextOf(consumed)?.correlationId;
    log({
      event: 'record dead-lettered: processing it failed permanently',
      stage,
      ...poison,
      ...(correlationId === undefined ? {} : { correlation_id: correlationId }),
    });
    return { ...poison, firstRecorded: recorded > 0 };
  };

  /** Runs `records` after a permanent failure of theirs: halves, recursively, down to the records that fail alone. */
  const isolate = async (
    event: KafkaEvent,
    records: readonly KafkaEventRecord[],
    error: unknown,
    results: R[],
    poison: PoisonRecord[],
  ): Promise<void> => {
    const [only] = records;
    if (records.length === 1 && only !== undefined) {
      poison.push(await deadLetter(only, event, error));
      return;
    }
    const middle = Math.ceil(records.length / 2);
    for (const half of [records.slice(0, middle), records.slice(middle)]) {
      try {
        results.push(await handler(eventOf(event, half)));
      } catch (halfError) {
        if (classifyFailure(halfError) !== FailureKind.record) throw halfError;
        await isolate(event, half, halfError, results, poison);
      }
    }
  };

  const run = async (event: KafkaEvent): Promise<BatchResult<R>> => {
    try {
      return await handler(event);
    } catch (error) {
      if (classifyFailure(error) !== FailureKind.record) throw error;
      const records = recordsOf(event);
      if (records.length === 0) throw error;
      const results: R[] = [];
      const poison: PoisonRecord[] = [];
      await isolate(event, records, error, results, poison);
      // Recorded first (idempotent on the record's coordinates), published now: after a crash in between, the
      // redelivered batch fails the same way and this publishes what is still pending.
      await deps.deadLetters.publishPending(stage, deps.publisher);
      return { isolated: true, results, deadLettered: poison };
    }
  };

  const now = deps.now ?? (() => new Date());
  const heartbeat = async (event: KafkaEvent, startedAt: Date, outcome: BatchOutcome, error?: unknown) => {
    if (deps.heartbeats === undefined) return;
    try {
      await deps.heartbeats.recordBatch({
        stage,
        startedAt,
        endedAt: now(),
        records: recordCount(event),
        outcome,
        ...(error === undefined
          ? {}
          : { error: `${error instanceof Error ? error.name : typeof error}: ${messageOf(error)}` }),
      });
    } catch (heartbeatError) {
      log({ event: 'stage heartbeat not recorded', stage, error: messageOf(heartbeatError) });
    }
  };

  return async (event) => {
    const startedAt = now();
    let result: BatchResult<R>;
    try {
      result = await run(event);
    } catch (error) {
      await heartbeat(event, startedAt, BatchOutcome.FAILED, error);
      throw error;
    }
    await heartbeat(event, startedAt, isIsolated(result) ? BatchOutcome.ISOLATED : BatchOutcome.OK);
    return result;
  };
}

/** Whether a batch's result is the failure policy's isolated form (the good records' results and the poison). */
export function isIsolated<R>(result: BatchResult<R>): result is IsolatedBatch<R> {
  return typeof result === 'object' && result !== null && 'isolated' in result && result.isolated === true;
}

/** The event's record count, 0 for something that is not a Kafka event (its failure is reported elsewhere). */
function recordCount(event: KafkaEvent): number {
  if (typeof event !== 'object' || event === null || typeof event.records !== 'object' || event.records === null)
    return 0;
  return Object.values(event.records).reduce((sum, records) => sum + (Array.isArray(records) ? records.length : 0), 0);
}
