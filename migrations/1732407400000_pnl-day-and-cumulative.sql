-- Up Migration
-- The daily report names its figures by what they are (docs/daily-report.md): the day's (realized today, change in
-- unrealized today, fees today, total today, and the day's price and FX effects), which run from the previous
-- report date's close to this close, apart from the cumulative ones (realized since inception, unrealized at the
-- previous close, unrealized at close). The columns take those names; the amounts they hold are the same.
ALTER TABLE daily_pnl_lines RENAME COLUMN realized TO realized_today;
ALTER TABLE daily_pnl_lines RENAME COLUMN unrealized_change TO unrealized_change_today;
ALTER TABLE daily_pnl_lines RENAME COLUMN fees TO fees_today;
ALTER TABLE daily_pnl_lines RENAME COLUMN total TO total_today;
ALTER TABLE daily_pnl_lines RENAME COLUMN opening_unrealized TO unrealized_at_previous_close;
ALTER TABLE daily_pnl_lines RENAME COLUMN unrealized TO unrealized_at_close;
ALTER TABLE daily_pnl_lines RENAME COLUMN realized_base TO realized_today_base;
ALTER TABLE daily_pnl_lines RENAME COLUMN unrealized_change_base TO unrealized_change_today_base;
ALTER TABLE daily_pnl_lines RENAME COLUMN fees_base TO fees_today_base;
ALTER TABLE daily_pnl_lines RENAME COLUMN total_base TO total_today_base;
ALTER TABLE daily_pnl_lines RENAME COLUMN opening_unrealized_base TO unrealized_at_previous_close_base;
ALTER TABLE daily_pnl_lines RENAME COLUMN unrealized_base TO unrealized_at_close_base;

-- The price and FX effects were a split of the unrealized P&L to date (price + FX = unrealized at close); they are
-- now the split of the day's change in unrealized (price + FX = unrealized change today). Values stored under the
-- old meaning cannot be converted (the day's split needs the lots and both closes' prices): they become NULL, and a
-- rerun of the date restates them.
ALTER TABLE daily_pnl_lines RENAME COLUMN price_effect_base TO price_effect_today_base;
ALTER TABLE daily_pnl_lines RENAME COLUMN fx_effect_base TO fx_effect_today_base;
ALTER TABLE daily_pnl_lines
  ALTER COLUMN price_effect_today_base DROP NOT NULL,
  ALTER COLUMN fx_effect_today_base DROP NOT NULL;
UPDATE daily_pnl_lines SET price_effect_today_base = NULL, fx_effect_today_base = NULL;

-- Realized P&L since inception at the close: reported (rounded once) and exact (unrounded, an input like open_cost:
-- the next report's opening). NULL on lines stored before this migration, whose closes carried no realized P&L:
-- the next report replays such a position from flat.
ALTER TABLE daily_pnl_lines
  ADD COLUMN realized_since_inception            numeric,
  ADD COLUMN realized_since_inception_base       numeric,
  ADD COLUMN realized_since_inception_exact      numeric,
  ADD COLUMN realized_since_inception_base_exact numeric;

-- The stored summaries' totals take the same names. Their unrealized at the previous close was their unrealized
-- minus its change (as reported then); what they did not have is null.
CREATE FUNCTION daily_pnl_totals_1732407400000(t jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT (t - 'realized' - 'unrealized' - 'unrealizedChange' - 'total' - 'fees' - 'priceEffect' - 'fxEffect')
    || jsonb_build_object(
         'realizedToday', t -> 'realized',
         'unrealizedChangeToday', t -> 'unrealizedChange',
         'feesToday', t -> 'fees',
         'totalToday', t -> 'total',
         'priceEffectToday', NULL,
         'fxEffectToday', NULL,
         'realizedSinceInception', NULL,
         'unrealizedAtPreviousClose',
           to_jsonb(((t ->> 'unrealized')::numeric - (t ->> 'unrealizedChange')::numeric)::text),
         'unrealizedAtClose', t -> 'unrealized')
$$;
UPDATE daily_pnl_reports r
SET summary = r.summary
  || jsonb_build_object(
       'accounts', (SELECT coalesce(jsonb_agg(daily_pnl_totals_1732407400000(a) ORDER BY n), '[]'::jsonb)
                    FROM jsonb_array_elements(r.summary -> 'accounts') WITH ORDINALITY AS e(a, n)),
       'overall', (SELECT coalesce(jsonb_agg(daily_pnl_totals_1732407400000(o) ORDER BY n), '[]'::jsonb)
                   FROM jsonb_array_elements(r.summary -> 'overall') WITH ORDINALITY AS e(o, n)))
WHERE r.summary ? 'accounts';
DROP FUNCTION daily_pnl_totals_1732407400000(jsonb);
