/**
 * The pipeline's progress as the suite measures it between two handler kills: the records the platform's consumer
 * groups have committed (every stage's, summed) and what they still have to consume. A kill waits until the
 * handlers restarted before it have committed some records again (or have nothing left), so that a slow machine,
 * where a restart takes longer and the handlers are slower to get going, still makes headway between kills.
 */
import type { Admin } from 'kafkajs';

import { pause } from './stack-control';

export interface Progress {
  /** Committed offsets of the platform's groups (posttrade-local-*), summed over their partitions. */
  readonly committed: number;
  /** What those groups have not consumed yet (end offsets minus committed), summed. */
  readonly lag: number;
}

export async function progressOf(admin: Admin): Promise<Progress> {
  const groups = (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith('posttrade-local-'));
  const ends = new Map<string, Map<number, number>>();
  let committed = 0;
  let lag = 0;
  for (const { groupId } of groups) {
    for (const topic of await admin.fetchOffsets({ groupId })) {
      let end = ends.get(topic.topic);
      if (end === undefined) {
        end = new Map((await admin.fetchTopicOffsets(topic.topic)).map((o) => [o.partition, Number(o.high)]));
        ends.set(topic.topic, end);
      }
      for (const p of topic.partitions) {
        const offset = Number(p.offset);
        const high = end.get(p.partition) ?? 0;
        if (offset >= 0) committed += offset;
        lag += high - Math.max(offset, 0);
      }
    }
  }
  return { committed, lag };
}

/** The progress now, or undefined when it cannot be read at the moment (the broker down or its connection cut). */
export async function progressNow(admin: Admin): Promise<Progress | undefined> {
  try {
    return await progressOf(admin);
  } catch {
    return undefined;
  }
}

/** Records committed since a restart before the next kill may land. */
export const MIN_PROGRESS = 500;
/** The longest a kill waits for that progress; then it lands anyway (and says so). */
export const PROGRESS_WAIT_MS = 120_000;

export interface Headway {
  /** Records committed since `from`. */
  readonly advanced: number;
  readonly ms: number;
  /** Why the wait ended: enough committed, nothing left to consume, the wait's bound, or `stop()`. */
  readonly ended: 'progress' | 'caught up' | 'timed out' | 'stopped';
}

/**
 * Waits until the groups have committed `MIN_PROGRESS` records more than `from.committed` (the figure when the
 * handlers were back), or have no lag left, or `PROGRESS_WAIT_MS` have passed, or `stop()` says so.
 */
export async function awaitHeadway(
  admin: Admin,
  from: Progress | undefined,
  stop: () => boolean = () => false,
): Promise<Headway> {
  const started = Date.now();
  let base = from;
  let advanced = 0;
  for (;;) {
    if (stop()) return { advanced, ms: Date.now() - started, ended: 'stopped' };
    const now = await progressNow(admin);
    if (now !== undefined) {
      base ??= now;
      advanced = now.committed - base.committed;
      if (advanced >= MIN_PROGRESS) return { advanced, ms: Date.now() - started, ended: 'progress' };
      if (now.lag === 0) return { advanced, ms: Date.now() - started, ended: 'caught up' };
    }
    if (Date.now() - started > PROGRESS_WAIT_MS) return { advanced, ms: Date.now() - started, ended: 'timed out' };
    await pause(1_000);
  }
}

export function describeHeadway(h: Headway): string {
  const s = (h.ms / 1000).toFixed(1);
  if (h.ended === 'timed out') return `after ${s} s with only ${h.advanced} records committed since the restart`;
  if (h.ended === 'caught up') return `once caught up (${h.advanced} records committed since the restart, ${s} s)`;
  return `after ${h.advanced} records committed since the restart (${s} s)`;
}
