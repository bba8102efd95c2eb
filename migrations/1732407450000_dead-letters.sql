-- Up Migration
-- Dead letters of every stage that has no capture ledger (settlement, settlement status, reconciliation,
-- positions, end-of-day prices), in the one wrapper of lib/kafka/dead-letter.ts (docs/dead-letters.md): kept here
-- with the raw record, and published to the dead-letter topic of the record's topic family once this row is
-- committed (an outbox: a crash before publishing leaves published_at NULL, and the stage's next batch publishes
-- it). Keyed by stage and source record, so a redelivered batch adds nothing. Validation and persistence keep
-- theirs in trade_captures (outcome DEAD_LETTER) and trade_rejections, in the same wrapper.
CREATE TABLE dead_letters (
  stage                    text        NOT NULL,
  source_topic             text        NOT NULL,
  source_partition         integer     NOT NULL,
  source_offset            bigint      NOT NULL,
  -- The wrapper (schemaVersion 2): stage, reasons, source, key, headers, value as base64.
  dead_letter              jsonb       NOT NULL CHECK (dead_letter ->> 'schemaVersion' = '2'),
  out_topic                text        NOT NULL,
  out_key                  text        NOT NULL,
  dead_lettered_at         timestamptz NOT NULL,
  published_at             timestamptz,
  PRIMARY KEY (stage, source_topic, source_partition, source_offset)
);
CREATE INDEX dead_letters_unpublished ON dead_letters (stage, dead_lettered_at) WHERE published_at IS NULL;

-- What settlement_dead_letters held (the value as text, the errors as [{path, message}]) moves into the wrapper;
-- its exact bytes were not kept, so the text's UTF-8 is the best there is. Published like any new dead letter.
INSERT INTO dead_letters (stage, source_topic, source_partition, source_offset, dead_letter, out_topic, out_key,
  dead_lettered_at)
SELECT handler, topic, partition, "offset",
  jsonb_build_object(
    'schemaVersion', 2,
    'stage', handler,
    'deadLetteredAt', to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'reasons', COALESCE(
      (SELECT jsonb_agg(jsonb_build_object('code', 'SCHEMA_INVALID', 'message',
         CASE WHEN COALESCE(e ->> 'path', '') = '' THEN e ->> 'message' ELSE (e ->> 'path') || ': ' || (e ->> 'message') END))
       FROM jsonb_array_elements(errors) AS e),
      '[{"code": "SCHEMA_INVALID", "message": "not decodable"}]'::jsonb),
    'source', jsonb_build_object('topic', topic, 'partition', partition, 'offset', "offset", 'timestamp', 0),
    'key', NULL,
    'keyBase64', NULL,
    'headers', '[]'::jsonb,
    'valueBase64', translate(encode(convert_to(raw, 'UTF8'), 'base64'), E'\n', '')),
  split_part(topic, '.', 1) || '.deadletter', topic || '-' || partition, recorded_at
FROM (
  SELECT handler, raw, errors, recorded_at,
    regexp_replace(source_key, '/[^/]*/[^/]*$', '') AS topic,
    split_part(source_key, '/', -2)::integer AS partition,
    split_part(source_key, '/', -1)::bigint AS "offset"
  FROM settlement_dead_letters
) AS old
ON CONFLICT DO NOTHING;

DROP TABLE settlement_dead_letters;
