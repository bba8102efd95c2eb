/**
 * The pipeline's verdict from what `posttrade status` gathered: pure, so that the rules are read and tested in one
 * place. Down when the broker or the database does not answer (nothing else can be known); degraded when a stage is
 * behind, stopped or failing, or dead letters pile up; healthy otherwise. Thresholds: lib/config StatusThresholds.
 */
import type { StatusThresholds } from '../config';

export const Verdict = { HEALTHY: 'healthy', DEGRADED: 'degraded', DOWN: 'down' } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface PartitionLag {
  readonly partition: number;
  /** The group's committed offset; undefined when it has committed none on this partition. */
  readonly committed: number | undefined;
  /** The first offset still in the log (what a group without a commit starts from). */
  readonly start: number;
  /** The offset the next record will get. */
  readonly end: number;
  readonly lag: number;
}

export interface GroupLag {
  readonly stage: string;
  readonly group: string;
  readonly topic: string;
  readonly partitions: readonly PartitionLag[];
  readonly lag: number;
  /**
   * Of the records waiting, how many have waited longer than STATUS_STALE_STAGE_SECONDS (from the records'
   * timestamps); undefined when that could not be asked, and then every waiting record counts as overdue.
   */
  readonly overdue?: number;
}

export interface LastBatch {
  readonly stage: string;
  readonly endedAt: Date;
  readonly durationMs: number;
  readonly records: number;
  readonly outcome: 'OK' | 'ISOLATED' | 'FAILED';
  readonly error: string | undefined;
}

export interface VerdictInputs {
  readonly now: Date;
  /** Why the broker did not answer; undefined when it did. */
  readonly kafkaError: string | undefined;
  readonly databaseError: string | undefined;
  readonly groups: readonly GroupLag[];
  readonly lastBatches: readonly LastBatch[];
  readonly deadLettersLastHour: number;
}

export interface VerdictResult {
  readonly verdict: Verdict;
  /** One line per finding, for people; empty when healthy. */
  readonly reasons: readonly string[];
  /** What is worth knowing and no reason to be degraded: a stage that has not run yet, records not yet overdue. */
  readonly notes: readonly string[];
}

/** The lag of one partition: records after the committed offset (or after the log's start, without a commit). */
export function partitionLag(committed: number | undefined, start: number, end: number): number {
  return Math.max(0, end - Math.max(committed ?? start, start));
}

export function judge(inputs: VerdictInputs, thresholds: StatusThresholds): VerdictResult {
  const down: string[] = [];
  if (inputs.kafkaError !== undefined) down.push(`Kafka unreachable: ${inputs.kafkaError}`);
  if (inputs.databaseError !== undefined) down.push(`PostgreSQL unreachable: ${inputs.databaseError}`);
  if (down.length > 0) return { verdict: Verdict.DOWN, reasons: down, notes: [] };

  const reasons: string[] = [];
  const notes: string[] = [];
  const batches = new Map(inputs.lastBatches.map((batch) => [batch.stage, batch]));
  for (const group of inputs.groups) {
    if (group.lag > thresholds.lagMax) {
      reasons.push(`${group.stage}: lag ${group.lag} on ${group.topic} > STATUS_LAG_MAX ${thresholds.lagMax}`);
    }
    const batch = batches.get(group.stage);
    // Records waiting are a problem once some have waited past the threshold: a stage that has not run yet on a
    // fresh stack, or one idle for hours that has just been given work, is starting, not stuck.
    const overdue = group.overdue ?? group.lag;
    const within = `none waiting longer than STATUS_STALE_STAGE_SECONDS ${thresholds.staleStageSeconds}`;
    if (batch === undefined) {
      if (group.lag === 0) continue; // idle: nothing has been waiting for it
      if (overdue === 0) notes.push(`${group.stage}: never ran yet, ${group.lag} record(s) waiting, ${within}`);
      else
        reasons.push(
          `${group.stage}: ${group.lag} record(s) waiting and no batch ever ran` +
            (group.overdue === undefined ? '' : `; ${overdue} waiting longer than ${thresholds.staleStageSeconds} s`),
        );
    } else if (group.lag > 0) {
      const idleSeconds = Math.floor((inputs.now.getTime() - batch.endedAt.getTime()) / 1000);
      if (idleSeconds > thresholds.staleStageSeconds && overdue > 0) {
        reasons.push(
          `${group.stage}: stale, ${group.lag} record(s) waiting and the last batch ended ${idleSeconds} s ago ` +
            `(> STATUS_STALE_STAGE_SECONDS ${thresholds.staleStageSeconds})`,
        );
      }
    }
  }
  for (const batch of inputs.lastBatches) {
    if (batch.outcome === 'FAILED') reasons.push(`${batch.stage}: last batch failed: ${batch.error ?? 'unknown'}`);
  }
  if (inputs.deadLettersLastHour > thresholds.deadLettersPerHourMax) {
    reasons.push(
      `${inputs.deadLettersLastHour} dead letter(s) in the last hour > STATUS_DEAD_LETTERS_PER_HOUR_MAX ` +
        `${thresholds.deadLettersPerHourMax}`,
    );
  }
  return { verdict: reasons.length === 0 ? Verdict.HEALTHY : Verdict.DEGRADED, reasons, notes };
}
