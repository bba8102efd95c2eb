/**
 * Records the simulator publishes that no consumer can decode, for showing (and testing) the dead-letter path:
 * distinct from `--error-rate`, whose trades decode and fail validation rules. Each kind breaks the boundary in
 * one way a real producer does, and is refused by decoding with its own reason code (docs/dead-letters.md):
 *
 * | kind                         | what is sent                                           | reason code                  |
 * | ---------------------------- | ------------------------------------------------------ | ---------------------------- |
 * | `NOT_UTF8`                   | the trade's JSON with a Latin-1 byte in the source     | `NOT_UTF8`                   |
 * | `TRUNCATED_JSON`             | the first half of the trade's JSON                     | `NOT_JSON`                   |
 * | `UNSUPPORTED_SCHEMA_VERSION` | the trade with `"schemaVersion": 2`                    | `UNSUPPORTED_SCHEMA_VERSION` |
 * | `DUPLICATE_KEY`              | the trade with `quantity` named twice                  | `DUPLICATE_KEY`              |
 * | `UNSTORABLE_TEXT`            | the trade with a NUL (`\u0000`) in its ExecID          | `UNSTORABLE_TEXT`            |
 *
 * Deterministic for a seed; kinds follow one another in the order above. Their ExecIDs (`…-U<n>`) are the run's
 * own and never a simulated trade's, so an undecodable record can never be mistaken for one of the trades.
 */
import type { TradeEventV1 } from '../kafka/schemas/trade-event';
import { faultSchedule } from './faults';

export const UndecodableKind = {
  NOT_UTF8: 'NOT_UTF8',
  TRUNCATED_JSON: 'TRUNCATED_JSON',
  UNSUPPORTED_SCHEMA_VERSION: 'UNSUPPORTED_SCHEMA_VERSION',
  DUPLICATE_KEY: 'DUPLICATE_KEY',
  UNSTORABLE_TEXT: 'UNSTORABLE_TEXT',
} as const;
export type UndecodableKind = (typeof UndecodableKind)[keyof typeof UndecodableKind];

const KINDS = Object.values(UndecodableKind);

export interface UndecodableRecord {
  readonly kind: UndecodableKind;
  /** The account of the trade it was made from (no stage can read it: it is dead-lettered wherever it lands). */
  readonly key: string;
  readonly value: Buffer;
}

/** The `n`-th undecodable record (0-based), made from `template`, a trade the simulator produced. */
export function undecodableRecord(template: TradeEventV1, n: number): UndecodableRecord {
  const kind = KINDS[n % KINDS.length] ?? UndecodableKind.TRUNCATED_JSON;
  const event = { ...template, execId: `${template.execId}-U${n + 1}` };
  const json = JSON.stringify(event);
  const value = ((): Buffer => {
    switch (kind) {
      case UndecodableKind.NOT_UTF8:
        return Buffer.from(JSON.stringify({ ...event, source: 'Z\u00fcrich' }), 'latin1');
      case UndecodableKind.TRUNCATED_JSON:
        return Buffer.from(json.slice(0, Math.floor(json.length / 2)));
      case UndecodableKind.UNSUPPORTED_SCHEMA_VERSION:
        return Buffer.from(JSON.stringify({ ...event, schemaVersion: 2 }));
      case UndecodableKind.DUPLICATE_KEY:
        return Buffer.from(json.replace(/"quantity":"([^"]*)"/, '"quantity":"$1","quantity":"1"'));
      case UndecodableKind.UNSTORABLE_TEXT:
        return Buffer.from(JSON.stringify({ ...event, execId: `${event.execId}\u0000` }));
    }
  })();
  return { kind, key: template.account, value };
}

/**
 * After which trades (1-based positions in the trade stream) an undecodable record goes, `share` of the trades:
 * the k-th inside window k of 1/share trades, so the first N trades are followed by floor(N × share) records or one
 * more. Its own random stream: the share does not change the trades.
 */
export function undecodableSchedule(seed: number, share: number): () => number {
  return faultSchedule(seed ^ 0x0bad_c0de, share);
}

/** How many undecodable records a run of `count` trades carries. */
export function undecodableCount(seed: number, share: number, count: number): number {
  const next = undecodableSchedule(seed, share);
  let n = 0;
  while (next() <= count) n += 1;
  return n;
}
