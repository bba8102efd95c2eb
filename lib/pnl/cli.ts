/**
 * The report commands (entry points: daily-cli.ts, positions-cli.ts).
 * `posttrade report daily --date YYYY-MM-DD [--format json|csv|html] [--out FILE]`: runs (and stores) the daily
 * P&L report for a date and writes it to FILE or stdout.
 * `posttrade report positions [--account ID] [--format json|csv]`: positions with market value at the latest
 * end-of-day price. Both read DATABASE_URL.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { isIsoDate } from '../domain/calendar';
import { endPool, getPool } from '../db/pool';
import { previousBusinessDay } from './dates';
import { positionReport, positionReportCsv } from './position-report';
import { PgDailyReportService } from './service';
import { ReportFormat, writeReport } from './writers';

function fail(message: string): never {
  process.stderr.write(`posttrade report: ${message}\n`);
  process.exit(2);
}

export async function daily(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { date: { type: 'string' }, format: { type: 'string', default: 'json' }, out: { type: 'string' } },
  });
  const date = values.date ?? previousBusinessDay(new Date().toISOString().slice(0, 10));
  if (!isIsoDate(date)) fail(`--date must be YYYY-MM-DD, got ${date}`);
  const format = Object.values(ReportFormat).find((f) => f === values.format);
  if (format === undefined) fail(`--format must be json, csv or html, got ${values.format ?? ''}`);
  const started = process.hrtime.bigint();
  const report = await new PgDailyReportService(getPool()).generateDocument(date);
  const text = writeReport(report, format);
  if (values.out === undefined) {
    process.stdout.write(text);
  } else {
    await writeFile(values.out, text);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const totals = report.overall.map((t) => `${t.totalToday} ${t.baseCurrency}`).join(', ') || 'none';
    process.stderr.write(
      `daily P&L ${date}: ${report.lines.length} positions, total today ${totals}, ${report.issues.length} not valued; ` +
        `wrote ${values.out} in ${ms.toFixed(0)} ms\n`,
    );
  }
}

export async function positions(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { account: { type: 'string', multiple: true }, format: { type: 'string', default: 'json' } },
  });
  const report = await positionReport(getPool(), { accounts: values.account });
  process.stdout.write(values.format === 'csv' ? positionReportCsv(report) : `${JSON.stringify(report, null, 2)}\n`);
}

/** Runs one command with the process's arguments, closing the pool and mapping failure to exit code 1. */
export function runCommand(command: (argv: string[]) => Promise<void>): void {
  command(process.argv.slice(2))
    .catch((error: unknown) => {
      process.stderr.write(`posttrade report: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(() => void endPool());
}
