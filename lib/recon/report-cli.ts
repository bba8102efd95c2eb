/**
 * `posttrade recon report --date D`: the breaks open at the close of D (opened on or before D and not resolved
 * by then), with class, values, difference, and age in the ageing calendar's business days up to D.
 */
import type { ReconReportOptions } from '../cli/commands';
import type { CommandContext } from '../cli/program';
import { endPool, getPool } from '../db/pool';
import { ageingBucketOf } from '../domain/reconciliation';
import { readAgeingCalendar, readBreaksOpenAt } from './break-report-store';

export async function reconReportCommand(options: ReconReportOptions, context: CommandContext): Promise<void> {
  const date = options.date;
  const pool = getPool();
  try {
    const calendar = await readAgeingCalendar(pool);
    const breaks = await readBreaksOpenAt(pool, date);
    context.stdout.write(`reconciliation breaks open at close of ${date}: ${breaks.length}\n`);
    for (const b of breaks) {
      const age = Math.max(0, calendar.businessDaysBetween(b.openedOn, date));
      const line = [
        b.breakKey.padEnd(44),
        b.breakClass.padEnd(20),
        `ours ${b.internalValue ?? '-'}`.padEnd(20),
        `theirs ${b.custodianValue ?? '-'}`.padEnd(22),
        `diff ${b.difference}`.padEnd(18),
        `opened ${b.openedOn}`,
        `age ${age} (${ageingBucketOf(age)})`,
      ].join(' ');
      context.stdout.write(`${line}\n`);
    }
  } finally {
    await endPool();
  }
}
