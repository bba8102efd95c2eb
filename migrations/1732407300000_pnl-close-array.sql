-- Up Migration
-- A daily report close is now written as one flat JSON array of its open lots (lib/positions/snapshot.ts,
-- toCloseJson): under half the size of the object form and much cheaper to parse and write for the ~14,000 closes
-- an evening. Closes stored earlier keep their object form and are still read (fromCloseJson).
ALTER TABLE daily_pnl_closes DROP CONSTRAINT daily_pnl_closes_position_check;
ALTER TABLE daily_pnl_closes
  ADD CONSTRAINT daily_pnl_closes_position_check CHECK (json_typeof(position) IN ('object', 'array'));

-- Down Migration
-- Only possible once no array-form close is left (they would have to be rewritten in the object form first).
ALTER TABLE daily_pnl_closes DROP CONSTRAINT daily_pnl_closes_position_check;
ALTER TABLE daily_pnl_closes ADD CONSTRAINT daily_pnl_closes_position_check CHECK (json_typeof(position) = 'object');
