/**
 * Gathers what `posttrade status` shows and GET /health judges: per stage its consumer group's committed offsets,
 * the topic's end offsets and the lag (a KafkaJS admin), its last batch (stage_heartbeats), dead letters of the last
 * hour, and, in detail, counts of the pipeline's rows. Neither side failing stops the other: an unreachable broker
 * still leaves the database's figures to show, and the verdict says down.
 */
import type { Admin } from 'kafkajs';

import type { StatusThresholds } from '../config';
import type { CountBy, PipelineCounts, StatusStore } from '../db/status-store';
import { SharedAdmin } from '../kafka/admin';
import { messageOf } from '../kafka/errors';
import { WATCHED_STAGES, consumerGroupOf } from './stages';
import { judge, partitionLag, type GroupLag, type LastBatch, type PartitionLag, type VerdictResult } from './verdict';

export interface StatusDeps {
  /**
   * A fresh, unconnected admin, which collect connects and disconnects (the CLI); or a SharedAdmin, whose one
   * connection collect reuses and drops only after an error (GET /health).
   */
  readonly admin: (() => Promise<Admin>) | SharedAdmin;
  /** The database's side; a factory so that a configuration without a database reads as "unreachable". */
  readonly store: () => StatusStore;
  /** The deployment stage, part of every consumer group's name. */
  readonly deployment: string;
  readonly thresholds: StatusThresholds;
  readonly now?: () => Date;
}

export interface StatusReport extends VerdictResult {
  readonly checkedAt: Date;
  readonly kafka: { readonly reachable: boolean; readonly error?: string };
  readonly database: { readonly reachable: boolean; readonly error?: string };
  readonly groups: readonly GroupLag[];
  readonly lastBatches: readonly LastBatch[];
  readonly deadLettersLastHour: { readonly total: number; readonly byStage: CountBy };
  /** Only with `detail`. */
  readonly counts?: PipelineCounts;
  readonly thresholds: StatusThresholds;
}

const HOUR_MS = 3_600_000;

/**
 * The first offset of each partition of `topic` whose record is not older than `before` (epoch ms): everything a
 * group has not consumed below it has waited longer. Undefined when the broker could not say.
 */
async function offsetsAt(admin: Admin, topic: string, before: number): Promise<Map<number, number> | undefined> {
  try {
    const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, before);
    return new Map(offsets.map((p) => [p.partition, Number(p.offset)]));
  } catch {
    return undefined;
  }
}

/**
 * Every watched stage's lag, one topic's end offsets fetched once however many groups read it; with
 * `overdueBefore`, also how many of a group's waiting records are older than that (GroupLag.overdue).
 */
export async function consumerLag(admin: Admin, deployment: string, overdueBefore?: number): Promise<GroupLag[]> {
  // A topic not created yet has no records to be behind on (fetchTopicOffsets would throw for it).
  const existing = new Set(await admin.listTopics());
  const topics = [...new Set(WATCHED_STAGES.map((watched) => watched.topic))].filter((topic) => existing.has(topic));
  const ends = new Map(
    await Promise.all(topics.map(async (topic) => [topic, await admin.fetchTopicOffsets(topic)] as const)),
  );
  const byTime = new Map<string, Promise<Map<number, number> | undefined>>();
  const overdueOf = async (topic: string, partitions: readonly PartitionLag[]): Promise<number | undefined> => {
    if (overdueBefore === undefined) return undefined;
    if (!byTime.has(topic)) byTime.set(topic, offsetsAt(admin, topic, overdueBefore));
    const at = await byTime.get(topic);
    if (at === undefined) return undefined;
    return partitions.reduce((sum, p) => {
      const position = Math.max(p.committed ?? p.start, p.start);
      // No record at or after the time: every record of the partition is older.
      const young = Math.min(at.get(p.partition) ?? p.end, p.end);
      return sum + Math.max(0, (young < 0 ? p.end : young) - position);
    }, 0);
  };
  return Promise.all(
    WATCHED_STAGES.map(async ({ stage, topic }) => {
      const group = consumerGroupOf(stage, deployment);
      const [committed] = ends.has(topic) ? await admin.fetchOffsets({ groupId: group, topics: [topic] }) : [];
      const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      const partitions = (ends.get(topic) ?? [])
        .map((offsets) => {
          const start = Number(offsets.low);
          const end = Number(offsets.high);
          const commit = byPartition.get(offsets.partition);
          // KafkaJS reports "no commit" as -1.
          const committedOffset = commit === undefined || commit < 0 ? undefined : commit;
          return {
            partition: offsets.partition,
            committed: committedOffset,
            start,
            end,
            lag: partitionLag(committedOffset, start, end),
          };
        })
        .sort((a, b) => a.partition - b.partition);
      const lag = partitions.reduce((sum, p) => sum + p.lag, 0);
      const overdue = lag === 0 ? 0 : await overdueOf(topic, partitions);
      return { stage, group, topic, partitions, lag, ...(overdue === undefined ? {} : { overdue }) };
    }),
  );
}

function lagOf(admin: Admin, deps: StatusDeps): Promise<GroupLag[]> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  return consumerLag(admin, deps.deployment, now - deps.thresholds.staleStageSeconds * 1000);
}

async function kafkaSide(deps: StatusDeps): Promise<{ groups: GroupLag[]; error?: string }> {
  const source = deps.admin;
  if (source instanceof SharedAdmin) {
    try {
      return { groups: await lagOf(await source.get(), deps) };
    } catch (error) {
      await source.discard();
      return { groups: [], error: messageOf(error) };
    }
  }
  let admin: Admin | undefined;
  try {
    admin = await source();
    await admin.connect();
    return { groups: await lagOf(admin, deps) };
  } catch (error) {
    return { groups: [], error: messageOf(error) };
  } finally {
    await admin?.disconnect().catch(() => undefined);
  }
}

async function databaseSide(
  deps: StatusDeps,
  since: Date,
  detail: boolean,
): Promise<{
  lastBatches: LastBatch[];
  deadLetters: CountBy;
  counts?: PipelineCounts;
  error?: string;
}> {
  try {
    const store = deps.store();
    const [heartbeats, deadLetters, counts] = await Promise.all([
      store.heartbeats(),
      store.deadLettersSince(since),
      detail ? store.counts() : Promise.resolve(undefined),
    ]);
    const lastBatches = heartbeats.map((h) => ({
      stage: h.stage,
      endedAt: h.lastBatchEndedAt,
      durationMs: h.lastBatchMs,
      records: h.lastBatchRecords,
      outcome: h.lastOutcome,
      error: h.lastError,
    }));
    return { lastBatches, deadLetters, ...(counts === undefined ? {} : { counts }) };
  } catch (error) {
    return { lastBatches: [], deadLetters: {}, error: describe(error) };
  }
}

/** The message with its first cause's (`could not read the stage heartbeats: connect ECONNREFUSED ...`). */
function describe(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause === undefined ? messageOf(error) : `${messageOf(error)}: ${messageOf(cause)}`;
}

/** Gathers both sides at once and judges them. */
export async function collectStatus(deps: StatusDeps, options: { readonly detail: boolean }): Promise<StatusReport> {
  const now = (deps.now ?? (() => new Date()))();
  const [kafka, database] = await Promise.all([
    kafkaSide(deps),
    databaseSide(deps, new Date(now.getTime() - HOUR_MS), options.detail),
  ]);
  const total = Object.values(database.deadLetters).reduce((sum, n) => sum + n, 0);
  const verdict = judge(
    {
      now,
      kafkaError: kafka.error,
      databaseError: database.error,
      groups: kafka.groups,
      lastBatches: database.lastBatches,
      deadLettersLastHour: total,
    },
    deps.thresholds,
  );
  return {
    ...verdict,
    checkedAt: now,
    kafka: { reachable: kafka.error === undefined, ...(kafka.error === undefined ? {} : { error: kafka.error }) },
    database: {
      reachable: database.error === undefined,
      ...(database.error === undefined ? {} : { error: database.error }),
    },
    groups: kafka.groups,
    lastBatches: database.lastBatches,
    deadLettersLastHour: { total, byStage: database.deadLetters },
    ...(database.counts === undefined ? {} : { counts: database.counts }),
    thresholds: deps.thresholds,
  };
}
