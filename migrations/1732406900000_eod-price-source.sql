-- Up Migration
-- End-of-day prices from the prices.eod topic land in reference_prices next to the CSV-loaded ones. Where a price
-- came from and when it was last written are kept for audit; NULL source means loaded from a reference-data file.
ALTER TABLE reference_prices
  ADD COLUMN source     text        CHECK (source <> ''),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
