/**
 * The report commands.
 * `posttrade report daily [--date YYYY-MM-DD] [--format json|csv|html] [--out FILE]`: runs (and stores) the daily
 * P&L report for a date and writes it to FILE or stdout.
 * `posttrade report positions [--account ID]... [--format json|csv]`: positions with market value at the latest
 * end-of-day price.
 * A daily report that takes longer than {@link QUIET_MS} shows its steps' progress on stderr (lib/cli/progress.ts).
 */
import { writeFile } from 'node:fs/promises';

import type { ReportDailyOptions, ReportPositionsOptions } from '../cli/commands';
import type { CommandContext } from '../cli/program';
import { CountProgress } from '../cli/progress';
import { endPool, getPool } from '../db/pool';
import { previousBusinessDay } from './dates';
import { positionReport, positionReportCsv } from './position-report';
import { PgDailyReportService, REPORT_STEPS } from './service';
import { writeReport } from './writers';

/** Reports done within this many ms show no progress. */
export const QUIET_MS = 1_000;

/** After the steps of generating it: the stored report read back, then formatted. */
const AFTER_STEPS = ['read back', 'formatted'] as const;

export async function reportDailyCommand(options: ReportDailyOptions, context: CommandContext): Promise<void> {
  const date = options.date ?? previousBusinessDay(new Date().toISOString().slice(0, 10));
  const started = process.hrtime.bigint();
  const progress = new CountProgress(
    context.stderr,
    `daily P&L ${date}: steps`,
    REPORT_STEPS.length + AFTER_STEPS.length,
    {
      quietMs: QUIET_MS,
    },
  );
  let done = 0;
  const step = (name: string): void => {
    done += 1;
    progress.update(done, name);
  };
  try {
    let text: string;
    let report: Awaited<ReturnType<PgDailyReportService['generateDocument']>>;
    try {
      report = await new PgDailyReportService(getPool(), { onStep: step }).generateDocument(date);
      step(AFTER_STEPS[0]);
      text = writeReport(report, options.format);
      step(AFTER_STEPS[1]);
    } finally {
      progress.end();
    }
    if (options.out === undefined) {
      context.stdout.write(text);
      return;
    }
    await writeFile(options.out, text);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const totals = report.overall.map((t) => `${t.totalToday} ${t.baseCurrency}`).join(', ') || 'none';
    context.stderr.write(
      `daily P&L ${date}: ${report.lines.length} positions, total today ${totals}, ${report.issues.length} not valued; ` +
        `wrote ${options.out} in ${ms.toFixed(0)} ms\n`,
    );
  } finally {
    await endPool();
  }
}

export async function reportPositionsCommand(options: ReportPositionsOptions, context: CommandContext): Promise<void> {
  try {
    const report = await positionReport(getPool(), { accounts: options.account });
    context.stdout.write(options.format === 'csv' ? positionReportCsv(report) : `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await endPool();
  }
}
