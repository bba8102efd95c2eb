import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HolidayCalendar, isIsoDate } from '../domain/calendar';

/** One full-day closure of a market, as seeded in migrations/seed/holidays.csv. */
export interface MarketHoliday {
  readonly mic: string;
  readonly date: string;
  readonly name: string;
}

/** The seed file shipped with the repository; the database is loaded from the same file. */
export const DEFAULT_HOLIDAYS_CSV = join(__dirname, '..', '..', 'migrations', 'seed', 'holidays.csv');

/**
 * Parses the `mic,date,name` holiday CSV. Names never contain commas, so a plain split is enough; anything
 * malformed throws with its line number rather than silently producing a calendar with a missing closure.
 */
export function parseHolidaysCsv(text: string): MarketHoliday[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim();
  if (header !== 'mic,date,name') throw new Error(`holidays CSV: expected header "mic,date,name", got ${header}`);
  const holidays: MarketHoliday[] = [];
  lines.slice(1).forEach((line, index) => {
    if (line.trim() === '') return;
    const [mic, date, ...rest] = line.split(',');
    const name = rest.join(',').trim();
    if (!mic || !/^[A-Z0-9]{4}$/.test(mic) || !date || !isIsoDate(date) || name === '') {
      throw new Error(`holidays CSV line ${index + 2}: malformed row ${JSON.stringify(line)}`);
    }
    holidays.push({ mic, date, name });
  });
  return holidays;
}

/** Builds one {@link HolidayCalendar} per MIC from holiday rows, each covering the years its rows fall in. */
export function calendarsFromHolidays(holidays: Iterable<MarketHoliday>): Map<string, HolidayCalendar> {
  const datesByMic = new Map<string, string[]>();
  for (const { mic, date } of holidays) {
    const dates = datesByMic.get(mic) ?? [];
    dates.push(date);
    datesByMic.set(mic, dates);
  }
  return new Map([...datesByMic].map(([mic, dates]) => [mic, HolidayCalendar.fromHolidayData(mic, dates)]));
}

/** Reads the holiday CSV (the shipped seed by default) and returns calendars keyed by MIC. */
export function loadHolidayCalendars(path: string = DEFAULT_HOLIDAYS_CSV): Map<string, HolidayCalendar> {
  return calendarsFromHolidays(parseHolidaysCsv(readFileSync(path, 'utf8')));
}
