-- Up Migration
-- The daily report values a position that did not trade (and had no split) set-based, from the previous line alone:
-- its closing quantity, open cost in the trade currency and open cost in base at trade-date rates are all the
-- lots contribute to unrealized P&L (lib/domain/pnl.ts). Exact, unrounded: they are inputs, not report figures.
-- NULL on lines stored before this migration: such a close is read back and valued in code, as before.
ALTER TABLE daily_pnl_lines
  ADD COLUMN open_cost      numeric,
  ADD COLUMN open_cost_base numeric;

-- Rounds to `places` decimals, half to even (banker's), as lib/domain/money.ts rounds report amounts:
-- PostgreSQL's round(numeric, int) rounds half away from zero. Exactly half with an even digit kept -> truncate
-- (towards zero, which is the even neighbour); every other case rounds as round() does. The result has `places`
-- decimals, like Dec#toFixed(places); NULL in, NULL out. Not declared STRICT: a strict SQL function whose body is
-- a CASE is never inlined, and a call per amount costs seconds over 50,000 lines (inlined: a plain expression).
CREATE FUNCTION round_half_even(amount numeric, places integer) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN abs(amount - trunc(amount, places)) = 0.5 * power(10::numeric, -places)
         AND mod(trunc(amount, places) * power(10::numeric, places), 2) = 0
      THEN trunc(amount, places)
    ELSE round(amount, places)
  END
$$;
