/**
 * Dead letters of the stages without a capture ledger (migrations/1732407450000_dead-letters.sql): recorded in the
 * stage's own transaction where it has one, then published to their dead-letter topic and marked — an outbox, so
 * that a crash between the two publishes them with the next batch instead of losing them. Set-based: one statement
 * per batch whatever its size.
 */
import type { Pool, PoolClient } from 'pg';

import { deadLetterKey, deadLetterTopic, encodeDeadLetter, type Stage } from '../kafka/dead-letter';
import type { DecodedRecord } from '../kafka/decode';
import { CORRELATION_HEADER, CAPTURED_AT_HEADER, traceHeaders, type TraceContext } from '../observability/correlation';
import type { EventPublisher } from '../kafka/producer';
import { withTransaction } from './pool';

export type UndecodedRecord = Extract<DecodedRecord<unknown>, { ok: false }>;

export interface DeadLetterStore {
  /**
   * Records `stage`'s undecodable records, in `client`'s transaction when given; a redelivered one adds nothing.
   * Returns how many this call recorded: the stage's DeadLettered metric, so a redelivery counts none again.
   */
  record(stage: Stage, failures: readonly UndecodedRecord[], at: string, client?: PoolClient): Promise<number>;
  /** Publishes `stage`'s dead letters not yet published, oldest first; returns how many. */
  publishPending(stage: Stage, publisher: EventPublisher): Promise<number>;
}

/** Largest number of dead letters one publish round takes; the rest go in the next round of the same call. */
const PUBLISH_CHUNK = 500;

export class PgDeadLetterStore implements DeadLetterStore {
  constructor(private readonly pool: Pool) {}

  async record(stage: Stage, failures: readonly UndecodedRecord[], at: string, client?: PoolClient): Promise<number> {
    if (failures.length === 0) return 0;
    const letters = failures.map((failure) => ({
      record: failure.record,
      letter: encodeDeadLetter(failure.record, stage, failure.errors, at),
    }));
    const { rowCount } = await (client ?? this.pool).query(
      `INSERT INTO dead_letters (stage, source_topic, source_partition, source_offset, dead_letter, out_topic, out_key,
         dead_lettered_at)
       SELECT $1, t, p, o, d, ot, ok, $2 FROM unnest($3::text[], $4::integer[], $5::bigint[], $6::jsonb[], $7::text[],
         $8::text[]) AS x(t, p, o, d, ot, ok)
       ON CONFLICT DO NOTHING`,
      [
        stage,
        at,
        letters.map((l) => l.record.source.topic),
        letters.map((l) => l.record.source.partition),
        letters.map((l) => String(l.record.source.offset)),
        letters.map((l) => JSON.stringify(l.letter)),
        letters.map((l) => deadLetterTopic(l.record.source.topic)),
        letters.map((l) => deadLetterKey(l.record)),
      ],
    );
    return rowCount ?? 0;
  }

  async publishPending(stage: Stage, publisher: EventPublisher): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await withTransaction(this.pool, async (client) => {
        // SKIP LOCKED: two invocations of the stage (pollers of two partitions) never publish the same row twice.
        const { rows } = await client.query<{
          source_topic: string;
          source_partition: number;
          source_offset: string;
          dead_letter: unknown;
          out_topic: string;
          out_key: string;
        }>(
          `SELECT source_topic, source_partition, source_offset::text AS source_offset, dead_letter, out_topic, out_key
           FROM dead_letters WHERE stage = $1 AND published_at IS NULL
           ORDER BY dead_lettered_at, source_topic, source_partition, source_offset
           LIMIT ${PUBLISH_CHUNK} FOR UPDATE SKIP LOCKED`,
          [stage],
        );
        if (rows.length === 0) return 0;
        await publisher.publish(
          rows.map((r) => ({
            topic: r.out_topic,
            key: r.out_key,
            value: r.dead_letter,
            headers: traceHeaders(traceContextOfDeadLetter(r.dead_letter)),
          })),
        );
        await client.query(
          `UPDATE dead_letters SET published_at = now()
           WHERE stage = $1 AND (source_topic, source_partition, source_offset) IN (
             SELECT * FROM unnest($2::text[], $3::integer[], $4::bigint[]))`,
          [
            stage,
            rows.map((r) => r.source_topic),
            rows.map((r) => r.source_partition),
            rows.map((r) => r.source_offset),
          ],
        );
        return rows.length;
      });
      total += published;
      if (published < PUBLISH_CHUNK) return total;
    }
  }
}

/** The trace context of the record a dead letter wraps, from the headers the wrapper kept (base64). */
function traceContextOfDeadLetter(deadLetter: unknown): TraceContext | undefined {
  const headers = (deadLetter as { headers?: unknown } | null)?.headers;
  if (!Array.isArray(headers)) return undefined;
  const text = (name: string): string | undefined => {
    const found = (headers as { key?: unknown; valueBase64?: unknown }[]).find((header) => header.key === name);
    return typeof found?.valueBase64 === 'string'
      ? Buffer.from(found.valueBase64, 'base64').toString('utf8')
      : undefined;
  };
  const correlationId = text(CORRELATION_HEADER);
  if (correlationId === undefined) return undefined;
  const capturedAt = text(CAPTURED_AT_HEADER);
  return { correlationId, ...(capturedAt === undefined ? {} : { capturedAt }) };
}
