/**
 * Exposure of one account (issue 19): what its positions are worth in its base currency, how much of that is long
 * and short, and how concentrated it is per instrument and per sector. Pure and exact (the platform's decimal);
 * nothing is rounded here: figures are rounded once, half-even, to the base currency where they are shown.
 *
 * Definitions, per position of signed quantity q (negative short), close price p (instrument currency) and FX
 * rate x (units of base per unit of the instrument's currency):
 *
 *   market value (base)      mv = q · p · x                 (negative for a short)
 *   long market value        L  = Σ mv over mv > 0
 *   short market value       S  = Σ |mv| over mv < 0        (a positive amount)
 *   gross exposure           G  = L + S
 *   net exposure             N  = L − S
 *   instrument concentration c_i = |mv_i| / G              (0 when G = 0)
 *   sector concentration     c_s = Σ_{i in s} |mv_i| / G   (an instrument without a sector counts as UNCLASSIFIED)
 *   unrealized (base)        u  = mv − B                    (B the open cost in base, signed as the position)
 *
 * A position with no price or no FX rate cannot be valued: it is listed in `unvalued` and counts in nothing else,
 * so that a caller can tell "flat" from "not known".
 */
import { Dec } from './money';

/** The sector of an instrument with none in the reference data. */
export const UNCLASSIFIED_SECTOR = 'UNCLASSIFIED';

const ZERO = new Dec(0);

export interface RiskPosition {
  readonly isin: string;
  readonly sector: string | undefined;
  /** Signed: negative for a short. */
  readonly quantity: Dec;
  /** The close the position is marked at, in the instrument's currency; undefined when there is none. */
  readonly price: Dec | undefined;
  /** Units of the account's base currency per unit of the instrument's; undefined when there is none. */
  readonly fxRate: Dec | undefined;
  /** Open cost in base currency, signed as the position (lib/domain/lots `openCost`). */
  readonly openCostBase: Dec;
  /** Realized P&L since inception in base currency. */
  readonly realizedBase: Dec;
}

export interface ExposureLine {
  readonly isin: string;
  readonly sector: string;
  /** Signed market value in base currency. */
  readonly marketValue: Dec;
  /** |marketValue| / gross exposure. */
  readonly concentration: Dec;
}

export interface SectorExposure {
  readonly sector: string;
  /** Σ |market value| of the sector's instruments. */
  readonly grossMarketValue: Dec;
  readonly concentration: Dec;
}

export interface Exposure {
  readonly longMarketValue: Dec;
  readonly shortMarketValue: Dec;
  readonly grossExposure: Dec;
  readonly netExposure: Dec;
  /** Σ (market value − open cost) of the valued positions. */
  readonly unrealizedBase: Dec;
  /** Σ realized since inception of every position (valued or not: realized needs no price). */
  readonly realizedBase: Dec;
  /** Valued positions, by ISIN. */
  readonly instruments: readonly ExposureLine[];
  /** By sector name. */
  readonly sectors: readonly SectorExposure[];
  /** ISINs of the positions with no price or FX rate. */
  readonly unvalued: readonly string[];
}

/** |part| / whole, 0 when whole is 0 (an account with nothing valued is concentrated in nothing). */
function share(part: Dec, whole: Dec): Dec {
  return whole.isZero() ? ZERO : part.abs().div(whole);
}

/** The exposure of one account's positions (see the module's definitions). */
export function accountExposure(positions: readonly RiskPosition[]): Exposure {
  let long = ZERO;
  let short = ZERO;
  let unrealized = ZERO;
  let realized = ZERO;
  const valued: { isin: string; sector: string; marketValue: Dec }[] = [];
  const unvalued: string[] = [];
  for (const position of positions) {
    realized = realized.plus(position.realizedBase);
    if (position.price === undefined || position.fxRate === undefined) {
      if (!position.quantity.isZero()) unvalued.push(position.isin);
      continue;
    }
    const marketValue = position.quantity.times(position.price).times(position.fxRate);
    if (marketValue.isNegative()) short = short.plus(marketValue.abs());
    else long = long.plus(marketValue);
    unrealized = unrealized.plus(marketValue.minus(position.openCostBase));
    valued.push({ isin: position.isin, sector: position.sector ?? UNCLASSIFIED_SECTOR, marketValue });
  }
  const gross = long.plus(short);
  const bySector = new Map<string, Dec>();
  for (const line of valued)
    bySector.set(line.sector, (bySector.get(line.sector) ?? ZERO).plus(line.marketValue.abs()));
  return {
    longMarketValue: long,
    shortMarketValue: short,
    grossExposure: gross,
    netExposure: long.minus(short),
    unrealizedBase: unrealized,
    realizedBase: realized,
    instruments: valued
      .sort((a, b) => (a.isin < b.isin ? -1 : a.isin > b.isin ? 1 : 0))
      .map((line) => ({ ...line, concentration: share(line.marketValue, gross) })),
    sectors: [...bySector.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([sector, grossMarketValue]) => ({
        sector,
        grossMarketValue,
        concentration: share(grossMarketValue, gross),
      })),
    unvalued: unvalued.sort(),
  };
}
