/**
 * Historical-simulation VaR on hand-built histories of 251 dates (a base date and 250 scenario dates).
 *
 * A (long, 100 @ 100 = 10,000) and B (short, −50 @ 100 = −5,000) sit at 100 but for a few days:
 *   day X: A 100 → 95, B 100 → 95       P&L −500 + 250 = −250   (next day both back to 100: +526.32 − 263.16)
 *   day Y: A 100 → 96, B no close        P&L −400                (B's venue closed: its return is 0)
 *   day Z: B 100 → 106                   P&L −300                (next day 106 → 100: +283.02)
 *   day W: A 100 → 98                    P&L −200
 * Ranked from the worst: −400, −300, −250, −200, …; k = ⌈250 × 0.01⌉ = 3: VaR 250 on day X.
 */
import { Dec } from '../../../lib/domain/money';
import {
  RETURN_DECIMALS,
  historicalVar,
  scenarioReturns,
  varRank,
  type PriceHistory,
} from '../../../lib/domain/risk-var';

/** The i-th date from 2023-01-01, one calendar day apart (the rule needs dates, not a calendar). */
function date(i: number): string {
  return new Date(Date.UTC(2023, 0, 1 + i)).toISOString().slice(0, 10);
}

function history(isin: string, prices: Record<number, string>, skip: readonly number[] = [], from = 0): PriceHistory {
  const closes = [];
  for (let i = from; i <= 250; i += 1) {
    if (skip.includes(i)) continue;
    closes.push({ date: date(i), price: new Dec(prices[i] ?? '100') });
  }
  return { isin, closes };
}

const X = 40;
const Y = 90;
const Z = 150;
const W = 200;

const A = history('AAAAAAAAAAA1', { [X]: '95', [Y]: '96', [W]: '98' });
const B = history('BBBBBBBBBBB2', { [X]: '95', [Z]: '106' }, [Y]);
const asOf = date(250);

describe('varRank', () => {
  it('is the ceiling of n × (1 − c)', () => {
    expect(varRank(250)).toBe(3);
    expect(varRank(500)).toBe(5);
    expect(varRank(251)).toBe(3);
    expect(varRank(300, new Dec('0.95'))).toBe(15);
  });
});

describe('scenarioReturns', () => {
  it('takes the last 250 dates of the union and a return of 0 where an instrument has no close', () => {
    const scenarios = scenarioReturns([A, B], asOf);

    expect(scenarios.dates).toHaveLength(250);
    expect(scenarios.dates[0]).toBe(date(1));
    expect(scenarios.dates[249]).toBe(asOf);
    const b = scenarios.returns.get(B.isin) ?? [];
    expect(b[Y - 1]).toBe(0n);
    // 100 / 106 − 1 = −0.056603773584905660377358…, half-even to 20 places
    expect(b[Z]).toBe(-5660377358490566038n);
    expect(RETURN_DECIMALS).toBe(20);
  });

  it('reports an instrument whose history starts after the window base', () => {
    const late = history('CCCCCCCCCCC3', {}, [], 1);
    expect(scenarioReturns([A, late], asOf).shortHistory).toEqual([late.isin]);
  });

  it('refuses a window under 250 days', () => {
    expect(() => scenarioReturns([A], asOf, 100)).toThrow(RangeError);
  });
});

describe('historicalVar', () => {
  const scenarios = scenarioReturns([A, B], asOf);

  it('is the loss of the third-worst of 250 scenarios', () => {
    const result = historicalVar(
      new Map([
        [A.isin, new Dec('10000')],
        [B.isin, new Dec('-5000')],
      ]),
      scenarios,
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.valueAtRisk.toFixed()).toBe('250');
    expect(result.scenarioDate).toBe(date(X));
    expect(result.rank).toBe(3);
    expect(result.scenarios).toBe(250);
  });

  it('ranks exactly: a long-only book loses 400 on its third-worst day (−500, −400 on X and Y; −200 on W)', () => {
    const result = historicalVar(new Map([[A.isin, new Dec('10000')]]), scenarios);
    // −500 (X), −400 (Y), −200 (W): third worst is W.
    expect(result.ok && result.valueAtRisk.toFixed()).toBe('200');
    expect(result.ok && result.scenarioDate).toBe(date(W));
  });

  it('rounds each return to 20 places, once', () => {
    // Short A alone loses on the recoveries: 95 → 100 (X+1), 96 → 100 (Y+1), 98 → 100 (W+1), the third worst.
    const result = historicalVar(new Map([[A.isin, new Dec('-10000')]]), scenarios);
    // 100 / 98 − 1 = 0.020408163265306122448979… → 0.02040816326530612245; × −10,000
    expect(result.ok && result.scenarioPnl.toFixed()).toBe('-204.0816326530612245');
    expect(result.ok && result.valueAtRisk.toFixed()).toBe('204.0816326530612245');
  });

  it('is 0 for a book that does not lose on its third-worst day', () => {
    const flat = history('DDDDDDDDDDD4', {});
    const none = historicalVar(new Map([[flat.isin, new Dec('5000')]]), scenarioReturns([flat], asOf));
    expect(none.ok && none.valueAtRisk.toFixed()).toBe('0');
  });

  it('is not computed on a short history, naming the instruments', () => {
    const late = history('CCCCCCCCCCC3', {}, [], 1);
    const result = historicalVar(new Map([[late.isin, new Dec('100')]]), scenarioReturns([A, late], asOf));

    expect(result).toMatchObject({ ok: false, code: 'INSUFFICIENT_HISTORY', isins: [late.isin] });
  });
});

describe('historicalVar ranks exactly, however close the scenarios (its float screening only picks candidates)', () => {
  /** The definition itself: every scenario's P&L in integers, ranked by value then date. */
  function bruteForce(values: ReadonlyMap<string, Dec>, scenarios: ReturnType<typeof scenarioReturns>) {
    const scale = Math.max(0, ...[...values.values()].map((v) => v.decimalPlaces()));
    const pnl = scenarios.dates.map((_, t) => {
      let sum = 0n;
      for (const [isin, value] of values)
        sum += BigInt(value.toFixed(scale).replace('.', '')) * ((scenarios.returns.get(isin) ?? [])[t] ?? 0n);
      return { value: sum, t };
    });
    pnl.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : a.t - b.t));
    const kth = pnl[varRank(pnl.length) - 1] as { value: bigint; t: number };
    return { pnl: new Dec(kth.value, scale + RETURN_DECIMALS), date: scenarios.dates[kth.t] };
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: random books, near-ties included, agree with the brute force', (seed) => {
    let state = seed * 2654435761;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    const isins = ['AAAAAAAAAAA1', 'BBBBBBBBBBB2', 'CCCCCCCCCCC3', 'DDDDDDDDDDD4'];
    // Prices on a coarse grid, so that many scenarios tie or differ by a hair at 20 decimals.
    const histories = isins.map((isin) => {
      const prices: Record<number, string> = {};
      for (let i = 0; i <= 250; i += 1) prices[i] = (100 + Math.floor(random() * 5) * 0.25).toFixed(2);
      return history(isin, prices);
    });
    const scenarios = scenarioReturns(histories, asOf);
    const values = new Map(
      isins.map((isin) => [isin, new Dec(((random() - 0.4) * 1e7).toFixed(Math.floor(random() * 8)))] as const),
    );

    const result = historicalVar(values, scenarios);
    const expected = bruteForce(values, scenarios);

    if (!result.ok) throw new Error(result.message);
    expect([result.scenarioPnl.toFixed(), result.scenarioDate]).toEqual([expected.pnl.toFixed(), expected.date]);
  });
});
