/**
 * Exposure of one account (issue 19): what its positions are worth in its base currency, how much of that is long
 * and short, and how concentrated it is per instrument and per sector. Pure and exact (the platform's decimal);
 * nothing is rounded here: figures are rounded once, half-even, to the base currency where they are shown.
 *
 * Computed in BigInt at one scale per account (risk-scaled.ts); the results are platform decimals.
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
import { abs, scaledOf, toDec, unitsAt, type Scaled } from './risk-scaled';

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

/** A position with its figures as scaled integers (risk-scaled.ts): what the risk stage reads from PostgreSQL. */
export interface ScaledRiskPosition {
  readonly isin: string;
  readonly sector: string | undefined;
  readonly quantity: Scaled;
  readonly price: Scaled | undefined;
  readonly fxRate: Scaled | undefined;
  readonly openCostBase: Scaled;
  readonly realizedBase: Scaled;
}

/** An exposure with the figures margin needs still as integers at the account's common scale. */
export interface ScaledExposure {
  readonly exposure: Exposure;
  /** The common scale of every figure below. */
  readonly scale: number;
  /** Signed market value of each line of `exposure.instruments`, in the same order. */
  readonly marketValues: readonly bigint[];
  readonly unrealized: bigint;
  readonly realized: bigint;
}

/** |part| / whole, 0 when whole is 0 (an account with nothing valued is concentrated in nothing). */
function share(part: bigint, whole: bigint, scale: number): Dec {
  return whole === 0n ? ZERO : toDec(abs(part), scale).div(toDec(whole, scale));
}

const byKey =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/** The exposure of one account's positions (see the module's definitions). */
export function accountExposure(positions: readonly RiskPosition[]): Exposure {
  return accountExposureScaled(
    positions.map((p) => ({
      isin: p.isin,
      sector: p.sector,
      quantity: scaledOf(p.quantity),
      price: p.price === undefined ? undefined : scaledOf(p.price),
      fxRate: p.fxRate === undefined ? undefined : scaledOf(p.fxRate),
      openCostBase: scaledOf(p.openCostBase),
      realizedBase: scaledOf(p.realizedBase),
    })),
  ).exposure;
}

/**
 * {@link accountExposure} of positions given as scaled integers, computed in BigInt at one scale per account (the
 * largest any market value, open cost or realized figure needs): the same figures, exactly, without a decimal per
 * step. Returns the integers margin goes on with (risk-margin.ts `accountMarginScaled`).
 */
export function accountExposureScaled(positions: readonly ScaledRiskPosition[]): ScaledExposure {
  let scale = 0;
  for (const p of positions) {
    if (p.realizedBase.scale > scale) scale = p.realizedBase.scale;
    if (p.price === undefined || p.fxRate === undefined) continue;
    const product = p.quantity.scale + p.price.scale + p.fxRate.scale;
    if (product > scale) scale = product;
    if (p.openCostBase.scale > scale) scale = p.openCostBase.scale;
  }
  let long = 0n;
  let short = 0n;
  let unrealized = 0n;
  let realized = 0n;
  const valued: { isin: string; sector: string; mv: bigint }[] = [];
  const unvalued: string[] = [];
  for (const p of positions) {
    realized += unitsAt(p.realizedBase, scale);
    if (p.price === undefined || p.fxRate === undefined) {
      if (p.quantity.units !== 0n) unvalued.push(p.isin);
      continue;
    }
    const mv = unitsAt(
      {
        units: p.quantity.units * p.price.units * p.fxRate.units,
        scale: p.quantity.scale + p.price.scale + p.fxRate.scale,
      },
      scale,
    );
    if (mv < 0n) short -= mv;
    else long += mv;
    unrealized += mv - unitsAt(p.openCostBase, scale);
    valued.push({ isin: p.isin, sector: p.sector ?? UNCLASSIFIED_SECTOR, mv });
  }
  const gross = long + short;
  const bySector = new Map<string, bigint>();
  for (const line of valued) bySector.set(line.sector, (bySector.get(line.sector) ?? 0n) + abs(line.mv));
  valued.sort(byKey((line) => line.isin));
  const exposure: Exposure = {
    longMarketValue: toDec(long, scale),
    shortMarketValue: toDec(short, scale),
    grossExposure: toDec(gross, scale),
    netExposure: toDec(long - short, scale),
    unrealizedBase: toDec(unrealized, scale),
    realizedBase: toDec(realized, scale),
    instruments: valued.map((line) => ({
      isin: line.isin,
      sector: line.sector,
      marketValue: toDec(line.mv, scale),
      concentration: share(line.mv, gross, scale),
    })),
    sectors: [...bySector.entries()].sort(byKey(([sector]) => sector)).map(([sector, grossMarketValue]) => ({
      sector,
      grossMarketValue: toDec(grossMarketValue, scale),
      concentration: share(grossMarketValue, gross, scale),
    })),
    unvalued: unvalued.sort(),
  };
  return { exposure, scale, marketValues: valued.map((line) => line.mv), unrealized, realized };
}
