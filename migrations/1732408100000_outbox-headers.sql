-- Up Migration
-- The Kafka headers of a settlement or reconciliation outbox message (correlation-id, captured-at: README
-- "Observability"), written with the message in the transaction that decided it, so that the publish after commit,
-- or the republish after a crash, carries the same ones. Rows written before this migration have none.
ALTER TABLE settlement_outbox ADD COLUMN headers jsonb NOT NULL DEFAULT '{}'::jsonb;
