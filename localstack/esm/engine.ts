/**
 * One event source mapping at work: a KafkaJS consumer group reading the mapping's topic, per-partition batching
 * (batch size or batching window, whichever first), filtering, the 6 MB split, and delivery with commits only after
 * success. Partitions are independent: a partition stuck retrying never holds back another one.
 */
import { EventEmitter } from 'node:events';
import type { Admin, Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { EventSourceMapping } from './config';
import { ESM_LIMITS, StartingPosition } from './config';
import {
  deliverBatch,
  DeliveryResult,
  type DeliveryPolicy,
  type FailureInfo,
  type InvocationOutcome,
} from './delivery';
import { EsmError, PayloadTooLargeError } from './errors';
import {
  buildKafkaEvent,
  eventEnvelope,
  splitByPayloadLimit,
  TimestampType,
  type EventEnvelope,
  type FetchedRecord,
  type KafkaLambdaEvent,
} from './event';
import { filterableValue, matchesAnyFilter } from './filter';

export interface EsmLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export const silentLogger: EsmLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

export interface MappingPollerOptions {
  readonly kafka: Kafka;
  readonly mapping: EventSourceMapping;
  /** The "host:port,..." the events report for MSK mappings. */
  readonly bootstrapServers: string;
  readonly invoke: (event: KafkaLambdaEvent) => Promise<InvocationOutcome>;
  /** A connected producer for on-failure destinations, created on first use. */
  readonly destinationProducer: () => Promise<Producer>;
  readonly logger: EsmLogger;
  /** Concurrent invocations across the mapping's partitions. */
  readonly pollers: number;
  readonly backoff: DeliveryPolicy['backoff'];
  /** How long a consumer fetch waits for records; bounds how fast stop() returns. */
  readonly maxWaitTimeInMs: number;
  /**
   * The group session: how long a member that stopped heartbeating (a killed process) keeps its partitions
   * before the group rebalances them to the others; and how often a member heartbeats.
   */
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
}

interface Entry {
  readonly record: FetchedRecord;
  /** False when no filter matched: the record is skipped but its offset still committed in order. */
  readonly keep: boolean;
  readonly arrivedAt: number;
}

interface PartitionWorker {
  readonly partition: number;
  buffer: Entry[];
  kept: number;
  /** Next offset to accept from fetches: older ones are already buffered, in flight or committed. */
  nextExpected: number | undefined;
  /** Next offset of the batch in flight (its last offset + 1). */
  inFlightEnd: number | undefined;
  delivering: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  revoked: boolean;
}

/** Counting semaphore: a permit per concurrent invocation. */
class Permits {
  private free: number;
  private readonly waiters: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

function headersOf(message: KafkaMessage): FetchedRecord['headers'] {
  const out: { name: string; value: Buffer | null }[] = [];
  for (const [name, v] of Object.entries(message.headers ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) {
      out.push({ name, value: one === undefined ? null : Buffer.isBuffer(one) ? one : Buffer.from(one) });
    }
  }
  return out;
}

/** KafkaJS keeps the batch's timestamp type (attribute bit 3) in an untyped batchContext. */
function timestampTypeOf(message: KafkaMessage): TimestampType {
  const ctx: unknown = (message as unknown as Record<string, unknown>).batchContext;
  const t = typeof ctx === 'object' && ctx !== null ? (ctx as Record<string, unknown>).timestampType : undefined;
  return t === 1 ? TimestampType.logAppend : TimestampType.create;
}

export function toFetchedRecord(topic: string, partition: number, m: KafkaMessage): FetchedRecord {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    timestampType: timestampTypeOf(m),
    key: m.key,
    value: m.value,
    headers: headersOf(m),
  };
}

/** The document Lambda's filters look at for a Kafka record. */
function filterDocument(r: FetchedRecord): Record<string, unknown> {
  const value = filterableValue(r.value);
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType,
    ...(r.key === null ? {} : { key: r.key.toString('base64') }),
    ...(value === undefined ? {} : { value }),
  };
}

export class MappingPoller {
  private readonly mapping: EventSourceMapping;
  private readonly envelope: EventEnvelope;
  private readonly policy: DeliveryPolicy;
  private readonly workers = new Map<number, PartitionWorker>();
  private readonly permits: Permits;
  private readonly progress = new EventEmitter();
  /** Next offset committed per partition: what idle() compares with the log end. */
  private readonly committed = new Map<number, number>();
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private stopping = false;
  /** Set when stop() gave up waiting for a batch in flight: nothing is committed from then on. */
  private abandoned = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly opts: MappingPollerOptions) {
    this.mapping = opts.mapping;
    this.envelope = eventEnvelope(opts.mapping, opts.bootstrapServers);
    this.permits = new Permits(Math.max(1, opts.pollers));
    this.progress.setMaxListeners(0);
    this.policy = {
      reportBatchItemFailures: opts.mapping.reportBatchItemFailures,
      bisectBatchOnFunctionError: opts.mapping.bisectBatchOnFunctionError,
      maximumRetryAttempts: opts.mapping.maximumRetryAttempts,
      maximumRecordAgeMs: opts.mapping.maximumRecordAgeSeconds < 0 ? -1 : opts.mapping.maximumRecordAgeSeconds * 1000,
      backoff: opts.backoff,
    };
  }

  private get label(): string {
    return `${this.mapping.functionName} <- ${this.mapping.topic}`;
  }

  /** Joins the group (after placing a new group at its starting position) and starts consuming. */
  async start(): Promise<void> {
    const { kafka, mapping } = this.opts;
    const admin = kafka.admin();
    this.admin = admin;
    await admin.connect();
    const starts = await this.startingOffsets(admin);

    const consumer = kafka.consumer({
      groupId: mapping.consumerGroupId,
      maxWaitTimeInMs: this.opts.maxWaitTimeInMs,
      sessionTimeout: this.opts.sessionTimeoutMs,
      heartbeatInterval: this.opts.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    let unplaced = starts;
    let joined: () => void = () => {};
    const firstJoin = new Promise<void>((resolve) => (joined = resolve));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = e.payload.memberAssignment[mapping.topic] ?? [];
      this.onAssignment(assigned);
      // The mapping keeps its position from now on, as a Lambda mapping does across restarts of the local stack.
      const place = unplaced.filter((s) => assigned.includes(s.partition));
      unplaced = unplaced.filter((s) => !assigned.includes(s.partition));
      // KafkaJS drops commits made while it is still joining (GROUP_JOIN fires before it counts as running).
      setImmediate(() => {
        const placed =
          place.length === 0
            ? Promise.resolve()
            : consumer.commitOffsets(
                place.map((s) => ({ topic: mapping.topic, partition: s.partition, offset: String(s.offset) })),
              );
        placed
          .catch((err: unknown) =>
            this.opts.logger.warn(`[esm] ${this.label}: could not commit starting offsets: ${String(err)}`),
          )
          .finally(joined);
      });
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [mapping.topic],
      fromBeginning: mapping.startingPosition === StartingPosition.trimHorizon,
    });
    await consumer.run({
      // Offsets are ours to commit: only after the function succeeded.
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.max(1, this.opts.pollers),
      eachBatch: (payload) => this.onBatch(payload),
    });
    // KafkaJS applies a seek when the partition is assigned; committed offsets of an existing group are untouched.
    for (const { partition, offset } of starts)
      consumer.seek({ topic: mapping.topic, partition, offset: String(offset) });
    await firstJoin;
    this.opts.logger.info(`[esm] ${this.label}: consuming as group ${mapping.consumerGroupId}`);
  }

  /**
   * Lambda honours the starting position only for partitions the group has no committed offset for. Those are
   * resolved to offsets now (LATEST = the log end at start), so records produced right after start() are not
   * skipped by a later "latest" and idle() knows where each partition begins.
   */
  private async startingOffsets(admin: Admin): Promise<{ partition: number; offset: number }[]> {
    const { mapping } = this.opts;
    const topics = await admin.fetchTopicMetadata({ topics: [mapping.topic] }).catch((e: unknown) => {
      throw new EsmError(`topic "${mapping.topic}" of ${this.label} is not available`, { cause: e, retriable: true });
    });
    const partitions = topics.topics[0]?.partitions.map((p) => p.partitionId) ?? [];
    const fetched = await admin.fetchOffsets({ groupId: mapping.consumerGroupId, topics: [mapping.topic] });
    const current = new Map((fetched[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const missing = partitions.filter((p) => (current.get(p) ?? -1) < 0);
    const starts: { partition: number; offset: number }[] = [];
    if (missing.length > 0) {
      const ends = await admin.fetchTopicOffsets(mapping.topic);
      const byTime =
        mapping.startingPosition === StartingPosition.atTimestamp
          ? await admin.fetchTopicOffsetsByTimestamp(mapping.topic, mapping.startingPositionTimestampMs)
          : [];
      for (const partition of missing) {
        const end = ends.find((e) => e.partition === partition);
        const low = Number(end?.low ?? 0);
        const high = Number(end?.high ?? 0);
        let offset = low;
        if (mapping.startingPosition === StartingPosition.latest) offset = high;
        if (mapping.startingPosition === StartingPosition.atTimestamp) {
          const t = Number(byTime.find((b) => b.partition === partition)?.offset ?? -1);
          offset = t < 0 ? high : t;
        }
        starts.push({ partition, offset });
      }
    }
    for (const [p, o] of current) if (o >= 0) this.committed.set(p, o);
    for (const { partition, offset } of starts) this.committed.set(partition, offset);
    return starts;
  }

  private worker(partition: number): PartitionWorker {
    let w = this.workers.get(partition);
    if (w === undefined) {
      w = {
        partition,
        buffer: [],
        kept: 0,
        nextExpected: undefined,
        inFlightEnd: undefined,
        delivering: undefined,
        timer: undefined,
        revoked: false,
      };
      this.workers.set(partition, w);
    }
    return w;
  }

  /**
   * After a (re)join KafkaJS fetches again from the committed offsets: buffered records would arrive twice, so the
   * buffers go; a batch in flight finishes and its end becomes the point from which fetched records are accepted.
   */
  private onAssignment(assigned: number[]): void {
    for (const w of this.workers.values()) {
      if (w.timer) clearTimeout(w.timer);
      w.timer = undefined;
      w.buffer = [];
      w.kept = 0;
      w.nextExpected = w.delivering ? w.inFlightEnd : undefined;
      w.revoked = !assigned.includes(w.partition);
    }
    for (const p of assigned) this.worker(p).revoked = false;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    // A stale batch was fetched before a seek (a rewind): its records come again, in order, from the seek's offset.
    if (this.stopping || batch.messages.length === 0 || payload.isStale()) return;
    const w = this.worker(batch.partition);
    const now = Date.now();
    for (const m of batch.messages) {
      const record = toFetchedRecord(batch.topic, batch.partition, m);
      if (w.nextExpected !== undefined && record.offset < w.nextExpected) continue;
      // No filters keep every record: the filter document (a JSON.parse of the value) is not built for nothing.
      const keep = this.mapping.filters.length === 0 || matchesAnyFilter(this.mapping.filters, filterDocument(record));
      w.buffer.push({ record, keep, arrivedAt: now });
      if (keep) w.kept++;
      w.nextExpected = record.offset + 1;
    }
    // Resolving lets KafkaJS fetch further; nothing is committed until the function has succeeded.
    payload.resolveOffset(batch.lastOffset());
    this.schedule(w);
    // Backpressure: while a full batch waits behind one in flight, stop fetching this partition (others go on).
    while (
      w.kept >= this.mapping.batchSize &&
      w.delivering &&
      payload.isRunning() &&
      !payload.isStale() &&
      !this.stopping
    ) {
      await this.nextProgress(1_000);
      await payload.heartbeat();
    }
  }

  private nextProgress(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.progress.off('progress', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.progress.on('progress', done);
    });
  }

  /** Starts a delivery when a batch is full, the window has passed, or only filtered-out records wait. */
  private schedule(w: PartitionWorker): void {
    if (this.stopping || w.revoked || w.delivering || w.buffer.length === 0) return;
    const first = w.buffer[0];
    if (first === undefined) return;
    const windowLeft = first.arrivedAt + this.mapping.maximumBatchingWindowMs - Date.now();
    if (w.kept < this.mapping.batchSize && w.kept > 0 && windowLeft > 0) {
      w.timer ??= setTimeout(() => {
        w.timer = undefined;
        this.schedule(w);
      }, windowLeft);
      return;
    }
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;

    // Take records up to batchSize kept ones (filtered ones in between ride along to be committed).
    let take = 0;
    let kept = 0;
    while (take < w.buffer.length) {
      const e = w.buffer[take];
      if (e === undefined || (e.keep && kept === this.mapping.batchSize)) break;
      if (e.keep) kept++;
      take++;
    }
    const entries = w.buffer.splice(0, take);
    w.kept -= kept;
    const lastEntry = entries[entries.length - 1];
    w.inFlightEnd = lastEntry === undefined ? w.inFlightEnd : lastEntry.record.offset + 1;
    w.delivering = this.deliver(w, entries)
      .then((completed) => {
        if (!completed) this.rewind(w, entries);
      })
      .catch((e: unknown) => {
        this.opts.logger.error(`[esm] ${this.label}: delivery to partition ${w.partition} failed: ${String(e)}`);
        this.rewind(w, entries);
      })
      .finally(() => {
        w.delivering = undefined;
        this.progress.emit('progress');
        this.schedule(w);
      });
  }

  /** Delivers and commits `entries`; false when it stopped first (the mapping stopping, or the partition revoked). */
  private async deliver(w: PartitionWorker, entries: readonly Entry[]): Promise<boolean> {
    const lastEntry = entries[entries.length - 1];
    if (lastEntry === undefined) return true;
    const kept = entries.filter((e) => e.keep).map((e) => e.record);
    for (const chunk of splitByPayloadLimit(this.envelope, kept)) {
      const result = await deliverBatch(chunk, this.policy, this.effects(w));
      if (result === DeliveryResult.stopped) return false;
    }
    // Covers filtered-out records after the last delivered one (or a batch that was all filtered out).
    const end = lastEntry.record.offset + 1;
    if ((this.committed.get(w.partition) ?? -1) < end) await this.commit(w.partition, end);
    return true;
  }

  /**
   * After a delivery that did not complete (a commit refused because the member lost the group, an on-failure
   * destination unreachable, a stop between attempts), nothing behind it may be delivered first: a later batch's
   * commit would pass records never handled. So the buffer is dropped and the partition fetched again from the
   * failed delivery's first record (at or after the committed offset; records handled before the failure are
   * handled again, which every handler's idempotence makes safe). A revoked partition's next owner starts from
   * the committed offset anyway.
   */
  private rewind(w: PartitionWorker, entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined || this.stopping) return;
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;
    w.buffer = [];
    w.kept = 0;
    w.nextExpected = undefined;
    const consumer = this.consumer;
    if (consumer === undefined || w.revoked) return;
    const offset = first.record.offset;
    try {
      consumer.seek({ topic: this.mapping.topic, partition: w.partition, offset: String(offset) });
      this.opts.logger.warn(
        `[esm] ${this.label}: partition ${w.partition} fetched again from offset ${offset}: its delivery did not complete`,
      );
    } catch (e: unknown) {
      this.opts.logger.error(`[esm] ${this.label}: partition ${w.partition} could not seek to ${offset}: ${String(e)}`);
    }
  }

  private effects(w: PartitionWorker): Parameters<typeof deliverBatch>[2] {
    return {
      invoke: async (records) => {
        const event = buildKafkaEvent(this.envelope, records);
        // splitByPayloadLimit keeps multi-record chunks under the limit; only a lone record can exceed it.
        if (records.length === 1) {
          const bytes = Buffer.byteLength(JSON.stringify(event));
          if (bytes > ESM_LIMITS.maxPayloadBytes)
            return { ok: false, error: new PayloadTooLargeError(bytes, ESM_LIMITS.maxPayloadBytes) };
        }
        await this.permits.acquire();
        try {
          return await this.opts.invoke(event);
        } finally {
          this.permits.release();
        }
      },
      commit: (next) => this.commit(w.partition, next),
      discard: (records, failure) => this.discard(records, failure),
      wait: (ms) => this.waitUnlessStopping(ms),
      stopping: () => this.stopping || w.revoked,
      now: () => Date.now(),
    };
  }

  private async commit(partition: number, next: number): Promise<void> {
    const consumer = this.consumer;
    // An abandoned batch's invocation may still finish (in-process handlers cannot be cancelled): its offsets stay
    // uncommitted, so the next start delivers it again, which every handler's idempotence makes safe.
    if (consumer === undefined || this.abandoned) return;
    await consumer.commitOffsets([{ topic: this.mapping.topic, partition, offset: String(next) }]);
    this.committed.set(partition, Math.max(next, this.committed.get(partition) ?? -1));
    this.progress.emit('progress');
  }

  private waitUnlessStopping(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.progress.off('stopping', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.progress.once('stopping', done);
    });
  }

  /** The on-failure destination gets each record's own key, value and headers, plus why it failed. */
  private async discard(records: readonly FetchedRecord[], failure: FailureInfo): Promise<void> {
    const first = records[0];
    const lastRecord = records[records.length - 1];
    if (first === undefined || lastRecord === undefined) return;
    const range = `${first.topic}-${first.partition} offsets ${first.offset}..${lastRecord.offset}`;
    const destination = this.mapping.onFailure;
    if (destination === undefined) {
      this.opts.logger.warn(
        `[esm] ${this.label}: dropping ${range} (${failure.condition}: ${failure.errorType}: ${failure.errorMessage}); no on-failure destination`,
      );
      return;
    }
    const producer = await this.opts.destinationProducer();
    await producer.send({
      topic: destination.topic,
      messages: records.map((r) => {
        const headers: IHeaders = {};
        for (const h of r.headers) {
          const prev = headers[h.name];
          const v = h.value ?? Buffer.alloc(0);
          headers[h.name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        }
        Object.assign(headers, failureHeaders(this.mapping, r, failure));
        return { key: r.key, value: r.value, headers, timestamp: String(r.timestamp) };
      }),
    });
    this.opts.logger.warn(`[esm] ${this.label}: sent ${range} to ${destination.destination} (${failure.condition})`);
  }

  /** Resolves once every record in the topic when idle() was called has been processed (committed). */
  async idle(): Promise<void> {
    const admin = this.admin;
    if (admin === undefined) throw new EsmError(`${this.label} is not started`);
    const ends = await admin.fetchTopicOffsets(this.mapping.topic);
    const caughtUp = (): boolean => ends.every((e) => (this.committed.get(e.partition) ?? -1) >= Number(e.high));
    while (!caughtUp()) {
      if (this.stopping) throw new EsmError(`${this.label} stopped before it caught up`);
      await this.nextProgress(1_000);
    }
  }

  /**
   * Stop: no new batch starts, a retry wait ends, then the invocations in flight get `graceMs` (default: as long as
   * they take) to finish and be committed; those still running then are abandoned, their offsets left uncommitted,
   * and the consumer leaves the group. Everything uncommitted (buffered or abandoned) is delivered again by the next
   * start of the group, here or on another consumer.
   */
  stop(options: { readonly graceMs?: number } = {}): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.progress.emit('stopping');
      for (const w of this.workers.values()) {
        if (w.timer) clearTimeout(w.timer);
        w.timer = undefined;
      }
      const inFlight = [...this.workers.values()].filter((w) => w.delivering !== undefined);
      const deliveries = inFlight.flatMap((w) => (w.delivering === undefined ? [] : [w.delivering]));
      const finished = Promise.all(deliveries).then(() => true);
      const graceMs = options.graceMs ?? Number.POSITIVE_INFINITY;
      let timer: NodeJS.Timeout | undefined;
      const deadline = Number.isFinite(graceMs)
        ? new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))
        : new Promise<boolean>(() => {});
      const allFinished = await Promise.race([finished, deadline]);
      clearTimeout(timer);
      if (!allFinished) {
        this.abandoned = true;
        const partitions = inFlight.filter((w) => w.delivering !== undefined).map((w) => w.partition);
        this.opts.logger.warn(
          `[esm] ${this.label}: abandoned the batch in flight on partition(s) ${partitions.join(', ')} after ${graceMs} ms: not committed, delivered again after restart`,
        );
      }
      await this.consumer?.disconnect();
      await this.admin?.disconnect();
      this.opts.logger.info(`[esm] ${this.label}: stopped`);
    })();
    return this.stopped;
  }
}

/** Failure metadata carried as headers on the destination record, next to the record's own. */
export function failureHeaders(
  mapping: EventSourceMapping,
  r: FetchedRecord,
  failure: FailureInfo,
): Record<string, string> {
  return {
    'x-esm-source-topic': r.topic,
    'x-esm-source-partition': String(r.partition),
    'x-esm-source-offset': String(r.offset),
    'x-esm-function-name': mapping.functionName,
    'x-esm-mapping-uuid': mapping.uuid,
    'x-esm-condition': failure.condition,
    'x-esm-error-type': failure.errorType,
    'x-esm-error-message': failure.errorMessage,
    'x-esm-approximate-invoke-count': String(failure.approximateInvokeCount),
  };
}
