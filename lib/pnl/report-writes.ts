/**
 * What the daily P&L report writes, on its own connection in its one transaction (lib/pnl/service.ts, steps 0, 2
 * and 6): the replaced run deleted and the new run's row, the quiet lines valued and inserted where they are, the
 * totals. The rows valued in code go in by COPY (row-stream.ts).
 */
import type { PoolClient } from 'pg';

import { Dec, MINOR_UNITS, minorUnits } from '../domain/money';
import { addTotals, TOTAL_AMOUNTS, type AccountPnlSummary, type PnlTotals, type TotalAmount } from '../domain/pnl';
import { keyOf, type PositionKey } from '../positions/live-events';
import { accountTotalsDoc, totalsDoc, type AccountTotalsDoc, type ReportIssue, type TotalsDoc } from './document';
import {
  DELETE_REPORT,
  INSERT_REPORT,
  PREVIOUS_STILL_STORED,
  QUIET_LINES,
  REPORT_LOCK,
  UPDATE_SUMMARY,
} from './report-sql';
import type { StoredSummary } from './stored-reports';
import { missingPriceMessage, type MarketData } from './valuation';

const REPORT_LOCK_CLASS = 1_732_406_801;

/** What insertQuietLines inserted: the count, the positions it could not value, and the totals per account. */
export interface QuietLines {
  readonly count: number;
  readonly issues: readonly ReportIssue[];
  readonly totals: ReadonlyMap<string, PnlTotals>;
}

export const NO_QUIET_LINES: QuietLines = { count: 0, issues: [], totals: new Map() };

/**
 * Takes the date's lock, checks that the previous report read is still the stored one, deletes the run this one
 * replaces and inserts the new run's row: its lines follow.
 */
export async function replaceReport(
  client: PoolClient,
  input: {
    readonly reportDate: string;
    readonly generatedAt: string;
    readonly previous: { readonly reportDate: string; readonly generatedAtExact: string } | undefined;
  },
): Promise<void> {
  const { reportDate, previous } = input;
  // Two runs for the same date queue up rather than interleave their delete and insert.
  await client.query(REPORT_LOCK, [REPORT_LOCK_CLASS, reportDate]);
  if (previous !== undefined) {
    // Closes are copied from the run of the previous report this one read, and only from it: a rerun of that
    // date meanwhile aborts this one (retry it) instead of silently valuing nothing. FOR SHARE holds it still.
    const { rowCount } = await client.query(PREVIOUS_STILL_STORED, [previous.reportDate, previous.generatedAtExact]);
    if (rowCount !== 1) {
      throw new Error(`report ${reportDate}: the report of ${previous.reportDate} was replaced while it ran`);
    }
  }
  await client.query(DELETE_REPORT, [reportDate]);
  // Totals and line count are summed from the parts (storeSummary), then written over these.
  await client.query(INSERT_REPORT, [reportDate, input.generatedAt]);
}

/**
 * Values the quiet positions from the previous report's lines in one INSERT … SELECT (QUIET_LINES) and reports
 * those it cannot value for want of a price or rate, with the code path's codes and messages.
 */
export async function insertQuietLines(
  client: PoolClient,
  input: {
    readonly reportDate: string;
    readonly previousReportDate: string;
    readonly market: MarketData;
    /** Positions valued in code or untrusted: never quiet. */
    readonly inCode: readonly PositionKey[];
    readonly splitIsins: readonly string[];
  },
): Promise<QuietLines> {
  const text = (value: Dec | undefined): string | null => value?.toFixed() ?? null;
  const { rows } = await client.query<{
    inserted: number;
    totals: [string, string, number, ...string[]][] | null;
    unvalued: [string, string, string, string, 'CURRENCY' | 'CLOSE'][] | null;
  }>(QUIET_LINES, [
    input.previousReportDate,
    input.reportDate,
    // A jsonb object: `?` finds a key by binary search whatever the plan, where a join on unnest()ed arrays let a
    // misestimate pick nested loops (the bench saw 75 s for 36,000 × 14,000 comparisons).
    JSON.stringify(Object.fromEntries(input.inCode.map((k) => [keyOf(k), true]))),
    input.splitIsins,
    // Today's closes only: a quiet position opens at its previous line's close price and rate.
    JSON.stringify(Object.fromEntries([...input.market.prices].map(([isin, p]) => [isin, text(p.close)]))),
    JSON.stringify(Object.fromEntries([...input.market.fx].map(([pair, r]) => [pair, text(r.close)]))),
    JSON.stringify(MINOR_UNITS),
  ]);
  const answer = rows[0];
  const issues: ReportIssue[] = [];
  for (const [accountId, isin, currency, baseCurrency, missing] of answer?.unvalued ?? []) {
    // A currency without known minor units fails the report, as it does in code (minorUnits throws).
    if (missing === 'CURRENCY') [currency, baseCurrency].forEach(minorUnits);
    issues.push({ accountId, isin, code: 'MISSING_PRICE', message: missingPriceMessage(input.reportDate) });
  }
  const totals = new Map<string, PnlTotals>();
  for (const [accountId, baseCurrency, lineCount, ...sums] of answer?.totals ?? []) {
    if (totals.has(accountId)) throw new Error(baseCurrencies(input.reportDate, accountId));
    const amounts = Object.fromEntries(TOTAL_AMOUNTS.map((name, i) => [name, new Dec(sums[i] ?? '0')])) as Record<
      TotalAmount,
      Dec
    >;
    totals.set(accountId, { baseCurrency, lineCount, ...amounts });
  }
  return { count: (answer?.inserted ?? 0) + issues.length, issues, totals };
}

/** The stored run's line count and summary, from the totals and issues of its parts. */
export interface ReportSummaryParts {
  readonly reportDate: string;
  readonly previousReportDate: string | null;
  readonly lineCount: number;
  /** Totals per account of each part (the lines valued in code, the quiet lines). */
  readonly totals: readonly ReadonlyMap<string, PnlTotals>[];
  readonly issues: readonly ReportIssue[];
}

/** Writes the run's line count and summary (the totals of its parts, its issues in key order); returns them. */
export async function storeSummary(
  client: PoolClient,
  parts: ReportSummaryParts,
): Promise<{ accounts: AccountTotalsDoc[]; overall: TotalsDoc[]; issues: ReportIssue[] }> {
  const issues = [...parts.issues].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  const { accounts, overall } = reportTotals(parts.reportDate, parts.totals);
  await client.query(UPDATE_SUMMARY, [
    parts.reportDate,
    parts.lineCount,
    JSON.stringify({
      previousReportDate: parts.previousReportDate,
      accounts,
      overall,
      issues,
    } satisfies StoredSummary),
  ]);
  return { accounts, overall, issues };
}

function baseCurrencies(reportDate: string, accountId: string): string {
  // An account has exactly one base currency (summarizeByAccount refuses the same).
  return `report ${reportDate}: account ${accountId} has lines in more than one base currency`;
}

/**
 * The report's totals per account and per base currency, from the totals per account of its parts (the lines
 * valued in code, the quiet lines): sums of rounded figures, exact.
 */
function reportTotals(
  reportDate: string,
  parts: readonly ReadonlyMap<string, PnlTotals>[],
): { accounts: AccountTotalsDoc[]; overall: TotalsDoc[] } {
  const byAccount = new Map<string, PnlTotals>();
  for (const part of parts) {
    for (const [accountId, totals] of part) {
      const sum = byAccount.get(accountId);
      if (sum !== undefined && sum.baseCurrency !== totals.baseCurrency) {
        throw new Error(baseCurrencies(reportDate, accountId));
      }
      byAccount.set(accountId, addTotals(sum, totals));
    }
  }
  const byBase = new Map<string, PnlTotals>();
  for (const totals of byAccount.values()) {
    byBase.set(totals.baseCurrency, addTotals(byBase.get(totals.baseCurrency), totals));
  }
  const accounts: AccountPnlSummary[] = [...byAccount].map(([accountId, totals]) => ({ accountId, ...totals }));
  accounts.sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  const overall = [...byBase.values()].sort((a, b) => (a.baseCurrency < b.baseCurrency ? -1 : 1));
  return { accounts: accounts.map(accountTotalsDoc), overall: overall.map(totalsDoc) };
}
