/**
 * Business-day calendars of settlement markets and venues.
 *
 * Dates are ISO 8601 calendar dates ('YYYY-MM-DD'). All arithmetic is on integer day numbers (days since
 * 1970-01-01, proleptic Gregorian), so no local time zone or daylight-saving shift can move a date.
 * This module is pure: holidays come in as data (see lib/refdata/holidays.ts for the CSV loader).
 */

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Thrown for a string that is not a real 'YYYY-MM-DD' calendar date: a programming error, never retriable. */
export class InvalidDateError extends RangeError {
  override readonly name: string = 'InvalidDateError';
  constructor(readonly text: string) {
    super(`not an ISO calendar date (YYYY-MM-DD): ${JSON.stringify(text)}`);
  }
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * True when `text` is a real calendar date written 'YYYY-MM-DD' (2024-02-29 yes, 2025-02-29 no), years 0001 to
 * 9999: the proleptic year 0000 has no date in PostgreSQL (nor in the common era), so it is no date here either.
 */
export function isIsoDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * Days since 1970-01-01 of an ISO date. Integer-only civil-to-days conversion (eras of 400 years, years
 * starting in March so that the leap day is the last day of the shifted year).
 */
export function toDayNumber(date: string): number {
  if (!isIsoDate(date)) throw new InvalidDateError(date);
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  const day = Number(date.slice(8, 10));
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The ISO date of a day number (inverse of {@link toDayNumber}). */
export function fromDayNumber(dayNumber: number): string {
  const z = dayNumber + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Day of week of an ISO date: 0 Sunday … 6 Saturday (1970-01-01 was a Thursday). */
export function dayOfWeek(date: string): number {
  return mod(toDayNumber(date) + 4, 7);
}

/** Adds calendar (not business) days to an ISO date. */
export function addCalendarDays(date: string, days: number): string {
  return fromDayNumber(toDayNumber(date) + days);
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

function isWeekendDay(dayNumber: number): boolean {
  const weekday = mod(dayNumber + 4, 7);
  return weekday === 0 || weekday === 6;
}

/**
 * A counting function W with W(n + 1) - W(n) = 1 exactly when day n is a weekday, so W(b) - W(a) is the number
 * of weekdays in [a, b) in constant time: whole weeks contribute 5, the remainder (under 7 days) is counted.
 */
function weekdaysUpTo(dayNumber: number): number {
  const weeks = Math.floor(dayNumber / 7);
  let count = weeks * 5;
  for (let d = weeks * 7; d < dayNumber; d++) if (!isWeekendDay(d)) count++;
  return count;
}

/**
 * The calendar years a market's holiday data covers, first to last inclusive. A date outside them cannot be
 * told apart from a business day (every weekday looks open), so settlement dates are not computed there.
 */
export interface CalendarCoverage {
  readonly firstYear: number;
  readonly lastYear: number;
}

/**
 * The business days of one market (identified by its ISO 10383 MIC): Monday to Friday, minus its full-day
 * holidays. Half-day sessions are business days.
 */
export class HolidayCalendar {
  /**
   * A calendar built from reference data: it covers the years its holidays fall in (every market closes on at
   * least one weekday a year, so a year with none listed is a year not loaded). No dates: no coverage limit.
   */
  static fromHolidayData(mic: string, holidays: readonly string[]): HolidayCalendar {
    let firstYear = Infinity;
    let lastYear = -Infinity;
    for (const holiday of holidays) {
      const year = Number(holiday.slice(0, 4));
      if (year < firstYear) firstYear = year;
      if (year > lastYear) lastYear = year;
    }
    return new HolidayCalendar(mic, holidays, holidays.length === 0 ? undefined : { firstYear, lastYear });
  }

  /** Holiday day numbers that fall on weekdays, ascending: weekend holidays change nothing. */
  private readonly weekdayHolidays: readonly number[];
  private readonly holidaySet: ReadonlySet<number>;

  /**
   * @param mic the market's MIC, e.g. 'XNYS'
   * @param holidays full-day closures as 'YYYY-MM-DD'; an invalid date throws {@link InvalidDateError}
   * @param coverage the years the holidays are known for; undefined: every year (a weekday-only calendar)
   */
  constructor(
    readonly mic: string,
    holidays: Iterable<string>,
    readonly coverage?: CalendarCoverage,
  ) {
    const days = new Set<number>();
    for (const holiday of holidays) {
      const dayNumber = toDayNumber(holiday);
      if (!isWeekendDay(dayNumber)) days.add(dayNumber);
    }
    this.holidaySet = days;
    this.weekdayHolidays = [...days].sort((a, b) => a - b);
  }

  /** True when the holiday data covers `date`'s year (always, for a calendar without a coverage limit). */
  covers(date: string): boolean {
    if (this.coverage === undefined) return true;
    const year = Number(date.slice(0, 4));
    return year >= this.coverage.firstYear && year <= this.coverage.lastYear;
  }

  /** "2024–2027", or "every year" for a calendar without a coverage limit: for error messages. */
  describeCoverage(): string {
    return this.coverage === undefined ? 'every year' : `${this.coverage.firstYear}\u2013${this.coverage.lastYear}`;
  }

  /** True when the market is open on `date`: a weekday that is not one of its holidays. */
  isBusinessDay(date: string): boolean {
    return this.isBusinessDayNumber(toDayNumber(date));
  }

  /**
   * Moves `n` business days from `date` (backwards when `n` is negative). `n = 0` returns `date` unchanged,
   * even when it is not a business day, so that T+0 means "the trade date".
   */
  addBusinessDays(date: string, n: number): string {
    if (!Number.isInteger(n)) throw new RangeError(`business days must be an integer, got ${n}`);
    let dayNumber = toDayNumber(date);
    const step = n >= 0 ? 1 : -1;
    for (let remaining = Math.abs(n); remaining > 0;) {
      dayNumber += step;
      if (this.isBusinessDayNumber(dayNumber)) remaining--;
    }
    return fromDayNumber(dayNumber);
  }

  /**
   * Business days after `from` up to and including `to` (so Mon→Wed is 2, and a date to itself is 0);
   * negative when `to` is before `from` (the business days after `to` up to and including `from`, negated).
   * Used to age breaks and measure settlement cycles.
   */
  businessDaysBetween(from: string, to: string): number {
    const start = toDayNumber(from);
    const end = toDayNumber(to);
    // 0 minus, not unary minus: a reversed span without a business day is 0, never -0 (which Object.is and
    // strict test matchers tell apart from 0, and 1 / x turns into -Infinity).
    if (end < start) return 0 - this.countBusinessDays(end, start);
    return this.countBusinessDays(start, end);
  }

  /** The first business day strictly after `date`. */
  nextBusinessDay(date: string): string {
    return this.addBusinessDays(date, 1);
  }

  /** Business days in the day-number range (start, end], start <= end. */
  private countBusinessDays(start: number, end: number): number {
    const weekdays = weekdaysUpTo(end + 1) - weekdaysUpTo(start + 1);
    return weekdays - (this.holidaysUpTo(end) - this.holidaysUpTo(start));
  }

  /** Number of weekday holidays on or before a day number (binary search). */
  private holidaysUpTo(dayNumber: number): number {
    let low = 0;
    let high = this.weekdayHolidays.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const holiday = this.weekdayHolidays[middle];
      if (holiday !== undefined && holiday <= dayNumber) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private isBusinessDayNumber(dayNumber: number): boolean {
    return !isWeekendDay(dayNumber) && !this.holidaySet.has(dayNumber);
  }
}
