-- Up Migration
-- What each consumed trade record led to, and which booked versions were published: the two outboxes that make
-- validation and persistence safe under Lambda's at-least-once delivery (lib/pipeline).

-- One row per Kafka record the validation (and persistence, for its dead letters and conflicts) stage has decided
-- on, keyed by the record's coordinates: a redelivered record finds its row and only re-publishes what was not yet
-- published, with the same content. `content_hash` (SHA-256 of the canonical trade event) tells a resend of the
-- same execution at a new offset (no-op) from a genuine duplicate ExecID with other content (rejected).
CREATE TABLE trade_captures (
  source_topic      text        NOT NULL,
  source_partition  integer     NOT NULL,
  source_offset     bigint      NOT NULL,
  exec_id           text,
  content_hash      text,
  outcome           text        NOT NULL CHECK (outcome IN ('VALIDATED', 'REJECTED', 'DEAD_LETTER', 'REDELIVERED')),
  -- The message this record produces (NULL for REDELIVERED): published once published_at is set.
  out_topic         text,
  out_key           text,
  out_value         jsonb,
  -- For REJECTED and DEAD_LETTER: the trade_rejections row to store (lib/db/trade-store.ts TradeRejection).
  rejection         jsonb,
  recorded_at       timestamptz NOT NULL DEFAULT now(),
  published_at      timestamptz,
  PRIMARY KEY (source_topic, source_partition, source_offset),
  CHECK ((out_topic IS NULL) = (out_value IS NULL))
);
CREATE INDEX trade_captures_exec_id ON trade_captures (exec_id) WHERE exec_id IS NOT NULL;
CREATE INDEX trade_captures_unpublished ON trade_captures (source_topic, source_partition) WHERE published_at IS NULL;

-- Booked versions already published to trades.booked. "Booked but not yet published" is trade_versions without a
-- row here, so a publish that failed after the booking committed is redone by the retried batch.
CREATE TABLE booked_trade_publications (
  exec_id           text        PRIMARY KEY REFERENCES trade_versions (exec_id),
  published_at      timestamptz NOT NULL DEFAULT now()
);
