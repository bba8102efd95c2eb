/**
 * `posttrade status`: what an operator looks at first. Exit 0 healthy, 1 degraded, 2 down, so that a script or a
 * cron job can act on it (`npm run status` is the other half: whether the local stack's processes run).
 */
import type { StatusOptions } from '../cli/commands';
import type { ExitCode } from '../cli/errors';
import type { CommandContext } from '../cli/program';
import { PgStatusStore } from '../db/status-store';
import { endPool, getPool } from '../db/pool';
import { createKafkaAdmin } from '../kafka/admin';
import { collectStatus, type StatusReport } from './collect';
import { Verdict } from './verdict';

/** The exit code of each verdict. */
export const VERDICT_EXIT: Readonly<Record<Verdict, ExitCode>> = {
  [Verdict.HEALTHY]: 0,
  [Verdict.DEGRADED]: 1,
  [Verdict.DOWN]: 2,
};

export async function statusCommand(options: StatusOptions, context: CommandContext): Promise<ExitCode> {
  const { config } = context;
  try {
    const report = await collectStatus(
      {
        admin: () => createKafkaAdmin(config.kafka),
        store: () => new PgStatusStore(getPool()),
        deployment: config.stage,
        thresholds: config.status,
      },
      { detail: true },
    );
    context.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
    return VERDICT_EXIT[report.verdict];
  } finally {
    await endPool().catch(() => undefined);
  }
}

function age(from: Date, to: Date): string {
  const seconds = Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

function counts(by: Readonly<Record<string, number>>): string {
  const entries = Object.entries(by).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([key, n]) => `${key} ${n}`).join(', ');
}

/** The report as text for people: verdict and reasons first, then the figures behind them. */
export function renderStatus(report: StatusReport): string {
  const lines: string[] = [];
  const now = report.checkedAt;
  lines.push(`pipeline ${report.verdict.toUpperCase()} at ${now.toISOString()}`);
  for (const reason of report.reasons) lines.push(`  ! ${reason}`);
  for (const note of report.notes) lines.push(`  · ${note}`);
  const t = report.thresholds;
  lines.push(
    `  (degraded over: lag ${t.lagMax}, dead letters ${t.deadLettersPerHourMax}/h, idle ${t.staleStageSeconds} s with work waiting)`,
  );

  lines.push('', 'consumer lag');
  if (!report.kafka.reachable) lines.push(`  broker unreachable: ${report.kafka.error ?? ''}`);
  for (const group of report.groups) {
    lines.push(
      `  ${group.stage.padEnd(18)} ${group.topic.padEnd(20)} lag ${String(group.lag).padStart(7)}  ${group.group}`,
    );
    // Partitions only where something waits: the JSON has them all.
    for (const p of group.lag === 0 ? [] : group.partitions) {
      lines.push(
        `    partition ${String(p.partition).padStart(2)}  committed ${String(p.committed ?? '-').padStart(8)}  ` +
          `end ${String(p.end).padStart(8)}  lag ${String(p.lag).padStart(7)}`,
      );
    }
  }

  lines.push('', 'last batch per stage');
  if (!report.database.reachable) lines.push(`  database unreachable: ${report.database.error ?? ''}`);
  else if (report.lastBatches.length === 0) lines.push('  no stage has run a batch yet');
  const ran = new Set(report.lastBatches.map((batch) => batch.stage));
  const neverRan = [...new Set(report.groups.map((group) => group.stage))].filter((stage) => !ran.has(stage));
  if (report.database.reachable && ran.size > 0 && neverRan.length > 0) {
    lines.push(`  never ran: ${neverRan.join(', ')} (idle unless records wait for them, as the lag above says)`);
  }
  for (const batch of report.lastBatches) {
    lines.push(
      `  ${batch.stage.padEnd(18)} ended ${age(batch.endedAt, now).padStart(7)} ago  took ${String(batch.durationMs).padStart(6)} ms  ` +
        `${String(batch.records).padStart(5)} record(s)  ${batch.outcome}${batch.error === undefined ? '' : `: ${batch.error}`}`,
    );
  }

  const dead = report.deadLettersLastHour;
  lines.push('', `dead letters in the last hour: ${dead.total}${dead.total === 0 ? '' : ` (${counts(dead.byStage)})`}`);

  const c = report.counts;
  if (c !== undefined) {
    lines.push(`trades: ${counts(c.trades)}; captures: ${counts(c.captures)}`);
    lines.push(`instructions: ${counts(c.instructions)}; net: ${counts(c.netInstructions)}`);
    const open = c.openBreaks.reduce((sum, b) => sum + b.count, 0);
    lines.push(`open breaks: ${open}`);
    for (const b of c.openBreaks) {
      lines.push(
        `  ${b.class.padEnd(22)} ${b.ageingBucket.padEnd(10)} ${String(b.count).padStart(5)}  oldest ${b.oldestBusinessDays} business day(s)`,
      );
    }
    const r = c.lastDailyReport;
    lines.push(
      r === undefined
        ? 'last daily report: none stored'
        : `last daily report: ${r.reportDate}, generated ${r.generatedAt.toISOString()} (${age(r.generatedAt, now)} ago), ` +
            `${r.lineCount} line(s), ${r.issues} issue(s)`,
    );
  }
  return `${lines.join('\n')}\n`;
}
