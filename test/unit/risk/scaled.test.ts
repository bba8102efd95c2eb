/**
 * The risk figures in scaled integers (lib/domain/risk-scaled.ts) are the same as in the platform's decimal: the
 * reference below is exposure and margin computed step by step in `Dec` (as they were before the end-of-day run
 * moved to BigInt), compared figure by figure over random books with prices, quantities and FX rates of mixed
 * decimal places, shorts, unvalued positions and per-instrument margin overrides.
 */
import { Dec } from '../../../lib/domain/money';
import { accountExposure, type RiskPosition } from '../../../lib/domain/risk-exposure';
import { REG_T_FINRA_4210, accountMargin, marginRuleFor, type MarginRuleSet } from '../../../lib/domain/risk-margin';
import { parseScaled, scaledOf } from '../../../lib/domain/risk-scaled';

/** A seeded generator (mulberry32), so that a failure repeats. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function decimal(next: () => number, max: number, places: number, signed = false): Dec {
  const units = BigInt(Math.floor(next() * max * 10 ** places));
  return new Dec(`${signed && next() < 0.3 ? '-' : ''}${new Dec(units, places).toFixed()}`);
}

function referenceExposure(positions: readonly RiskPosition[]) {
  let long = new Dec(0);
  let short = new Dec(0);
  let unrealized = new Dec(0);
  let realized = new Dec(0);
  const lines: { isin: string; mv: Dec }[] = [];
  for (const p of positions) {
    realized = realized.plus(p.realizedBase);
    if (p.price === undefined || p.fxRate === undefined) continue;
    const mv = p.quantity.times(p.price).times(p.fxRate);
    if (mv.isNegative()) short = short.plus(mv.abs());
    else long = long.plus(mv);
    unrealized = unrealized.plus(mv.minus(p.openCostBase));
    lines.push({ isin: p.isin, mv });
  }
  const gross = long.plus(short);
  return {
    long,
    short,
    gross,
    net: long.minus(short),
    unrealized,
    realized,
    lines,
    conc: (mv: Dec) => mv.abs().div(gross),
  };
}

describe('risk in scaled integers', () => {
  it('parses PostgreSQL numeric text exactly and refuses anything else', () => {
    expect(parseScaled('-12.3400')).toEqual({ units: -123400n, scale: 4 });
    expect(parseScaled('7')).toEqual({ units: 7n, scale: 0 });
    expect(parseScaled('-0.05')).toEqual({ units: -5n, scale: 2 });
    expect(() => parseScaled('1e5')).toThrow(RangeError);
    expect(() => parseScaled('NaN')).toThrow(RangeError);
    expect(() => parseScaled('')).toThrow(RangeError);
    expect(scaledOf(new Dec('0.000001'))).toEqual({ units: 1n, scale: 6 });
  });

  it('gives the figures of step-by-step decimal arithmetic, exactly, over random books', () => {
    const next = random(19);
    for (let book = 0; book < 200; book += 1) {
      const positions: RiskPosition[] = Array.from({ length: 1 + Math.floor(next() * 30) }, (_, i) => ({
        isin: `XS${String(1000000000 + Math.floor(next() * 1e9))}${i % 10}`,
        sector: next() < 0.2 ? undefined : ['ENERGY', 'TECH', 'FINANCIALS'][i % 3],
        quantity: decimal(next, 10000, Math.floor(next() * 4), true),
        price: next() < 0.05 ? undefined : decimal(next, 500, Math.floor(next() * 6)),
        fxRate: next() < 0.05 ? undefined : decimal(next, 2, 1 + Math.floor(next() * 9)),
        openCostBase: decimal(next, 1e6, Math.floor(next() * 8), true),
        realizedBase: decimal(next, 1e4, Math.floor(next() * 10), true),
      }));
      const override = positions[0]?.isin ?? '';
      const rules: MarginRuleSet = {
        default: REG_T_FINRA_4210,
        overrides: new Map([
          [override, { ...REG_T_FINRA_4210, maintenanceShort: new Dec('0.375'), initialLong: new Dec('0.6') }],
        ]),
      };
      const exposure = accountExposure(positions);
      const ref = referenceExposure(positions);
      expect(exposure.longMarketValue.toFixed()).toBe(ref.long.toFixed());
      expect(exposure.shortMarketValue.toFixed()).toBe(ref.short.toFixed());
      expect(exposure.grossExposure.toFixed()).toBe(ref.gross.toFixed());
      expect(exposure.netExposure.toFixed()).toBe(ref.net.toFixed());
      expect(exposure.unrealizedBase.toFixed()).toBe(ref.unrealized.toFixed());
      expect(exposure.realizedBase.toFixed()).toBe(ref.realized.toFixed());
      const sorted = [...ref.lines].sort((a, b) => (a.isin < b.isin ? -1 : a.isin > b.isin ? 1 : 0));
      expect(exposure.instruments.map((l) => [l.isin, l.marketValue.toFixed(), l.concentration.toFixed()])).toEqual(
        sorted.map((l) => [l.isin, l.mv.toFixed(), ref.gross.isZero() ? '0' : ref.conc(l.mv).toFixed()]),
      );

      const equity = decimal(next, 1e6, 2).plus(ref.realized).plus(ref.unrealized);
      let initial = new Dec(0);
      let maintenance = new Dec(0);
      for (const line of ref.lines) {
        const rule = marginRuleFor(rules, line.isin);
        const isShort = line.mv.isNegative();
        initial = initial.plus(line.mv.abs().times(isShort ? rule.initialShort : rule.initialLong));
        maintenance = maintenance.plus(line.mv.abs().times(isShort ? rule.maintenanceShort : rule.maintenanceLong));
      }
      const margin = accountMargin(exposure.instruments, equity, rules);
      expect(margin.initialRequirement.toFixed()).toBe(initial.toFixed());
      expect(margin.maintenanceRequirement.toFixed()).toBe(maintenance.toFixed());
      expect(margin.excessOverInitial.toFixed()).toBe(equity.minus(initial).toFixed());
      expect(margin.excessOverMaintenance.toFixed()).toBe(equity.minus(maintenance).toFixed());
      expect(margin.marginCall).toBe(equity.lt(maintenance));
    }
  });
});
