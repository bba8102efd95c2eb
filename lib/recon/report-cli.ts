/**
 * `posttrade recon report --date D`: the breaks open at the close of D (opened on or before D and not resolved
 * by then), with class, values, difference, and age in the ageing calendar's business days up to D.
 */
import { parseArgs } from 'node:util';

import { startPostgres } from '../../localstack/postgres';
import { loadConfig } from '../config';
import { HolidayCalendar, isIsoDate } from '../domain/calendar';
import { ageingBucketOf } from '../domain/reconciliation';
import { createPool } from '../db/pool';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { date: { type: 'string' } } });
  const date = values.date;
  if (date === undefined || !isIsoDate(date)) throw new Error('usage: posttrade recon report --date YYYY-MM-DD');
  const configured = loadConfig().database.url;
  const server = configured === undefined ? await startPostgres() : undefined;
  const pool = createPool({ url: configured ?? server?.url ?? '', applicationName: 'posttrade-recon-report' });
  try {
    const { rows: settings } = await pool.query<{ calendar_mic: string; holidays: string[] }>(
      `SELECT t.calendar_mic, coalesce((SELECT array_agg(to_char(h.date, 'YYYY-MM-DD')) FROM holidays h
         WHERE h.mic = t.calendar_mic), '{}') AS holidays FROM recon_tolerances t WHERE custodian = '*'`,
    );
    const setting = settings[0];
    const calendar = new HolidayCalendar(setting?.calendar_mic ?? 'XNYS', setting?.holidays ?? []);
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
    console.log(`reconciliation breaks open at close of ${date}: ${rows.length}`);
    for (const r of rows) {
      const age = Math.max(0, calendar.businessDaysBetween(r.opened_on, date));
      console.log(
        [
          r.break_key.padEnd(44),
          r.break_class.padEnd(20),
          `ours ${r.internal_value ?? '-'}`.padEnd(20),
          `theirs ${r.custodian_value ?? '-'}`.padEnd(22),
          `diff ${r.difference}`.padEnd(18),
          `opened ${r.opened_on}`,
          `age ${age} (${ageingBucketOf(age)})`,
        ].join(' '),
      );
    }
  } finally {
    await pool.end();
    await server?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
