/**
 * End-of-day prices into `reference_prices`, the table the fat-finger check and the daily report read (the CSV
 * loader, lib/refdata/load.ts, writes the same table). One round trip reads the batch's instruments, one
 * set-based upsert writes every accepted price: a redelivered batch rewrites the same values and changes nothing
 * (`WHERE ... IS DISTINCT FROM`), a later price for the same ISIN and date replaces the earlier one.
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
    const { rowCount } = await this.pool.query(
      `INSERT INTO reference_prices (isin, price_date, price, source, updated_at)
       SELECT p.isin, p.price_date, p.price, p.source, now()
       FROM unnest($1::text[], $2::date[], $3::numeric[], $4::text[]) AS p(isin, price_date, price, source)
       ON CONFLICT (isin, price_date) DO UPDATE
         SET price = EXCLUDED.price, source = EXCLUDED.source, updated_at = EXCLUDED.updated_at
         WHERE (reference_prices.price, reference_prices.source) IS DISTINCT FROM (EXCLUDED.price, EXCLUDED.source)`,
      [
        prices.map((p) => p.isin),
        prices.map((p) => p.date),
        prices.map((p) => p.price.toFixed()),
        prices.map((p) => p.source),
      ],
    );
    return rowCount ?? 0;
  }
}
