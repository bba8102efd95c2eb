/** Records settlement and reconciliation could not decode: kept with every reason, keyed by their coordinates. */
import type { PoolClient } from 'pg';

import type { DecodedRecord } from '../kafka/decode';

export async function recordDeadLetters(
  client: PoolClient,
  handler: string,
  failures: readonly Extract<DecodedRecord<unknown>, { ok: false }>[],
): Promise<void> {
  if (failures.length === 0) return;
  const key = (f: (typeof failures)[number]) =>
    `${f.record.source.topic}/${f.record.source.partition}/${f.record.source.offset}`;
  await client.query(
    `INSERT INTO settlement_dead_letters (source_key, handler, raw, errors)
     SELECT k, $1, r, e FROM unnest($2::text[], $3::text[], $4::jsonb[]) AS x(k, r, e) ON CONFLICT DO NOTHING`,
    [
      handler,
      failures.map(key),
      failures.map((f) => f.record.value.toString('utf8')),
      failures.map((f) => JSON.stringify(f.errors)),
    ],
  );
}
