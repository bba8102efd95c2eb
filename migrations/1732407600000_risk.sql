-- Up Migration
-- Real-time risk and margin (issue 19, lib/risk, lib/domain/risk-*.ts): the instruments' sectors, the margin rule
-- set (data, not code), each account's collateral and risk limits, the current and end-of-day risk snapshots, and
-- the alerts with their outbox columns. Forward only. Amounts NUMERIC without precision, in the account's base
-- currency; rates are fractions (0.25 = 25 %).

-- Reference data: an instrument's sector (concentration per sector). An instrument without a row counts as
-- UNCLASSIFIED.
CREATE TABLE instrument_sectors (
  isin    char(12) PRIMARY KEY REFERENCES instruments (isin),
  sector  text     NOT NULL CHECK (sector ~ '^[A-Z][A-Z_]*$')
);

-- The margin rule set: the DEFAULT row, and an ISIN's row overriding it for that instrument
-- (lib/domain/risk-margin.ts). Maintenance never above 1 (100 % of market value), initial neither.
CREATE TABLE margin_rules (
  scope              text    PRIMARY KEY CHECK (scope = 'DEFAULT' OR scope ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
  initial_long       numeric NOT NULL CHECK (initial_long BETWEEN 0 AND 1),
  initial_short      numeric NOT NULL CHECK (initial_short BETWEEN 0 AND 1),
  maintenance_long   numeric NOT NULL CHECK (maintenance_long BETWEEN 0 AND 1),
  maintenance_short  numeric NOT NULL CHECK (maintenance_short BETWEEN 0 AND 1),
  note               text
);
-- Regulation T initial (50 %), FINRA Rule 4210 maintenance (25 % long, 30 % short): what applies with no seed.
INSERT INTO margin_rules (scope, initial_long, initial_short, maintenance_long, maintenance_short, note)
VALUES ('DEFAULT', 0.5, 0.5, 0.25, 0.3, 'Reg T initial; FINRA 4210 maintenance');

-- Per account: the collateral deposited (equity = collateral + realized + unrealized) and the limits; a NULL
-- limit is not checked. An account without a row has no collateral and no limits (a margin call once it holds
-- anything on margin).
CREATE TABLE risk_accounts (
  account_id                      text    PRIMARY KEY REFERENCES accounts (id),
  collateral                      numeric NOT NULL DEFAULT 0 CHECK (collateral >= 0),
  gross_exposure_limit            numeric CHECK (gross_exposure_limit > 0),
  net_exposure_limit              numeric CHECK (net_exposure_limit > 0),
  instrument_concentration_limit  numeric CHECK (instrument_concentration_limit > 0 AND instrument_concentration_limit <= 1),
  sector_concentration_limit      numeric CHECK (sector_concentration_limit > 0 AND sector_concentration_limit <= 1)
);

-- The current risk of each account, rewritten by every evaluation (riskPositions, riskEndOfDay), exact figures.
-- `detail`: { instruments: [...], sectors: [...], unvalued: [...] } with decimals as strings.
CREATE TABLE risk_snapshots (
  account_id               text        PRIMARY KEY,
  base_currency            char(3)     NOT NULL,
  computed_at              timestamptz NOT NULL,
  -- The latest close any position was marked at (prices on or before the evaluation's date).
  prices_as_of             date,
  long_market_value        numeric     NOT NULL,
  short_market_value       numeric     NOT NULL,
  gross_exposure           numeric     NOT NULL,
  net_exposure             numeric     NOT NULL,
  equity                   numeric     NOT NULL,
  initial_requirement      numeric     NOT NULL,
  maintenance_requirement  numeric     NOT NULL,
  excess_over_initial      numeric     NOT NULL,
  excess_over_maintenance  numeric     NOT NULL,
  margin_call              boolean     NOT NULL,
  detail                   jsonb       NOT NULL,
  -- The latest end-of-day VaR (one day, 99 %, historical simulation), or why there is none.
  var_as_of                date,
  value_at_risk            numeric,
  var_scenario_date        date,
  var_issue                text
);

-- The end-of-day run's figures per date (the daily report's risk section); a rerun replaces the date's rows.
CREATE TABLE risk_eod_snapshots (
  as_of_date               date        NOT NULL,
  account_id               text        NOT NULL,
  base_currency            char(3)     NOT NULL,
  computed_at              timestamptz NOT NULL,
  long_market_value        numeric     NOT NULL,
  short_market_value       numeric     NOT NULL,
  gross_exposure           numeric     NOT NULL,
  net_exposure             numeric     NOT NULL,
  equity                   numeric     NOT NULL,
  initial_requirement      numeric     NOT NULL,
  maintenance_requirement  numeric     NOT NULL,
  excess_over_maintenance  numeric     NOT NULL,
  margin_call              boolean     NOT NULL,
  value_at_risk            numeric,
  var_scenario_date        date,
  var_issue                text,
  PRIMARY KEY (as_of_date, account_id)
);

-- Alerts: open from the evaluation that finds a breach to the one that finds it resolved. At most one open per
-- account, kind and subject ('' account-wide, else the ISIN or sector): raised once per breach. Published to
-- risk.alerts after the commit that raises (and again after the one that clears) it, then marked: an outbox.
CREATE TABLE risk_alerts (
  alert_id              bigserial   PRIMARY KEY,
  account_id            text        NOT NULL,
  kind                  text        NOT NULL CHECK (kind IN ('MARGIN_CALL', 'GROSS_EXPOSURE_LIMIT', 'NET_EXPOSURE_LIMIT',
                                      'INSTRUMENT_CONCENTRATION', 'SECTOR_CONCENTRATION')),
  subject               text        NOT NULL,
  raised_at             timestamptz NOT NULL,
  -- The figure that breached and what it was held against, at raising.
  value                 numeric     NOT NULL,
  limit_value           numeric     NOT NULL,
  cleared_at            timestamptz,
  raised_published_at   timestamptz,
  cleared_published_at  timestamptz,
  CHECK (cleared_at IS NULL OR cleared_at >= raised_at)
);
CREATE UNIQUE INDEX risk_alerts_one_open ON risk_alerts (account_id, kind, subject) WHERE cleared_at IS NULL;
CREATE INDEX risk_alerts_account ON risk_alerts (account_id, raised_at);
CREATE INDEX risk_alerts_unpublished ON risk_alerts (alert_id)
  WHERE raised_published_at IS NULL OR (cleared_at IS NOT NULL AND cleared_published_at IS NULL);
