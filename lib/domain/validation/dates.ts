/** Dates: the trade date is a business day of the venue; the settlement date follows the settlement cycle. */
import { HolidayCalendar, toDayNumber } from '../calendar';
import { checkExplicitSettlementDate, resolveCycle, settlementDate } from '../settlement-date';
import { Trade } from '../trade';
import { ValidationCode, ValidationError, violation } from './codes';
import { ValidationContext } from './context';
import { EVERY_LIFECYCLE, PASS, ValidationRule } from './rule';

export const tradeDateBusinessDay: ValidationRule = {
  name: 'tradeDateBusinessDay',
  appliesTo: EVERY_LIFECYCLE,
  check: (trade, { calendars }) => {
    const calendar = calendars.get(trade.mic);
    if (!calendar) return [violation(ValidationCode.CALENDAR_UNKNOWN, `no holiday calendar for venue ${trade.mic}`)];
    if (!calendar.covers(trade.tradeDate)) return [notCovered(calendar, 'trade date', trade.tradeDate)];
    return calendar.isBusinessDay(trade.tradeDate)
      ? PASS
      : [
          violation(
            ValidationCode.TRADE_DATE_NOT_BUSINESS_DAY,
            `trade date ${trade.tradeDate} is not a business day of ${trade.mic}`,
          ),
        ];
  },
};

export type SettlementDateResolution =
  { readonly ok: true; readonly value: string } | { readonly ok: false; readonly errors: readonly ValidationError[] };

/**
 * The trade's settlement date: the cycle in force for its settlement market and instrument type, counted on
 * the settlement market's calendar; a date stated on the trade must agree with it and never precede the trade
 * date. Fails with no errors when the instrument is unknown (instrumentKnown reports that).
 */
export function resolveSettlementDate(trade: Trade, context: ValidationContext): SettlementDateResolution {
  const stated = trade.settlementDate;
  if (stated !== undefined && toDayNumber(stated) < toDayNumber(trade.tradeDate)) {
    const before = checkExplicitSettlementDate(trade.tradeDate, stated, trade.tradeDate);
    return { ok: false, errors: before.ok ? [] : [before.error] };
  }
  const { instrument } = context;
  if (!instrument) return { ok: false, errors: [] };
  const calendar = context.calendars.get(instrument.settlementCalendarMic);
  if (!calendar) {
    return {
      ok: false,
      errors: [
        violation(
          ValidationCode.CALENDAR_UNKNOWN,
          `no holiday calendar for settlement calendar ${instrument.settlementCalendarMic}`,
        ),
      ],
    };
  }
  const cycle = resolveCycle(
    context.settlementCycles,
    instrument.settlementMarket,
    instrument.instrumentType,
    trade.tradeDate,
  );
  if (!cycle) {
    return {
      ok: false,
      errors: [
        violation(
          ValidationCode.SETTLEMENT_CYCLE_UNKNOWN,
          `no settlement cycle for ${instrument.instrumentType} in market ${instrument.settlementMarket} on ${trade.tradeDate}`,
        ),
      ],
    };
  }
  if (!calendar.covers(trade.tradeDate))
    return { ok: false, errors: [notCovered(calendar, 'trade date', trade.tradeDate)] };
  const expected = settlementDate(trade.tradeDate, cycle.days, calendar);
  if (!calendar.covers(expected)) return { ok: false, errors: [notCovered(calendar, 'settlement date', expected)] };
  if (stated === undefined) return { ok: true, value: expected };
  const check = checkExplicitSettlementDate(trade.tradeDate, stated, expected);
  return check.ok ? check : { ok: false, errors: [check.error] };
}

/** A date the calendar's holiday data does not reach: every weekday would look open, so nothing is guessed. */
function notCovered(calendar: HolidayCalendar, what: string, date: string): ValidationError {
  return violation(
    ValidationCode.CALENDAR_NOT_COVERED,
    `${what} ${date} is outside the ${calendar.mic} holiday calendar (${calendar.describeCoverage()}): load its holidays for that year`,
  );
}

export const settlementDateConsistent: ValidationRule = {
  name: 'settlementDateConsistent',
  appliesTo: EVERY_LIFECYCLE,
  check: (trade, context) => {
    const resolution = resolveSettlementDate(trade, context);
    return resolution.ok ? PASS : resolution.errors;
  },
};
