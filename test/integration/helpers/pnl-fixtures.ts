/** Trades, splits, prices and FX rates for the positions, report and API tests, booked through the real stores. */
import path from 'node:path';
import type { Pool } from 'pg';

import { PgTradeStore } from '../../../lib/db/trade-store';
import { Dec } from '../../../lib/domain/money';
import { Side, type Trade, TradeLifecycle } from '../../../lib/domain/trade';
import { loadReferenceData } from '../../../lib/refdata/load';

export const AAPL = 'US0378331005';
export const MSFT = 'US5949181045';
const GOLDMAN_LEI = 'W22LROWP2IHZNBB6K528';

export async function seedReferenceData(pool: Pool): Promise<void> {
  await loadReferenceData(pool, path.resolve(__dirname, '..', '..', '..', 'migrations', 'seed'));
}

let clock = 0;

/** A trade version; `fees` here is the commission (exchange fees 0), so fee arithmetic in tests stays visible. */
export function trade(
  overrides: Partial<Omit<Trade, 'quantity' | 'price' | 'commission'>> & {
    readonly tradeId: string;
    readonly quantity: string;
    readonly price: string;
    readonly commission?: string;
  },
): Trade {
  clock += 1;
  const { quantity, price, commission, ...rest } = overrides;
  const tradeDate = rest.tradeDate ?? '2024-05-20';
  return {
    execId: `${overrides.tradeId}-v${rest.version ?? 1}`,
    version: 1,
    lifecycle: TradeLifecycle.NEW,
    account: 'ACC-001',
    counterpartyLei: GOLDMAN_LEI,
    isin: AAPL,
    mic: 'XNYS',
    side: Side.BUY,
    currency: 'USD',
    tradeDate,
    tradeTime: `${tradeDate}T14:${String(Math.floor(clock / 60) % 60).padStart(2, '0')}:${String(clock % 60).padStart(2, '0')}.000Z`,
    fees: new Dec(0),
    ...rest,
    quantity: new Dec(quantity),
    price: new Dec(price),
    commission: new Dec(commission ?? '0'),
  };
}

/** The next version of a trade: an amend with changed fields, or its cancel. */
export function correction(
  original: Trade,
  version: number,
  lifecycle: typeof TradeLifecycle.AMEND | typeof TradeLifecycle.CANCEL,
  changes: { readonly quantity?: string; readonly price?: string } = {},
): Trade {
  return {
    ...original,
    execId: `${original.tradeId}-v${version}`,
    version,
    lifecycle,
    ...(changes.quantity === undefined ? {} : { quantity: new Dec(changes.quantity) }),
    ...(changes.price === undefined ? {} : { price: new Dec(changes.price) }),
  };
}

export async function book(pool: Pool, trades: readonly Trade[]): Promise<void> {
  await new PgTradeStore(pool).bookTrades(trades);
}

export async function addSplit(
  pool: Pool,
  split: { id: string; isin: string; effectiveDate: string; numerator: number; denominator: number },
): Promise<void> {
  await pool.query(
    `INSERT INTO corporate_action_splits (corporate_action_id, isin, effective_date, numerator, denominator)
     VALUES ($1, $2, $3, $4, $5)`,
    [split.id, split.isin, split.effectiveDate, split.numerator, split.denominator],
  );
}

export async function setPrice(pool: Pool, isin: string, date: string, price: string): Promise<void> {
  await pool.query(
    `INSERT INTO reference_prices (isin, price_date, price) VALUES ($1, $2, $3)
     ON CONFLICT (isin, price_date) DO UPDATE SET price = EXCLUDED.price`,
    [isin, date, price],
  );
}

export async function setFxRate(pool: Pool, base: string, quote: string, date: string, rate: string): Promise<void> {
  await pool.query(
    `INSERT INTO fx_rates (base, quote, rate_date, rate) VALUES ($1, $2, $3, $4)
     ON CONFLICT (base, quote, rate_date) DO UPDATE SET rate = EXCLUDED.rate`,
    [base, quote, date, rate],
  );
}
