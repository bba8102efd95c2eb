-- Up Migration
-- One row per Kafka-triggered stage, upserted by the failure policy (lib/lambda/kafka-failures.ts) at the end of
-- every batch: what `posttrade status` and GET /health read to tell a stage that keeps up from one that has stopped.
-- One row per stage, not per batch, so that it costs one small write a batch and never grows.
CREATE TABLE stage_heartbeats (
  stage                 text        PRIMARY KEY,
  last_batch_started_at timestamptz NOT NULL,
  last_batch_ended_at   timestamptz NOT NULL,
  last_batch_ms         integer     NOT NULL CHECK (last_batch_ms >= 0),
  last_batch_records    integer     NOT NULL CHECK (last_batch_records >= 0),
  -- OK: every record processed; ISOLATED: some dead-lettered, the rest processed; FAILED: the batch was thrown back
  -- to the mapping (to be retried), last_error says why.
  last_outcome          text        NOT NULL CHECK (last_outcome IN ('OK', 'ISOLATED', 'FAILED')),
  last_error            text,
  last_ok_at            timestamptz,
  batches               bigint      NOT NULL DEFAULT 1,
  CHECK ((last_outcome = 'FAILED') = (last_error IS NOT NULL))
);


-- Dead letters of the last hour, which every health check counts: without these, a scan of the whole ledger.
CREATE INDEX dead_letters_recent ON dead_letters (dead_lettered_at);
CREATE INDEX trade_captures_dead_letters ON trade_captures (recorded_at) WHERE outcome = 'DEAD_LETTER';
