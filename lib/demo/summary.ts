/**
 * The demo's closing summary, per day: what became of the day's captured trades (outcomes that add up to the
 * trades captured), the instructions at the custodian by state (which add up to the instructions), the breaks
 * reconciliation opened, kept open and cleared, and the P&L total per base currency; then the checks that the
 * figures agree with each other, including the P&L chain (the days' totals add up to the change in cumulative
 * P&L). Pure, so that the arithmetic can be checked by hand.
 */
import { HolidayCalendar } from '../domain/calendar';
import { minorUnits, type Dec } from '../domain/money';
import type { DayResult } from './day';
import { checkChain, type ChainDay, type ChainResult } from './pnl-chain';
import { weekdayName } from './days';
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

/** One figure the demo checks, and whether it held. */
export interface DemoCheck {
  readonly name: string;
  readonly ok: boolean;
  /** What was compared (or, when it failed, where). */
  readonly detail: string;
}

export interface DemoSummaryInput {
  readonly days: readonly DayResult[];
  /** The report before the first day, which the P&L chain starts from (none: the chain starts flat). */
  readonly origin: ChainDay | undefined;
  readonly seed: number;
  readonly tradesPerDay: number;
  readonly elapsedMs: number;
}

/** Net instruction states in lifecycle order; any other state the database holds follows. */
const STATE_ORDER = ['EXCEPTION', 'INSTRUCTED', 'MATCHED', 'PARTIALLY_SETTLED', 'SETTLED', 'FAILED', 'CANCELLED'];
const STATE_LABELS: Readonly<Record<string, string>> = { PARTIALLY_SETTLED: 'PARTIAL' };
/** Break classes in the order the summary shows them. */
const CLASS_ORDER = [
  'QUANTITY',
  'AMOUNT',
  'MISSING_AT_CUSTODIAN',
  'MISSING_INTERNAL',
  'TIMING',
  'DUPLICATE',
  'FEES',
  'FX',
];
const CLASS_LABELS: Readonly<Record<string, string>> = {
  QUANTITY: 'quantity',
  AMOUNT: 'cash',
  MISSING_AT_CUSTODIAN: 'missing at custodian',
  MISSING_INTERNAL: 'missing internally',
  TIMING: 'timing',
  DUPLICATE: 'duplicate',
  FEES: 'fees',
  FX: 'fx',
};
/** Ages of failed instructions are counted in weekdays (each market's holidays aside). */
const WEEKDAYS = new HolidayCalendar('WEEKDAYS', []);

const pad = (text: string | number, width: number): string => String(text).padStart(width);
const businessDays = (n: number): string => `${n} business day${n === 1 ? '' : 's'}`;
/** An amount at its currency's minor units (amounts here are sums of rounded figures: nothing is rounded away). */
const money = (amount: Dec | undefined, currency: string): string =>
  amount === undefined ? '-' : amount.toFixed(minorUnits(currency));
const dayLabel = (date: string): string => `${date} ${weekdayName(date)}`;

/** The P&L chain over the run's days (pnl-chain.ts). */
export function pnlChain(input: DemoSummaryInput): ChainResult {
  return checkChain(
    input.days.map((d) => d.report.chain),
    input.origin,
  );
}

/** At most `n` of the items, and how many more there are. */
function firstOf(items: readonly string[], n = 3): string {
  return items.slice(0, n).join('; ') + (items.length > n ? `; and ${items.length - n} more` : '');
}

/** Whether reconciliation saw each deliberate difference on its day, and cleared it when the custodian caught up. */
function differencesFound(days: readonly DayResult[]): {
  shown: number;
  found: number;
  sameClass: number;
  caughtUp: number;
  cleared: number;
  missed: string[];
} {
  const totals = { shown: 0, found: 0, sameClass: 0, caughtUp: 0, cleared: 0, missed: [] as string[] };
  for (const day of days) {
    const events = new Map(day.breakEvents.map((e) => [e.breakKey, e]));
    for (const d of day.differences.shown) {
      totals.shown += 1;
      const event = events.get(d.breakKey);
      if (event !== undefined && event.event !== 'RESOLVED') {
        totals.found += 1;
        if (event.breakClass === d.breakClass) totals.sameClass += 1;
      } else {
        totals.missed.push(`${day.date} ${d.breakKey} (${d.breakClass}) not found`);
      }
    }
    for (const d of day.differences.caughtUp) {
      totals.caughtUp += 1;
      const event = events.get(d.breakKey);
      if (event?.event === 'RESOLVED') totals.cleared += 1;
      else if (event === undefined) totals.missed.push(`${day.date} ${d.breakKey} was not open to clear`);
      else totals.missed.push(`${day.date} ${d.breakKey} still ${event.breakClass} after the custodian caught up`);
    }
  }
  return totals;
}

/** The checks the summary makes (see formatDemoSummary). */
export function demoChecks(input: DemoSummaryInput): DemoCheck[] {
  const { days } = input;
  const tradesOff = days.filter((d) => tradeOutcomes(d.counts).unaccounted !== 0).map((d) => d.date);
  const instructionsOff = days
    .filter((d) => [...d.instructions.byState.values()].reduce((a, b) => a + b, 0) !== d.instructions.total)
    .map((d) => d.date);
  const unanswered = days
    .filter((d) => d.instructions.unanswered > 0)
    .map((d) => `${d.date}: ${d.instructions.unanswered}`);
  const differences = differencesFound(days);
  const chain = pnlChain(input);
  const fxLines = days.reduce((n, d) => n + d.report.fxEffectLines, 0);
  return [
    {
      name: 'captured = booked + rejected + dead-lettered + duplicates (+ held), every day',
      ok: tradesOff.length === 0,
      detail: tradesOff.length === 0 ? `${days.length} days` : `not on ${tradesOff.join(', ')}`,
    },
    {
      name: 'instructions = the sum of their statuses, every day',
      ok: instructionsOff.length === 0,
      detail: instructionsOff.length === 0 ? `${days.length} days` : `not on ${instructionsOff.join(', ')}`,
    },
    {
      name: 'the custodian answered every instruction by its settlement date',
      ok: unanswered.length === 0,
      detail: unanswered.length === 0 ? 'none unanswered' : `unanswered ${unanswered.join('; ')}`,
    },
    {
      name: 'reconciliation found each deliberate difference, and cleared it when the custodian caught up',
      ok: differences.missed.length === 0,
      detail:
        `${differences.found} of ${differences.shown} found (${differences.sameClass} in the class put in), ` +
        `${differences.cleared} of ${differences.caughtUp} cleared` +
        (differences.missed.length === 0 ? '' : `; ${differences.missed.join('; ')}`),
    },
    {
      name: 'every position opens at its previous close as reported (quantity and unrealized P&L)',
      ok: chain.openingsOff.length === 0,
      detail:
        chain.openingsOff.length === 0
          ? `${chain.openings} openings`
          : `${chain.openingsOff.length} of ${chain.openings} do not (a correction of an earlier day restated ` +
            `into the opening instead of landing in a day): ${firstOf(
              chain.openingsOff.map((o) => `${o.date} ${o.key} ${o.detail}`),
            )}`,
    },
    {
      name:
        'P&L chain at full precision (the stored exact closes): each day\u2019s total is the exact change in ' +
        'cumulative P&L (realized since inception + unrealized at close) rounded once, and the exact daily totals ' +
        'add up to the exact change, per base currency',
      ok: chain.exactOff.length === 0 && chain.exactDaysOff.length === 0,
      detail:
        chain.exact
          .map((c) =>
            c.sum.equals(c.change)
              ? `${c.currency} ${c.sum.toFixed()}`
              : `${c.currency} ${c.sum.toFixed()} against ${c.change.toFixed()}`,
          )
          .join(', ') +
        (chain.exactDaysOff.length === 0
          ? ''
          : `; ${chain.exactDaysOff.length} currency days apart: ${firstOf(
              chain.exactDaysOff.map((o) => `${o.date} ${o.key} ${o.detail}`),
            )}`) +
        (chain.exactOff.length === 0
          ? `; each of ${chain.positionDays} position days the exact figures rounded once`
          : `; ${chain.exactOff.length} of ${chain.positionDays} position days not the exact figures rounded once: ` +
            firstOf(chain.exactOff.map((o) => `${o.date} ${o.key} ${o.detail}`))),
    },
    {
      name:
        'P&L chain in reported figures: from every close to every later one, the daily totals add up to the ' +
        'change in cumulative P&L within half a minor unit per rounded figure and day on a line (docs/daily-report.md)',
      ok: chain.reportedOff.length === 0,
      detail:
        chain.reported
          .map((c) =>
            c.sum.equals(c.change)
              ? `${c.currency} ${money(c.sum, c.currency)}`
              : `${c.currency} ${money(c.sum, c.currency)} against ${money(c.change, c.currency)} ` +
                `(${c.sum.minus(c.change).abs().toFixed()} ${c.sum.minus(c.change).abs().greaterThan(c.bound) ? 'beyond' : 'within'} ` +
                `the ${c.bound.toFixed()} allowed)`,
          )
          .join(', ') +
        (chain.reportedOff.length === 0
          ? `; ${chain.spans} spans`
          : `; ${chain.reportedOff.length} of ${chain.spans} spans beyond the bound: ${firstOf(
              chain.reportedOff.map((o) => `${o.date} ${o.key} ${o.detail}`),
            )}`),
    },
    {
      name: 'FX effects on foreign holdings carried through a rate change',
      ok: fxLines > 0 || !days.some((d) => d.report.chain.lines.length > 0),
      detail: `${fxLines} report lines`,
    },
  ];
}

function tradeSection(days: readonly DayResult[]): string[] {
  const header = `  ${'day'.padEnd(14)}${pad('captured', 9)}${pad('booked', 8)}${pad('rejected', 9)}${pad('dead-lettered', 14)}${pad('duplicates', 11)}${pad('held', 5)}   adds up`;
  const rows = days.map((d) => {
    const o = tradeOutcomes(d.counts);
    const sum =
      `${o.captured} = ${o.accepted} + ${o.rejected.total} + ${o.deadLettered} + ${o.duplicates.total}` +
      (o.held === 0 ? '' : ` + ${o.held}`) +
      (o.unaccounted === 0 ? ' ✓' : ` + ${o.unaccounted} unaccounted ✗`);
    return `  ${dayLabel(d.date).padEnd(14)}${pad(o.captured, 9)}${pad(o.accepted, 8)}${pad(o.rejected.total, 9)}${pad(o.deadLettered, 14)}${pad(o.duplicates.total, 11)}${pad(o.held, 5)}   ${sum}`;
  });
  const all = days.map((d) => tradeOutcomes(d.counts));
  const total = (f: (o: TradeOutcomes) => number) => all.reduce((n, o) => n + f(o), 0);
  const totalRow = `  ${'all days'.padEnd(14)}${pad(
    total((o) => o.captured),
    9,
  )}${pad(
    total((o) => o.accepted),
    8,
  )}${pad(
    total((o) => o.rejected.total),
    9,
  )}${pad(
    total((o) => o.deadLettered),
    14,
  )}${pad(
    total((o) => o.duplicates.total),
    11,
  )}${pad(
    total((o) => o.held),
    5,
  )}`;
  return [
    'Trades (captured each day: booked, rejected by validation or persistence, dead-lettered, no-op duplicates)',
    header,
    ...rows,
    totalRow,
  ];
}

function instructionSection(days: readonly DayResult[]): string[] {
  const seen = new Set(days.flatMap((d) => [...d.instructions.byState.keys()]));
  const states = [
    ...STATE_ORDER.filter((s) => seen.has(s)),
    ...[...seen].filter((s) => !STATE_ORDER.includes(s)).sort(),
  ];
  const width = (s: string) => Math.max((STATE_LABELS[s] ?? s).length, 5) + 2;
  const header = `  ${'day'.padEnd(14)}${pad('total', 6)}${states.map((s) => pad(STATE_LABELS[s] ?? s, width(s))).join('')}   oldest failure`;
  const rows = days.map((d) => {
    const counts = states.map((s) => pad(d.instructions.byState.get(s) ?? 0, width(s))).join('');
    const oldest = d.instructions.failedSince[0];
    const age =
      oldest === undefined ? '-' : `${businessDays(WEEKDAYS.businessDaysBetween(oldest, d.date))} (since ${oldest})`;
    return `  ${dayLabel(d.date).padEnd(14)}${pad(d.instructions.total, 6)}${counts}   ${age}`;
  });
  return ['Settlement instructions at the custodian (net), by status at the close of each day', header, ...rows];
}

function breakSection(days: readonly DayResult[]): string[] {
  const header = `  ${'day'.padEnd(14)}${pad('opened', 7)}${pad('open', 6)}${pad('cleared', 8)}   opened by class; oldest open`;
  const rows = days.map((d) => {
    const opened = d.breakEvents.filter((e) => e.event === 'OPENED');
    const cleared = d.breakEvents.filter((e) => e.event === 'RESOLVED').length;
    const classes = [...new Set(opened.map((e) => e.breakClass))]
      .sort((a, b) => CLASS_ORDER.indexOf(a) - CLASS_ORDER.indexOf(b))
      .map((c) => `${CLASS_LABELS[c] ?? c} ${opened.filter((e) => e.breakClass === c).length}`);
    const oldest = Math.max(0, ...d.breakEvents.filter((e) => e.event !== 'RESOLVED').map((e) => e.ageBusinessDays));
    const open = d.breakEvents.some((e) => e.event !== 'RESOLVED') ? `; ${businessDays(oldest)}` : '';
    return `  ${dayLabel(d.date).padEnd(14)}${pad(opened.length, 7)}${pad(d.openBreaks, 6)}${pad(cleared, 8)}   ${classes.join(', ') || '-'}${open}`;
  });
  return ['Reconciliation breaks against the custodian statements', header, ...rows];
}

function pnlSection(input: DemoSummaryInput): string[] {
  const chain = pnlChain(input);
  const currencies = chain.reported.map((c) => c.currency);
  const header = `  ${'day'.padEnd(14)}${currencies.map((c) => pad(c, 14)).join('')}   FX effect lines`;
  const rows = input.days.map((d) => {
    const totals = currencies.map((c) =>
      pad(d.report.chain.totals.find((t) => t.baseCurrency === c)?.totalToday ?? '-', 14),
    );
    return `  ${dayLabel(d.date).padEnd(14)}${totals.join('')}   ${d.report.fxEffectLines}`;
  });
  const sumRow = `  ${'sum of days'.padEnd(14)}${chain.reported.map((c) => pad(money(c.sum, c.currency), 14)).join('')}`;
  const changeRow = `  ${'change'.padEnd(14)}${chain.reported.map((c) => pad(money(c.change, c.currency), 14)).join('')}   in cumulative P&L (realized since inception + unrealized at close)`;
  const last = chain.cumulative.at(-1);
  const cumulativeRow = `  ${'cumulative'.padEnd(14)}${currencies.map((c) => pad(money(last?.get(c), c), 14)).join('')}   at the last close`;
  return [
    'P&L, the day\u2019s total per base currency (realized today + change in unrealized since the previous close), as reported',
    header,
    ...rows,
    sumRow,
    changeRow,
    cumulativeRow,
  ];
}

/** The summary's lines, then whether every check held. */
export function formatDemoSummary(input: DemoSummaryInput): { lines: string[]; ok: boolean } {
  const { days } = input;
  const checks = demoChecks(input);
  const first = days[0]?.date ?? '';
  const last = days.at(-1)?.date ?? '';
  const lines = [
    '',
    `Demo summary: ${days.length} business day(s), ${dayLabel(first)} to ${dayLabel(last)}, ${input.tradesPerDay} trades a day (seed ${input.seed}), ${(input.elapsedMs / 1000).toFixed(0)} s`,
    '',
    ...tradeSection(days),
    '',
    ...instructionSection(days),
    '',
    ...breakSection(days),
    '',
    ...pnlSection(input),
    '',
    'Checks',
    ...checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`),
    '',
    `Reports: ${days.map((d) => d.report.htmlPath).at(-1) ?? '-'} (and one HTML and JSON file per day beside it)`,
    '',
  ];
  return { lines, ok: checks.every((c) => c.ok) };
}
