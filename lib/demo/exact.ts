/**
 * Exact sums, differences and products of decimals, for the P&L chain's check at full precision (pnl-chain.ts).
 *
 * Dec keeps 40 significant digits in its arithmetic, as the daily report does. The stored exact figures it checks
 * already carry up to 40 (an open cost left by a pro-rata relief), so Q·P·X − B, or a currency's sum of them,
 * would be rounded at the 40th digit in Dec, and a comparison "exactly" would then fail on a digit no report shows
 * (-231.7615784599…9995 against -231.76157846). Here the coefficient is an unbounded BigInt: nothing rounds. Results
 * go back to Dec, which holds any value exactly (only its arithmetic rounds), to be rounded to minor units,
 * compared and printed.
 */
import { Dec } from '../domain/money';

const PLAIN = /^(-?)(\d+)(?:\.(\d+))?$/;

export class ExactAmount {
  static readonly ZERO = new ExactAmount(0n, 0);

  private constructor(
    /** The value is c × 10^-s. */
    private readonly c: bigint,
    private readonly s: number,
  ) {}

  /** From plain decimal text ("-12.345", as PostgreSQL's numeric::text and Dec.toFixed() write it) or a Dec. */
  static of(value: string | Dec): ExactAmount {
    const text = typeof value === 'string' ? value : value.toFixed();
    const parsed = PLAIN.exec(text);
    if (parsed === null) throw new RangeError(`not a plain decimal: ${text}`);
    const fraction = parsed[3] ?? '';
    const c = BigInt(`${parsed[2] ?? ''}${fraction}`);
    return new ExactAmount(parsed[1] === '-' ? -c : c, fraction.length);
  }

  plus(other: ExactAmount): ExactAmount {
    const s = Math.max(this.s, other.s);
    return new ExactAmount(this.c * 10n ** BigInt(s - this.s) + other.c * 10n ** BigInt(s - other.s), s);
  }

  minus(other: ExactAmount): ExactAmount {
    return this.plus(new ExactAmount(-other.c, other.s));
  }

  times(other: ExactAmount): ExactAmount {
    return new ExactAmount(this.c * other.c, this.s + other.s);
  }

  isZero(): boolean {
    return this.c === 0n;
  }

  equals(other: ExactAmount): boolean {
    return this.minus(other).isZero();
  }

  /** The same value as a Dec (exact: only Dec's arithmetic rounds, not its values). */
  toDec(): Dec {
    return new Dec(`${this.c}e-${this.s}`);
  }

  /** Every digit, no trailing zeros. */
  toFixed(): string {
    return this.toDec().toFixed();
  }
}
