/** Duplicate executions and wash trades. */
import { Side } from '../trade';
import { ValidationCode, violation } from './codes';
import { beneficialOwnerOf } from './context';
import { EVERY_LIFECYCLE, NEW_AND_AMEND, PASS, ValidationRule } from './rule';

export const duplicateExecId: ValidationRule = {
  name: 'duplicateExecId',
  appliesTo: EVERY_LIFECYCLE,
  check: (trade, { execIdSeen }) =>
    execIdSeen ? [violation(ValidationCode.DUPLICATE_EXEC_ID, `ExecID ${trade.execId} was already captured`)] : PASS,
};

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
    const opposite = trade.side === Side.BUY ? Side.SELL : Side.BUY;
    const at = Date.parse(trade.tradeTime);
    const windowMs = thresholds.washTradeWindowSeconds * 1000;
    const match = recentExecutions.find(
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
    return match
      ? [
          violation(
            ValidationCode.WASH_TRADE,
            `beneficial owner ${owner} was on the other side of ${trade.isin} at the same price and quantity ` +
              `in ExecID ${match.execId} (${match.tradeTime}), within ${thresholds.washTradeWindowSeconds}s`,
          ),
        ]
      : PASS;
  },
};
