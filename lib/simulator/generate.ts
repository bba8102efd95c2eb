/**
 * Realistic executed trades from the seed reference data, deterministic for a seed: instruments, accounts and active
 * counterparties from the CSVs, trade dates and prices from the reference closes (2024-04-01..2024-06-28, so every
 * date is a business day the data covers), prices walking a little around the close at the instrument's decimals,
 * quantities in lots, a share of amends and cancels of earlier trades, and a share of trades built to fail
 * compliance (price far outside the tolerance band, zero quantity, or an inactive counterparty).
 */
import { Dec, Rounding, parseDecimal } from '../domain/money';
import type { TradeEventV1 } from '../kafka/schemas/trade-event';

export interface SimulatorData {
  readonly instruments: readonly { isin: string; mic: string; currency: string; lotSize: Dec; priceDecimals: number }[];
  readonly accounts: readonly string[];
  readonly counterparties: readonly string[];
  readonly inactiveCounterparties: readonly string[];
  readonly closes: readonly { isin: string; date: string; price: Dec }[];
}

export interface SimulatorOptions {
  readonly seed: number;
  /** Share (0..1) of trades that should fail compliance. */
  readonly errorRate: number;
  readonly amendRate?: number;
  readonly cancelRate?: number;
}

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new RangeError('cannot pick from an empty list');
  return item;
}

/** An endless, deterministic stream of trade events. */
export function* simulateTrades(data: SimulatorData, options: SimulatorOptions): Generator<TradeEventV1> {
  const random = seededRandom(options.seed);
  const amendRate = options.amendRate ?? 0.08;
  const cancelRate = options.cancelRate ?? 0.04;
  const live: TradeEventV1[] = [];
  const prefix = `SIM${options.seed}`;
  for (let n = 1; ; n++) {
    const roll = random();
    const earlier = live.length > 0 ? pick(random, live) : undefined;
    if (earlier !== undefined && roll < cancelRate + amendRate) {
      const cancel = roll < cancelRate;
      const event: TradeEventV1 = {
        ...earlier,
        execId: `${prefix}-E${n}`,
        version: earlier.version + 1,
        lifecycle: cancel ? 'CANCEL' : 'AMEND',
        ...(cancel ? {} : { commission: new Dec(earlier.commission).plus('0.50').toFixed() }),
      };
      live.splice(live.indexOf(earlier), 1);
      if (!cancel) live.push(event);
      yield event;
      continue;
    }
    const close = pick(random, data.closes);
    const instrument = data.instruments.find((i) => i.isin === close.isin);
    if (instrument === undefined) continue;
    // A walk of up to ±1% around the close: well inside any sensible fat-finger band.
    const drift = new Dec(Math.round((random() * 2 - 1) * 100)).div(10_000);
    const price = close.price.times(drift.plus(1)).toDecimalPlaces(instrument.priceDecimals, Rounding.HALF_EVEN);
    const quantity = instrument.lotSize.times(1 + Math.floor(random() * 20) * 10);
    const seconds = (n * 7) % 21_600;
    const time = new Date(Date.parse(`${close.date}T09:00:00.000Z`) + seconds * 1000).toISOString();
    let event: TradeEventV1 = {
      schemaVersion: 1,
      execId: `${prefix}-E${n}`,
      tradeId: `${prefix}-T${n}`,
      version: 1,
      lifecycle: 'NEW',
      account: pick(random, data.accounts),
      counterpartyLei: pick(random, data.counterparties),
      isin: instrument.isin,
      mic: instrument.mic,
      side: random() < 0.5 ? 'BUY' : 'SELL',
      quantity: quantity.toFixed(),
      price: price.toFixed(instrument.priceDecimals),
      currency: instrument.currency,
      tradeDate: close.date,
      tradeTime: time,
      commission: price.times(quantity).times('0.0005').toDecimalPlaces(2, Rounding.HALF_EVEN).toFixed(2),
      fees: '0.00',
      source: 'simulator',
    };
    if (random() < options.errorRate) event = faulty(event, random, data);
    else live.push(event);
    yield event;
  }
}

function faulty(event: TradeEventV1, random: () => number, data: SimulatorData): TradeEventV1 {
  const fault = Math.floor(random() * 3);
  if (fault === 0) return { ...event, price: (parseDecimal(event.price) ?? new Dec(1)).times(1.25).toFixed(2) };
  if (fault === 1 || data.inactiveCounterparties.length === 0) return { ...event, quantity: '0' };
  return { ...event, counterpartyLei: pick(random, data.inactiveCounterparties) };
}
