/** Account limits and the restricted list. */
import { toDayNumber } from '../calendar';
import { grossAmount, signedQuantity } from '../trade';
import { ValidationCode, violation } from './codes';
import { NEW_AND_AMEND, PASS, ValidationRule } from './rule';

/** The trade's notional (quantity × price), converted to the account's base currency, within its per-trade limit. */
export const notionalLimit: ValidationRule = {
  name: 'notionalLimit',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { account, fxRateToBase }) => {
    if (!account) return PASS;
    if (!fxRateToBase) {
      return [
        violation(
          ValidationCode.FX_RATE_MISSING,
          `no ${trade.currency}/${account.baseCurrency} rate for ${trade.tradeDate} to check the notional limit`,
        ),
      ];
    }
    const notional = grossAmount(trade).times(fxRateToBase);
    return notional.greaterThan(account.notionalLimit)
      ? [
          violation(
            ValidationCode.NOTIONAL_LIMIT,
            `notional ${notional.toFixed()} ${account.baseCurrency} exceeds account ${account.id}'s limit ` +
              `${account.notionalLimit.toFixed()} ${account.baseCurrency}`,
          ),
        ]
      : PASS;
  },
};

/**
 * The absolute position after the trade within the account's limit. A trade that brings an over-limit position
 * closer to flat is allowed: blocking it would keep the breach open.
 */
export const positionLimit: ValidationRule = {
  name: 'positionLimit',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { account, positionQuantity }) => {
    if (!account) return PASS;
    const after = positionQuantity.plus(signedQuantity(trade));
    const breaches = after.abs().greaterThan(account.positionLimit) && after.abs().greaterThan(positionQuantity.abs());
    return breaches
      ? [
          violation(
            ValidationCode.POSITION_LIMIT,
            `position in ${trade.isin} would be ${after.toFixed()} (from ${positionQuantity.toFixed()}), ` +
              `beyond account ${account.id}'s limit of ${account.positionLimit.toFixed()}`,
          ),
        ]
      : PASS;
  },
};

export const restrictedInstrument: ValidationRule = {
  name: 'restrictedInstrument',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { restrictions }) => {
    const day = toDayNumber(trade.tradeDate);
    const entry = restrictions.find(
      (candidate) =>
        candidate.isin === trade.isin &&
        toDayNumber(candidate.from) <= day &&
        (candidate.to === undefined || day <= toDayNumber(candidate.to)),
    );
    return entry
      ? [
          violation(
            ValidationCode.RESTRICTED_INSTRUMENT,
            `${trade.isin} is on the restricted list from ${entry.from}${entry.to ? ` to ${entry.to}` : ''}` +
              (entry.reason ? ` (${entry.reason})` : ''),
          ),
        ]
      : PASS;
  },
};
