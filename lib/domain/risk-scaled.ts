/**
 * Exact decimals as scaled integers for the risk computations (issue 19): a value is `units × 10^-scale`. An
 * end-of-day run values every position of every account; building one platform decimal per figure and per step
 * (parse, product, sum) made the garbage collector the run's largest cost. Figures are read from PostgreSQL's text
 * straight into this form, each account is computed in BigInt at one common scale, and only the results become
 * decimals (`toDec`, no parsing). Exact: nothing is rounded here (no division happens in this form).
 */
import { Dec } from './money';

export interface Scaled {
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;
const POWERS: bigint[] = [];
for (let p = 0n; POWERS.length < 64; p += 1n) POWERS.push(10n ** p);

/** 10^n as a BigInt. */
export function pow10(n: number): bigint {
  return POWERS[n] ?? 10n ** BigInt(n);
}

/** A plain decimal text ("-12.3400", PostgreSQL's numeric output) as a scaled integer; anything else is refused. */
export function parseScaled(text: string): Scaled {
  if (!DECIMAL_TEXT.test(text)) throw new RangeError(`not a plain decimal: ${text}`);
  const dot = text.indexOf('.');
  if (dot < 0) return { units: BigInt(text), scale: 0 };
  return { units: BigInt(text.slice(0, dot) + text.slice(dot + 1)), scale: text.length - dot - 1 };
}

/** A platform decimal as a scaled integer (exact: its plain text has every digit). */
export function scaledOf(value: Dec): Scaled {
  return parseScaled(value.toFixed());
}

/** `value`'s units at `scale` (≥ its own scale: exact). */
export function unitsAt(value: Scaled, scale: number): bigint {
  return scale === value.scale ? value.units : value.units * pow10(scale - value.scale);
}

/** units × 10^-scale as a platform decimal (no parsing). */
export function toDec(units: bigint, scale: number): Dec {
  return new Dec(units, scale);
}

export const abs = (x: bigint): bigint => (x < 0n ? -x : x);
