/**
 * The last batch of each Kafka-triggered stage (migrations/1732407500000_stage-heartbeats.sql): written by the
 * failure policy once per batch, read by `posttrade status` and GET /health. One upsert a batch, one row a stage.
 */
import type { Pool } from 'pg';

import { toDbError } from './errors';

export const BatchOutcome = { OK: 'OK', ISOLATED: 'ISOLATED', FAILED: 'FAILED' } as const;
export type BatchOutcome = (typeof BatchOutcome)[keyof typeof BatchOutcome];

export interface StageBatch {
  readonly stage: string;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly records: number;
  readonly outcome: BatchOutcome;
  /** Why the batch failed; only for FAILED. */
  readonly error?: string;
}

export interface StageHeartbeat {
  readonly stage: string;
  readonly lastBatchStartedAt: Date;
  readonly lastBatchEndedAt: Date;
  readonly lastBatchMs: number;
  readonly lastBatchRecords: number;
  readonly lastOutcome: BatchOutcome;
  readonly lastError: string | undefined;
  /** The end of the last batch that was not thrown back; undefined if none ever was. */
  readonly lastOkAt: Date | undefined;
  readonly batches: number;
}

/** What the failure policy needs: one call per batch. */
export interface StageHeartbeatRecorder {
  recordBatch(batch: StageBatch): Promise<void>;
}

/** Longest error text kept: a heartbeat says why, the logs say everything. */
const ERROR_MAX = 1000;

export class PgStageHeartbeatStore implements StageHeartbeatRecorder {
  constructor(private readonly pool: Pool) {}

  async recordBatch(batch: StageBatch): Promise<void> {
    const ms = Math.max(0, Math.round(batch.endedAt.getTime() - batch.startedAt.getTime()));
    const error = batch.outcome === BatchOutcome.FAILED ? (batch.error ?? 'failed').slice(0, ERROR_MAX) : null;
    try {
      await this.pool.query(
        `INSERT INTO stage_heartbeats AS h (stage, last_batch_started_at, last_batch_ended_at, last_batch_ms,
           last_batch_records, last_outcome, last_error, last_ok_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 = 'FAILED' THEN NULL ELSE $3::timestamptz END)
         ON CONFLICT (stage) DO UPDATE SET
           last_batch_started_at = EXCLUDED.last_batch_started_at,
           last_batch_ended_at = EXCLUDED.last_batch_ended_at,
           last_batch_ms = EXCLUDED.last_batch_ms,
           last_batch_records = EXCLUDED.last_batch_records,
           last_outcome = EXCLUDED.last_outcome,
           last_error = EXCLUDED.last_error,
           last_ok_at = COALESCE(EXCLUDED.last_ok_at, h.last_ok_at),
           batches = h.batches + 1`,
        [batch.stage, batch.startedAt, batch.endedAt, ms, batch.records, batch.outcome, error],
      );
    } catch (cause) {
      throw toDbError(cause, `could not record the heartbeat of ${batch.stage}`);
    }
  }

  /** Every stage's heartbeat, by stage name. */
  async heartbeats(): Promise<StageHeartbeat[]> {
    const { rows } = await this.pool.query<{
      stage: string;
      last_batch_started_at: Date;
      last_batch_ended_at: Date;
      last_batch_ms: number;
      last_batch_records: number;
      last_outcome: BatchOutcome;
      last_error: string | null;
      last_ok_at: Date | null;
      batches: string;
    }>('SELECT * FROM stage_heartbeats ORDER BY stage');
    return rows.map((row) => ({
      stage: row.stage,
      lastBatchStartedAt: row.last_batch_started_at,
      lastBatchEndedAt: row.last_batch_ended_at,
      lastBatchMs: row.last_batch_ms,
      lastBatchRecords: row.last_batch_records,
      lastOutcome: row.last_outcome,
      lastError: row.last_error ?? undefined,
      lastOkAt: row.last_ok_at ?? undefined,
      batches: Number(row.batches),
    }));
  }
}
