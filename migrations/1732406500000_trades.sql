-- Up Migration
-- Booked trades, append-only and versioned, the events held until their trade arrives, and rejected trades.
-- Forward only. Money, prices and quantities are NUMERIC without precision so that every decimal round-trips
-- exactly; how many decimals are allowed is a rule of lib/domain, enforced before anything is written here.

-- ---------------------------------------------------------------------------------------------------------------
-- Reference data: what the domain types (lib/domain/refdata.ts) carry but the first migration could not store.
-- ---------------------------------------------------------------------------------------------------------------

ALTER TABLE instruments ADD COLUMN name text CHECK (name <> '');
ALTER TABLE restricted_list ADD COLUMN reason text;

-- Standing settlement instructions belong to one of OUR accounts (Ssi.account): the trade's account, market and
-- currency select them, the counterparty's own row winning over the generic one (counterparty_lei NULL).
-- `ref` is the instruction's stable business key: the seed upserts by it, and settlement instructions cite it.
-- The table has no rows before this migration (nothing loaded it yet), so the NOT NULL columns need no default.
ALTER TABLE ssis
  ADD COLUMN ref text NOT NULL UNIQUE CHECK (ref ~ '^[A-Za-z0-9._-]+$'),
  ADD COLUMN account_id text NOT NULL REFERENCES accounts (id),
  -- BIC of our settlement agent (custodian); `agent_bic` stays the counterparty's agent.
  ADD COLUMN own_agent_bic text NOT NULL CHECK (own_agent_bic ~ '^[A-Z0-9]{8}([A-Z0-9]{3})?$'),
  ADD COLUMN counterparty_safekeeping_account text CHECK (counterparty_safekeeping_account <> ''),
  ALTER COLUMN counterparty_lei DROP NOT NULL;
COMMENT ON COLUMN ssis.safekeeping_account IS 'Our safekeeping account at own_agent_bic';
COMMENT ON COLUMN ssis.agent_bic IS 'BIC of the counterparty''s settlement agent';
-- The old uniqueness (one active row per counterparty, market, currency) would forbid two of our accounts from
-- settling with the same counterparty; the lookup is unambiguous per account instead. NULLS NOT DISTINCT: at
-- most one active generic row too.
DROP INDEX ssis_one_active;
CREATE UNIQUE INDEX ssis_one_active ON ssis (account_id, counterparty_lei, settlement_mic, currency)
  NULLS NOT DISTINCT WHERE active;

-- ---------------------------------------------------------------------------------------------------------------
-- Trades
-- ---------------------------------------------------------------------------------------------------------------

-- Every version of every booked trade, never updated or deleted. An amend is a new version; a cancel is the
-- version that ends the trade. A redelivered execution collides on exec_id (or on its version) and is ignored.
CREATE TABLE trade_versions (
  trade_id          text        NOT NULL CHECK (trade_id <> ''),
  version           integer     NOT NULL CHECK (version > 0),
  exec_id           text        NOT NULL UNIQUE CHECK (exec_id <> ''),
  lifecycle         text        NOT NULL CHECK (lifecycle IN ('NEW', 'AMEND', 'CANCEL')),
  account_id        text        NOT NULL,
  counterparty_lei  char(20)    NOT NULL,
  isin              char(12)    NOT NULL,
  mic               char(4)     NOT NULL,
  side              text        NOT NULL CHECK (side IN ('BUY', 'SELL')),
  quantity          numeric     NOT NULL,
  price             numeric     NOT NULL,
  currency          char(3)     NOT NULL,
  trade_date        date        NOT NULL,
  trade_time        timestamptz NOT NULL,
  settlement_date   date,
  commission        numeric     NOT NULL,
  fees              numeric     NOT NULL,
  -- As stated on the trade; NULL means "the account's owner" (accounts.beneficial_owner).
  beneficial_owner  text,
  -- Where the trade was captured from (venue, OMS, file, simulator): Trade.source.
  capture_source    text,
  -- The Kafka record the version came from, for audit; NULL when it was not read from Kafka.
  source_topic      text,
  source_partition  integer,
  source_offset     bigint,
  -- When the event reached us (for an event held in pending: when it was first held), and when it was booked.
  received_at       timestamptz NOT NULL DEFAULT now(),
  booked_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (trade_id, version),
  CHECK ((source_topic IS NULL) = (source_partition IS NULL) AND (source_topic IS NULL) = (source_offset IS NULL))
);
-- Audit: which trade came from which record.
CREATE INDEX trade_versions_source ON trade_versions (source_topic, source_partition, source_offset);

-- The current state of each trade, one row per trade, maintained by the store in the transaction that books its
-- versions: the fields of its highest version, and whether a cancel has ended it. A table rather than a view so
-- that positions and wash-trade lookups by account / owner / ISIN are index scans, not a DISTINCT ON over history.
CREATE TABLE trades (
  trade_id          text        PRIMARY KEY,
  version           integer     NOT NULL,
  status            text        NOT NULL CHECK (status IN ('LIVE', 'CANCELLED')),
  exec_id           text        NOT NULL,
  lifecycle         text        NOT NULL CHECK (lifecycle IN ('NEW', 'AMEND', 'CANCEL')),
  account_id        text        NOT NULL,
  counterparty_lei  char(20)    NOT NULL,
  isin              char(12)    NOT NULL,
  mic               char(4)     NOT NULL,
  side              text        NOT NULL CHECK (side IN ('BUY', 'SELL')),
  quantity          numeric     NOT NULL,
  price             numeric     NOT NULL,
  currency          char(3)     NOT NULL,
  trade_date        date        NOT NULL,
  trade_time        timestamptz NOT NULL,
  settlement_date   date,
  commission        numeric     NOT NULL,
  fees              numeric     NOT NULL,
  beneficial_owner  text,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (trade_id, version) REFERENCES trade_versions (trade_id, version)
);
-- Positions per account and instrument (validation's position limit) over live trades.
CREATE INDEX trades_live_position ON trades (account_id, isin) INCLUDE (side, quantity) WHERE status = 'LIVE';
-- Wash-trade candidates: live trades in an instrument near a time (the owner is resolved against accounts).
CREATE INDEX trades_live_isin_time ON trades (isin, trade_time) WHERE status = 'LIVE';

-- Amends and cancels that arrived before their trade: held, then moved into trade_versions (and deleted here) in
-- the transaction that books the trade. Same columns as trade_versions, so the move is one INSERT ... SELECT.
CREATE TABLE pending_trade_events (
  exec_id           text        PRIMARY KEY CHECK (exec_id <> ''),
  trade_id          text        NOT NULL CHECK (trade_id <> ''),
  version           integer     NOT NULL CHECK (version > 0),
  lifecycle         text        NOT NULL CHECK (lifecycle IN ('AMEND', 'CANCEL')),
  account_id        text        NOT NULL,
  counterparty_lei  char(20)    NOT NULL,
  isin              char(12)    NOT NULL,
  mic               char(4)     NOT NULL,
  side              text        NOT NULL CHECK (side IN ('BUY', 'SELL')),
  quantity          numeric     NOT NULL,
  price             numeric     NOT NULL,
  currency          char(3)     NOT NULL,
  trade_date        date        NOT NULL,
  trade_time        timestamptz NOT NULL,
  settlement_date   date,
  commission        numeric     NOT NULL,
  fees              numeric     NOT NULL,
  beneficial_owner  text,
  capture_source    text,
  source_topic      text,
  source_partition  integer,
  source_offset     bigint,
  received_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_trade_events_trade ON pending_trade_events (trade_id);

-- Trades (or undecodable records) that failed validation, with every reason. `rejection_key` makes a redelivery
-- a no-op: the Kafka record's coordinates when it came from Kafka, else the ExecID (see lib/db/trade-store.ts).
CREATE TABLE trade_rejections (
  rejection_key     text        PRIMARY KEY,
  exec_id           text,
  trade_id          text,
  -- The event as received (decoded trade event, or the raw record when it could not be decoded).
  event             jsonb       NOT NULL,
  -- [{ "code": "...", "message": "..." }, ...], at least one.
  reasons           jsonb       NOT NULL CHECK (jsonb_typeof(reasons) = 'array' AND jsonb_array_length(reasons) > 0),
  rejected_at       timestamptz NOT NULL,
  source_topic      text,
  source_partition  integer,
  source_offset     bigint,
  recorded_at       timestamptz NOT NULL DEFAULT now()
);
-- "Was this ExecID already captured?" looks at rejections too; and a trade's history shows its rejections.
CREATE INDEX trade_rejections_exec_id ON trade_rejections (exec_id) WHERE exec_id IS NOT NULL;
CREATE INDEX trade_rejections_trade_id ON trade_rejections (trade_id) WHERE trade_id IS NOT NULL;
