-- Up Migration
-- Positions per account and instrument, stock splits, end-of-day prices from the prices.eod topic, and the daily
-- P&L report stored per date. Forward only. Amounts NUMERIC without precision (see the earlier migrations).

-- Stock splits (corporate actions): `numerator` new shares for every `denominator` old ones from the ex-date.
-- `recorded_at` lets the daily report see that a split arrived after yesterday's snapshot was taken.
CREATE TABLE corporate_action_splits (
  corporate_action_id text        PRIMARY KEY CHECK (corporate_action_id <> ''),
  isin                char(12)    NOT NULL,
  effective_date      date        NOT NULL,
  numerator           numeric     NOT NULL CHECK (numerator > 0 AND numerator = trunc(numerator)),
  denominator         numeric     NOT NULL CHECK (denominator > 0 AND denominator = trunc(denominator)),
  recorded_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX corporate_action_splits_isin ON corporate_action_splits (isin, effective_date);

-- The current position per account and instrument: a pure function of the live trade set, rebuilt by replay
-- (lib/positions), so rewriting a row is idempotent. `lots` holds the open lots (decimals as strings).
CREATE TABLE positions (
  account_id        text        NOT NULL,
  isin              char(12)    NOT NULL,
  cost_method       text        NOT NULL CHECK (cost_method IN ('FIFO', 'LIFO', 'AVERAGE')),
  currency          char(3)     NOT NULL,
  base_currency     char(3)     NOT NULL,
  -- Signed: negative for a short.
  quantity          numeric     NOT NULL,
  open_cost         numeric     NOT NULL,
  open_cost_base    numeric     NOT NULL,
  realized          numeric     NOT NULL,
  realized_base     numeric     NOT NULL,
  fees              numeric     NOT NULL,
  fees_base         numeric     NOT NULL,
  lots              jsonb       NOT NULL CHECK (jsonb_typeof(lots) = 'array'),
  live_trades       integer     NOT NULL CHECK (live_trades > 0),
  last_trade_date   date        NOT NULL,
  rebuilt_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, isin)
);

-- Replay reads every live trade of one account and instrument; the report reads one day's trades.
CREATE INDEX trades_live_account_isin_date ON trades (account_id, isin, trade_date) WHERE status = 'LIVE';
CREATE INDEX trades_trade_date ON trades (trade_date, account_id);
-- The report's staleness check: versions booked after yesterday's snapshot.
CREATE INDEX trade_versions_booked_at ON trade_versions (booked_at);
CREATE INDEX trade_versions_trade_date ON trade_versions (trade_id, trade_date);
-- The query API lists trades by account and date with a (trade_date, trade_id) cursor.
CREATE INDEX trades_account_date_id ON trades (account_id, trade_date, trade_id);

-- Units of `to_ccy` per unit of `from_ccy` on `on_date`: the latest rate on or before it, at most 7 days back
-- (the same lookback validation uses), stored either way round; 1 for the same currency, NULL when unknown.
CREATE FUNCTION fx_rate_to_base(from_ccy char(3), to_ccy char(3), on_date date) RETURNS numeric
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN from_ccy = to_ccy THEN 1::numeric
    ELSE (
      SELECT CASE WHEN r.base = from_ccy THEN r.rate ELSE 1 / r.rate END
      FROM fx_rates r
      WHERE ((r.base = from_ccy AND r.quote = to_ccy) OR (r.base = to_ccy AND r.quote = from_ccy))
        AND r.rate_date <= on_date AND r.rate_date > on_date - 8
      ORDER BY r.rate_date DESC, (r.base = from_ccy) DESC
      LIMIT 1
    )
  END
$$;

-- One stored report per business date; a rerun replaces the date's report and lines in one transaction.
CREATE TABLE daily_pnl_reports (
  report_date       date        PRIMARY KEY,
  generated_at      timestamptz NOT NULL,
  line_count        integer     NOT NULL,
  -- { accounts: [...], overall: [...], issues: [...] } with decimals as strings.
  summary           jsonb       NOT NULL
);

CREATE TABLE daily_pnl_lines (
  report_date             date     NOT NULL REFERENCES daily_pnl_reports (report_date) ON DELETE CASCADE,
  account_id              text     NOT NULL,
  isin                    char(12) NOT NULL,
  cost_method             text     NOT NULL,
  currency                char(3)  NOT NULL,
  base_currency           char(3)  NOT NULL,
  opening_quantity        numeric  NOT NULL,
  closing_quantity        numeric  NOT NULL,
  trade_count             integer  NOT NULL,
  bought_quantity         numeric  NOT NULL,
  sold_quantity           numeric  NOT NULL,
  close_price             numeric  NOT NULL,
  close_fx_rate           numeric  NOT NULL,
  realized                numeric  NOT NULL,
  opening_unrealized      numeric  NOT NULL,
  unrealized              numeric  NOT NULL,
  unrealized_change       numeric  NOT NULL,
  total                   numeric  NOT NULL,
  fees                    numeric  NOT NULL,
  realized_base           numeric  NOT NULL,
  opening_unrealized_base numeric  NOT NULL,
  unrealized_base         numeric  NOT NULL,
  unrealized_change_base  numeric  NOT NULL,
  total_base              numeric  NOT NULL,
  fees_base               numeric  NOT NULL,
  price_effect_base       numeric  NOT NULL,
  fx_effect_base          numeric  NOT NULL,
  -- The closing position (lots, cumulative realized and fees, exact): the next day's previous close.
  closing_position        jsonb    NOT NULL,
  PRIMARY KEY (report_date, account_id, isin)
);
CREATE INDEX daily_pnl_lines_account ON daily_pnl_lines (account_id, report_date);
