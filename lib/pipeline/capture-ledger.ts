/**
 * The capture ledger (migrations/1732406600000_capture-outbox.sql, table trade_captures): what each consumed trade
 * record led to, and whether the message it produces has been published. It is both the stage's idempotency record
 * and its outbox: a decision is written before anything is published, so a retried batch re-publishes exactly the
 * undelivered decisions — with the same content, never re-deciding a record (which would turn a redelivered trade
 * into a DUPLICATE_EXEC_ID rejection).
 */
import type { Pool, PoolClient } from 'pg';

import type { TradeRejection } from '../db/trade-store';
import type { RecordCoordinates } from '../kafka/decode';
import type { OutgoingMessage } from '../kafka/producer';
import type { TraceContext } from '../observability/correlation';

export const CaptureOutcome = {
  VALIDATED: 'VALIDATED',
  REJECTED: 'REJECTED',
  DEAD_LETTER: 'DEAD_LETTER',
  /** The same execution (same ExecID, identical content) resent at a new offset: nothing to do. */
  REDELIVERED: 'REDELIVERED',
} as const;
export type CaptureOutcome = (typeof CaptureOutcome)[keyof typeof CaptureOutcome];

/** What one record led to. */
export interface CaptureDecision {
  readonly source: RecordCoordinates;
  readonly outcome: CaptureOutcome;
  readonly execId?: string;
  /** SHA-256 of the canonical trade event: equal content, equal hash. */
  readonly contentHash?: string;
  readonly message?: OutgoingMessage;
  /** Stored in trade_rejections (without `source`, which is the record's own). */
  readonly rejection?: Omit<TradeRejection, 'source'>;
  /** The record's trace context, stored in trade_correlations for its execution (decoded records only). */
  readonly trace?: TraceContext & { readonly tradeId: string };
}

/** An earlier decision on an ExecID, for telling a redelivery from a genuine duplicate. */
export interface PriorCapture {
  readonly execId: string;
  readonly contentHash: string | undefined;
  readonly outcome: CaptureOutcome;
}

export function coordinatesKey(source: RecordCoordinates): string {
  return `${source.topic}:${source.partition}:${source.offset}`;
}

interface LedgerRow {
  source_topic: string;
  source_partition: number;
  source_offset: string;
  exec_id: string | null;
  content_hash: string | null;
  outcome: CaptureOutcome;
  out_topic: string | null;
  out_key: string | null;
  out_value: unknown;
  out_headers: Record<string, string> | null;
  rejection: Omit<TradeRejection, 'source'> | null;
  published: boolean;
}

export interface StoredDecision extends CaptureDecision {
  readonly published: boolean;
}

function coordinateArrays(sources: readonly RecordCoordinates[]): [string[], number[], string[]] {
  return [sources.map((s) => s.topic), sources.map((s) => s.partition), sources.map((s) => String(s.offset))];
}

const BATCH_FILTER = `(source_topic, source_partition, source_offset) IN (
  SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[]))`;

/** The ledger on PostgreSQL; every call is one set-based statement whatever the batch size. */
export class PgCaptureLedger {
  constructor(private readonly pool: Pool) {}

  /** The decisions already taken on these records, by {@link coordinatesKey}. */
  async decisions(sources: readonly RecordCoordinates[]): Promise<Map<string, StoredDecision>> {
    if (sources.length === 0) return new Map();
    const { rows } = await this.pool.query<LedgerRow>(
      `SELECT source_topic, source_partition, source_offset::text AS source_offset, exec_id, content_hash, outcome,
         out_topic, out_key, out_value, out_headers, rejection, published_at IS NOT NULL AS published
       FROM trade_captures WHERE ${BATCH_FILTER}`,
      coordinateArrays(sources),
    );
    return new Map(rows.map((row) => [coordinatesKey(sourceOf(row)), decisionOf(row)]));
  }

  /** Earlier validated or rejected captures of these ExecIDs (any offset). */
  async priorCaptures(execIds: readonly string[]): Promise<PriorCapture[]> {
    if (execIds.length === 0) return [];
    const { rows } = await this.pool.query<{ exec_id: string; content_hash: string | null; outcome: CaptureOutcome }>(
      `SELECT exec_id, content_hash, outcome FROM trade_captures
       WHERE exec_id = ANY($1::text[]) AND outcome IN ('VALIDATED', 'REJECTED')`,
      [[...new Set(execIds)]],
    );
    return rows.map((row) => ({
      execId: row.exec_id,
      contentHash: row.content_hash ?? undefined,
      outcome: row.outcome,
    }));
  }

  /**
   * Records decisions (in `client`'s transaction when given); a record already decided keeps its first decision, and
   * an execution keeps the first correlation id it was seen under (trade_correlations). Returns the
   * {@link coordinatesKey}s of the decisions this call wrote (a decision without a message is delivered as it is
   * recorded: this call's to count).
   */
  async record(decisions: readonly CaptureDecision[], client?: PoolClient): Promise<Set<string>> {
    if (decisions.length === 0) return new Set();
    const traced = decisions.flatMap((d) =>
      d.trace === undefined || d.execId === undefined ? [] : [{ execId: d.execId, ...d.trace }],
    );
    const { rows } = await (client ?? this.pool).query<
      Pick<LedgerRow, 'source_topic' | 'source_partition' | 'source_offset'>
    >(
      `WITH correlations AS (
         INSERT INTO trade_correlations (exec_id, trade_id, correlation_id, captured_at)
         SELECT DISTINCT ON (e) e, tr, c, ca FROM unnest($12::text[], $13::text[], $14::text[], $15::timestamptz[])
           AS x(e, tr, c, ca)
         ON CONFLICT DO NOTHING)
       INSERT INTO trade_captures (source_topic, source_partition, source_offset, exec_id, content_hash, outcome,
         out_topic, out_key, out_value, rejection, published_at, out_headers)
       SELECT t, p, o, e, h, oc, ot, ok, ov, r, CASE WHEN ot IS NULL THEN now() END, oh
       FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::text[], $9::jsonb[], $10::jsonb[], $11::jsonb[]) AS d(t, p, o, e, h, oc, ot, ok, ov, r, oh)
       ON CONFLICT DO NOTHING
       RETURNING source_topic, source_partition, source_offset::text AS source_offset`,
      [
        ...coordinateArrays(decisions.map((d) => d.source)),
        decisions.map((d) => d.execId ?? null),
        decisions.map((d) => d.contentHash ?? null),
        decisions.map((d) => d.outcome),
        decisions.map((d) => d.message?.topic ?? null),
        decisions.map((d) => d.message?.key ?? null),
        decisions.map((d) => (d.message === undefined ? null : JSON.stringify(d.message.value))),
        decisions.map((d) => (d.rejection === undefined ? null : JSON.stringify(d.rejection))),
        decisions.map((d) => (d.message?.headers === undefined ? null : JSON.stringify(d.message.headers))),
        traced.map((t) => t.execId),
        traced.map((t) => t.tradeId),
        traced.map((t) => t.correlationId),
        traced.map((t) => t.capturedAt ?? null),
      ],
    );
    return new Set(rows.map((row) => coordinatesKey(sourceOf(row))));
  }

  /**
   * Records read from `topic` whose decision was recorded more than `olderThanMs` ago and is still unpublished: left
   * by a crash between recording and delivering, when nothing redelivers the record itself (the decisions of the
   * pending-event sweep). The age keeps a batch that is delivering its own decisions right now out of it.
   */
  async undelivered(topic: string, olderThanMs: number): Promise<RecordCoordinates[]> {
    const { rows } = await this.pool.query<{ source_partition: number; source_offset: string }>(
      `SELECT source_partition, source_offset::text AS source_offset FROM trade_captures
       WHERE published_at IS NULL AND source_topic = $1 AND recorded_at < now() - make_interval(secs => $2)
       ORDER BY source_partition, source_offset LIMIT 1000`,
      [topic, olderThanMs / 1000],
    );
    return rows.map((row) => ({ topic, partition: row.source_partition, offset: Number(row.source_offset) }));
  }

  /**
   * Marks these records' decisions published; returns the {@link coordinatesKey}s this call marked. Of two runs
   * delivering the same decision at once, one marks it (the other's UPDATE finds it marked once the first commits):
   * the run that counts the outcome, once.
   */
  async markPublished(sources: readonly RecordCoordinates[]): Promise<Set<string>> {
    if (sources.length === 0) return new Set();
    const { rows } = await this.pool.query<Pick<LedgerRow, 'source_topic' | 'source_partition' | 'source_offset'>>(
      `UPDATE trade_captures SET published_at = now() WHERE published_at IS NULL AND ${BATCH_FILTER}
       RETURNING source_topic, source_partition, source_offset::text AS source_offset`,
      coordinateArrays(sources),
    );
    return new Set(rows.map((row) => coordinatesKey(sourceOf(row))));
  }
}

function sourceOf(row: Pick<LedgerRow, 'source_topic' | 'source_partition' | 'source_offset'>): RecordCoordinates {
  return { topic: row.source_topic, partition: row.source_partition, offset: Number(row.source_offset) };
}

function decisionOf(row: LedgerRow): StoredDecision {
  return {
    source: sourceOf(row),
    outcome: row.outcome,
    published: row.published,
    ...(row.exec_id === null ? {} : { execId: row.exec_id }),
    ...(row.content_hash === null ? {} : { contentHash: row.content_hash }),
    ...(row.out_topic === null || row.out_key === null
      ? {}
      : {
          message: {
            topic: row.out_topic,
            key: row.out_key,
            value: row.out_value,
            ...(row.out_headers === null ? {} : { headers: row.out_headers }),
          },
        }),
    ...(row.rejection === null ? {} : { rejection: row.rejection }),
  };
}
