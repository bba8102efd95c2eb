/**
 * When the simulator's events happen: which trade date event n falls on and at what time of its venue's session,
 * in each of the three modes (lib/simulator/generate.ts): walking the reference data's calendar, single-day
 * (`date`) and multi-day (`days`).
 */
import { sessionTime, type Market } from './market';

/** Events per simulated trading day: the stream walks the calendar forward, one day per this many events. */
export const EVENTS_PER_DAY = 100;
/** Single-day mode: events the sessions are spread over unless `eventsOnDate` says otherwise. */
export const DEFAULT_EVENTS_ON_DATE = 10_000;

/** What the calendar needs of the simulator's options (SimulatorOptions). */
export interface CalendarOptions {
  readonly date?: string;
  readonly eventsOnDate?: number;
  readonly days?: readonly string[];
  readonly eventsPerDay?: number;
}

/** The dates of single-day or multi-day mode and the events of each, or undefined to walk the calendar. */
interface Schedule {
  readonly mode: 'single' | 'multi';
  readonly dates: readonly string[];
  readonly events: number;
}

/** The event count and each event's date and time. Options that cannot work throw in the constructor. */
export class Calendar {
  /** The current event, 1-based (0 before the first). */
  n = 0;
  private readonly schedule: Schedule | undefined;

  constructor(
    private readonly market: Market,
    options: CalendarOptions,
    private readonly random: () => number,
  ) {
    this.schedule = scheduleOf(market, options);
  }

  get mode(): 'walk' | 'single' | 'multi' {
    return this.schedule?.mode ?? 'walk';
  }

  /** Moves to the next event; throws when single-day or multi-day mode has no slot left for it. */
  advance(): void {
    this.n += 1;
    const schedule = this.schedule;
    if (schedule !== undefined && this.n > schedule.events * schedule.dates.length) {
      // Another lap would go back to the opening bell: times would no longer follow the order of the events.
      throw new RangeError(
        schedule.mode === 'single'
          ? `single-day mode spreads ${schedule.events} events over ${schedule.dates[0] ?? ''}'s sessions ` +
              `(eventsOnDate); event ${this.n} does not fit`
          : `multi-day mode has ${schedule.events} events on each of ${schedule.dates.length} days ` +
              `(eventsPerDay); event ${this.n} does not fit`,
      );
    }
  }

  /**
   * Today's date: trades arrive in trade-date order, a day per {@link EVENTS_PER_DAY} events (or the schedule's
   * events per day). Walking the calendar, at the end of the data the walk turns back rather than jumping to the
   * first day, so that neighbouring events stay on neighbouring days (the validator's per-batch reference price
   * relies on it).
   */
  today(): string {
    if (this.schedule !== undefined) {
      const day = this.schedule.dates[Math.min(this.dayIndex(), this.schedule.dates.length - 1)];
      if (day === undefined) throw new Error('trading day out of range');
      return day;
    }
    const days = this.market.tradingDays;
    const step = this.dayIndex();
    const period = Math.max(1, 2 * days.length - 2);
    const phase = step % period;
    const day = days[phase < days.length ? phase : period - phase];
    if (day === undefined) throw new Error('trading day out of range');
    return day;
  }

  /** Multi-day mode: the day before today in the schedule, if today is not its first. */
  previousDay(): string | undefined {
    return this.schedule?.mode === 'multi' ? this.schedule.dates[this.dayIndex() - 1] : undefined;
  }

  /** Later in the session as the day's events go by. */
  time(mic: string, date: string): string {
    const perDay = this.schedule?.events ?? EVENTS_PER_DAY;
    const slot = ((this.n - 1) % perDay) + this.random();
    return sessionTime(mic, date, slot / perDay);
  }

  /** Which of the schedule's days event n falls on (0-based). */
  private dayIndex(): number {
    return Math.floor((this.n - 1) / (this.schedule?.events ?? EVENTS_PER_DAY));
  }
}

function scheduleOf(market: Market, options: CalendarOptions): Schedule | undefined {
  if (options.date !== undefined && options.days !== undefined) {
    throw new RangeError('date (single-day mode) and days (multi-day mode) exclude each other');
  }
  if (options.date !== undefined) {
    const day = singleDay(market, options.date, options.eventsOnDate);
    return { mode: 'single', dates: [day.date], events: day.events };
  }
  if (options.days === undefined) return undefined;
  const events = options.eventsPerDay ?? EVENTS_PER_DAY;
  if (options.days.length === 0) throw new RangeError('days must name at least one trade date');
  options.days.forEach((date, index) => {
    singleDay(market, date, events);
    const before = options.days?.[index - 1];
    if (before !== undefined && before >= date) throw new RangeError(`days must ascend: ${before} then ${date}`);
  });
  return { mode: 'multi', dates: options.days, events };
}

/** Checks a single-day mode request against the reference data (a date something closed on) and the slot count. */
function singleDay(
  market: Market,
  date: string,
  events: number = DEFAULT_EVENTS_ON_DATE,
): { date: string; events: number } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`date must be YYYY-MM-DD, not "${date}"`);
  if (!Number.isInteger(events) || events < 1) throw new RangeError('eventsOnDate must be a positive integer');
  if (market.closesOn(date).length === 0) {
    const days = market.tradingDays;
    throw new RangeError(
      `no active instrument closed on ${date} in the reference data, so no trade can be dated then ` +
        `(closes run from ${days[0] ?? '-'} to ${days.at(-1) ?? '-'}, venue business days only)`,
    );
  }
  return { date, events };
}
