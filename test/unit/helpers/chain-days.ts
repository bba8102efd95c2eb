/**
 * Report days for the P&L chain's tests (lib/demo/pnl-chain.ts), built from exact closes the way the daily report
 * builds its figures (docs/daily-report.md), with decimal.js as the oracle: each line's cumulative P&L is realized
 * since inception + unrealized at close (local R + Q·P − C, base R + Q·P·X − B), its day total the exact change since
 * the previous close rounded once, half-even; it opens at the previous close as reported; the totals per base
 * currency are sums of the lines' rounded figures. Tests then change what a broken report would have.
 */
import Decimal from 'decimal.js';

import type { ChainDay, ChainLine, ChainTotals, ReportedFigures } from '../../../lib/demo/pnl-chain';

const Exact = Decimal.clone({ precision: 100, rounding: Decimal.ROUND_HALF_EVEN });
const PLACES: Readonly<Record<string, number>> = { USD: 2, EUR: 2, GBP: 2, JPY: 0 };

/** A position at a close: signed quantity, close price and rate, open cost, realized since inception (exact). */
export interface Held {
  readonly key: string;
  readonly currency: string;
  readonly baseCurrency: string;
  readonly q: string;
  readonly p: string;
  readonly x: string;
  /** Open cost in local and base currency. */
  readonly c: string;
  readonly b: string;
  /** Realized since inception in local and base currency. */
  readonly rl: string;
  readonly rb: string;
}

const round = (amount: Decimal, currency: string): string => {
  const places = PLACES[currency] ?? 2;
  return amount.toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN).toFixed(places);
};

function figures(h: Held, side: 'local' | 'base') {
  const value = new Exact(h.q).times(h.p);
  return side === 'local'
    ? { realized: new Exact(h.rl), unrealized: value.minus(h.c) }
    : { realized: new Exact(h.rb), unrealized: value.times(h.x).minus(h.b) };
}

/** The totals a report states: per base currency, sums of its lines' rounded base figures. */
export function totalsOf(lines: readonly ChainLine[]): ChainTotals[] {
  const byBase = new Map<string, { total: Decimal; realized: Decimal; unrealized: Decimal }>();
  for (const l of lines) {
    const t = byBase.get(l.baseCurrency) ?? { total: new Exact(0), realized: new Exact(0), unrealized: new Exact(0) };
    byBase.set(l.baseCurrency, {
      total: t.total.plus(l.base.totalToday),
      realized: t.realized.plus(l.base.realizedSinceInception),
      unrealized: t.unrealized.plus(l.base.unrealizedAtClose),
    });
  }
  return [...byBase].map(([baseCurrency, t]) => ({
    baseCurrency,
    totalToday: round(t.total, baseCurrency),
    realizedSinceInception: round(t.realized, baseCurrency),
    unrealizedAtClose: round(t.unrealized, baseCurrency),
  }));
}

/** A report of `date` holding `positions`, opening from `previous` (none: flat), every figure as documented. */
export function reportDay(date: string, positions: readonly Held[], previous?: ChainDay): ChainDay {
  const closes = new Map((previous?.lines ?? []).map((l) => [l.key, l]));
  const lines = positions.map((h): ChainLine => {
    const close = closes.get(h.key);
    const side = (name: 'local' | 'base', currency: string): ReportedFigures => {
      const now = figures(h, name);
      const before =
        close === undefined
          ? { realized: new Exact(0), unrealized: new Exact(0) }
          : figures(
              {
                ...h,
                q: close.exact.closingQuantity,
                p: close.exact.closePrice,
                x: close.exact.closeFxRate,
                c: close.exact.openCost.local,
                b: close.exact.openCost.base,
                rl: close.exact.realizedSinceInception.local,
                rb: close.exact.realizedSinceInception.base,
              },
              name,
            );
      const change = now.realized.plus(now.unrealized).minus(before.realized).minus(before.unrealized);
      return {
        realizedToday: round(now.realized.minus(before.realized), currency),
        totalToday: round(change, currency),
        realizedSinceInception: round(now.realized, currency),
        unrealizedAtPreviousClose: close?.[name].unrealizedAtClose ?? round(new Exact(0), currency),
        unrealizedAtClose: round(now.unrealized, currency),
      };
    };
    return {
      key: h.key,
      currency: h.currency,
      baseCurrency: h.baseCurrency,
      openingQuantity: close?.closingQuantity ?? '0',
      closingQuantity: h.q,
      local: side('local', h.currency),
      base: side('base', h.baseCurrency),
      exact: {
        realizedSinceInception: { local: h.rl, base: h.rb },
        closingQuantity: h.q,
        closePrice: h.p,
        closeFxRate: h.x,
        openCost: { local: h.c, base: h.b },
      },
      fxEffectToday: h.currency !== h.baseCurrency && close !== undefined && !new Exact(close.closingQuantity).isZero(),
    };
  });
  return { date, lines, totals: totalsOf(lines) };
}

/** `day` with one line's reported base figures changed, its totals summed again as a report would. */
export function withBase(day: ChainDay, key: string, change: Partial<ReportedFigures>, quantity?: string): ChainDay {
  const lines = day.lines.map((l) =>
    l.key === key ? { ...l, base: { ...l.base, ...change }, openingQuantity: quantity ?? l.openingQuantity } : l,
  );
  return { ...day, lines, totals: totalsOf(lines) };
}

/** `day` without one line (its totals summed again). */
export function without(day: ChainDay, key: string): ChainDay {
  const lines = day.lines.filter((l) => l.key !== key);
  return { ...day, lines, totals: totalsOf(lines) };
}
