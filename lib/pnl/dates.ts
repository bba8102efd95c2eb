import { addCalendarDays, dayOfWeek } from '../domain/calendar';

/**
 * The business day before `today` (YYYY-MM-DD), skipping Saturdays and Sundays: what an evening run reports on
 * when it is not told a date. Market holidays are not skipped: a report on a holiday simply has no trades and
 * values positions at the last close.
 */
export function previousBusinessDay(today: string): string {
  let date = addCalendarDays(today, -1);
  while (dayOfWeek(date) === 0 || dayOfWeek(date) === 6) date = addCalendarDays(date, -1);
  return date;
}
