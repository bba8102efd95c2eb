/**
 * What `posttrade status` and GET /health read from PostgreSQL: the stages' heartbeats, dead letters of the last
 * hour, and (for people, not for the verdict) counts of trades, instructions and open breaks and the last daily
 * report. Each is one aggregate query; the verdict's inputs use indexes so that a health check stays cheap.
 */
import type { Pool } from 'pg';

import { toDbError } from './errors';
import { PgStageHeartbeatStore, type StageHeartbeat } from './stage-heartbeat-store';

export interface CountBy {
  readonly [key: string]: number;
}

export interface OpenBreaks {
  readonly class: string;
  readonly ageingBucket: string;
  readonly count: number;
  readonly oldestBusinessDays: number;
}

export interface LastDailyReport {
  readonly reportDate: string;
  readonly generatedAt: Date;
  readonly lineCount: number;
  readonly issues: number;
}

export interface PipelineCounts {
  /** trades by status (LIVE, CANCELLED) and the amends and cancels still held for their trade (PENDING). */
  readonly trades: CountBy;
  /** capture ledger records by outcome (VALIDATED, REJECTED, DEAD_LETTER, REDELIVERED). */
  readonly captures: CountBy;
  /** gross instructions by state, and net instructions by lifecycle state. */
  readonly instructions: CountBy;
  readonly netInstructions: CountBy;
  readonly openBreaks: readonly OpenBreaks[];
  readonly lastDailyReport: LastDailyReport | undefined;
}

export interface StatusStore {
  heartbeats(): Promise<StageHeartbeat[]>;
  /** Dead letters recorded since `since`, by stage. */
  deadLettersSince(since: Date): Promise<CountBy>;
  counts(): Promise<PipelineCounts>;
}

function countBy(rows: readonly { key: string; count: string }[]): CountBy {
  return Object.fromEntries(rows.map((row) => [row.key, Number(row.count)]));
}

export class PgStatusStore implements StatusStore {
  private readonly heartbeatStore: PgStageHeartbeatStore;

  constructor(private readonly pool: Pool) {
    this.heartbeatStore = new PgStageHeartbeatStore(pool);
  }

  async heartbeats(): Promise<StageHeartbeat[]> {
    try {
      return await this.heartbeatStore.heartbeats();
    } catch (error) {
      throw toDbError(error, 'could not read the stage heartbeats');
    }
  }

  async deadLettersSince(since: Date): Promise<CountBy> {
    try {
      // Validation and persistence keep their dead letters in the capture ledger, by the topic they read.
      const { rows } = await this.pool.query<{ key: string; count: string }>(
        `SELECT stage AS key, count(*) AS count FROM dead_letters WHERE dead_lettered_at >= $1 GROUP BY stage
         UNION ALL
         SELECT CASE source_topic WHEN 'trades.captured' THEN 'validateTrades' ELSE 'persistTrades' END, count(*)
           FROM trade_captures WHERE outcome = 'DEAD_LETTER' AND recorded_at >= $1
          GROUP BY 1`,
        [since],
      );
      const byStage: Record<string, number> = {};
      for (const row of rows) byStage[row.key] = (byStage[row.key] ?? 0) + Number(row.count);
      return byStage;
    } catch (error) {
      throw toDbError(error, 'could not count the dead letters');
    }
  }

  async counts(): Promise<PipelineCounts> {
    try {
      const [trades, captures, instructions, netInstructions, breaks, report] = await Promise.all([
        this.pool.query<{ key: string; count: string }>(
          `SELECT status AS key, count(*) AS count FROM trades GROUP BY status
           UNION ALL SELECT 'PENDING', count(*) FROM pending_trade_events`,
        ),
        this.pool.query<{ key: string; count: string }>(
          'SELECT outcome AS key, count(*) AS count FROM trade_captures GROUP BY outcome',
        ),
        this.pool.query<{ key: string; count: string }>(
          'SELECT state AS key, count(*) AS count FROM settlement_instructions GROUP BY state',
        ),
        this.pool.query<{ key: string; count: string }>(
          'SELECT state AS key, count(*) AS count FROM net_instructions GROUP BY state',
        ),
        this.pool.query<{ class: string; bucket: string; count: string; oldest: number }>(
          `SELECT break_class AS class, ageing_bucket AS bucket, count(*) AS count, max(age_business_days) AS oldest
             FROM recon_breaks WHERE status = 'OPEN' GROUP BY 1, 2 ORDER BY 1, 2`,
        ),
        this.pool.query<{ report_date: string; generated_at: Date; line_count: number; issues: number }>(
          `SELECT to_char(report_date, 'YYYY-MM-DD') AS report_date, generated_at, line_count,
                  CASE WHEN jsonb_typeof(summary -> 'issues') = 'array'
                       THEN jsonb_array_length(summary -> 'issues') ELSE 0 END AS issues
             FROM daily_pnl_reports ORDER BY report_date DESC LIMIT 1`,
        ),
      ]);
      const last = report.rows[0];
      return {
        trades: countBy(trades.rows),
        captures: countBy(captures.rows),
        instructions: countBy(instructions.rows),
        netInstructions: countBy(netInstructions.rows),
        openBreaks: breaks.rows.map((row) => ({
          class: row.class,
          ageingBucket: row.bucket,
          count: Number(row.count),
          oldestBusinessDays: row.oldest,
        })),
        lastDailyReport:
          last === undefined
            ? undefined
            : {
                reportDate: last.report_date,
                generatedAt: last.generated_at,
                lineCount: last.line_count,
                issues: last.issues,
              },
      };
    } catch (error) {
      throw toDbError(error, 'could not count the pipeline');
    }
  }
}
