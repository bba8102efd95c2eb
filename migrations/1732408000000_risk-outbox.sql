-- Up Migration
-- Positions tell risk what changed (issue 19): the positions stage's outbox of `positions.changed`. A row is written
-- in the transaction that rebuilds (or removes) the position, so a committed position change is always announced,
-- and deleted once published (lib/positions/change-outbox.ts): what is here is what is still to be sent. One row
-- per position at most: a second change before the first is sent only moves its time (risk reads the position as
-- it is when the record arrives, so one record says everything two would). Forward only.
CREATE TABLE position_changes (
  account_id  text        NOT NULL,
  isin        char(12)    NOT NULL,
  -- False when the rebuild removed the position (every trade cancelled).
  open        boolean     NOT NULL,
  changed_at  timestamptz NOT NULL,
  PRIMARY KEY (account_id, isin)
);
CREATE INDEX position_changes_oldest ON position_changes (changed_at);
