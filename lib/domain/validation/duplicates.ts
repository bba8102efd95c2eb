/** Duplicate executions and wash trades. */
import { Side, Trade } from '../trade';
import { ValidationCode, ValidationError, violation } from './codes';
import { RecentExecution, beneficialOwnerOf } from './context';
import { EVERY_LIFECYCLE, NEW_AND_AMEND, PASS, ValidationRule } from './rule';

export const duplicateExecId: ValidationRule = {
  name: 'duplicateExecId',
  appliesTo: EVERY_LIFECYCLE,
  check: (trade, { execIdSeen }) =>
    execIdSeen ? [violation(ValidationCode.DUPLICATE_EXEC_ID, `ExecID ${trade.execId} was already captured`)] : PASS,
};

/**
 * The execution `trade` would wash against: one of `owner`'s `executions` on the other side of the same
 * instrument, at the same price and quantity, within `windowSeconds` of the trade time; undefined when none is.
 * Versions of the same trade never wash each other. Shared by validation ({@link washTrade}) and by persistence,
 * which checks again at booking time the executions booked while the trade was in flight.
 */
export function findWashTrade(
  trade: Trade,
  owner: string,
  executions: readonly RecentExecution[],
  windowSeconds: number,
): RecentExecution | undefined {
  const opposite = trade.side === Side.BUY ? Side.SELL : Side.BUY;
  const at = Date.parse(trade.tradeTime);
  const windowMs = windowSeconds * 1000;
  return executions.find(
    (execution) =>
      execution.beneficialOwner === owner &&
      execution.isin === trade.isin &&
      execution.side === opposite &&
      execution.tradeId !== trade.tradeId &&
      execution.execId !== trade.execId &&
      execution.price.equals(trade.price) &&
      execution.quantity.equals(trade.quantity) &&
      Math.abs(Date.parse(execution.tradeTime) - at) <= windowMs,
  );
}

/** The WASH_TRADE failure of `trade` against the execution {@link findWashTrade} found. */
export function washTradeViolation(
  trade: Trade,
  owner: string,
  match: RecentExecution,
  windowSeconds: number,
): ValidationError {
  return violation(
    ValidationCode.WASH_TRADE,
    `beneficial owner ${owner} was on the other side of ${trade.isin} at the same price and quantity ` +
      `in ExecID ${match.execId} (${match.tradeTime}), within ${windowSeconds}s`,
  );
}

/**
 * Wash trade: the same beneficial owner on the other side of the same instrument, at the same price and
 * quantity, within the configured window. Owners are compared, not accounts, because a wash trade usually
 * spans two accounts of one owner. Versions of the same trade never wash each other.
 */
export const washTrade: ValidationRule = {
  name: 'washTrade',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { account, recentExecutions, thresholds }) => {
    const owner = beneficialOwnerOf(trade, account);
    if (owner === undefined) return PASS;
    const window = thresholds.washTradeWindowSeconds;
    const match = findWashTrade(trade, owner, recentExecutions, window);
    return match ? [washTradeViolation(trade, owner, match, window)] : PASS;
  },
};
