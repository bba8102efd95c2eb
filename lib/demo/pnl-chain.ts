/**
 * The day-over-day P&L chain of the demo's reports, checked the way docs/daily-report.md states it. Each report's
 * day runs from the previous report date's close to this close, and each line stores its close exactly (realized
 * P&L since inception unrounded, and the signed quantity Q, open cost C and base open cost B with the close price P
 * and rate X): its exact cumulative P&L is realized since inception + unrealized at close, local R + Q·P − C and
 * base R + Q·P·X − B. So:
 *
 * - **openings**: every position opens exactly where the previous report closed it, as that report reported it
 *   (the same quantity and the same unrealized P&L: a correction booked since lands in the day, never in the
 *   opening), and a position that held something or had P&L since inception keeps its line;
 * - **exact figures, exactly**: a line's day total is its exact change in cumulative P&L since the previous close,
 *   rounded once (half-even, the currency's minor units), and its realized since inception and unrealized at close
 *   are the exact ones rounded once; per base currency, the exact daily totals (the lines' exact changes) add up to
 *   the exact change in cumulative P&L day by day, so over any span;
 * - **reported figures, within the documented bound**: from any close to any later one, a currency's reported
 *   daily totals add up to the change in its reported cumulative P&L (realized since inception + unrealized at
 *   close) to within half a minor unit per rounded figure involved: each day's total on each line, and the two
 *   cumulative figures of each line at either end.
 *
 * The exact arithmetic is exact.ts's, unbounded: the stored figures carry up to 40 significant digits, which Dec's
 * arithmetic would round in their sums. With no report before the first day, the chain starts flat: nothing held,
 * nothing realized. Pure: it reads the report documents and the stored exact closes handed to it ({@link chainLines}).
 */
import { Dec, minorUnits, roundToCurrency } from '../domain/money';
import type { DailyReportDoc, FiguresDoc } from '../pnl/document';
import { ExactAmount } from './exact';

/** A line's figures in one currency as reported (each rounded once). */
export interface ReportedFigures {
  readonly realizedToday: string;
  readonly totalToday: string;
  readonly realizedSinceInception: string;
  readonly unrealizedAtPreviousClose: string;
  readonly unrealizedAtClose: string;
}

/** A line's close as stored, unrounded (daily_pnl_lines): what the next report opens from. */
export interface ExactClose {
  readonly realizedSinceInception: { readonly local: string; readonly base: string };
  readonly closingQuantity: string;
  readonly closePrice: string;
  readonly closeFxRate: string;
  readonly openCost: { readonly local: string; readonly base: string };
}

/** One position in one report: its reported figures and its stored exact close. */
export interface ChainLine {
  readonly key: string;
  readonly currency: string;
  readonly baseCurrency: string;
  readonly openingQuantity: string;
  readonly closingQuantity: string;
  readonly local: ReportedFigures;
  readonly base: ReportedFigures;
  readonly exact: ExactClose;
  /** A foreign instrument held from the previous close whose FX effect is not zero. */
  readonly fxEffectToday: boolean;
}

/** A report's totals in one base currency, as reported (sums of the lines' rounded figures). */
export interface ChainTotals {
  readonly baseCurrency: string;
  readonly totalToday: string;
  readonly realizedSinceInception: string;
  readonly unrealizedAtClose: string;
}

export interface ChainDay {
  readonly date: string;
  readonly lines: readonly ChainLine[];
  readonly totals: readonly ChainTotals[];
}

export class PnlChainInputError extends Error {
  override readonly name: string = 'PnlChainInputError';
  /** The report is what it is: reading it again gives the same answer. */
  readonly retriable = false;
}

/** `accountId|isin`, the key of a position in a report and in its stored lines. */
export const positionKey = (accountId: string, isin: string): string => `${accountId}|${isin}`;

function reported(figures: FiguresDoc, where: string): ReportedFigures {
  if (figures.realizedSinceInception === null) {
    throw new PnlChainInputError(
      `${where} has no realized P&L since inception (stored before migration 1732407400000): run that date's ` +
        'report again so that it is stored under the current rules',
    );
  }
  return {
    realizedToday: figures.realizedToday,
    totalToday: figures.totalToday,
    realizedSinceInception: figures.realizedSinceInception,
    unrealizedAtPreviousClose: figures.unrealizedAtPreviousClose,
    unrealizedAtClose: figures.unrealizedAtClose,
  };
}

/** A report's lines with their stored exact closes (every line must have one), and its totals. */
export function chainDay(report: DailyReportDoc, exact: ReadonlyMap<string, ExactClose>): ChainDay {
  const lines = report.lines.map((line): ChainLine => {
    const key = positionKey(line.accountId, line.isin);
    const where = `the ${report.reportDate} report's line ${key}`;
    const close = exact.get(key);
    if (close === undefined) throw new PnlChainInputError(`${where} has no stored exact close`);
    const fx = line.base.fxEffectToday;
    return {
      key,
      currency: line.currency,
      baseCurrency: line.baseCurrency,
      openingQuantity: line.openingQuantity,
      closingQuantity: line.closingQuantity,
      local: reported(line.local, where),
      base: reported(line.base, where),
      exact: close,
      fxEffectToday:
        line.currency !== line.baseCurrency &&
        !new Dec(line.openingQuantity).isZero() &&
        fx !== null &&
        !new Dec(fx).isZero(),
    };
  });
  const totals = report.overall.map((t): ChainTotals => {
    if (t.realizedSinceInception === null) {
      throw new PnlChainInputError(
        `the ${report.reportDate} report's ${t.baseCurrency} totals lack realized P&L since inception`,
      );
    }
    return {
      baseCurrency: t.baseCurrency,
      totalToday: t.totalToday,
      realizedSinceInception: t.realizedSinceInception,
      unrealizedAtClose: t.unrealizedAtClose,
    };
  });
  return { date: report.reportDate, lines, totals };
}

/** Exact realized since inception and unrealized at close of a stored close, local and base (docs/daily-report.md). */
export function exactFigures(close: ExactClose): {
  readonly local: { readonly realized: ExactAmount; readonly unrealized: ExactAmount };
  readonly base: { readonly realized: ExactAmount; readonly unrealized: ExactAmount };
} {
  const value = ExactAmount.of(close.closingQuantity).times(ExactAmount.of(close.closePrice));
  return {
    local: {
      realized: ExactAmount.of(close.realizedSinceInception.local),
      unrealized: value.minus(ExactAmount.of(close.openCost.local)),
    },
    base: {
      realized: ExactAmount.of(close.realizedSinceInception.base),
      unrealized: value.times(ExactAmount.of(close.closeFxRate)).minus(ExactAmount.of(close.openCost.base)),
    },
  };
}

/** Exact cumulative P&L (realized since inception + unrealized at close) of a stored close, local and base. */
export function exactCumulative(close: ExactClose): { readonly local: ExactAmount; readonly base: ExactAmount } {
  const f = exactFigures(close);
  return { local: f.local.realized.plus(f.local.unrealized), base: f.base.realized.plus(f.base.unrealized) };
}

/** Something that did not hold, where and how. */
export interface ChainFinding {
  readonly date: string;
  /** A position (`account|isin`) or a base currency. */
  readonly key: string;
  readonly detail: string;
}

export interface ChainResult {
  /** Openings compared (positions with a line at the previous close), and those that were not that close. */
  readonly openings: number;
  readonly openingsOff: readonly ChainFinding[];
  /** Position days compared, and those whose reported figures are not the exact ones rounded once. */
  readonly positionDays: number;
  readonly exactOff: readonly ChainFinding[];
  /** Currency days whose exact daily total (the lines' exact changes) is not the exact change in cumulative P&L. */
  readonly exactDaysOff: readonly ChainFinding[];
  /** Per base currency over the run, exact: the sum of the exact daily totals and the exact change in cumulative. */
  readonly exact: readonly { readonly currency: string; readonly sum: Dec; readonly change: Dec }[];
  /** Spans (from a close to a later one, per currency) compared in reported figures, and those beyond the bound. */
  readonly spans: number;
  readonly reportedOff: readonly ChainFinding[];
  /** Per base currency over the run, reported: Σ totalToday, Δ(realized since inception + unrealized at close). */
  readonly reported: readonly {
    readonly currency: string;
    readonly sum: Dec;
    readonly change: Dec;
    readonly bound: Dec;
  }[];
  /** The reported cumulative P&L per base currency at each day's close. */
  readonly cumulative: readonly ReadonlyMap<string, Dec>[];
}

const ZERO = new Dec(0);

/** The smallest amount of a currency: 0.01 for USD, 1 for JPY. */
function minorUnit(currency: string): Dec {
  const places = minorUnits(currency);
  return places === 0 ? new Dec(1) : new Dec(`0.${'0'.repeat(places - 1)}1`);
}

/** An exact amount rounded once, as a report writes it. */
const asReported = (amount: ExactAmount, currency: string): string =>
  roundToCurrency(amount.toDec(), currency).toFixed(minorUnits(currency));

const add = (map: Map<string, ExactAmount>, key: string, amount: ExactAmount): void => {
  map.set(key, (map.get(key) ?? ExactAmount.ZERO).plus(amount));
};

/** Where a line's reported figures differ from its exact ones rounded once; empty when they do not. */
function roundedOnce(line: ChainLine, change: { readonly local: ExactAmount; readonly base: ExactAmount }): string[] {
  const exact = exactFigures(line.exact);
  const off: string[] = [];
  for (const [side, currency] of [
    ['local', line.currency],
    ['base', line.baseCurrency],
  ] as const) {
    const expected: Record<string, ExactAmount> = {
      totalToday: change[side],
      realizedSinceInception: exact[side].realized,
      unrealizedAtClose: exact[side].unrealized,
    };
    for (const [name, amount] of Object.entries(expected)) {
      const got = line[side][name as keyof ReportedFigures];
      if (!new Dec(got).equals(asReported(amount, currency))) {
        off.push(`${side} ${name} ${got}, exact ${amount.toFixed()}`);
      }
    }
  }
  return off;
}

/**
 * Checks the chain over the days (see the module note), from `origin`: the report before the first day, or none
 * (the chain then starts flat).
 */
export function checkChain(days: readonly ChainDay[], origin?: ChainDay): ChainResult {
  const openingsOff: ChainFinding[] = [];
  const exactOff: ChainFinding[] = [];
  const exactDaysOff: ChainFinding[] = [];
  const reportedOff: ChainFinding[] = [];
  let openings = 0;
  let positionDays = 0;

  // The closes in order, the origin first (flat when there is none).
  const closes: ChainDay[] = [origin ?? { date: 'the start', lines: [], totals: [] }, ...days];
  const exactCumulativeAt = closes.map((close) => {
    const byCurrency = new Map<string, ExactAmount>();
    for (const line of close.lines) add(byCurrency, line.baseCurrency, exactCumulative(line.exact).base);
    return byCurrency;
  });
  const exactSums = new Map<string, ExactAmount>();

  days.forEach((day, i) => {
    const previous = new Map((closes[i]?.lines ?? []).map((line) => [line.key, line]));
    const seen = new Set<string>();
    const exactToday = new Map<string, ExactAmount>();
    for (const line of day.lines) {
      seen.add(line.key);
      const close = previous.get(line.key);
      if (close !== undefined) openings += 1;
      const opening = {
        quantity: close?.closingQuantity ?? '0',
        local: close?.local.unrealizedAtClose ?? '0',
        base: close?.base.unrealizedAtClose ?? '0',
      };
      if (
        !new Dec(line.openingQuantity).equals(opening.quantity) ||
        !new Dec(line.local.unrealizedAtPreviousClose).equals(opening.local) ||
        !new Dec(line.base.unrealizedAtPreviousClose).equals(opening.base)
      ) {
        openingsOff.push({
          date: day.date,
          key: line.key,
          detail:
            `opened at ${line.openingQuantity} (unrealized ${line.base.unrealizedAtPreviousClose} ${line.baseCurrency}), ` +
            `closed the day before at ${opening.quantity} (${opening.base})`,
        });
      }
      const before =
        close === undefined ? { local: ExactAmount.ZERO, base: ExactAmount.ZERO } : exactCumulative(close.exact);
      const now = exactCumulative(line.exact);
      const change = { local: now.local.minus(before.local), base: now.base.minus(before.base) };
      add(exactToday, line.baseCurrency, change.base);
      positionDays += 1;
      const off = roundedOnce(line, change);
      if (off.length > 0) exactOff.push({ date: day.date, key: line.key, detail: off.join(', ') });
    }
    for (const [key, close] of previous) {
      if (seen.has(key)) continue;
      const held = !new Dec(close.closingQuantity).isZero();
      const cumulative = exactCumulative(close.exact);
      if (!held && cumulative.local.isZero() && cumulative.base.isZero()) continue;
      openingsOff.push({
        date: day.date,
        key,
        detail: `closed the day before at ${close.closingQuantity} (${close.base.unrealizedAtClose}), no line now`,
      });
    }
    const after = exactCumulativeAt[i + 1] ?? new Map<string, ExactAmount>();
    const before = exactCumulativeAt[i] ?? new Map<string, ExactAmount>();
    for (const currency of new Set([...exactToday.keys(), ...after.keys(), ...before.keys()])) {
      const total = exactToday.get(currency) ?? ExactAmount.ZERO;
      add(exactSums, currency, total);
      const change = (after.get(currency) ?? ExactAmount.ZERO).minus(before.get(currency) ?? ExactAmount.ZERO);
      if (!total.equals(change)) {
        exactDaysOff.push({
          date: day.date,
          key: currency,
          detail: `exact daily total ${total.toFixed()}, exact cumulative moved ${change.toFixed()}`,
        });
      }
    }
  });

  // Reported figures: every span from a close (the origin's included) to a later one, per currency.
  const cumulative = closes.map((close) => {
    const byCurrency = new Map<string, Dec>();
    for (const t of close.totals) {
      byCurrency.set(t.baseCurrency, new Dec(t.realizedSinceInception).plus(t.unrealizedAtClose));
    }
    return byCurrency;
  });
  const lineCount = (close: ChainDay | undefined, currency: string): number =>
    close?.lines.filter((l) => l.baseCurrency === currency).length ?? 0;
  const dayTotal = (close: ChainDay | undefined, currency: string): Dec => {
    const t = close?.totals.find((x) => x.baseCurrency === currency);
    return t === undefined ? ZERO : new Dec(t.totalToday);
  };
  const currencies = [...new Set(closes.flatMap((c) => c.lines.map((l) => l.baseCurrency)))].sort();
  let spans = 0;
  const spanFigures = (a: number, b: number, currency: string) => {
    let sum = ZERO;
    let halves = 2 * lineCount(closes[a], currency) + 2 * lineCount(closes[b], currency);
    for (let d = a + 1; d <= b; d++) {
      sum = sum.plus(dayTotal(closes[d], currency));
      halves += lineCount(closes[d], currency);
    }
    const change = (cumulative[b]?.get(currency) ?? ZERO).minus(cumulative[a]?.get(currency) ?? ZERO);
    return { sum, change, bound: minorUnit(currency).times(halves).div(2) };
  };
  for (let a = 0; a < closes.length; a++) {
    for (let b = a + 1; b < closes.length; b++) {
      for (const currency of currencies) {
        spans += 1;
        const { sum, change, bound } = spanFigures(a, b, currency);
        if (sum.minus(change).abs().greaterThan(bound)) {
          reportedOff.push({
            date: `${closes[a]?.date ?? ''} to ${closes[b]?.date ?? ''}`,
            key: currency,
            detail:
              `daily totals ${sum.toFixed(minorUnits(currency))}, cumulative moved ` +
              `${change.toFixed(minorUnits(currency))}, bound ${bound.toFixed()}`,
          });
        }
      }
    }
  }
  const last = closes.length - 1;
  const before = exactCumulativeAt[0] ?? new Map<string, ExactAmount>();
  const end = exactCumulativeAt[last] ?? new Map<string, ExactAmount>();
  return {
    openings,
    openingsOff,
    positionDays,
    exactOff,
    exactDaysOff,
    exact: currencies.map((currency) => ({
      currency,
      sum: (exactSums.get(currency) ?? ExactAmount.ZERO).toDec(),
      change: (end.get(currency) ?? ExactAmount.ZERO).minus(before.get(currency) ?? ExactAmount.ZERO).toDec(),
    })),
    spans,
    reportedOff,
    reported: currencies.map((currency) => ({ currency, ...spanFigures(0, last, currency) })),
    cumulative: cumulative.slice(1),
  };
}
