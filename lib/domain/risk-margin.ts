/**
 * Margin of one account by a rule set that is data (table `margin_rules`, seed `migrations/seed/margin_rules.csv`),
 * in the style of Regulation T (initial) and FINRA Rule 4210 (maintenance) for cash equities:
 *
 *   initial requirement      I = Σ |mv_i| · initial rate of i's side
 *   maintenance requirement  M = Σ |mv_i| · maintenance rate of i's side
 *   equity                   E = collateral + realized since inception + unrealized      (all in base currency)
 *   excess over initial      E − I   (negative: the account may not open new positions on margin)
 *   excess over maintenance  E − M   (negative: a deficit, and a margin call)
 *
 * The side is the position's: long (q > 0) or short (q < 0). An instrument's override (a row with its ISIN)
 * replaces the default rates for that instrument. The defaults, {@link REG_T_FINRA_4210}: 50 % initial long and
 * short (Reg T §220.12 and its 150 % short-sale deposit, of which 100 % is the sale's own proceeds), maintenance
 * 25 % of long and 30 % of short market value (FINRA 4210(c); the rule's higher short minimums for low-priced
 * stocks are not modelled: an override carries them where needed). Equity as defined here treats the account as
 * having deposited `collateral` and financed every purchase (or held every short sale's proceeds) in the account:
 * its cash then moves with realized P&L only, so equity = collateral + total P&L.
 */
import { Dec } from './money';
import { pow10, scaledOf, toDec, unitsAt, type Scaled } from './risk-scaled';

export interface MarginRule {
  readonly initialLong: Dec;
  readonly initialShort: Dec;
  readonly maintenanceLong: Dec;
  readonly maintenanceShort: Dec;
}

export interface MarginRuleSet {
  readonly default: MarginRule;
  /** By ISIN. */
  readonly overrides: ReadonlyMap<string, MarginRule>;
}

/** Reg T initial, FINRA 4210 maintenance (see the module's TSDoc). */
export const REG_T_FINRA_4210: MarginRule = {
  initialLong: new Dec('0.5'),
  initialShort: new Dec('0.5'),
  maintenanceLong: new Dec('0.25'),
  maintenanceShort: new Dec('0.3'),
};

export interface MarginInput {
  readonly isin: string;
  /** Signed market value in base currency. */
  readonly marketValue: Dec;
}

export interface Margin {
  readonly equity: Dec;
  readonly initialRequirement: Dec;
  readonly maintenanceRequirement: Dec;
  readonly excessOverInitial: Dec;
  readonly excessOverMaintenance: Dec;
  /** Equity below the maintenance requirement. */
  readonly marginCall: boolean;
}

/** The rule that applies to an instrument: its override, else the default. */
export function marginRuleFor(rules: MarginRuleSet, isin: string): MarginRule {
  return rules.overrides.get(isin) ?? rules.default;
}

/** Requirements and excess of an account with `equity`, holding `lines` (see the module's definitions). */
export function accountMargin(lines: readonly MarginInput[], equity: Dec, rules: MarginRuleSet): Margin {
  const values = lines.map((line) => scaledOf(line.marketValue));
  const scale = Math.max(0, ...values.map((v) => v.scale));
  return accountMarginScaled(
    lines.map((line) => line.isin),
    values.map((v) => unitsAt(v, scale)),
    scale,
    scaledOf(equity),
    rules,
  );
}

/** A rule's rates as integers at one scale (`scale`, the largest of its four). */
interface ScaledRule {
  readonly scale: number;
  readonly initialLong: bigint;
  readonly initialShort: bigint;
  readonly maintenanceLong: bigint;
  readonly maintenanceShort: bigint;
}

const scaledRules = new WeakMap<MarginRule, ScaledRule>();

function scaledRule(rule: MarginRule): ScaledRule {
  let cached = scaledRules.get(rule);
  if (cached === undefined) {
    const rates = [rule.initialLong, rule.initialShort, rule.maintenanceLong, rule.maintenanceShort].map(scaledOf);
    const scale = Math.max(...rates.map((r) => r.scale));
    const [initialLong, initialShort, maintenanceLong, maintenanceShort] = rates.map((r) => unitsAt(r, scale)) as [
      bigint,
      bigint,
      bigint,
      bigint,
    ];
    cached = { scale, initialLong, initialShort, maintenanceLong, maintenanceShort };
    scaledRules.set(rule, cached);
  }
  return cached;
}

/**
 * {@link accountMargin} of market values given as integers at `scale` (risk-exposure.ts `accountExposureScaled`),
 * `isins[i]` holding `marketValues[i]`: the same figures, computed in BigInt.
 */
export function accountMarginScaled(
  isins: readonly string[],
  marketValues: readonly bigint[],
  scale: number,
  equity: Scaled,
  rules: MarginRuleSet,
): Margin {
  const lines = isins.map((isin) => scaledRule(marginRuleFor(rules, isin)));
  const rateScale = Math.max(0, ...lines.map((rule) => rule.scale));
  let initial = 0n;
  let maintenance = 0n;
  lines.forEach((rule, i) => {
    const mv = marketValues[i] as bigint;
    const value = (mv < 0n ? -mv : mv) * pow10(rateScale - rule.scale);
    initial += value * (mv < 0n ? rule.initialShort : rule.initialLong);
    maintenance += value * (mv < 0n ? rule.maintenanceShort : rule.maintenanceLong);
  });
  const at = Math.max(scale + rateScale, equity.scale);
  const e = unitsAt(equity, at);
  const i = unitsAt({ units: initial, scale: scale + rateScale }, at);
  const m = unitsAt({ units: maintenance, scale: scale + rateScale }, at);
  return {
    equity: toDec(equity.units, equity.scale),
    initialRequirement: toDec(i, at),
    maintenanceRequirement: toDec(m, at),
    excessOverInitial: toDec(e - i, at),
    excessOverMaintenance: toDec(e - m, at),
    marginCall: e < m,
  };
}

/** Checks a rule's rates (0 ≤ maintenance ≤ initial ≤ 1 per side): the reasons it is refused, none when valid. */
export function marginRuleErrors(rule: MarginRule): string[] {
  const errors: string[] = [];
  for (const side of ['Long', 'Short'] as const) {
    const initial = rule[`initial${side}`];
    const maintenance = rule[`maintenance${side}`];
    if (initial.isNegative() || initial.gt(1)) errors.push(`initial ${side.toLowerCase()} rate must be in [0, 1]`);
    if (maintenance.isNegative() || maintenance.gt(1))
      errors.push(`maintenance ${side.toLowerCase()} rate must be in [0, 1]`);
  }
  return errors;
}
