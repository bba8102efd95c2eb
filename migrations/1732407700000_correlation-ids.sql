-- Up Migration
-- Correlation ids (lib/observability/correlation.ts, README "Observability"): the id a trade was captured under, per
-- execution, so that every row the stages write about it (its captures, rejections, booked versions, settlement
-- instructions, positions: all keyed by ExecID or by trade and version) can be found from it, and the other way.
-- Written by validation when it first decides on a record; a redelivery keeps the first id.
CREATE TABLE trade_correlations (
  exec_id           text        PRIMARY KEY CHECK (exec_id <> ''),
  trade_id          text        NOT NULL,
  correlation_id    text        NOT NULL CHECK (correlation_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  captured_at       timestamptz,
  recorded_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX trade_correlations_correlation_id ON trade_correlations (correlation_id);
CREATE INDEX trade_correlations_trade_id ON trade_correlations (trade_id);

-- The headers of the message a capture decision produces (correlation-id, captured-at), so that a republish from the
-- outbox carries the same ones.
ALTER TABLE trade_captures ADD COLUMN out_headers jsonb;
