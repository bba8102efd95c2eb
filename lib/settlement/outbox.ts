/**
 * The transactional outbox of settlement and reconciliation (table settlement_outbox): messages are written in
 * the transaction that decided them and published once it has committed. A crash between commit and publish
 * leaves them unpublished, and the next batch of any handler publishes them: at-least-once, never lost.
 */
import type { Pool, PoolClient } from 'pg';

import type { EventPublisher } from '../kafka/producer';
import { withTransaction } from '../db/pool';

export interface OutboxMessage {
  /** Consumers' de-duplication key; a second message with the same id is not written. */
  readonly messageId: string;
  readonly topic: string;
  readonly key: string;
  readonly payload: unknown;
  /** Kafka headers to publish it with: the trace context of the trade or statement it is about (correlation.ts). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Adds messages to the outbox in the caller's transaction; ids already present are skipped. */
export async function writeOutbox(client: PoolClient, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await client.query(
    `INSERT INTO settlement_outbox (message_id, topic, message_key, payload, headers)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[]) ON CONFLICT (message_id) DO NOTHING`,
    [
      messages.map((m) => m.messageId),
      messages.map((m) => m.topic),
      messages.map((m) => m.key),
      messages.map((m) => JSON.stringify(m.payload)),
      messages.map((m) => JSON.stringify(m.headers ?? {})),
    ],
  );
}

/** Largest number of messages one publish round takes; the rest go in the next round of the same call. */
const PUBLISH_CHUNK = 500;

/**
 * Publishes unpublished outbox messages in their order of writing and marks them published. Rows are locked
 * (SKIP LOCKED) so that two concurrent invocations never publish the same row twice in the normal case.
 * Returns how many were published.
 */
export async function publishOutbox(pool: Pool, publisher: EventPublisher): Promise<number> {
  let total = 0;
  for (;;) {
    const published = await withTransaction(pool, async (client) => {
      const { rows } = await client.query<{
        seq: string;
        topic: string;
        message_key: string;
        payload: unknown;
        headers: Record<string, string>;
      }>(
        `SELECT seq, topic, message_key, payload, headers FROM settlement_outbox WHERE published_at IS NULL
         ORDER BY seq LIMIT ${PUBLISH_CHUNK} FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return 0;
      await publisher.publish(
        rows.map((r) => ({
          topic: r.topic,
          key: r.message_key,
          value: r.payload,
          ...(Object.keys(r.headers).length === 0 ? {} : { headers: r.headers }),
        })),
      );
      await client.query('UPDATE settlement_outbox SET published_at = now() WHERE seq = ANY($1::bigint[])', [
        rows.map((r) => r.seq),
      ]);
      return rows.length;
    });
    total += published;
    if (published < PUBLISH_CHUNK) return total;
  }
}
