-- Up Migration
-- Settlement instructions (gross and net), their status history, custodian statements and reconciliation breaks.
-- Forward only. Amounts and quantities are NUMERIC without precision; rounding happens in lib/domain before a
-- value is written here. Every table has a natural key so that a redelivered batch is a no-op (ON CONFLICT).

-- One instruction per booked trade version (sese.023 / MT540-543). The id is a pure function of trade id and
-- version (lib/domain/settlement-instruction.ts), so a redelivered booked trade collides here and writes nothing.
-- `state` is the lifecycle of the gross instruction itself: INSTRUCTED once sent for netting, EXCEPTION when it
-- could not be built (missing SSI, settlement date disagreeing with the cycle, ...), CANCELLED after an amend or
-- a cancel of its trade. Its settlement progress is that of the net instruction it is linked to.
CREATE TABLE settlement_instructions (
  instruction_id           text        PRIMARY KEY,
  trade_id                 text        NOT NULL,
  trade_version            integer     NOT NULL CHECK (trade_version > 0),
  exec_id                  text        NOT NULL,
  account_id               text        NOT NULL,
  counterparty_lei         char(20)    NOT NULL,
  isin                     char(12)    NOT NULL,
  quantity                 numeric     NOT NULL,
  movement                 text        NOT NULL CHECK (movement IN ('RECE', 'DELI')),
  payment                  text        NOT NULL CHECK (payment IN ('APMT', 'FREE')),
  message_type             text        NOT NULL CHECK (message_type IN ('MT540', 'MT541', 'MT542', 'MT543')),
  settlement_amount        numeric     CHECK (settlement_amount >= 0),
  credit_debit             text        CHECK (credit_debit IN ('DBIT', 'CRDT')),
  currency                 char(3)     NOT NULL,
  trade_date               date        NOT NULL,
  settlement_date          date        NOT NULL,
  -- The date the trade itself stated (FIX SettlDate / the booked event), kept when it disagreed with the cycle.
  stated_settlement_date   date,
  place_of_settlement      text,
  delivering_party         jsonb,
  receiving_party          jsonb,
  -- Settlement market (its MIC) whose SSI and calendar were used.
  settlement_market        char(4),
  state                    text        NOT NULL CHECK (state IN ('INSTRUCTED', 'EXCEPTION', 'CANCELLED')),
  -- [{ "reason": "...", "detail": "..." }] for an EXCEPTION; [] otherwise.
  exceptions               jsonb       NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(exceptions) = 'array'),
  replaces_instruction_id  text        REFERENCES settlement_instructions (instruction_id),
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  UNIQUE (trade_id, trade_version),
  CHECK ((state = 'EXCEPTION') = (jsonb_array_length(exceptions) > 0))
);
-- The exception queue operations works from, and the netting candidates of a key.
CREATE INDEX settlement_instructions_exceptions ON settlement_instructions (created_at) WHERE state = 'EXCEPTION';
CREATE INDEX settlement_instructions_netting ON settlement_instructions
  (account_id, counterparty_lei, isin, currency, settlement_date) WHERE state = 'INSTRUCTED';

-- Cancellations (sese.020 / MT54x :23G:CANC) of gross and net instructions, keyed by their deterministic id.
CREATE TABLE settlement_cancellations (
  cancellation_id          text        PRIMARY KEY,
  cancels_instruction_id   text        NOT NULL UNIQUE,
  kind                     text        NOT NULL CHECK (kind IN ('GROSS', 'NET')),
  trade_id                 text,
  -- False when the cancelled instruction never reached the custodian (an EXCEPTION or a gross one).
  send_to_custodian        boolean     NOT NULL,
  reason                   text        NOT NULL,
  created_at               timestamptz NOT NULL DEFAULT now()
);

-- Net instructions: what actually goes to the custodian. One per netting key (account, counterparty, ISIN,
-- currency, settlement date, payment type, place of settlement) and set of gross instructions; its id is a pure
-- function of both, so re-netting the same set is a no-op and a changed set is a new net instruction (the
-- previous one is cancelled while still only INSTRUCTED).
CREATE TABLE net_instructions (
  net_instruction_id       text        PRIMARY KEY,
  kind                     text        NOT NULL CHECK (kind IN ('SECURITIES', 'CASH_ONLY')),
  account_id               text        NOT NULL,
  counterparty_lei         char(20)    NOT NULL,
  isin                     char(12)    NOT NULL,
  currency                 char(3)     NOT NULL,
  settlement_date          date        NOT NULL,
  payment                  text        NOT NULL CHECK (payment IN ('APMT', 'FREE')),
  place_of_settlement      text        NOT NULL,
  -- Signed from the account's point of view: + receives securities / cash.
  net_quantity             numeric     NOT NULL,
  net_cash                 numeric     NOT NULL,
  movement                 text        CHECK (movement IN ('RECE', 'DELI')),
  quantity                 numeric     NOT NULL CHECK (quantity >= 0),
  settlement_payment       text        CHECK (settlement_payment IN ('APMT', 'FREE')),
  message_type             text        CHECK (message_type IN ('MT540', 'MT541', 'MT542', 'MT543')),
  settlement_amount        numeric     CHECK (settlement_amount >= 0),
  credit_debit             text        CHECK (credit_debit IN ('DBIT', 'CRDT')),
  delivering_party         jsonb,
  receiving_party          jsonb,
  -- Lifecycle (lib/domain/settlement-status.ts), moved only forward by the status handler.
  state                    text        NOT NULL DEFAULT 'INSTRUCTED'
                           CHECK (state IN ('EXCEPTION', 'INSTRUCTED', 'MATCHED', 'PARTIALLY_SETTLED', 'SETTLED',
                                            'FAILED', 'CANCELLED')),
  settled_quantity         numeric     NOT NULL DEFAULT 0,
  -- Cash that moved with the settled quantity, signed like net_cash.
  settled_cash             numeric     NOT NULL DEFAULT 0,
  matched                  boolean     NOT NULL DEFAULT false,
  failed_since             date,
  reason_code              text,
  status_date              date        NOT NULL,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX net_instructions_key ON net_instructions
  (account_id, counterparty_lei, isin, currency, settlement_date) WHERE state <> 'CANCELLED';
CREATE INDEX net_instructions_failed ON net_instructions (failed_since) WHERE state = 'FAILED';

-- Gross instructions of each net instruction: the audit trail from a net movement back to its trades.
CREATE TABLE net_instruction_links (
  net_instruction_id       text        NOT NULL REFERENCES net_instructions (net_instruction_id),
  instruction_id           text        NOT NULL REFERENCES settlement_instructions (instruction_id),
  PRIMARY KEY (net_instruction_id, instruction_id)
);
CREATE INDEX net_instruction_links_gross ON net_instruction_links (instruction_id);

-- Every status message received, once (message id), with what it did: APPLIED, or why not.
CREATE TABLE settlement_status_history (
  message_id               text        PRIMARY KEY,
  instruction_id           text        NOT NULL,
  reported_state           text        NOT NULL,
  status_date              date        NOT NULL,
  reason_code              text,
  settled_quantity         numeric,
  outcome                  text        NOT NULL
                           CHECK (outcome IN ('APPLIED', 'DUPLICATE', 'STALE', 'ILLEGAL', 'INVALID',
                                              'UNKNOWN_INSTRUCTION')),
  state_before             text,
  state_after              text,
  detail                   text,
  source_topic             text,
  source_partition         integer,
  source_offset            bigint,
  received_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX settlement_status_history_instruction ON settlement_status_history (instruction_id, received_at);

-- The instructions as operations sees them: a gross instruction's progress is its live net instruction's.
CREATE VIEW settlement_instruction_status AS
SELECT s.instruction_id, s.trade_id, s.trade_version, s.account_id, s.isin, s.settlement_date, s.state AS gross_state,
       n.net_instruction_id, n.state AS net_state, n.failed_since, n.reason_code,
       CASE WHEN s.state = 'INSTRUCTED' AND n.net_instruction_id IS NOT NULL THEN n.state ELSE s.state END AS state
FROM settlement_instructions s
LEFT JOIN LATERAL (
  SELECT ni.* FROM net_instruction_links l JOIN net_instructions ni USING (net_instruction_id)
  WHERE l.instruction_id = s.instruction_id AND ni.state <> 'CANCELLED'
  ORDER BY ni.created_at DESC LIMIT 1
) n ON true;

-- ---------------------------------------------------------------------------------------------------------------
-- Reconciliation
-- ---------------------------------------------------------------------------------------------------------------

-- Tolerances and the ageing calendar are data, per custodian ('*' is the default row).
CREATE TABLE recon_tolerances (
  custodian                    text     PRIMARY KEY,
  quantity_absolute            numeric  NOT NULL CHECK (quantity_absolute >= 0),
  amount_absolute              numeric  NOT NULL CHECK (amount_absolute >= 0),
  timing_window_business_days  smallint NOT NULL CHECK (timing_window_business_days >= 0),
  -- Whose business days breaks age in.
  calendar_mic                 char(4)  NOT NULL
);
CREATE TABLE recon_currency_tolerances (
  custodian                    text     NOT NULL,
  currency                     char(3)  NOT NULL,
  amount_absolute              numeric  NOT NULL CHECK (amount_absolute >= 0),
  PRIMARY KEY (custodian, currency)
);
-- Policy defaults: securities match exactly, cash to one minor unit, settlements one business day either side of
-- the statement date may explain a difference.
INSERT INTO recon_tolerances VALUES ('*', 0, 0.01, 1, 'XNYS');
INSERT INTO recon_currency_tolerances VALUES ('*', 'JPY', 1), ('*', 'BHD', 0.001);

-- Statements received (topic or file), once each: a redelivered statement finds its id here and changes nothing.
CREATE TABLE custody_statements (
  statement_id             text        PRIMARY KEY,
  custodian                text        NOT NULL,
  statement_date           date        NOT NULL,
  accounts                 text[]      NOT NULL,
  statement                jsonb       NOT NULL,
  origin                   text        NOT NULL CHECK (origin IN ('TOPIC', 'FILE')),
  received_at              timestamptz NOT NULL DEFAULT now()
);

-- Breaks, one row per break key (lib/domain/reconciliation.ts): a break found again ages, one no longer found is
-- RESOLVED, and one found after it was resolved is opened again with a new opened_on.
CREATE TABLE recon_breaks (
  break_key                text        PRIMARY KEY,
  break_class              text        NOT NULL CHECK (break_class IN ('MISSING_INTERNAL', 'MISSING_AT_CUSTODIAN',
                                         'QUANTITY', 'AMOUNT', 'TIMING', 'DUPLICATE', 'FEES', 'FX')),
  scope                    text        NOT NULL CHECK (scope IN ('POSITION', 'CASH')),
  account_id               text        NOT NULL,
  isin                     char(12),
  currency                 char(3),
  internal_value           numeric,
  custodian_value          numeric,
  difference               numeric     NOT NULL,
  explained_by             jsonb       NOT NULL DEFAULT '[]'::jsonb,
  opened_on                date        NOT NULL,
  last_seen_statement_id   text        NOT NULL,
  last_seen_on             date        NOT NULL,
  age_business_days        integer     NOT NULL,
  ageing_bucket            text        NOT NULL,
  status                   text        NOT NULL CHECK (status IN ('OPEN', 'RESOLVED')),
  resolved_on              date,
  resolved_by_statement_id text,
  updated_at               timestamptz NOT NULL DEFAULT now(),
  CHECK ((scope = 'POSITION') = (isin IS NOT NULL)),
  CHECK ((status = 'RESOLVED') = (resolved_on IS NOT NULL))
);
CREATE INDEX recon_breaks_open ON recon_breaks (account_id) WHERE status = 'OPEN';

-- What each statement did to each break (OPENED, AGED, RESOLVED): the audit trail, and what is published to
-- recon.breaks, so that a redelivered statement republishes exactly the same events.
CREATE TABLE recon_break_events (
  statement_id             text        NOT NULL REFERENCES custody_statements (statement_id),
  break_key                text        NOT NULL REFERENCES recon_breaks (break_key),
  event                    text        NOT NULL CHECK (event IN ('OPENED', 'AGED', 'RESOLVED')),
  payload                  jsonb       NOT NULL,
  PRIMARY KEY (statement_id, break_key)
);

-- Records settlement or reconciliation could not decode, with every reason, keyed by where they came from: never
-- silently dropped, and a redelivery records nothing new.
CREATE TABLE settlement_dead_letters (
  source_key               text        PRIMARY KEY,
  handler                  text        NOT NULL,
  raw                      text        NOT NULL,
  errors                   jsonb       NOT NULL,
  recorded_at              timestamptz NOT NULL DEFAULT now()
);

-- Transactional outbox: messages are written in the transaction that decides them and published after it
-- commits; whatever a crash left unpublished goes out with the next batch. `message_id` is the consumers'
-- de-duplication key, so a redelivered batch adds nothing here.
CREATE TABLE settlement_outbox (
  seq                      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id               text        NOT NULL UNIQUE,
  topic                    text        NOT NULL,
  message_key              text        NOT NULL,
  payload                  jsonb       NOT NULL,
  created_at               timestamptz NOT NULL DEFAULT now(),
  published_at             timestamptz
);
CREATE INDEX settlement_outbox_unpublished ON settlement_outbox (seq) WHERE published_at IS NULL;
