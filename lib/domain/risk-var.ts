/**
 * One-day 99 % value at risk by historical simulation (issue 19), exact up to one documented rounding.
 *
 * The window: the `days` (≥ 250, default {@link VAR_WINDOW_DAYS}) most recent scenario dates up to and including
 * the as-of date, where a scenario date is a date on which any of the portfolio's instruments has a close (the
 * union of their venues' business days), plus the date before the first (the base of the first return). On a
 * date an instrument did not trade (its venue's holiday), its price is its latest close before: its return that
 * day is 0. An instrument with no close on or before the window's base date has too short a history: the VaR is
 * then not computed (`INSUFFICIENT_HISTORY`, naming the instruments), never computed on a shorter window.
 *
 * Scenario t's P&L, for positions of base-currency market value v_i at the as-of close:
 *
 *   r_i,t = p_i,t / p_i,t−1 − 1, rounded half-even to {@link RETURN_DECIMALS} decimal places (the one rounding)
 *   P&L_t = Σ_i v_i · r_i,t   (exact: v_i and r_i,t are decimals, products and sums are BigInt)
 *
 * FX rates are held at the as-of date's (the scenarios move prices, not currencies).
 *
 * The quantile rule: the n scenario P&Ls are ranked from the worst (most negative) to the best, exactly; ties keep
 * either order (equal values). The VaR at confidence c is the loss of the k-th worst, k = ⌈n · (1 − c)⌉ (n = 250,
 * c = 0.99: k = ⌈2.5⌉ = 3, the third-worst day), floored at 0 (a book that gained on its k-th worst day has no
 * one-day loss at that confidence). It is returned exact; callers round once, half-even, to the base currency.
 */
import { Dec } from './money';
import { pow10, scaledOf, type Scaled } from './risk-scaled';

export const VAR_WINDOW_DAYS = 250;
export const VAR_CONFIDENCE = new Dec('0.99');
/** Decimal places of each scenario return. */
export const RETURN_DECIMALS = 20;

/** An instrument's closes, ascending by date (ISO dates). */
export interface PriceHistory {
  readonly isin: string;
  /** A price as a decimal, or as a scaled integer (risk-scaled.ts) as the end-of-day run reads it. */
  readonly closes: readonly { readonly date: string; readonly price: Dec | Scaled }[];
}

/** Per instrument, its scenario returns on the window's dates, as integers scaled by 10^RETURN_DECIMALS. */
export interface ScenarioReturns {
  readonly dates: readonly string[];
  readonly returns: ReadonlyMap<string, readonly bigint[]>;
  /** Instruments whose history does not reach the window's base date. */
  readonly shortHistory: readonly string[];
}

export type VarResult =
  | {
      readonly ok: true;
      /** The loss of the k-th worst scenario, ≥ 0, exact. */
      readonly valueAtRisk: Dec;
      /** The k-th worst scenario's date and P&L. */
      readonly scenarioDate: string;
      readonly scenarioPnl: Dec;
      readonly rank: number;
      readonly scenarios: number;
    }
  | { readonly ok: false; readonly code: 'INSUFFICIENT_HISTORY'; readonly message: string; readonly isins: string[] };

/** k = ⌈n · (1 − c)⌉, at least 1: the rank (1 = the worst) of the scenario whose loss is the VaR. */
export function varRank(scenarios: number, confidence: Dec = VAR_CONFIDENCE): number {
  const tail = new Dec(scenarios).times(new Dec(1).minus(confidence));
  return Math.max(1, Number(tail.ceil().toFixed()));
}

const RETURN_SCALE = 10n ** BigInt(RETURN_DECIMALS);

/**
 * a / b − 1 to RETURN_DECIMALS places, half-even, as a scaled integer: computed exactly in integers (the quotient of
 * the two prices at a common scale, rounded once), so the one rounding is the only one.
 */
function scaledReturn(price: Scaled, previous: Scaled): bigint {
  // The quotient does not depend on the common scale the two prices are brought to.
  const places = Math.max(price.scale, previous.scale);
  const a = price.units * pow10(places - price.scale);
  const b = previous.units * pow10(places - previous.scale);
  const numerator = a * RETURN_SCALE;
  let quotient = numerator / b;
  const twiceRemainder = 2n * (numerator - quotient * b);
  // Prices are positive: the remainder is ≥ 0, so only rounding up (away from the floor) is in question.
  if (twiceRemainder > b || (twiceRemainder === b && quotient % 2n === 1n)) quotient += 1n;
  return quotient - RETURN_SCALE;
}

/**
 * The window's dates and each instrument's scenario returns on them (see the module's TSDoc). `asOf` bounds the
 * window; closes after it are ignored. Computed once per price load and shared by every account.
 */
export function scenarioReturns(
  histories: readonly PriceHistory[],
  asOf: string,
  days: number = VAR_WINDOW_DAYS,
): ScenarioReturns {
  if (!Number.isInteger(days) || days < VAR_WINDOW_DAYS)
    throw new RangeError(`a VaR window needs at least ${VAR_WINDOW_DAYS} days, got ${days}`);
  const allDates = new Set<string>();
  for (const history of histories) for (const close of history.closes) if (close.date <= asOf) allDates.add(close.date);
  const sorted = [...allDates].sort();
  // days + 1 dates: the base date, then the scenario dates.
  const window = sorted.slice(-(days + 1));
  const dates = window.length === days + 1 ? window.slice(1) : [];
  const base = window.length === days + 1 ? window[0] : undefined;
  const returns = new Map<string, bigint[]>();
  const shortHistory: string[] = [];
  for (const history of histories) {
    const closes = history.closes
      .filter((close) => close.date <= asOf)
      .map((close) => ({ date: close.date, price: close.price instanceof Dec ? scaledOf(close.price) : close.price }));
    const first = closes[0];
    if (base === undefined || first === undefined || first.date > base) {
      shortHistory.push(history.isin);
      continue;
    }
    let index = 0;
    // The latest close on or before the base date.
    while (index + 1 < closes.length && (closes[index + 1]?.date ?? '') <= base) index += 1;
    let previous = (closes[index] as { price: Scaled }).price;
    const series: bigint[] = [];
    for (const date of dates) {
      const next = closes[index + 1];
      if (next !== undefined && next.date === date) {
        series.push(scaledReturn(next.price, previous));
        previous = next.price;
        index += 1;
      } else {
        series.push(0n);
      }
    }
    returns.set(history.isin, series);
  }
  return { dates, returns, shortHistory: shortHistory.sort() };
}

/**
 * The VaR of positions of market value `values` (base currency, by ISIN) over the scenarios (see the module's
 * TSDoc). Positions of zero value need no history.
 */
export function historicalVar(
  values: ReadonlyMap<string, Dec>,
  scenarios: ScenarioReturns,
  confidence: Dec = VAR_CONFIDENCE,
): VarResult {
  const entries = [...values.entries()].map(([isin, value]) => [isin, scaledOf(value)] as const);
  const scale = Math.max(0, ...entries.map(([, value]) => value.scale));
  return historicalVarScaled(
    entries.map(([isin]) => isin),
    entries.map(([, value]) => value.units * pow10(scale - value.scale)),
    scale,
    scenarios,
    confidence,
  );
}

/**
 * {@link historicalVar} of market values given as integers at `scale`, `isins[i]` holding `units[i]` (as
 * risk-exposure.ts `accountExposureScaled` gives them): the same result, with no decimal per position.
 */
export function historicalVarScaled(
  isins: readonly string[],
  units: readonly bigint[],
  scale: number,
  scenarios: ScenarioReturns,
  confidence: Dec = VAR_CONFIDENCE,
): VarResult {
  const held: Held[] = [];
  isins.forEach((isin, i) => {
    const value = units[i] as bigint;
    if (value !== 0n) held.push({ isin, units: value, float: Number(`${value}e-${scale}`) });
  });
  const missing = held.map((h) => h.isin).filter((isin) => !scenarios.returns.has(isin));
  const n = scenarios.dates.length;
  if (missing.length > 0 || n === 0) {
    return {
      ok: false,
      code: 'INSUFFICIENT_HISTORY',
      message:
        n === 0
          ? `fewer than ${VAR_WINDOW_DAYS + 1} price dates up to the as-of date`
          : `no close on or before the window's first date (${scenarios.dates[0] ?? ''}'s base) for ${missing.join(', ')}`,
      isins: missing.sort(),
    };
  }
  const rank = varRank(n, confidence);
  const kth = kthWorst(held, scenarios, rank);
  const scenarioPnl = new Dec(kth.value, scale + RETURN_DECIMALS);
  return {
    ok: true,
    valueAtRisk: scenarioPnl.isNegative() ? scenarioPnl.negated() : new Dec(0),
    scenarioDate: scenarios.dates[kth.t] as string,
    scenarioPnl,
    rank,
    scenarios: n,
  };
}

/** A position of the VaR: its market value as an integer at the account's scale, and that value as a binary float. */
interface Held {
  readonly isin: string;
  readonly units: bigint;
  /** The correctly rounded binary float of the value (one rounding, as `Number` of its decimal text). */
  readonly float: number;
}

/** Each instrument's returns as binary floats, once per scenario set (the screening pass of `kthWorst`). */
const floatReturns = new WeakMap<ScenarioReturns, Map<string, Float64Array>>();

function floatsOf(scenarios: ScenarioReturns, isin: string): Float64Array {
  let cache = floatReturns.get(scenarios);
  if (cache === undefined) {
    cache = new Map();
    floatReturns.set(scenarios, cache);
  }
  let floats = cache.get(isin);
  if (floats === undefined) {
    const series = scenarios.returns.get(isin) as readonly bigint[];
    floats = Float64Array.from(series, (r) => Number(r) / 1e20);
    cache.set(isin, floats);
  }
  return floats;
}

/** Scenario t's P&L, exact: Σ v_i · r_i,t in integers at the values' scale + RETURN_DECIMALS places. */
function exactPnl(held: readonly Held[], scenarios: ScenarioReturns, t: number) {
  let sum = 0n;
  for (const h of held) sum += h.units * ((scenarios.returns.get(h.isin) as bigint[])[t] as bigint);
  return sum;
}

/**
 * The k-th worst scenario by exact P&L (ties: the earlier date first), without computing every scenario exactly:
 * a pass in binary floating point gives each scenario's P&L f_t within a proven bound b_t (each term's conversions
 * and product err by at most 4 ulp, a sum of m terms by (m − 1) ulp of Σ|terms|: b_t = 2 (m + 5) 2⁻⁵² Σ_i |v_i r_i,t|).
 * The exact k-th value lies between the k-th smallest f_t − b_t and the k-th smallest f_t + b_t; a scenario whose
 * interval lies wholly below that range is certainly worse, wholly above certainly better, and only those in
 * between (usually a handful) are computed exactly and ranked. Same answer as ranking every exact P&L; the float
 * pass only decides which scenarios need the exact one. The float of each instrument's returns is computed once
 * per scenario set (`floatsOf`): the pass per account is a weighted sum of its instruments' P&L vectors.
 */
function kthWorst(held: readonly Held[], scenarios: ScenarioReturns, rank: number): { value: bigint; t: number } {
  const n = scenarios.dates.length;
  const f = new Float64Array(n);
  const abs = new Float64Array(n);
  for (const h of held) {
    const v = h.float;
    const r = floatsOf(scenarios, h.isin);
    for (let t = 0; t < n; t += 1) {
      const term = v * (r[t] as number);
      f[t] = (f[t] as number) + term;
      abs[t] = (abs[t] as number) + Math.abs(term);
    }
  }
  const factor = 2 * (held.length + 5) * 2 ** -52;
  const low = new Float64Array(n);
  const high = new Float64Array(n);
  for (let t = 0; t < n; t += 1) {
    const bound = factor * (abs[t] as number);
    low[t] = (f[t] as number) - bound;
    high[t] = (f[t] as number) + bound;
  }
  const from = low.slice().sort()[rank - 1] as number;
  const to = high.slice().sort()[rank - 1] as number;
  let worse = 0;
  const candidates: { value: bigint; t: number }[] = [];
  for (let t = 0; t < n; t += 1) {
    if ((high[t] as number) < from) worse += 1;
    else if ((low[t] as number) <= to) candidates.push({ value: exactPnl(held, scenarios, t), t });
  }
  candidates.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : a.t - b.t));
  return candidates[rank - 1 - worse] as { value: bigint; t: number };
}
