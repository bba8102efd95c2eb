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
import { parseArgs } from 'node:util';

import { config } from '../config';
import { HolidayCalendar, isIsoDate } from '../domain/calendar';
import { parseCsv } from '../refdata/load';
import { DEFAULT_CUSTODIAN_RATES, validateRates, type CustodianDecision } from './decide';
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

function share(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value >= 0 && value <= 1)) throw new Error(`--${name} must be between 0 and 1, got ${text}`);
  return value;
}

function summary(decisions: readonly CustodianDecision[]): string {
  const counts = new Map<string, number>();
  for (const d of decisions) counts.set(d.outcome, (counts.get(d.outcome) ?? 0) + 1);
  return [...counts].map(([outcome, n]) => `${outcome} ${n}`).join(', ');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      'match-rate': { type: 'string' },
      'settle-rate': { type: 'string' },
      'partial-rate': { type: 'string' },
      'fail-rate': { type: 'string' },
      'recover-rate': { type: 'string' },
      'delay-ms': { type: 'string', default: '200' },
      custodian: { type: 'string' },
      'statement-date': { type: 'string' },
      'break-rate': { type: 'string', default: '0' },
      'break-classes': { type: 'string' },
      once: { type: 'boolean', default: false },
      dir: { type: 'string', default: path.resolve(__dirname, '..', '..', 'migrations', 'seed') },
    },
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
  const delayMs = Number(values['delay-ms']);
  if (!(delayMs >= 0)) throw new Error('--delay-ms must be zero or more');
  const d = DEFAULT_CUSTODIAN_RATES;
  const rates = validateRates({
    matchRate: share('match-rate', values['match-rate'], d.matchRate),
    settleRate: share('settle-rate', values['settle-rate'], d.settleRate),
    partialRate: share('partial-rate', values['partial-rate'], d.partialRate),
    failRate: share('fail-rate', values['fail-rate'], d.failRate),
    recoverRate: share('recover-rate', values['recover-rate'], d.recoverRate),
  });
  if (!rates.ok) throw new Error(rates.errors.join('; '));
  const statementDate = values['statement-date'];
  if (statementDate !== undefined && !isIsoDate(statementDate)) throw new Error('--statement-date must be YYYY-MM-DD');
  const breakRate = share('break-rate', values['break-rate'], 0);
  const known = Object.values(InjectableBreak) as string[];
  const classes = values['break-classes']?.split(',').map((c) => c.trim().toUpperCase());
  const unknown = classes?.filter((c) => !known.includes(c)) ?? [];
  if (unknown.length > 0) throw new Error(`--break-classes: unknown ${unknown.join(', ')}; known ${known.join(', ')}`);
  const serves = values.custodian?.split(',').map((b) => b.trim()) ?? [];

  const custodian = await runCustodian({
    brokers: config().kafka.brokers,
    seed,
    rates: rates.value,
    delayMs,
    calendarFor: calendarsFromReferenceData(values.dir),
    serves,
    defaultBic: serves[0] ?? 'IRVTUS3N',
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= custodian.stop().then(() => {
      const { instructionsRead, reportsSent } = custodian.stats();
      process.stderr.write(
        `custodian stopped: ${instructionsRead} messages read, ${reportsSent} reports sent` +
          ` (${summary(custodian.simulator.decisions()) || 'no instructions'})\n`,
      );
    });
    return stopping;
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.stderr.write(`custodian: answering ${serves.length > 0 ? serves.join(', ') : 'every agent'}, seed ${seed}\n`);

  if (statementDate !== undefined) {
    await custodian.idle();
    const statements = await custodian.publishStatements(statementDate, {
      seed,
      breakRate,
      ...(classes === undefined ? {} : { classes: classes as InjectableBreak[] }),
    });
    for (const { statement, injected } of statements) {
      process.stderr.write(
        `statement ${statement.statementId}: ${statement.positions.length} positions, ${statement.cash.length} cash` +
          `, ${injected.length} injected break(s)\n`,
      );
      for (const b of injected) process.stderr.write(`  ${b.breakClass.padEnd(22)} ${b.breakKey}  ${b.detail}\n`);
    }
  }
  if (values.once) {
    if (statementDate === undefined) await custodian.idle();
    await stop();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`posttrade custodian: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
