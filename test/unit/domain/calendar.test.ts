import {
  HolidayCalendar,
  addCalendarDays,
  dayOfWeek,
  fromDayNumber,
  isIsoDate,
  toDayNumber,
} from '../../../lib/domain/calendar';
import { readFileSync } from 'node:fs';
import { settlementDateByRule } from '../../../lib/settlement/plan';
import { seedSettlementReference } from '../../helpers/seed-reference-data';
import { DEFAULT_HOLIDAYS_CSV, loadHolidayCalendars, parseHolidaysCsv } from '../../../lib/refdata/holidays';

describe('ISO date arithmetic', () => {
  it('converts dates to day numbers and back without a time zone', () => {
    expect(toDayNumber('1970-01-01')).toBe(0);
    expect(toDayNumber('2000-03-01')).toBe(11017);
    expect(fromDayNumber(11017)).toBe('2000-03-01');
    expect(fromDayNumber(-1)).toBe('1969-12-31');
  });

  it('round-trips every day of a leap and a non-leap year', () => {
    const start = toDayNumber('2023-01-01');
    const days = Array.from({ length: 731 }, (_, i) => fromDayNumber(start + i));
    expect(days.map(toDayNumber)).toEqual(days.map((_, i) => start + i));
    expect(days).toContain('2024-02-29');
    expect(days[730]).toBe('2024-12-31');
  });

  it('knows real calendar dates', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2024-04-31')).toBe(false);
    expect(isIsoDate('2024-5-1')).toBe(false);
    expect(() => toDayNumber('2024-13-01')).toThrow('not an ISO calendar date');
  });

  it('computes weekdays and calendar offsets', () => {
    expect(dayOfWeek('2024-05-24')).toBe(5); // Friday
    expect(dayOfWeek('2024-05-26')).toBe(0); // Sunday
    expect(addCalendarDays('2024-02-28', 2)).toBe('2024-03-01');
    expect(addCalendarDays('2025-01-01', -1)).toBe('2024-12-31');
  });
});

describe('HolidayCalendar', () => {
  const xnys = new HolidayCalendar('XNYS', ['2024-05-27', '2024-06-19', '2024-07-04']);

  it('treats weekends and holidays as non-business days', () => {
    expect(xnys.isBusinessDay('2024-05-24')).toBe(true); // Fri
    expect(xnys.isBusinessDay('2024-05-25')).toBe(false); // Sat
    expect(xnys.isBusinessDay('2024-05-26')).toBe(false); // Sun
    expect(xnys.isBusinessDay('2024-05-27')).toBe(false); // Memorial Day
    expect(xnys.isBusinessDay('2024-05-28')).toBe(true);
    expect(xnys.mic).toBe('XNYS');
  });

  it('adds business days across a weekend and a holiday, forwards and backwards', () => {
    expect(xnys.addBusinessDays('2024-05-24', 1)).toBe('2024-05-28');
    expect(xnys.addBusinessDays('2024-05-24', 2)).toBe('2024-05-29');
    expect(xnys.addBusinessDays('2024-05-28', 1)).toBe('2024-05-29');
    expect(xnys.addBusinessDays('2024-05-29', -2)).toBe('2024-05-24');
    expect(xnys.addBusinessDays('2024-05-25', 0)).toBe('2024-05-25');
    expect(xnys.addBusinessDays('2024-05-25', 1)).toBe('2024-05-28');
    expect(() => xnys.addBusinessDays('2024-05-24', 1.5)).toThrow('integer');
  });

  it('finds the next business day strictly after a date', () => {
    expect(xnys.nextBusinessDay('2024-05-24')).toBe('2024-05-28');
    expect(xnys.nextBusinessDay('2024-06-18')).toBe('2024-06-20');
    expect(xnys.nextBusinessDay('2024-05-28')).toBe('2024-05-29');
  });

  it('counts business days after from up to and including to, negative when reversed', () => {
    expect(xnys.businessDaysBetween('2024-05-24', '2024-05-29')).toBe(2);
    expect(xnys.businessDaysBetween('2024-05-29', '2024-05-24')).toBe(-2);
    expect(xnys.businessDaysBetween('2024-05-24', '2024-05-24')).toBe(0);
    expect(xnys.businessDaysBetween('2024-05-24', '2024-05-27')).toBe(0);
    // June 2024: 20 weekdays, minus Juneteenth; 2024-05-31 is a Friday so the range is exactly June.
    expect(xnys.businessDaysBetween('2024-05-31', '2024-06-30')).toBe(19);
    // July 2024: 23 weekdays minus Independence Day.
    expect(xnys.businessDaysBetween('2024-06-30', '2024-07-31')).toBe(22);
  });

  it('counts a reversed span without a business day as 0, not -0 (found by calendar-properties)', () => {
    // Sat 2024-05-25 back to Fri 2024-05-24: the business days after the Friday up to the Saturday are none.
    expect(xnys.businessDaysBetween('2024-05-25', '2024-05-24')).toBe(0);
    expect(Object.is(xnys.businessDaysBetween('2024-05-27', '2024-05-25'), 0)).toBe(true);
  });

  it('agrees with addBusinessDays over a long span', () => {
    const target = xnys.addBusinessDays('2023-12-29', 300);
    expect(xnys.businessDaysBetween('2023-12-29', target)).toBe(300);
    expect(xnys.businessDaysBetween(target, '2023-12-29')).toBe(-300);
  });

  it('refuses an invalid holiday date', () => {
    expect(() => new HolidayCalendar('XNYS', ['2024-02-30'])).toThrow('not an ISO calendar date');
  });
});

describe('HolidayCalendar coverage', () => {
  it('built from holiday data, covers the years its holidays fall in, and only those', () => {
    const calendar = HolidayCalendar.fromHolidayData('XNYS', ['2025-12-25', '2024-01-01', '2026-07-03']);
    expect(calendar.coverage).toEqual({ firstYear: 2024, lastYear: 2026 });
    expect(calendar.covers('2024-01-01')).toBe(true);
    expect(calendar.covers('2026-12-31')).toBe(true);
    expect(calendar.covers('2023-12-29')).toBe(false);
    expect(calendar.covers('2027-01-04')).toBe(false);
    expect(calendar.describeCoverage()).toBe('2024\u20132026');
  });

  it('without holidays, or built directly, has no limit', () => {
    expect(HolidayCalendar.fromHolidayData('WEEKDAYS', []).covers('2999-01-01')).toBe(true);
    expect(new HolidayCalendar('XNYS', ['2024-01-01']).covers('1999-01-01')).toBe(true);
  });

  it('is derived per market by the CSV loader: the seed covers 2024 to 2027', () => {
    for (const calendar of loadHolidayCalendars().values()) {
      expect(calendar.coverage).toEqual({ firstYear: 2024, lastYear: 2027 });
    }
  });

  it('stops settlement from computing a date outside it', () => {
    const reference = seedSettlementReference();
    const apple = 'US0378331005';
    expect(settlementDateByRule('2027-12-30', apple, reference)).toMatchObject({
      ok: true,
      value: { date: '2027-12-31' },
    });
    expect(settlementDateByRule('2027-12-31', apple, reference)).toMatchObject({
      ok: false,
      errors: [{ reason: 'SETTLEMENT_CALENDAR_NOT_COVERED', detail: expect.stringContaining('2028-01-03') }],
    });
  });
});

describe('seeded holidays (migrations/seed/holidays.csv)', () => {
  const calendars = loadHolidayCalendars();

  const rows = parseHolidaysCsv(readFileSync(DEFAULT_HOLIDAYS_CSV, 'utf8'));

  it('has calendars for XNYS, XLON and XETR with no closure falling on a weekend', () => {
    expect([...calendars.keys()].sort()).toEqual(['XETR', 'XLON', 'XNYS']);
    expect(rows.filter((row) => [0, 6].includes(dayOfWeek(row.date)))).toEqual([]);
  });

  it('lists the expected number of full-day closures per market and year', () => {
    const counts: Record<string, number> = {};
    for (const row of rows) {
      const key = `${row.mic} ${row.date.slice(0, 4)}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    expect(counts).toEqual({
      'XNYS 2024': 10,
      'XNYS 2025': 11, // the ten regular holidays plus the national day of mourning for President Carter
      'XNYS 2026': 10,
      'XNYS 2027': 10,
      'XLON 2024': 8,
      'XLON 2025': 8,
      'XLON 2026': 8,
      'XLON 2027': 8,
      'XETR 2024': 8,
      'XETR 2025': 8,
      'XETR 2026': 7, // Boxing Day is a Saturday
      'XETR 2027': 5, // Labour Day, Christmas Day and Boxing Day fall on weekends
    });
  });

  it.each([
    ['XNYS', '2024-05-27'],
    ['XNYS', '2025-01-09'],
    ['XNYS', '2024-06-19'],
    ['XNYS', '2025-04-18'],
    ['XNYS', '2026-07-03'],
    ['XNYS', '2027-12-24'],
    ['XLON', '2024-04-01'],
    ['XLON', '2026-12-28'],
    ['XLON', '2027-12-28'],
    ['XETR', '2025-12-24'],
    ['XETR', '2027-12-31'],
  ])('%s is closed on %s', (mic, date) => {
    expect(calendars.get(mic)?.isBusinessDay(date)).toBe(false);
  });

  it.each([
    ['XNYS', '2027-12-31'], // New Year's Day 2028 falls on a Saturday: NYSE does not close the Friday before
    ['XLON', '2024-12-24'], // half day, not a closure
    ['XETR', '2024-05-27'], // Memorial Day is a US holiday only
  ])('%s is open on %s', (mic, date) => {
    expect(calendars.get(mic)?.isBusinessDay(date)).toBe(true);
  });

  it('parses rows and counts business days of a seeded year', () => {
    expect(parseHolidaysCsv('mic,date,name\nXNYS,2024-05-27,Memorial Day\n')).toEqual([
      { mic: 'XNYS', date: '2024-05-27', name: 'Memorial Day' },
    ]);
    // 2025 has 261 weekdays; XNYS closed on 11 of them.
    expect(calendars.get('XNYS')?.businessDaysBetween('2024-12-31', '2025-12-31')).toBe(250);
  });

  it('rejects a malformed row with its line number', () => {
    expect(() => parseHolidaysCsv('mic,date,name\nXNYS,2024-02-30,Bad\n')).toThrow('line 2');
  });
});
