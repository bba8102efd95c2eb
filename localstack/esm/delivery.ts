/**
 * What Lambda does with one batch of one partition: invoke, read the response, commit only what succeeded, and on
 * errors retry with backoff, bisect, honour partial batch responses and finally hand exhausted records to the
 * on-failure destination. Effects (invoking, committing, producing, waiting) come in as functions, so the rules
 * are tested without a broker.
 */
import { describeError, InvalidBatchItemFailuresError } from './errors';
import type { FetchedRecord } from './event';

export interface DeliveryPolicy {
  readonly reportBatchItemFailures: boolean;
  readonly bisectBatchOnFunctionError: boolean;
  /** -1: retry forever. Counts retries, not the first attempt. */
  readonly maximumRetryAttempts: number;
  /** -1: records never expire. */
  readonly maximumRecordAgeMs: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
}

export type InvocationOutcome = { ok: true; response: unknown } | { ok: false; error: unknown };

export type BatchVerdict =
  | { kind: 'success' }
  /** Records before `firstFailedIndex` succeeded; Lambda retries from the first failed one. */
  | { kind: 'partial'; firstFailedIndex: number }
  | { kind: 'failure'; error: unknown };

export const FailureCondition = {
  retriesExhausted: 'RetryAttemptsExhausted',
  recordAgeExceeded: 'RecordAgeExceeded',
} as const;
export type FailureCondition = (typeof FailureCondition)[keyof typeof FailureCondition];

export interface FailureInfo {
  readonly condition: FailureCondition;
  readonly errorType: string;
  readonly errorMessage: string;
  /** Invocations made with these records, the first one included. */
  readonly approximateInvokeCount: number;
}

export interface DeliveryEffects {
  invoke(records: readonly FetchedRecord[]): Promise<InvocationOutcome>;
  /** Commits the partition up to (excluding) `nextOffset`. */
  commit(nextOffset: number): Promise<void>;
  /** Called once retries are exhausted or records expired; after it resolves their offsets are committed. */
  discard(records: readonly FetchedRecord[], failure: FailureInfo): Promise<void>;
  /** Resolves after `ms`, or earlier when the mapping stops. */
  wait(ms: number): Promise<void>;
  stopping(): boolean;
  now(): number;
}

export const DeliveryResult = { delivered: 'delivered', stopped: 'stopped' } as const;
export type DeliveryResult = (typeof DeliveryResult)[keyof typeof DeliveryResult];

/** The identifier a function returns in batchItemFailures for a Kafka record: "<topic>-<partition>-<offset>". */
export function kafkaItemIdentifier(r: Pick<FetchedRecord, 'topic' | 'partition' | 'offset'>): string {
  return `${r.topic}-${r.partition}-${r.offset}`;
}

function identifierIndex(item: unknown, records: readonly FetchedRecord[]): number {
  if (typeof item === 'string' && item.length > 0) {
    return records.findIndex((r) => kafkaItemIdentifier(r) === item);
  }
  // Also accepted: { topic?, partition, offset } objects, which some runtimes' Kafka response types produce.
  if (typeof item === 'object' && item !== null) {
    const o = item as Record<string, unknown>;
    const offset = typeof o.offset === 'string' ? Number(o.offset) : o.offset;
    return records.findIndex(
      (r) =>
        r.partition === Number(o.partition) && r.offset === offset && (o.topic === undefined || o.topic === r.topic),
    );
  }
  return -1;
}

/**
 * Reads an invocation's outcome as Lambda does. Without ReportBatchItemFailures any return value is success. With
 * it, a missing/null/empty `batchItemFailures` is success; an item with an empty, null or unknown identifier fails
 * the whole batch; otherwise the lowest failed record is where processing resumes.
 */
export function judgeInvocation(
  outcome: InvocationOutcome,
  records: readonly FetchedRecord[],
  reportBatchItemFailures: boolean,
): BatchVerdict {
  if (!outcome.ok) return { kind: 'failure', error: outcome.error };
  if (!reportBatchItemFailures) return { kind: 'success' };
  const response = outcome.response;
  if (typeof response !== 'object' || response === null) return { kind: 'success' };
  const failures = (response as Record<string, unknown>).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'failure', error: new InvalidBatchItemFailuresError('batchItemFailures is not a list') };
  }
  if (failures.length === 0) return { kind: 'success' };
  let lowest = Number.POSITIVE_INFINITY;
  for (const f of failures) {
    const id: unknown = typeof f === 'object' && f !== null ? (f as Record<string, unknown>).itemIdentifier : undefined;
    const index = identifierIndex(id, records);
    if (index < 0) {
      return {
        kind: 'failure',
        error: new InvalidBatchItemFailuresError(`itemIdentifier ${JSON.stringify(id)} names no record of the batch`),
      };
    }
    lowest = Math.min(lowest, index);
  }
  return { kind: 'partial', firstFailedIndex: lowest };
}

/** Splits a batch in two halves (the first one larger when odd), as BisectBatchOnFunctionError does. */
export function bisect<T>(records: readonly T[]): [T[], T[]] {
  const mid = Math.ceil(records.length / 2);
  return [records.slice(0, mid), records.slice(mid)];
}

/** Exponential backoff before retry number `retry` (1-based): initial, 2x, 4x, ... capped. */
export function backoffDelay(retry: number, backoff: DeliveryPolicy['backoff']): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, retry - 1));
}

interface Pending {
  records: FetchedRecord[];
  /** Failed invocations of these records since the last progress; bisected halves inherit it. */
  failures: number;
  invocations: number;
}

function last<T>(xs: readonly T[]): T {
  const x = xs[xs.length - 1];
  if (x === undefined) throw new RangeError('empty batch');
  return x;
}

/**
 * Delivers one batch of ONE partition (records in offset order) until every record is either processed or
 * discarded, committing as it goes so the partition never skips ahead of a record still being retried. Returns
 * `stopped` when the mapping stops between attempts; the uncommitted rest is then delivered again after restart.
 */
export async function deliverBatch(
  records: readonly FetchedRecord[],
  policy: DeliveryPolicy,
  fx: DeliveryEffects,
): Promise<DeliveryResult> {
  const pending: Pending[] = records.length > 0 ? [{ records: [...records], failures: 0, invocations: 0 }] : [];
  while (pending.length > 0) {
    const head = pending[0];
    if (head === undefined) break;
    if (fx.stopping()) return DeliveryResult.stopped;

    if (policy.maximumRecordAgeMs >= 0) {
      const now = fx.now();
      let expired = 0;
      while (
        expired < head.records.length &&
        now - (head.records[expired]?.timestamp ?? now) > policy.maximumRecordAgeMs
      ) {
        expired++;
      }
      if (expired > 0) {
        const old = head.records.splice(0, expired);
        await fx.discard(old, {
          condition: FailureCondition.recordAgeExceeded,
          errorType: 'RecordAgeExceeded',
          errorMessage: `records older than ${policy.maximumRecordAgeMs} ms`,
          approximateInvokeCount: head.invocations,
        });
        await fx.commit(last(old).offset + 1);
        if (head.records.length === 0) {
          pending.shift();
          continue;
        }
      }
    }

    head.invocations++;
    const verdict = judgeInvocation(await fx.invoke(head.records), head.records, policy.reportBatchItemFailures);
    if (verdict.kind === 'success') {
      await fx.commit(last(head.records).offset + 1);
      pending.shift();
      continue;
    }
    if (verdict.kind === 'partial' && verdict.firstFailedIndex > 0) {
      const done = head.records.splice(0, verdict.firstFailedIndex);
      await fx.commit(last(done).offset + 1);
      head.failures = 0;
      continue;
    }

    const error = verdict.kind === 'failure' ? verdict.error : new Error('the first record of the batch failed');
    if (policy.bisectBatchOnFunctionError && verdict.kind === 'failure' && head.records.length > 1) {
      const [a, b] = bisect(head.records);
      pending.splice(
        0,
        1,
        { records: a, failures: head.failures, invocations: 0 },
        { records: b, failures: head.failures, invocations: 0 },
      );
      continue;
    }
    head.failures++;
    if (policy.maximumRetryAttempts >= 0 && head.failures > policy.maximumRetryAttempts) {
      const { type, message } = describeError(error);
      await fx.discard(head.records, {
        condition: FailureCondition.retriesExhausted,
        errorType: type,
        errorMessage: message,
        approximateInvokeCount: head.invocations,
      });
      await fx.commit(last(head.records).offset + 1);
      pending.shift();
      continue;
    }
    await fx.wait(backoffDelay(head.failures, policy.backoff));
  }
  return DeliveryResult.delivered;
}
