/**
 * Reads for `posttrade recon report`: the breaks open at a date's close and the calendar they are aged on.
 * The SQL of the report lives here, not in the command.
 */
import type { Pool } from 'pg';

import { HolidayCalendar } from '../domain/calendar';

export interface OpenBreak {
  readonly breakKey: string;
  readonly breakClass: string;
  readonly internalValue: string | null;
  readonly custodianValue: string | null;
  readonly difference: string;
  /** YYYY-MM-DD */
  readonly openedOn: string;
}

/** The default tolerances' ageing calendar (custodian `*`) with its market's holidays; XNYS without holidays when none is set. */
export async function readAgeingCalendar(pool: Pool): Promise<HolidayCalendar> {
  const { rows } = await pool.query<{ calendar_mic: string; holidays: string[] }>(
    `SELECT t.calendar_mic, coalesce((SELECT array_agg(to_char(h.date, 'YYYY-MM-DD')) FROM holidays h
       WHERE h.mic = t.calendar_mic), '{}') AS holidays FROM recon_tolerances t WHERE custodian = '*'`,
  );
  const setting = rows[0];
  return new HolidayCalendar(setting?.calendar_mic ?? 'XNYS', setting?.holidays ?? []);
}

/** Breaks opened on or before `date` and not resolved by its close, oldest first. */
export async function readBreaksOpenAt(pool: Pool, date: string): Promise<OpenBreak[]> {
  const { rows } = await pool.query<{
    break_key: string;
    break_class: string;
    internal_value: string | null;
    custodian_value: string | null;
    difference: string;
    opened_on: string;
  }>(
    `SELECT break_key, break_class, internal_value, custodian_value, difference,
            to_char(opened_on, 'YYYY-MM-DD') AS opened_on
     FROM recon_breaks WHERE opened_on <= $1::date AND (resolved_on IS NULL OR resolved_on > $1::date)
     ORDER BY opened_on, break_key`,
    [date],
  );
  return rows.map((r) => ({
    breakKey: r.break_key,
    breakClass: r.break_class,
    internalValue: r.internal_value,
    custodianValue: r.custodian_value,
    difference: r.difference,
    openedOn: r.opened_on,
  }));
}
