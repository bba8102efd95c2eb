import Decimal from 'decimal.js';

import { Dec, RoundingMode } from '../../../lib/domain/decimal';

/**
 * Dec must compute exactly what decimal.js configured as the platform had it (precision 40, half-even) computes:
 * every operation on random operands, from short amounts to 45-digit values past the precision, compared as text.
 */
const Oracle = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });

/** A small seeded generator (mulberry32): the same operands every run. */
function generator(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function operand(random: () => number): string {
  const roll = random();
  if (roll < 0.05) return '0';
  const digits = roll < 0.6 ? 1 + Math.floor(random() * 12) : 1 + Math.floor(random() * 45);
  let text = String(1 + Math.floor(random() * 9));
  for (let i = 1; i < digits; i++) text += String(Math.floor(random() * 10));
  // Trailing zeros now and then, as numeric columns give them ("390.00000000").
  if (random() < 0.2) text += '0'.repeat(1 + Math.floor(random() * 8));
  const places = Math.min(text.length + 3, Math.floor(random() * 30));
  const padded = text.padStart(places + 1, '0');
  const fixed = places === 0 ? padded : `${padded.slice(0, padded.length - places)}.${padded.slice(-places)}`;
  return random() < 0.5 ? `-${fixed}` : fixed;
}

/** decimal.js writes a negative zero as "-0…"; Dec has no negative zero. */
function text(value: Decimal): string {
  const fixed = value.toFixed();
  return /^-0(\.0*)?$/.test(fixed) ? fixed.slice(1) : fixed;
}

function fixedText(value: string): string {
  return /^-0(\.0*)?$/.test(value) ? value.slice(1) : value;
}

const MODES = Object.values(RoundingMode);
const CASES = 6000;

describe('Dec computes what decimal.js (precision 40, half-even) computes', () => {
  const random = generator(20241124);
  const pairs = Array.from({ length: CASES }, () => [operand(random), operand(random)] as const);

  it('parses and writes back every operand', () => {
    for (const [a] of pairs) {
      expect(new Dec(a).toFixed()).toBe(text(new Oracle(a)));
      expect(new Dec(a).toString()).toBe(text(new Oracle(a)));
      expect(new Dec(a).decimalPlaces()).toBe(new Oracle(a).decimalPlaces());
      expect(new Dec(a).isInteger()).toBe(new Oracle(a).isInteger());
    }
  });

  it('plus, minus, times and div, rounded to 40 significant digits', () => {
    for (const [a, b] of pairs) {
      const x = new Dec(a);
      const y = new Dec(b);
      const ox = new Oracle(a);
      const oy = new Oracle(b);
      expect([a, b, 'plus', x.plus(y).toFixed()]).toEqual([a, b, 'plus', text(ox.plus(oy))]);
      expect([a, b, 'minus', x.minus(y).toFixed()]).toEqual([a, b, 'minus', text(ox.minus(oy))]);
      expect([a, b, 'times', x.times(y).toFixed()]).toEqual([a, b, 'times', text(ox.times(oy))]);
      if (!oy.isZero()) {
        expect([a, b, 'div', x.div(y).toFixed()]).toEqual([a, b, 'div', text(ox.div(oy))]);
        expect([a, b, 'mod', x.modulo(y).toFixed()]).toEqual([a, b, 'mod', text(ox.modulo(oy))]);
      }
    }
  });

  it('compares', () => {
    for (const [a, b] of pairs) {
      const x = new Dec(a);
      const ox = new Oracle(a);
      expect(x.cmp(b)).toBe(ox.cmp(b));
      expect(x.cmp(a)).toBe(0);
      expect(x.eq(b)).toBe(ox.eq(b));
      expect(x.lt(b)).toBe(ox.lt(b));
      expect(x.lte(b)).toBe(ox.lte(b));
      expect(x.gt(b)).toBe(ox.gt(b));
      expect(x.gte(b)).toBe(ox.gte(b));
      expect(Dec.max(a, b).toFixed()).toBe(text(Oracle.max(a, b)));
      expect(Dec.min(a, b).toFixed()).toBe(text(Oracle.min(a, b)));
    }
  });

  it('rounds to places under every rounding mode, and writes fixed places', () => {
    for (const [a] of pairs.slice(0, 2000)) {
      const x = new Dec(a);
      const ox = new Oracle(a);
      for (let places = 0; places <= 6; places++) {
        for (const mode of MODES) {
          expect([a, places, mode, x.toDecimalPlaces(places, mode).toFixed()]).toEqual([
            a,
            places,
            mode,
            text(ox.toDecimalPlaces(places, mode)),
          ]);
          expect([a, places, mode, x.toFixed(places, mode)]).toEqual([
            a,
            places,
            mode,
            fixedText(ox.toFixed(places, mode)),
          ]);
        }
        expect(x.toFixed(places)).toBe(fixedText(ox.toFixed(places)));
      }
      expect(x.floor().toFixed()).toBe(text(ox.floor()));
      expect(x.ceil().toFixed()).toBe(text(ox.ceil()));
      expect(x.round().toFixed()).toBe(text(ox.round()));
      expect(x.abs().toFixed()).toBe(text(ox.abs()));
      expect(x.negated().toFixed()).toBe(text(ox.negated()));
      expect(x.toNumber()).toBe(ox.toNumber());
    }
  });

  it('chains as the lots do: a pro-rata relief and its remainder conserve cost to the digit', () => {
    const random2 = generator(7);
    for (let i = 0; i < 2000; i++) {
      const cost = operand(random2).replace('-', '');
      const quantity = String(1 + Math.floor(random2() * 5000));
      const relieved = String(1 + Math.floor(random2() * Number(quantity)));
      const rate = (0.5 + random2()).toFixed(10);
      const part = new Dec(cost).times(relieved).div(quantity);
      const oPart = new Oracle(cost).times(relieved).div(quantity);
      expect(part.toFixed()).toBe(text(oPart));
      expect(new Dec(cost).minus(part).times(rate).toFixed()).toBe(text(new Oracle(cost).minus(oPart).times(rate)));
    }
  });

  it('reads numbers, exponents and infinities as decimal.js does', () => {
    for (const value of [0, 1, -1, 0.1, 0.2 + 0.1, 1e-7, 1.5e21, 123456.789, -0.000001, 2 ** 60]) {
      expect(new Dec(value).toFixed()).toBe(text(new Oracle(value)));
    }
    for (const value of ['1e3', '1.5E-3', '-2.5e+2', '.5', '5.', '+7', '007.50']) {
      expect(new Dec(value).toFixed()).toBe(text(new Oracle(value)));
    }
    expect(new Dec(10n).toFixed()).toBe('10');
    const unlimited = new Dec(Infinity);
    expect(unlimited.isFinite()).toBe(false);
    expect(unlimited.gt('1e30')).toBe(true);
    expect(unlimited.times('0.9').eq(Infinity)).toBe(true);
    expect(unlimited.div(3).ceil().toFixed()).toBe('Infinity');
    expect(new Dec('-Infinity').lt(-5)).toBe(true);
    expect(new Dec(5).div(Infinity).isZero()).toBe(true);
    expect(new Dec(5).div(0).toFixed()).toBe('Infinity');
    expect(unlimited.toNumber()).toBe(Infinity);
  });

  it('refuses what is not a number', () => {
    for (const value of ['', 'abc', '1.2.3', '1e', '-', '.', 'NaN', ' 1', '0x10']) {
      expect(() => new Dec(value)).toThrow(/Invalid argument/);
    }
    expect(() => new Dec(Number.NaN)).toThrow(/Invalid argument/);
    expect(() => new Dec(0).div(0)).toThrow(/not a number/);
    expect(() => new Dec(Infinity).minus(Infinity)).toThrow(/not a number/);
    expect(() => new Dec(Infinity).times(0)).toThrow(/not a number/);
  });

  it('is JSON and text as its plain digits', () => {
    expect(JSON.stringify({ amount: new Dec('12.50') })).toBe('{"amount":"12.5"}');
    expect(String(new Dec('-0.000'))).toBe('0');
    expect(new Dec('1.50').eq('1.5')).toBe(true);
  });
});
