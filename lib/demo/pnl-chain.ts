/**
 * The day-over-day P&L chain of the demo's reports (DOMAIN.md, docs/daily-report.md): each day runs from the
 * previous report date's close to this close, so
 *
 * - every position opens exactly where the previous report closed it, as that report reported it: the same
 *   quantity and the same unrealized P&L (a correction booked since lands in the day, never in the opening);
 * - a position's day total is the change in its cumulative P&L (realized since inception + unrealized at close):
 *   exactly in exact figures; each reported figure is rounded once, half-even, so in reported figures a day total
 *   differs from the reported change by at most 2.5 minor units (½ for the total, 1 for each of the two
 *   cumulative figures, themselves two roundings of ½);
 * - over any span, the sum of a currency's daily totals is the change in its cumulative P&L, to within the
 *   roundings of the figures involved.
 *
 * Pure: it reads the report documents' figures only (through {@link positionFigures}).
 */
import { Dec, minorUnits } from '../domain/money';
import type { DailyReportDoc } from '../pnl/document';

/** One position's figures in one report, in its base currency. */
export interface PositionFigures {
  readonly key: string;
  readonly baseCurrency: string;
  readonly openingQuantity: string;
  readonly closingQuantity: string;
  readonly realizedToday: string;
  readonly totalToday: string;
  readonly unrealizedAtPreviousClose: string;
  readonly unrealizedAtClose: string;
  /** As the report states it; undefined when the report does not (it is then the sum of the days' realized). */
  readonly realizedSinceInception: string | undefined;
  /** Of a foreign instrument held from the previous close, the FX effect is not zero. */
  readonly fxEffectToday: boolean;
}

/** The report's positions, in the names of docs/daily-report.md. */
export function positionFigures(report: DailyReportDoc): PositionFigures[] {
  return report.lines.map((line) => ({
    key: `${line.accountId}|${line.isin}`,
    baseCurrency: line.baseCurrency,
    openingQuantity: line.openingQuantity,
    closingQuantity: line.closingQuantity,
    realizedToday: line.base.realized,
    totalToday: line.base.total,
    unrealizedAtPreviousClose: line.base.openingUnrealized,
    unrealizedAtClose: line.base.unrealized,
    realizedSinceInception: undefined,
    fxEffectToday:
      line.currency !== line.baseCurrency && line.openingQuantity !== '0' && !new Dec(line.base.fxEffect).isZero(),
  }));
}

/** A report's totals per base currency: the day's total, realized today, and the report's cumulative figures. */
export interface CurrencyTotals {
  readonly baseCurrency: string;
  readonly totalToday: string;
  readonly realizedToday: string;
  readonly unrealizedAtClose: string;
  readonly realizedSinceInception: string | undefined;
}

export function currencyTotals(report: DailyReportDoc): CurrencyTotals[] {
  return report.overall.map((t) => ({
    baseCurrency: t.baseCurrency,
    totalToday: t.total,
    realizedToday: t.realized,
    unrealizedAtClose: t.unrealized,
    realizedSinceInception: undefined,
  }));
}

export interface ChainDay {
  readonly date: string;
  readonly positions: readonly PositionFigures[];
  readonly totals: readonly CurrencyTotals[];
}

/** Cumulative figures at a close, per base currency: realized since inception and unrealized at close. */
export type Cumulative = ReadonlyMap<string, { readonly realizedSinceInception: Dec; readonly unrealizedAtClose: Dec }>;

export interface ChainResult {
  /** Positions that did not open where the previous report closed them (quantity or unrealized). */
  readonly openingsOff: readonly { date: string; key: string; detail: string }[];
  /** Position days whose total is further from the change in the position's cumulative P&L than rounding allows. */
  readonly daysOff: readonly { date: string; key: string; detail: string }[];
  /** Openings and position days compared. */
  readonly openings: number;
  readonly positionDays: number;
  /** Per base currency: the sum of the days' totals, the change in cumulative P&L, and the rounding bound. */
  readonly currencies: readonly { currency: string; sum: Dec; change: Dec; bound: Dec }[];
  /** The cumulative P&L per base currency after each day (realized since inception + unrealized at close). */
  readonly cumulative: readonly ReadonlyMap<string, Dec>[];
}

const ZERO = new Dec(0);

/** The smallest amount of a currency: 0.01 for USD, 1 for JPY. */
function minorUnit(currency: string): Dec {
  const places = minorUnits(currency);
  return places === 0 ? new Dec(1) : new Dec(`0.${'0'.repeat(places - 1)}1`);
}

/**
 * Checks the chain over the days (see the module note), from `before`: the cumulative figures at the close of the
 * report before the first day (empty when there was none), with `previous` that report's positions if known.
 */
export function checkChain(
  days: readonly ChainDay[],
  before: Cumulative,
  previous: readonly PositionFigures[] = [],
): ChainResult {
  const openingsOff: { date: string; key: string; detail: string }[] = [];
  const daysOff: { date: string; key: string; detail: string }[] = [];
  let openings = 0;
  let positionDays = 0;
  // Per position: realized since inception (stated, or summed from the first day) and unrealized at close.
  const positionCumulative = new Map<string, { realized: Dec; unrealized: Dec }>();
  let closes = new Map(previous.map((p) => [p.key, p]));
  const realizedByCurrency = new Map([...before].map(([ccy, b]) => [ccy, b.realizedSinceInception]));
  const bounds = new Map<string, Dec>();
  const addBound = (currency: string, minorUnitsCount: number): void => {
    const unit = minorUnit(currency);
    bounds.set(currency, (bounds.get(currency) ?? ZERO).plus(unit.times(minorUnitsCount)));
  };
  for (const [ccy] of before) addBound(ccy, previous.filter((p) => p.baseCurrency === ccy).length * 2);
  const cumulative: Map<string, Dec>[] = [];

  for (const day of days) {
    const seen = new Set<string>();
    for (const p of day.positions) {
      seen.add(p.key);
      const close = closes.get(p.key);
      const opening = { quantity: close?.closingQuantity ?? '0', unrealized: close?.unrealizedAtClose ?? '0' };
      if (close !== undefined) openings += 1;
      const opensAtClose =
        new Dec(p.openingQuantity).equals(opening.quantity) &&
        new Dec(p.unrealizedAtPreviousClose).equals(opening.unrealized);
      if (!opensAtClose) {
        openingsOff.push({
          date: day.date,
          key: p.key,
          detail:
            `opened at ${p.openingQuantity} (unrealized ${p.unrealizedAtPreviousClose}), ` +
            `closed the day before at ${opening.quantity} (${opening.unrealized})`,
        });
      }
      const earlier = positionCumulative.get(p.key) ?? {
        realized: close?.realizedSinceInception === undefined ? ZERO : new Dec(close.realizedSinceInception),
        unrealized: new Dec(opening.unrealized),
      };
      const realized =
        p.realizedSinceInception === undefined
          ? earlier.realized.plus(p.realizedToday)
          : new Dec(p.realizedSinceInception);
      const now = { realized, unrealized: new Dec(p.unrealizedAtClose) };
      positionCumulative.set(p.key, now);
      const change = now.realized.plus(now.unrealized).minus(earlier.realized).minus(earlier.unrealized);
      const gap = new Dec(p.totalToday).minus(change).abs();
      positionDays += 1;
      if (gap.greaterThan(minorUnit(p.baseCurrency).times('2.5'))) {
        daysOff.push({
          date: day.date,
          key: p.key,
          detail: `total ${p.totalToday}, cumulative moved ${change.toFixed()}`,
        });
      }
      addBound(p.baseCurrency, 0.5);
    }
    for (const [key, close] of closes) {
      // A position that holds something keeps a line (and, where the report states realized P&L since inception,
      // one that has any: docs/daily-report.md).
      const realized = close.realizedSinceInception === undefined ? ZERO : new Dec(close.realizedSinceInception);
      if (seen.has(key) || (new Dec(close.closingQuantity).isZero() && realized.isZero())) continue;
      openingsOff.push({
        date: day.date,
        key,
        detail: `closed the day before at ${close.closingQuantity} (${close.unrealizedAtClose}), no line now`,
      });
    }
    closes = new Map(day.positions.map((p) => [p.key, p]));

    const after = new Map<string, Dec>();
    for (const t of day.totals) {
      const sinceInception =
        t.realizedSinceInception === undefined
          ? (realizedByCurrency.get(t.baseCurrency) ?? ZERO).plus(t.realizedToday)
          : new Dec(t.realizedSinceInception);
      realizedByCurrency.set(t.baseCurrency, sinceInception);
      after.set(t.baseCurrency, sinceInception.plus(t.unrealizedAtClose));
    }
    // A currency with no line today keeps its realized since inception and holds nothing unrealized.
    for (const [ccy, sinceInception] of realizedByCurrency) if (!after.has(ccy)) after.set(ccy, sinceInception);
    cumulative.push(after);
  }

  const last = cumulative.at(-1) ?? new Map<string, Dec>();
  const lastPositions = days.at(-1)?.positions ?? [];
  const currencies = [...new Set([...last.keys(), ...before.keys()])].sort().map((currency) => {
    const sum = days.reduce((acc, day) => {
      const totals = day.totals.find((t) => t.baseCurrency === currency);
      return totals === undefined ? acc : acc.plus(totals.totalToday);
    }, ZERO);
    const b = before.get(currency);
    const opening = b === undefined ? ZERO : b.realizedSinceInception.plus(b.unrealizedAtClose);
    addBound(currency, lastPositions.filter((p) => p.baseCurrency === currency).length * 2);
    return { currency, sum, change: (last.get(currency) ?? ZERO).minus(opening), bound: bounds.get(currency) ?? ZERO };
  });
  return { openingsOff, daysOff, openings, positionDays, currencies, cumulative };
}
