-- Up Migration
-- Reference (static) data the validation and settlement stages check trades against.
-- Forward only: a later change is a new migration, never an edit of this file.
-- Money, prices, quantities and rates are NUMERIC without precision, so that any decimal round-trips exactly;
-- the number of decimals an instrument or currency allows is enforced in code (lib/domain/money.ts), where the
-- rule lives.

CREATE TABLE instruments (
  isin              char(12) PRIMARY KEY CHECK (isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
  -- Venue the instrument trades on (ISO 10383 MIC): its calendar decides whether a trade date is a business day.
  mic               char(4)  NOT NULL CHECK (mic ~ '^[A-Z0-9]{4}$'),
  currency          char(3)  NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  lot_size          numeric  NOT NULL DEFAULT 1 CHECK (lot_size > 0),
  price_decimals    smallint NOT NULL CHECK (price_decimals BETWEEN 0 AND 12),
  instrument_type   text     NOT NULL CHECK (instrument_type ~ '^[A-Z][A-Z_]*$'),
  -- Market whose settlement cycle (settlement_cycles.market) and holiday calendar (holidays.mic) apply.
  settlement_mic    char(4)  NOT NULL CHECK (settlement_mic ~ '^[A-Z0-9]{4}$'),
  active            boolean  NOT NULL DEFAULT true
);

CREATE TABLE accounts (
  id                text     PRIMARY KEY CHECK (id <> ''),
  base_currency     char(3)  NOT NULL CHECK (base_currency ~ '^[A-Z]{3}$'),
  cost_method       text     NOT NULL DEFAULT 'FIFO' CHECK (cost_method IN ('FIFO', 'LIFO', 'AVERAGE')),
  -- Limits in the account's base currency / in units; NULL means no limit.
  notional_limit    numeric  CHECK (notional_limit > 0),
  position_limit    numeric  CHECK (position_limit > 0),
  -- Two accounts with the same beneficial owner trading with each other is a wash trade.
  beneficial_owner  text     NOT NULL CHECK (beneficial_owner <> ''),
  active            boolean  NOT NULL DEFAULT true
);

CREATE TABLE counterparties (
  -- ISO 17442 LEI: 18 alphanumerics and two check digits.
  lei               char(20) PRIMARY KEY CHECK (lei ~ '^[A-Z0-9]{18}[0-9]{2}$'),
  name              text     NOT NULL CHECK (name <> ''),
  active            boolean  NOT NULL DEFAULT true
);

-- Standing settlement instructions: where a counterparty settles a given market and currency
-- (the parties of an ISO 20022 sese.023 / MT540-543).
CREATE TABLE ssis (
  id                  bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  counterparty_lei    char(20) NOT NULL REFERENCES counterparties (lei),
  settlement_mic      char(4)  NOT NULL CHECK (settlement_mic ~ '^[A-Z0-9]{4}$'),
  currency            char(3)  NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- BIC of the CSD (place of settlement) and of the counterparty's settlement agent.
  place_of_settlement text     NOT NULL CHECK (place_of_settlement ~ '^[A-Z0-9]{8}([A-Z0-9]{3})?$'),
  agent_bic           text     NOT NULL CHECK (agent_bic ~ '^[A-Z0-9]{8}([A-Z0-9]{3})?$'),
  safekeeping_account text     NOT NULL CHECK (safekeeping_account <> ''),
  active              boolean  NOT NULL DEFAULT true
);
-- At most one active instruction per counterparty, market and currency: the lookup must be unambiguous.
CREATE UNIQUE INDEX ssis_one_active ON ssis (counterparty_lei, settlement_mic, currency) WHERE active;

CREATE TABLE holidays (
  mic               char(4)  NOT NULL CHECK (mic ~ '^[A-Z0-9]{4}$'),
  date              date     NOT NULL,
  name              text     NOT NULL,
  PRIMARY KEY (mic, date)
);

-- Settlement cycle (T+days) per market and instrument type, effective from a trade date:
-- the cycle of a trade is the row with the latest effective_from on or before its trade date.
CREATE TABLE settlement_cycles (
  market            char(4)  NOT NULL CHECK (market ~ '^[A-Z0-9]{4}$'),
  instrument_type   text     NOT NULL,
  effective_from    date     NOT NULL,
  days              smallint NOT NULL CHECK (days >= 0),
  PRIMARY KEY (market, instrument_type, effective_from)
);

-- End-of-day reference prices, in the instrument's currency: the fat-finger band and unrealized P&L use them.
CREATE TABLE reference_prices (
  isin              char(12) NOT NULL REFERENCES instruments (isin),
  price_date        date     NOT NULL,
  price             numeric  NOT NULL,
  PRIMARY KEY (isin, price_date)
);

-- One unit of `base` is worth `rate` units of `quote` on `rate_date`.
CREATE TABLE fx_rates (
  base              char(3)  NOT NULL CHECK (base ~ '^[A-Z]{3}$'),
  quote             char(3)  NOT NULL CHECK (quote ~ '^[A-Z]{3}$'),
  rate_date         date     NOT NULL,
  rate              numeric  NOT NULL CHECK (rate > 0),
  PRIMARY KEY (base, quote, rate_date),
  CHECK (base <> quote)
);

-- Instruments nobody may trade between from_date and to_date, both inclusive; to_date NULL means until removed.
-- No foreign key: compliance may restrict an instrument before it is set up as static data.
CREATE TABLE restricted_list (
  isin              char(12) NOT NULL CHECK (isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
  from_date         date     NOT NULL,
  to_date           date,
  PRIMARY KEY (isin, from_date),
  CHECK (to_date IS NULL OR to_date >= from_date)
);

-- Named numeric policy settings (e.g. the fat-finger tolerance in basis points), so that a threshold is data.
CREATE TABLE validation_thresholds (
  key               text     PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]*$'),
  value             numeric  NOT NULL
);
