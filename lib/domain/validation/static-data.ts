/** Static data: the trade's instrument, account, counterparty and SSI exist and are active. */
import { ValidationCode, violation } from './codes';
import { EVERY_LIFECYCLE, NEW_AND_AMEND, PASS, ValidationRule } from './rule';

export const instrumentKnown: ValidationRule = {
  name: 'instrumentKnown',
  appliesTo: EVERY_LIFECYCLE,
  check: (trade, { instrument }) =>
    instrument
      ? PASS
      : [violation(ValidationCode.INSTRUMENT_UNKNOWN, `instrument ${trade.isin} is not listed on ${trade.mic}`)],
};

export const instrumentActive: ValidationRule = {
  name: 'instrumentActive',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { instrument }) =>
    instrument && !instrument.active
      ? [violation(ValidationCode.INSTRUMENT_INACTIVE, `instrument ${trade.isin} on ${trade.mic} is inactive`)]
      : PASS,
};

export const accountKnown: ValidationRule = {
  name: 'accountKnown',
  appliesTo: EVERY_LIFECYCLE,
  check: (trade, { account }) =>
    account ? PASS : [violation(ValidationCode.ACCOUNT_UNKNOWN, `account ${trade.account} is unknown`)],
};

export const accountActive: ValidationRule = {
  name: 'accountActive',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { account }) =>
    account && !account.active
      ? [violation(ValidationCode.ACCOUNT_INACTIVE, `account ${trade.account} is inactive`)]
      : PASS,
};

export const counterpartyKnown: ValidationRule = {
  name: 'counterpartyKnown',
  appliesTo: EVERY_LIFECYCLE,
  check: (trade, { counterparty }) =>
    counterparty
      ? PASS
      : [violation(ValidationCode.COUNTERPARTY_UNKNOWN, `counterparty LEI ${trade.counterpartyLei} is unknown`)],
};

export const counterpartyActive: ValidationRule = {
  name: 'counterpartyActive',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { counterparty }) =>
    counterparty && !counterparty.active
      ? [violation(ValidationCode.COUNTERPARTY_INACTIVE, `counterparty LEI ${trade.counterpartyLei} is inactive`)]
      : PASS,
};

/** Without an active SSI the trade cannot be instructed to the custodian, so it is stopped here. */
export const ssiAvailable: ValidationRule = {
  name: 'ssiAvailable',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { instrument, ssi }) => {
    if (!instrument) return PASS;
    const where = `account ${trade.account}, market ${instrument.settlementMarket}, ${trade.currency}`;
    if (!ssi) return [violation(ValidationCode.SSI_MISSING, `no standing settlement instructions for ${where}`)];
    if (!ssi.active)
      return [
        violation(ValidationCode.SSI_INACTIVE, `standing settlement instructions ${ssi.id} for ${where} are inactive`),
      ];
    return PASS;
  },
};
