/**
 * End-of-day prices into `reference_prices`, the table the fat-finger check and the daily report read (the CSV
 * loader, lib/refdata/load.ts, writes the same table). One round trip reads the batch's instruments, one
 * set-based upsert writes every accepted price: a redelivered batch rewrites the same values and changes nothing
 * (`WHERE ... IS DISTINCT FROM`), a later price for the same ISIN and date replaces the earlier one. A new latest
 * close puts the positions in it in the positions.changed outbox (see `upsert`), which the stage then publishes.
 */
import type { Pool } from 'pg';

import type { EodPrice } from '../kafka/schemas/eod-price';
import type { PricedInstrument } from './rules';

export interface EodPriceStore {
  /** The instruments of these ISINs (absent ones are unknown). */
  instruments(isins: readonly string[]): Promise<Map<string, PricedInstrument>>;
  /** Upserts the prices (at most one per ISIN and date); returns how many rows were inserted or changed. */
  upsert(prices: readonly EodPrice[]): Promise<number>;
}

export class PgEodPriceStore implements EodPriceStore {
  constructor(private readonly pool: Pool) {}

  async instruments(isins: readonly string[]): Promise<Map<string, PricedInstrument>> {
    if (isins.length === 0) return new Map();
    const { rows } = await this.pool.query<{ isin: string; currency: string; price_decimals: number }>(
      'SELECT isin, currency, price_decimals FROM instruments WHERE isin = ANY($1::text[])',
      [isins],
    );
    return new Map(rows.map((r) => [r.isin, { isin: r.isin, currency: r.currency, priceDecimals: r.price_decimals }]));
  }

  async upsert(prices: readonly EodPrice[]): Promise<number> {
    if (prices.length === 0) return 0;
    // One statement: the prices, and for each new or changed close that is its instrument's latest, every position
    // in it put in the positions.changed outbox (lib/positions/change-outbox.ts) in the same transaction, so that
    // the risk stage re-evaluates the holding accounts at the new close (issue 19: exposure and margin follow the
    // end-of-day price load, not only position changes). A redelivered batch changes no price and queues nothing.
    const { rows } = await this.pool.query<{ written: number }>(
      `WITH written AS (
         INSERT INTO reference_prices (isin, price_date, price, source, updated_at)
         SELECT p.isin, p.price_date, p.price, p.source, now()
         FROM unnest($1::text[], $2::date[], $3::numeric[], $4::text[]) AS p(isin, price_date, price, source)
         ON CONFLICT (isin, price_date) DO UPDATE
           SET price = EXCLUDED.price, source = EXCLUDED.source, updated_at = EXCLUDED.updated_at
           WHERE (reference_prices.price, reference_prices.source) IS DISTINCT FROM (EXCLUDED.price, EXCLUDED.source)
         RETURNING isin, price_date),
       moved AS (
         SELECT DISTINCT w.isin FROM written w
         WHERE NOT EXISTS (SELECT 1 FROM reference_prices r WHERE r.isin = w.isin AND r.price_date > w.price_date)),
       queued AS (
         INSERT INTO position_changes (account_id, isin, open, changed_at)
         SELECT p.account_id, p.isin, true, clock_timestamp() FROM positions p JOIN moved m ON m.isin = p.isin
         ON CONFLICT (account_id, isin) DO UPDATE SET changed_at = EXCLUDED.changed_at
         RETURNING 1)
       SELECT (SELECT count(*)::int FROM written) AS written, (SELECT count(*)::int FROM queued) AS queued`,
      [
        prices.map((p) => p.isin),
        prices.map((p) => p.date),
        prices.map((p) => p.price.toFixed()),
        prices.map((p) => p.source),
      ],
    );
    return rows[0]?.written ?? 0;
  }
}
