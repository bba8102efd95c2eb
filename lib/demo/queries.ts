/**
 * What became of the demo's trades, read from the database. A demo run is the block of trades.captured offsets
 * its simulator wrote (per partition, [from, to)), so earlier runs on the same data directory are not counted.
 */
import type { Pool } from 'pg';

import type { PipelineCounts } from './progress';

/** Offsets of trades.captured this run wrote, per partition: from (inclusive) to (exclusive). */
export interface CapturedRange {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

export function capturedCount(ranges: readonly CapturedRange[]): number {
  return ranges.reduce((sum, r) => sum + (r.to - r.from), 0);
}

/**
 * The run's captures whose decision is delivered (a REDELIVERED one has nothing to deliver), the validated ones,
 * and the versions booked from them. Parameters: $1 partitions, $2 from offsets, $3 to offsets.
 *
 * One ExecID can be validated twice: two executions sharing it (the simulator's DUPLICATE_EXEC_ID fault) on two
 * partitions, validated at the same time, neither seeing the other. The unique key books only one of them, so
 * everything that follows an ExecID into the later stages is a semi-join (IN), never a join that would count the
 * booked version once per validation.
 */
const RUN_CTES = `
  run_range AS (
    SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[]) AS r(part, from_offset, to_offset)
  ),
  run_captures AS (
    SELECT c.outcome, c.exec_id
    FROM trade_captures c
    JOIN run_range r ON c.source_partition = r.part AND c.source_offset >= r.from_offset AND c.source_offset < r.to_offset
    WHERE c.source_topic = 'trades.captured' AND (c.published_at IS NOT NULL OR c.out_topic IS NULL)
  ),
  run_validated AS (
    SELECT exec_id FROM run_captures WHERE outcome = 'VALIDATED'
  ),
  run_booked AS (
    SELECT v.trade_id, v.version, v.exec_id, v.lifecycle, v.account_id, v.isin, v.trade_date, v.booked_at
    FROM trade_versions v WHERE v.exec_id IN (SELECT exec_id FROM run_validated)
  ),
  persist_rejections AS (
    SELECT c.exec_id FROM trade_captures c
    WHERE c.source_topic = 'trades.validated' AND c.outcome = 'REJECTED'
      AND c.exec_id IN (SELECT exec_id FROM run_validated)
  )`;

function rangeParams(ranges: readonly CapturedRange[]): unknown[] {
  return [ranges.map((r) => r.partition), ranges.map((r) => r.from), ranges.map((r) => r.to)];
}

interface CountsRow {
  validated: string;
  rejected: string;
  dead_lettered: string;
  duplicates: string;
  booked: string;
  held: string;
  persist_rejected: string;
  persist_duplicates: string;
  published: string;
  positioned: string;
  instructed: string;
}

/** Stage counts of the run (see PipelineCounts); one statement, so that the counts are one snapshot. */
export async function readPipelineCounts(pool: Pool, ranges: readonly CapturedRange[]): Promise<PipelineCounts> {
  const result = await pool.query<CountsRow>(
    `WITH ${RUN_CTES}
     SELECT
       (SELECT count(*) FROM run_captures WHERE outcome = 'VALIDATED') AS validated,
       (SELECT count(*) FROM run_captures WHERE outcome = 'REJECTED') AS rejected,
       (SELECT count(*) FROM run_captures WHERE outcome = 'DEAD_LETTER') AS dead_lettered,
       (SELECT count(*) FROM run_captures WHERE outcome = 'REDELIVERED') AS duplicates,
       (SELECT count(*) FROM run_booked) AS booked,
       (SELECT count(*) FROM pending_trade_events WHERE exec_id IN (SELECT exec_id FROM run_validated)) AS held,
       (SELECT count(*) FROM persist_rejections) AS persist_rejected,
       -- Of an ExecID validated n times, once booked (or held) and r times refused by persistence, the other
       -- n - 1 - r found it already booked: persistence leaves no trace of that no-op, so it is inferred. Only an
       -- ExecID validated more than once can have one.
       (SELECT coalesce(sum(greatest(0, d.n - 1 - (SELECT count(*) FROM persist_rejections r
                                                   WHERE r.exec_id = d.exec_id))), 0)
         FROM (SELECT exec_id, count(*) AS n FROM run_validated GROUP BY exec_id HAVING count(*) > 1) d
         WHERE EXISTS (SELECT 1 FROM trade_versions v WHERE v.exec_id = d.exec_id)
            OR EXISTS (SELECT 1 FROM pending_trade_events p WHERE p.exec_id = d.exec_id)
       ) AS persist_duplicates,
       (SELECT count(*) FROM booked_trade_publications WHERE exec_id IN (SELECT exec_id FROM run_booked)) AS published,
       -- A position is rebuilt in a transaction that started after the booking committed; a key whose last live
       -- trade was cancelled has no position row at all once rebuilt.
       (SELECT count(*) FROM run_booked b
         WHERE EXISTS (SELECT 1 FROM positions p
                       WHERE p.account_id = b.account_id AND p.isin = b.isin AND p.rebuilt_at >= b.booked_at)
            OR (NOT EXISTS (SELECT 1 FROM positions p WHERE p.account_id = b.account_id AND p.isin = b.isin)
                AND NOT EXISTS (SELECT 1 FROM trades t
                                WHERE t.account_id = b.account_id AND t.isin = b.isin AND t.status = 'LIVE'))
       ) AS positioned,
       -- A new or amended version gets its own instruction (possibly an EXCEPTION) unless a later version of its
       -- trade already superseded it when settlement saw it; a trade cancelled by then gets none (settlement
       -- ignores its versions), and one cancelled afterwards has all of its instructions cancelled.
       (SELECT count(*) FROM run_booked b
         WHERE EXISTS (SELECT 1 FROM settlement_instructions s
                       WHERE s.trade_id = b.trade_id AND s.trade_version >= b.version)
            OR (EXISTS (SELECT 1 FROM trades t WHERE t.trade_id = b.trade_id AND t.status = 'CANCELLED')
                AND NOT EXISTS (SELECT 1 FROM settlement_instructions s
                                WHERE s.trade_id = b.trade_id AND s.state <> 'CANCELLED'))
       ) AS instructed`,
    rangeParams(ranges),
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('the progress query returned no row');
  return {
    captured: capturedCount(ranges),
    validated: Number(row.validated),
    rejected: Number(row.rejected),
    deadLettered: Number(row.dead_lettered),
    duplicates: Number(row.duplicates),
    booked: Number(row.booked),
    held: Number(row.held),
    persistRejected: Number(row.persist_rejected),
    persistDuplicates: Number(row.persist_duplicates),
    published: Number(row.published),
    positioned: Number(row.positioned),
    instructed: Number(row.instructed),
  };
}

/** Prefixes of simulator ExecIDs already captured (`SIM<seed>-`), so that a new run can pick an unused seed. */
export async function readUsedSeeds(pool: Pool): Promise<Set<number>> {
  const result = await pool.query<{ seed: string }>(
    `SELECT DISTINCT substring(exec_id FROM '^SIM(-?[0-9]+)-') AS seed
     FROM trade_captures WHERE exec_id LIKE 'SIM%'`,
  );
  return new Set(result.rows.flatMap((row) => (row.seed === null ? [] : [Number(row.seed)])));
}
