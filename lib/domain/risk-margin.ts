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
  let initial = new Dec(0);
  let maintenance = new Dec(0);
  for (const line of lines) {
    const rule = marginRuleFor(rules, line.isin);
    const short = line.marketValue.isNegative();
    const value = line.marketValue.abs();
    initial = initial.plus(value.times(short ? rule.initialShort : rule.initialLong));
    maintenance = maintenance.plus(value.times(short ? rule.maintenanceShort : rule.maintenanceLong));
  }
  return {
    equity,
    initialRequirement: initial,
    maintenanceRequirement: maintenance,
    excessOverInitial: equity.minus(initial),
    excessOverMaintenance: equity.minus(maintenance),
    marginCall: equity.lt(maintenance),
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
