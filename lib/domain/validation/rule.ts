import { Trade, TradeLifecycle } from '../trade';
import { ValidationError } from './codes';
import { ValidationContext } from './context';

/** A named, pure compliance check: the errors it finds in one trade (none when it passes). */
export interface ValidationRule {
  readonly name: string;
  /**
   * Lifecycles the rule applies to. A cancel only undoes an accepted trade, so limits, tolerances and
   * "still active" checks never block it; it must still be a known, non-duplicate, consistent trade.
   */
  readonly appliesTo: readonly TradeLifecycle[];
  readonly check: (trade: Trade, context: ValidationContext) => readonly ValidationError[];
}

export const EVERY_LIFECYCLE: readonly TradeLifecycle[] = [
  TradeLifecycle.NEW,
  TradeLifecycle.AMEND,
  TradeLifecycle.CANCEL,
];
export const NEW_AND_AMEND: readonly TradeLifecycle[] = [TradeLifecycle.NEW, TradeLifecycle.AMEND];

/** No errors: the rule passed or did not have what it needs (another rule reports the gap). */
export const PASS: readonly ValidationError[] = [];
