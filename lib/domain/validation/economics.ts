/** The trade's own numbers: currency, quantity and lot, price precision and band, charges. */
import { MINOR_UNITS, hasAtMostDecimals } from '../money';
import { ValidationCode, ValidationError, violation } from './codes';
import { NEW_AND_AMEND, PASS, ValidationRule } from './rule';

const BPS_PER_UNIT = 10_000;

export const currencyOfInstrument: ValidationRule = {
  name: 'currencyOfInstrument',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { instrument }) =>
    instrument && instrument.currency !== trade.currency
      ? [
          violation(
            ValidationCode.CURRENCY_MISMATCH,
            `trade currency ${trade.currency} is not the instrument's currency ${instrument.currency}`,
          ),
        ]
      : PASS,
};

export const quantityPositive: ValidationRule = {
  name: 'quantityPositive',
  appliesTo: NEW_AND_AMEND,
  check: (trade) =>
    trade.quantity.greaterThan(0)
      ? PASS
      : [violation(ValidationCode.QUANTITY_NOT_POSITIVE, `quantity ${trade.quantity.toFixed()} is not positive`)],
};

export const lotSize: ValidationRule = {
  name: 'lotSize',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { instrument }) => {
    if (!instrument || !instrument.lotSize.greaterThan(0) || !trade.quantity.greaterThan(0)) return PASS;
    return trade.quantity.modulo(instrument.lotSize).isZero()
      ? PASS
      : [
          violation(
            ValidationCode.LOT_SIZE,
            `quantity ${trade.quantity.toFixed()} is not a multiple of the lot size ${instrument.lotSize.toFixed()}`,
          ),
        ];
  },
};

export const pricePositive: ValidationRule = {
  name: 'pricePositive',
  appliesTo: NEW_AND_AMEND,
  check: (trade) =>
    trade.price.greaterThan(0)
      ? PASS
      : [violation(ValidationCode.PRICE_NOT_POSITIVE, `price ${trade.price.toFixed()} is not positive`)],
};

/** More decimals than the instrument allows are rejected, never rounded: the sender must correct the price. */
export const priceDecimals: ValidationRule = {
  name: 'priceDecimals',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { instrument }) =>
    instrument && !hasAtMostDecimals(trade.price, instrument.priceDecimals)
      ? [
          violation(
            ValidationCode.PRICE_DECIMALS,
            `price ${trade.price.toFixed()} has more than the ${instrument.priceDecimals} decimals ${trade.isin} allows`,
          ),
        ]
      : PASS,
};

export const chargesNonNegative: ValidationRule = {
  name: 'chargesNonNegative',
  appliesTo: NEW_AND_AMEND,
  check: (trade) => {
    const charges = { commission: trade.commission, fees: trade.fees };
    return Object.entries(charges)
      .filter(([, amount]) => amount.isNegative())
      .map(([field, amount]) => violation(ValidationCode.CHARGES_NEGATIVE, `${field} ${amount.toFixed()} is negative`));
  },
};

/** Commission and fees are cash amounts: no more decimals than the currency's ISO 4217 minor units. */
export const amountDecimals: ValidationRule = {
  name: 'amountDecimals',
  appliesTo: NEW_AND_AMEND,
  check: (trade) => {
    const units = MINOR_UNITS[trade.currency];
    if (units === undefined) {
      return [
        violation(ValidationCode.CURRENCY_UNKNOWN, `currency ${trade.currency} has no known ISO 4217 minor units`),
      ];
    }
    const errors: ValidationError[] = [];
    for (const [field, amount] of [
      ['commission', trade.commission],
      ['fees', trade.fees],
    ] as const) {
      if (!hasAtMostDecimals(amount, units)) {
        errors.push(
          violation(
            ValidationCode.AMOUNT_DECIMALS,
            `${field} ${amount.toFixed()} has more than the ${units} decimals of ${trade.currency}`,
          ),
        );
      }
    }
    return errors;
  },
};

/** Fat-finger check: the price must lie within the configured band (in bps) around the reference price. */
export const priceTolerance: ValidationRule = {
  name: 'priceTolerance',
  appliesTo: NEW_AND_AMEND,
  check: (trade, { referencePrice, thresholds }) => {
    if (!referencePrice || !referencePrice.price.greaterThan(0)) {
      return thresholds.requireReferencePrice
        ? [violation(ValidationCode.REFERENCE_PRICE_MISSING, `no reference price for ${trade.isin}`)]
        : PASS;
    }
    const deviationBps = trade.price
      .minus(referencePrice.price)
      .abs()
      .dividedBy(referencePrice.price)
      .times(BPS_PER_UNIT);
    return deviationBps.greaterThan(thresholds.priceToleranceBps)
      ? [
          violation(
            ValidationCode.PRICE_TOLERANCE,
            `price ${trade.price.toFixed()} is ${deviationBps.toDecimalPlaces(1).toFixed()} bps from the reference ` +
              `${referencePrice.price.toFixed()} of ${referencePrice.date}; tolerance ${thresholds.priceToleranceBps.toFixed()} bps`,
          ),
        ]
      : PASS;
  },
};
