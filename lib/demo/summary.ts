/**
 * The demo's closing summary: what became of every captured trade, in outcomes that add up to the trades
 * captured, then positions, P&L and where the report is. Pure, so that the arithmetic can be checked by hand.
 */
import type { PipelineCounts } from './progress';

/** Every captured record in exactly one outcome (once the pipeline has finished with them). */
export interface TradeOutcomes {
  readonly captured: number;
  /** Booked versions (new trades, amends and cancels). */
  readonly accepted: number;
  readonly rejected: { readonly total: number; readonly validation: number; readonly persistence: number };
  readonly deadLettered: number;
  readonly duplicates: {
    readonly total: number;
    /** The same execution captured again with the same content: nothing happened. */
    readonly redelivered: number;
    /** Another execution whose ExecID was already booked when persistence saw it: not booked. */
    readonly execIdBooked: number;
  };
  readonly held: number;
  /** Captured records in none of the outcomes above yet: zero once the pipeline has finished. */
  readonly unaccounted: number;
  /** Straight-through rate in percent: accepted over the executions decided (redeliveries and held ones aside). */
  readonly stpPercent: number;
}

export function tradeOutcomes(counts: PipelineCounts): TradeOutcomes {
  const rejected = {
    total: counts.rejected + counts.persistRejected,
    validation: counts.rejected,
    persistence: counts.persistRejected,
  };
  const duplicates = {
    total: counts.duplicates + counts.persistDuplicates,
    redelivered: counts.duplicates,
    execIdBooked: counts.persistDuplicates,
  };
  const accounted = counts.booked + rejected.total + counts.deadLettered + duplicates.total + counts.held;
  const decided = counts.booked + rejected.total + counts.deadLettered + counts.persistDuplicates;
  return {
    captured: counts.captured,
    accepted: counts.booked,
    rejected,
    deadLettered: counts.deadLettered,
    duplicates,
    held: counts.held,
    unaccounted: counts.captured - accounted,
    stpPercent: decided === 0 ? 0 : (counts.booked / decided) * 100,
  };
}

export interface DemoSummary {
  readonly counts: PipelineCounts;
  readonly reportDate: string;
  /** Trade dates of the run's booked versions other than the report date (another producer, or none). */
  readonly otherTradeDates: readonly string[];
  readonly positions: { readonly total: number; readonly open: number };
  readonly totals: readonly {
    readonly baseCurrency: string;
    readonly total: string;
    readonly realized: string;
    readonly unrealized: string;
  }[];
  /** Settlement instructions by state; empty when the settlement stage is not deployed. */
  readonly instructions: readonly { readonly state: string; readonly count: number }[];
  readonly htmlPath: string;
  readonly jsonPath: string;
}

/** The summary's lines; the first count line shows the sum the next five make up. */
export function formatDemoSummary(summary: DemoSummary): string[] {
  const o = tradeOutcomes(summary.counts);
  const sum =
    `= ${o.accepted} accepted + ${o.rejected.total} rejected + ${o.deadLettered} dead-lettered` +
    ` + ${o.duplicates.total} duplicates + ${o.held} held` +
    (o.unaccounted === 0 ? '' : ` + ${o.unaccounted} unaccounted`);
  return [
    '',
    `Demo summary (trade and report date ${summary.reportDate})`,
    ...(summary.otherTradeDates.length > 0
      ? [`  note: booked versions also dated ${summary.otherTradeDates.join(', ')}`]
      : []),
    `  trades captured       ${o.captured} ${sum}`,
    `  accepted (booked)     ${o.accepted}`,
    `  rejected              ${o.rejected.total} (validation ${o.rejected.validation}, persistence ${o.rejected.persistence})`,
    `  dead-lettered         ${o.deadLettered}`,
    `  duplicates (no-op)    ${o.duplicates.total} (redelivered ${o.duplicates.redelivered}, ExecID already booked ${o.duplicates.execIdBooked})`,
    `  held (awaiting trade) ${o.held}`,
    `  STP rate              ${o.stpPercent.toFixed(1)}%`,
    `  positions             ${summary.positions.total} (${summary.positions.open} open)`,
    ...summary.totals.map(
      (t) => `  total P&L ${t.baseCurrency}         ${t.total} (realized ${t.realized}, unrealized ${t.unrealized})`,
    ),
    ...(summary.instructions.length > 0
      ? [`  settlement instr.     ${summary.instructions.map((i) => `${i.state} ${i.count}`).join(', ')}`]
      : []),
    `  HTML report           ${summary.htmlPath}`,
    `  JSON report           ${summary.jsonPath}`,
    '',
  ];
}
