/**
 * The platform's decimal number: an exact coefficient (a BigInt) and a count of decimal places, so that prices,
 * quantities and amounts are never binary floating point.
 *
 * It keeps the arithmetic the platform had with decimal.js (precision 40, rounding half-even), and its method names,
 * so that every figure comes out as before: sums, differences and products are exact whenever they have at most 40
 * significant digits and are otherwise rounded to 40, half-even; a quotient is rounded to 40 significant digits,
 * half-even; nothing else rounds unless asked to (toDecimalPlaces, toFixed with places, floor, ceil, round). A
 * unit test compares every operation with decimal.js on random operands, to the last digit.
 *
 * Why not decimal.js itself: it keeps its digits in arrays of base-1e7 words and rounds in JavaScript after every
 * operation. The daily report values some 14,000 positions an evening through these operations; with the engine's
 * own BigInt arithmetic they take a fraction of the time (`npm run bench:report`).
 *
 * Besides finite values, ±Infinity (an account without a limit has an infinite one). Not-a-number is refused: an
 * operation that would make one (0/0, ∞ − ∞, 0 × ∞) throws, as does text that is not a number.
 */

/** Rounding modes, with decimal.js's numbers. */
export const RoundingMode = {
  UP: 0,
  DOWN: 1,
  CEIL: 2,
  FLOOR: 3,
  HALF_UP: 4,
  HALF_DOWN: 5,
  HALF_EVEN: 6,
  HALF_CEIL: 7,
  HALF_FLOOR: 8,
} as const;
export type RoundingMode = (typeof RoundingMode)[keyof typeof RoundingMode];

export type DecValue = Dec | string | number | bigint;

/** Significant digits kept by plus, minus, times and div. */
const PRECISION = 40;
const LIMIT = 10n ** BigInt(PRECISION);
const POWERS: bigint[] = [];
for (let p = 0n; POWERS.length < 128; p += 1n) POWERS.push(10n ** p);

function pow10(n: number): bigint {
  return POWERS[n] ?? 10n ** BigInt(n);
}

const NUMBER_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

function invalid(value: unknown): Error {
  return new Error(`[DecimalError] Invalid argument: ${String(value)}`);
}

function digitCount(c: bigint): number {
  return (c < 0n ? -c : c).toString().length;
}

/** c / d rounded to an integer by `mode` (d > 0). */
function divideRounded(c: bigint, d: bigint, mode: RoundingMode): bigint {
  const q = c / d;
  const r = c - q * d;
  if (r === 0n) return q;
  const sign = c < 0n ? -1n : 1n;
  const twice = (r < 0n ? -r : r) * 2n;
  const half = twice === d ? 0 : twice > d ? 1 : -1;
  let away: boolean;
  switch (mode) {
    case RoundingMode.UP:
      away = true;
      break;
    case RoundingMode.DOWN:
      away = false;
      break;
    case RoundingMode.CEIL:
      away = sign > 0n;
      break;
    case RoundingMode.FLOOR:
      away = sign < 0n;
      break;
    case RoundingMode.HALF_UP:
      away = half >= 0;
      break;
    case RoundingMode.HALF_DOWN:
      away = half > 0;
      break;
    case RoundingMode.HALF_EVEN:
      away = half > 0 || (half === 0 && (q & 1n) === 1n);
      break;
    case RoundingMode.HALF_CEIL:
      away = half > 0 || (half === 0 && sign > 0n);
      break;
    case RoundingMode.HALF_FLOOR:
      away = half > 0 || (half === 0 && sign < 0n);
      break;
    default:
      throw invalid(mode);
  }
  return away ? q + sign : q;
}

export class Dec {
  static readonly ROUND_UP = RoundingMode.UP;
  static readonly ROUND_DOWN = RoundingMode.DOWN;
  static readonly ROUND_CEIL = RoundingMode.CEIL;
  static readonly ROUND_FLOOR = RoundingMode.FLOOR;
  static readonly ROUND_HALF_UP = RoundingMode.HALF_UP;
  static readonly ROUND_HALF_DOWN = RoundingMode.HALF_DOWN;
  static readonly ROUND_HALF_EVEN = RoundingMode.HALF_EVEN;
  static readonly ROUND_HALF_CEIL = RoundingMode.HALF_CEIL;
  static readonly ROUND_HALF_FLOOR = RoundingMode.HALF_FLOOR;

  /** The value is c × 10^-s (s ≥ 0) when f is 0; +Infinity when f is 1, −Infinity when −1 (c is then 0). */
  private readonly c: bigint;
  private readonly s: number;
  private readonly f: number;

  /** From text ("-12.345", "1e-7", "Infinity"), a number, a BigInt (an integer), or another Dec. */
  constructor(value: DecValue);
  /** @internal c × 10^-scale. */
  constructor(value: bigint, scale: number, infinite?: number);
  constructor(value: DecValue, scale = 0, infinite = 0) {
    if (typeof value === 'bigint') {
      this.c = value;
      this.s = scale;
      this.f = infinite;
      return;
    }
    if (value instanceof Dec) {
      this.c = value.c;
      this.s = value.s;
      this.f = value.f;
      return;
    }
    let text: string;
    if (typeof value === 'number') {
      if (Number.isNaN(value)) throw invalid(value);
      if (!Number.isFinite(value)) {
        this.c = 0n;
        this.s = 0;
        this.f = value > 0 ? 1 : -1;
        return;
      }
      text = String(value);
    } else if (typeof value === 'string') {
      text = value;
    } else {
      throw invalid(value);
    }
    const parsed = NUMBER_TEXT.exec(text);
    if (parsed === null) {
      const infinity = /^([+-]?)Infinity$/.exec(text);
      if (infinity === null) throw invalid(value);
      this.c = 0n;
      this.s = 0;
      this.f = infinity[1] === '-' ? -1 : 1;
      return;
    }
    const whole = parsed[2] ?? '';
    const fraction = parsed[3] ?? '';
    if (whole === '' && fraction === '') throw invalid(value);
    let c = BigInt(whole + fraction);
    let s = fraction.length - Number(parsed[4] ?? 0);
    if (s < 0) {
      c *= pow10(-s);
      s = 0;
    }
    this.c = parsed[1] === '-' ? -c : c;
    this.s = s;
    this.f = 0;
  }

  static max(...values: DecValue[]): Dec {
    return values.map(toDec).reduce((a, b) => (b.cmp(a) > 0 ? b : a));
  }

  static min(...values: DecValue[]): Dec {
    return values.map(toDec).reduce((a, b) => (b.cmp(a) < 0 ? b : a));
  }

  plus(value: DecValue): Dec {
    const y = toDec(value);
    if (this.f !== 0 || y.f !== 0) {
      if (this.f !== 0 && y.f !== 0 && this.f !== y.f) throw notANumber('Infinity - Infinity');
      return this.f !== 0 ? this : y;
    }
    if (this.s === y.s) return fit(this.c + y.c, this.s);
    return this.s > y.s
      ? fit(this.c + y.c * pow10(this.s - y.s), this.s)
      : fit(this.c * pow10(y.s - this.s) + y.c, y.s);
  }

  minus(value: DecValue): Dec {
    return this.plus(toDec(value).negated());
  }

  times(value: DecValue): Dec {
    const y = toDec(value);
    if (this.f !== 0 || y.f !== 0) {
      const sign = this.sign() * y.sign();
      if (sign === 0) throw notANumber('0 × Infinity');
      return sign > 0 ? INFINITY : NEGATIVE_INFINITY;
    }
    return fit(this.c * y.c, this.s + y.s);
  }

  /** The quotient to 40 significant digits, half-even. x / 0 is ±Infinity; 0 / 0 throws. */
  div(value: DecValue): Dec {
    const y = toDec(value);
    if (this.f !== 0 || y.f !== 0) {
      if (this.f !== 0 && y.f !== 0) throw notANumber('Infinity / Infinity');
      if (y.f !== 0) return ZERO;
      const sign = this.sign() * (y.c < 0n ? -1 : 1);
      return sign > 0 ? INFINITY : NEGATIVE_INFINITY;
    }
    if (y.c === 0n) {
      if (this.c === 0n) throw notANumber('0 / 0');
      return this.c > 0n ? INFINITY : NEGATIVE_INFINITY;
    }
    if (this.c === 0n) return ZERO;
    // Enough digits that the quotient has more than 40, so that fit rounds it; an inexact quotient gets a last
    // digit 1 (a sticky digit): whatever is dropped is then never mistaken for exactly half or for nothing.
    const k = Math.max(0, PRECISION + 1 - digitCount(this.c) + digitCount(y.c));
    const n = this.c * pow10(k);
    let q = n / y.c;
    let s = this.s + k - y.s;
    if (q * y.c !== n) {
      q = q * 10n + (q < 0n ? -1n : 1n);
      s += 1;
    }
    if (s < 0) return fit(q * pow10(-s), 0);
    return fit(q, s);
  }

  dividedBy(value: DecValue): Dec {
    return this.div(value);
  }

  /** The remainder of a truncated division (the sign of this), to 40 significant digits. x mod 0, ∞ mod y throw. */
  modulo(value: DecValue): Dec {
    const y = toDec(value);
    if (this.f !== 0 || y.isZero()) throw notANumber(`${this.toFixed()} mod ${y.toFixed()}`);
    if (y.f !== 0) return this;
    const s = Math.max(this.s, y.s);
    return fit((this.c * pow10(s - this.s)) % (y.c * pow10(s - y.s)), s);
  }

  negated(): Dec {
    return this.f !== 0 ? (this.f > 0 ? NEGATIVE_INFINITY : INFINITY) : new Dec(-this.c, this.s);
  }

  abs(): Dec {
    return this.f < 0 || this.c < 0n ? this.negated() : this;
  }

  /** −1, 0 or 1. */
  private sign(): number {
    if (this.f !== 0) return this.f;
    return this.c > 0n ? 1 : this.c < 0n ? -1 : 0;
  }

  /** −1, 0 or 1 as this is less than, equal to or greater than `value`. */
  cmp(value: DecValue): number {
    const y = toDec(value);
    if (this.f !== 0 || y.f !== 0) return this.f === y.f ? 0 : this.f > y.f ? 1 : -1;
    let a = this.c;
    let b = y.c;
    if (this.s > y.s) b *= pow10(this.s - y.s);
    else if (this.s < y.s) a *= pow10(y.s - this.s);
    return a === b ? 0 : a > b ? 1 : -1;
  }

  comparedTo(value: DecValue): number {
    return this.cmp(value);
  }

  eq(value: DecValue): boolean {
    return this.cmp(value) === 0;
  }

  equals(value: DecValue): boolean {
    return this.cmp(value) === 0;
  }

  lt(value: DecValue): boolean {
    return this.cmp(value) < 0;
  }

  lessThan(value: DecValue): boolean {
    return this.cmp(value) < 0;
  }

  lte(value: DecValue): boolean {
    return this.cmp(value) <= 0;
  }

  lessThanOrEqualTo(value: DecValue): boolean {
    return this.cmp(value) <= 0;
  }

  gt(value: DecValue): boolean {
    return this.cmp(value) > 0;
  }

  greaterThan(value: DecValue): boolean {
    return this.cmp(value) > 0;
  }

  gte(value: DecValue): boolean {
    return this.cmp(value) >= 0;
  }

  greaterThanOrEqualTo(value: DecValue): boolean {
    return this.cmp(value) >= 0;
  }

  isZero(): boolean {
    return this.f === 0 && this.c === 0n;
  }

  /** Below zero. */
  isNegative(): boolean {
    return this.f < 0 || this.c < 0n;
  }

  /** Zero or above (as decimal.js, whose positive zero is positive). */
  isPositive(): boolean {
    return this.f > 0 || (this.f === 0 && this.c >= 0n);
  }

  isFinite(): boolean {
    return this.f === 0;
  }

  /** Always false: no Dec is not-a-number. */
  isNaN(): boolean {
    return false;
  }

  isInteger(): boolean {
    return this.f === 0 && (this.s === 0 || this.c % pow10(this.s) === 0n);
  }

  /** Digits after the point, trailing zeros not counted; NaN for an infinity. */
  decimalPlaces(): number {
    if (this.f !== 0) return Number.NaN;
    return trimmed(this.c, this.s)[1];
  }

  /** Rounded to `places` digits after the point (default: unchanged), half-even unless `mode` says otherwise. */
  toDecimalPlaces(places?: number, mode: RoundingMode = RoundingMode.HALF_EVEN): Dec {
    if (places === undefined || this.f !== 0 || this.s <= places) return this;
    return new Dec(divideRounded(this.c, pow10(this.s - places), mode), places);
  }

  floor(): Dec {
    return this.toDecimalPlaces(0, RoundingMode.FLOOR);
  }

  ceil(): Dec {
    return this.toDecimalPlaces(0, RoundingMode.CEIL);
  }

  /** To an integer, half-even. */
  round(): Dec {
    return this.toDecimalPlaces(0, RoundingMode.HALF_EVEN);
  }

  /**
   * Plain notation, never exponential: with `places`, rounded (half-even unless `mode` says otherwise) and padded
   * to exactly that many digits after the point; without, every digit of the value and no trailing zeros.
   */
  toFixed(places?: number, mode: RoundingMode = RoundingMode.HALF_EVEN): string {
    if (this.f !== 0) return this.f > 0 ? 'Infinity' : '-Infinity';
    if (places === undefined) {
      const [c, s] = trimmed(this.c, this.s);
      return plain(c, s);
    }
    if (this.s <= places) return plain(this.c * pow10(places - this.s), places);
    return plain(divideRounded(this.c, pow10(this.s - places), mode), places);
  }

  toString(): string {
    return this.toFixed();
  }

  toJSON(): string {
    return this.toFixed();
  }

  valueOf(): string {
    return this.toFixed();
  }

  toNumber(): number {
    return this.f !== 0 ? this.f * Number.POSITIVE_INFINITY : Number(this.toFixed());
  }
}

const ZERO = new Dec(0n, 0);
const INFINITY = new Dec(0n, 0, 1);
const NEGATIVE_INFINITY = new Dec(0n, 0, -1);

function toDec(value: DecValue): Dec {
  return value instanceof Dec ? value : new Dec(value);
}

function notANumber(what: string): Error {
  return new Error(`[DecimalError] ${what} is not a number`);
}

/** c × 10^-s rounded to 40 significant digits, half-even (exact when it has no more). */
function fit(c: bigint, s: number): Dec {
  if (c < LIMIT && c > -LIMIT) return new Dec(c, s);
  const drop = digitCount(c) - PRECISION;
  const rounded = divideRounded(c, pow10(drop), RoundingMode.HALF_EVEN);
  return s >= drop ? new Dec(rounded, s - drop) : new Dec(rounded * pow10(drop - s), 0);
}

/** Trailing zeros after the point taken off. */
function trimmed(c: bigint, s: number): [bigint, number] {
  if (c === 0n) return [0n, 0];
  while (s > 0 && c % 10n === 0n) {
    c /= 10n;
    s -= 1;
  }
  return [c, s];
}

function plain(c: bigint, s: number): string {
  const negative = c < 0n;
  const digits = (negative ? -c : c).toString();
  if (s === 0) return negative ? `-${digits}` : digits;
  const padded = digits.length > s ? digits : '0'.repeat(s - digits.length + 1) + digits;
  const text = `${padded.slice(0, padded.length - s)}.${padded.slice(padded.length - s)}`;
  return negative ? `-${text}` : text;
}
