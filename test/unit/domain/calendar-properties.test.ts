/**
 * Property tests of business-day calendars and settlement dates (lib/domain/calendar.ts, settlement-date.ts) over
 * the seed's markets and the years its holiday file covers: a settlement date is a business day of the settlement
 * market, after the trade date, exactly the cycle's number of business days on, monotonic in the trade date; and
 * validation and settlement, which both compute it, agree. The oracle counts days one by one with its own weekday
 * rule (JavaScript's UTC calendar) and the holiday rows read straight from the CSV.
 *
 * A failure prints fast-check's seed and path; test/helpers/property.ts says how to replay it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import fc from 'fast-check';

import { HolidayCalendar, addCalendarDays, dayOfWeek, fromDayNumber, toDayNumber } from '../../../lib/domain/calendar';
import { resolveCycle, settlementDate } from '../../../lib/domain/settlement-date';
import { contextFor, resolveSettlementDate } from '../../../lib/domain/validation';
import { decodeTradeEvent } from '../../../lib/kafka/schemas/trade-event';
import { settlementDateByRule } from '../../../lib/settlement/plan';
import { validSeedTradeArbitrary } from '../../helpers/arbitraries';
import { SEED_DIR, seedReferenceData, seedSettlementReference, seedSnapshot } from '../../helpers/seed-reference-data';
import { propertyRuns } from '../../helpers/property';

/** Runs of each property; their sum is this file's share of the suite's generated cases. */
const RUNS = {
  settlement: 1200,
  monotonic: 800,
  counting: 500,
  adding: 500,
  anyHolidays: 300,
  dates: 300,
  agreement: 300,
};

const data = seedReferenceData();
const settlementReference = seedSettlementReference(data);

/** Holidays by MIC, read without lib/refdata: `mic,date,name` rows. */
const holidays = new Map<string, Set<string>>();
for (const line of fs.readFileSync(path.join(SEED_DIR, 'holidays.csv'), 'utf8').split('\n').slice(1)) {
  const [mic, date] = line.split(',');
  if (mic && date) holidays.set(mic, (holidays.get(mic) ?? new Set()).add(date));
}
const markets = [...holidays.keys()].sort();

/** Open: Monday to Friday by JavaScript's own calendar, and not a listed holiday. */
function isOpen(mic: string, date: string): boolean {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidays.get(mic)?.has(date);
}

function nextDay(date: string, step = 1): string {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + step);
  return next.toISOString().slice(0, 10);
}

/** `n` business days on from `date` (back when negative), counted one day at a time. */
function countOn(mic: string, date: string, n: number): string {
  let day = date;
  for (let left = Math.abs(n); left > 0;) {
    day = nextDay(day, Math.sign(n));
    if (isOpen(mic, day)) left--;
  }
  return day;
}

/** Every day the seed holiday file covers, up to a month before its end (so that settlement stays inside it). */
const FIRST = `${data.firstHolidayYear}-01-01`;
const LAST = `${data.lastHolidayYear}-11-30`;
const anyDate = fc
  .integer({ min: toDayNumber(FIRST), max: toDayNumber(LAST) })
  .map((dayNumber) => fromDayNumber(dayNumber));
const instrumentTypes = [...new Set(data.settlementCycles.map((rule) => rule.instrumentType))].sort();

function settlementOn(market: string, instrumentType: string, tradeDate: string) {
  const cycle = resolveCycle(data.settlementCycles, market, instrumentType, tradeDate);
  const calendar = data.calendars.get(market);
  if (cycle === undefined || calendar === undefined)
    throw new Error(`no cycle or calendar for ${market} on ${tradeDate}`);
  return { days: cycle.days, date: settlementDate(tradeDate, cycle.days, calendar) };
}

describe('settlement dates on the seed calendars', () => {
  it('are business days of the market, after the trade date, exactly the cycle on, whatever the trade date', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...markets),
        fc.constantFrom(...instrumentTypes),
        anyDate,
        (market, type, tradeDate) => {
          const { days, date } = settlementOn(market, type, tradeDate);
          assert.ok(days >= 1, `${market} ${type} settles T+${days}`);
          assert.ok(isOpen(market, date), `${date} is a business day of ${market}`);
          assert.ok(date > tradeDate, `${date} is after ${tradeDate}`);
          assert.equal(date, countOn(market, tradeDate, days));
          assert.equal(data.calendars.get(market)?.businessDaysBetween(tradeDate, date), days);
        },
      ),
      propertyRuns(RUNS.settlement),
    );
  });

  it('are monotonic in the trade date, across the T+2 to T+1 changes too', () => {
    // Pairs near each other and near the cycle changes, where a shorter cycle could overtake a longer one.
    const changes = [...new Set(data.settlementCycles.map((rule) => rule.effectiveFrom))].filter(
      (date) => date >= FIRST && date <= LAST,
    );
    const nearChange = fc
      .tuple(fc.constantFrom(...changes), fc.integer({ min: -10, max: 10 }))
      .map(([date, offset]) => addCalendarDays(date, offset));
    const pairs = fc
      .tuple(fc.oneof(anyDate, nearChange), fc.integer({ min: 0, max: 20 }))
      .map(([first, gap]) => [first, addCalendarDays(first, gap)] as const);
    fc.assert(
      fc.property(fc.constantFrom(...markets), fc.constantFrom(...instrumentTypes), pairs, (market, type, [a, b]) => {
        const settleA = settlementOn(market, type, a).date;
        const settleB = settlementOn(market, type, b).date;
        assert.ok(settleA <= settleB, `${a} settles ${settleA}, later than ${b}'s ${settleB}`);
      }),
      propertyRuns(RUNS.monotonic),
    );
  });

  it('are the same whether validation or settlement computes them', () => {
    const trades = validSeedTradeArbitrary(data);
    fc.assert(
      fc.property(trades, (seed) => {
        const { settlementDate: _stated, ...event } = seed.event;
        const decoded = decodeTradeEvent(event);
        if (!decoded.ok) throw new Error('a seed trade did not decode');
        const byValidation = resolveSettlementDate(
          decoded.value,
          contextFor(decoded.value, seedSnapshot([decoded.value])),
        );
        const bySettlement = settlementDateByRule(event.tradeDate, event.isin, settlementReference);
        if (!byValidation.ok || !bySettlement.ok) throw new Error('no settlement date');
        assert.equal(byValidation.value, bySettlement.value.date);
      }),
      propertyRuns(RUNS.agreement),
    );
  });
});

describe('HolidayCalendar on the seed calendars', () => {
  it('counts the business days between two dates as one counts them day by day, in both directions', () => {
    fc.assert(
      fc.property(fc.constantFrom(...markets), anyDate, fc.integer({ min: -400, max: 400 }), (market, from, span) => {
        const to = addCalendarDays(from, span);
        let count = 0;
        for (let day = from; day < to;) {
          day = nextDay(day);
          if (isOpen(market, day)) count++;
        }
        for (let day = to; day < from;) {
          day = nextDay(day);
          if (isOpen(market, day)) count--;
        }
        assert.equal(data.calendars.get(market)?.businessDaysBetween(from, to), count);
      }),
      propertyRuns(RUNS.counting),
    );
  });

  it('adds business days as one counts them, lands on business days, and adding back returns a business day', () => {
    fc.assert(
      fc.property(fc.constantFrom(...markets), anyDate, fc.integer({ min: -60, max: 60 }), (market, date, n) => {
        const calendar = data.calendars.get(market);
        if (calendar === undefined) throw new Error(`no calendar ${market}`);
        const moved = calendar.addBusinessDays(date, n);
        assert.equal(moved, countOn(market, date, n));
        assert.equal(calendar.isBusinessDay(date), isOpen(market, date));
        if (n !== 0) assert.ok(calendar.isBusinessDay(moved), `${moved} is a business day`);
        if (n !== 0 && calendar.isBusinessDay(date)) assert.equal(calendar.addBusinessDays(moved, -n), date);
        assert.equal(calendar.nextBusinessDay(date), countOn(market, date, 1));
      }),
      propertyRuns(RUNS.adding),
    );
  });

  it('counts and adds like one counting day by day for any holiday list, before 1970 as after', () => {
    const cases = fc.record({
      start: fc.integer({ min: toDayNumber('1900-01-01'), max: toDayNumber('2199-12-31') }),
      span: fc.integer({ min: -400, max: 400 }),
      holidays: fc.array(fc.integer({ min: -420, max: 420 }), { maxLength: 40 }),
      n: fc.integer({ min: -30, max: 30 }),
    });
    fc.assert(
      fc.property(cases, ({ start, span, holidays: offsets, n }) => {
        const from = fromDayNumber(start);
        const closed = new Set(offsets.map((offset) => addCalendarDays(from, offset)));
        const calendar = new HolidayCalendar('XTST', closed);
        const open = (date: string) => ![0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay()) && !closed.has(date);
        const to = addCalendarDays(from, span);
        let count = 0;
        for (let day = from; day < to; day = nextDay(day)) if (open(nextDay(day))) count++;
        for (let day = to; day < from; day = nextDay(day)) if (open(nextDay(day))) count--;
        assert.equal(calendar.businessDaysBetween(from, to), count);
        let moved = from;
        for (let left = Math.abs(n); left > 0;) {
          moved = nextDay(moved, Math.sign(n));
          if (open(moved)) left--;
        }
        assert.equal(calendar.addBusinessDays(from, n), moved);
      }),
      propertyRuns(RUNS.anyHolidays),
    );
  });

  it('day numbers and weekdays agree with JavaScript’s UTC calendar over four centuries', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2299-12-31T00:00:00Z'), noInvalidDate: true }),
        (instant) => {
          const date = instant.toISOString().slice(0, 10);
          const dayNumber = toDayNumber(date);
          assert.equal(dayNumber, Math.floor(instant.getTime() / 86_400_000));
          assert.equal(fromDayNumber(dayNumber), date);
          assert.equal(dayOfWeek(date), instant.getUTCDay());
          assert.equal(addCalendarDays(date, 1), nextDay(date));
        },
      ),
      propertyRuns(RUNS.dates),
    );
  });
});
