/**
 * `posttrade custodian [--seed S] [--match-rate R] [--settle-rate R] [--partial-rate R] [--fail-rate R]
 * [--recover-rate R] [--delay-ms MS] [--custodian BIC,...] [--statement-date D [--break-rate R]
 * [--break-classes quantity,amount,missing_at_custodian,missing_internal,duplicate,timing]] [--once] [--dir DIR]`
 *
 * Answers settlement instructions on `settlement.status` as a custodian would (KAFKA_BROKERS), deterministic for a
 * seed. With `--statement-date`, once it has caught up it publishes that date's statements to `custody.statements`
 * (with injected breaks at `--break-rate`, listed on stderr). `--once` exits after that; otherwise it runs until
 * SIGINT/SIGTERM. Settlement calendars come from the reference data in DIR (default migrations/seed): each place
 * of settlement's market (ssis.csv) and that market's holidays (holidays.csv).
 */
import fs from 'node:fs';
import path from 'node:path';

import type { CustodianOptions } from '../cli/commands';
import { UsageError } from '../cli/errors';
import type { CommandContext } from '../cli/program';
import { HolidayCalendar } from '../domain/calendar';
import { parseCsv } from '../refdata/load';
import { validateRates, type CustodianDecision } from './decide';
import { runCustodian } from './loop';
import { InjectableBreak } from './statement';

function table(dir: string, file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(fs.readFileSync(path.join(dir, file), 'utf8'));
  if (header === undefined) return [];
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])));
}

/** The calendar of each place of settlement, from the SSIs (place → market) and the markets' holidays. */
export function calendarsFromReferenceData(dir: string): (placeOfSettlement: string) => HolidayCalendar {
  const holidays = table(dir, 'holidays.csv');
  const micOfPlace = new Map(table(dir, 'ssis.csv').map((r) => [r.place_of_settlement ?? '', r.settlement_mic ?? '']));
  const calendars = new Map<string, HolidayCalendar>();
  return (place) => {
    const mic = micOfPlace.get(place) ?? 'XNYS';
    let calendar = calendars.get(mic);
    if (calendar === undefined) {
      calendar = new HolidayCalendar(
        mic,
        holidays.filter((h) => h.mic === mic).map((h) => h.date ?? ''),
      );
      calendars.set(mic, calendar);
    }
    return calendar;
  };
}

function summary(decisions: readonly CustodianDecision[]): string {
  const counts = new Map<string, number>();
  for (const d of decisions) counts.set(d.outcome, (counts.get(d.outcome) ?? 0) + 1);
  return [...counts].map(([outcome, n]) => `${outcome} ${n}`).join(', ');
}

/** `posttrade custodian`: resolves once it runs (or, with --once, once it has caught up and stopped). */
export async function custodianCommand(options: CustodianOptions, context: CommandContext): Promise<void> {
  const { seed, delayMs, breakRate } = options;
  const rates = validateRates({
    matchRate: options.matchRate,
    settleRate: options.settleRate,
    partialRate: options.partialRate,
    failRate: options.failRate,
    recoverRate: options.recoverRate,
  });
  if (!rates.ok) throw new UsageError(rates.errors.join('; '));
  const statementDate = options.statementDate;
  const classes = options.breakClasses;
  const serves = options.custodian ?? [];
  const stderr = context.stderr;

  const custodian = await runCustodian({
    brokers: context.config.kafka.brokers,
    seed,
    rates: rates.value,
    delayMs,
    calendarFor: calendarsFromReferenceData(options.dir),
    serves,
    defaultBic: serves[0] ?? 'IRVTUS3N',
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= custodian.stop().then(() => {
      const { instructionsRead, reportsSent } = custodian.stats();
      stderr.write(
        `custodian stopped: ${instructionsRead} messages read, ${reportsSent} reports sent` +
          ` (${summary(custodian.simulator.decisions()) || 'no instructions'})\n`,
      );
    });
    return stopping;
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  stderr.write(`custodian: answering ${serves.length > 0 ? serves.join(', ') : 'every agent'}, seed ${seed}\n`);

  if (statementDate !== undefined) {
    await custodian.idle();
    const statements = await custodian.publishStatements(statementDate, {
      seed,
      breakRate,
      ...(classes === undefined ? {} : { classes: classes as InjectableBreak[] }),
    });
    for (const { statement, injected } of statements) {
      stderr.write(
        `statement ${statement.statementId}: ${statement.positions.length} positions, ${statement.cash.length} cash` +
          `, ${injected.length} injected break(s)\n`,
      );
      for (const b of injected) stderr.write(`  ${b.breakClass.padEnd(22)} ${b.breakKey}  ${b.detail}\n`);
    }
  }
  if (options.once) {
    if (statementDate === undefined) await custodian.idle();
    await stop();
  }
}
