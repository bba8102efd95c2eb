/**
 * The read side of the daily P&L report: stored reports as they were written (lib/pnl/service.ts writes them).
 * Everything that only reads a report — the query API, the writers, the demo — needs this and nothing of the
 * computation: no market data, no valuation, no transaction.
 */
import type { Pool } from 'pg';

import { Dec, minorUnits, roundToCurrency } from '../domain/money';
import { PendingRejectionCode } from '../db/trade-store';
import type {
  AccountTotalsDoc,
  DailyReportDoc,
  HistoryPoint,
  ReportIssue,
  ReportLineDoc,
  RiskLineDoc,
  TotalsDoc,
  TradeException,
} from './document';
import { LINE_COLUMNS } from './valuation';

/** How many report dates the cumulative chart shows. */
export const HISTORY_DATES = 20;

/** A stored report without its lines and history: its time, totals and issues. */
export type ReportSummary = Omit<DailyReportDoc, 'lines' | 'history' | 'exceptions' | 'risk'>;

/** daily_pnl_reports.summary, as the writing side stores it. */
export interface StoredSummary {
  /** Absent on reports stored before migration 1732407400000. */
  readonly previousReportDate?: string | null;
  readonly accounts: readonly AccountTotalsDoc[];
  readonly overall: readonly TotalsDoc[];
  readonly issues: readonly ReportIssue[];
}

/** Which stored lines of a date to read: some accounts only, a page after a key, at most `limit`. */
export interface LineQuery {
  readonly reportDate: string;
  readonly accounts?: readonly string[];
  /** An account and ISIN: only the lines after it, in (account, ISIN) order. */
  readonly after?: readonly [string, string];
  readonly limit?: number;
}

export class PgStoredReports {
  constructor(private readonly pool: Pool) {}

  /**
   * The stored report of a date, or undefined when it has not been run. With `accounts`, only their lines are read
   * (the totals and issues stay the whole report's: the caller narrows them).
   */
  async get(reportDate: string, accounts?: readonly string[]): Promise<DailyReportDoc | undefined> {
    const report = await this.summary(reportDate);
    if (report === undefined) return undefined;
    const lines = await this.lines({ reportDate, ...(accounts === undefined ? {} : { accounts }) });
    return {
      ...report,
      lines,
      history: await this.history(reportDate),
      exceptions: await this.exceptions(reportDate, report.previousReportDate),
      risk: await this.risk(reportDate, accounts),
    };
  }

  /** The risk section: the date's end-of-day risk run per account, with each account's alerts open now. */
  async risk(reportDate: string, accounts?: readonly string[]): Promise<RiskLineDoc[]> {
    const { rows } = await this.pool.query<{
      account_id: string;
      base_currency: string;
      equity: string;
      maintenance_requirement: string;
      excess_over_maintenance: string;
      margin_call: boolean;
      value_at_risk: string | null;
      var_issue: string | null;
      open_alerts: number;
    }>(
      `SELECT e.account_id, trim(e.base_currency) AS base_currency, e.equity, e.maintenance_requirement,
         e.excess_over_maintenance, e.margin_call, e.value_at_risk, e.var_issue,
         (SELECT count(*)::int FROM risk_alerts a WHERE a.account_id = e.account_id AND a.cleared_at IS NULL)
           AS open_alerts
       FROM risk_eod_snapshots e
       WHERE e.as_of_date = $1 AND ($2::text[] IS NULL OR e.account_id = ANY($2::text[]))
       ORDER BY e.account_id`,
      [reportDate, accounts ?? null],
    );
    return rows.map((row) => {
      const money = (amount: string) =>
        roundToCurrency(new Dec(amount), row.base_currency).toFixed(minorUnits(row.base_currency));
      return {
        accountId: row.account_id,
        baseCurrency: row.base_currency,
        equity: money(row.equity),
        maintenanceRequirement: money(row.maintenance_requirement),
        excessOverMaintenance: money(row.excess_over_maintenance),
        marginCall: row.margin_call,
        valueAtRisk: row.value_at_risk === null ? null : money(row.value_at_risk),
        varIssue: row.var_issue,
        openAlerts: row.open_alerts,
      };
    });
  }

  /**
   * Amends and cancels that could never be booked (lib/pipeline/pending-events.ts) of trades dated after
   * `previousReportDate` through `reportDate`: the operations desk's exceptions for that day, as known now.
   */
  async exceptions(reportDate: string, previousReportDate: string | null): Promise<TradeException[]> {
    const { rows } = await this.pool.query<{
      exec_id: string;
      trade_id: string;
      account_id: string;
      lifecycle: string;
      version: number;
      trade_date: string;
      code: string;
      message: string;
      rejected_at: string;
    }>(
      `SELECT exec_id, trade_id, event ->> 'account' AS account_id, event ->> 'lifecycle' AS lifecycle,
         (event ->> 'version')::integer AS version, event ->> 'tradeDate' AS trade_date,
         reasons -> 0 ->> 'code' AS code, reasons -> 0 ->> 'message' AS message,
         to_char(rejected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS rejected_at
       FROM trade_rejections
       WHERE reasons -> 0 ->> 'code' = ANY($1::text[]) AND exec_id IS NOT NULL AND trade_id IS NOT NULL
         AND event ->> 'tradeDate' <= $2 AND ($3::text IS NULL OR event ->> 'tradeDate' > $3)
       ORDER BY trade_date, trade_id, version, exec_id`,
      [Object.values(PendingRejectionCode), reportDate, previousReportDate],
    );
    return rows.map((row) => ({
      execId: row.exec_id,
      tradeId: row.trade_id,
      accountId: row.account_id,
      lifecycle: row.lifecycle,
      version: row.version,
      tradeDate: row.trade_date,
      code: row.code,
      message: row.message,
      rejectedAt: row.rejected_at,
    }));
  }

  /** Stored lines of a date (LineQuery), ordered by account and instrument. */
  async lines(query: LineQuery): Promise<ReportLineDoc[]> {
    const { rows } = await this.pool.query<LineRow>(
      `SELECT ${LINE_COLUMNS.join(', ')} FROM daily_pnl_lines
       WHERE report_date = $1 AND ($2::text[] IS NULL OR account_id = ANY($2::text[]))
         AND ($3::text IS NULL OR (account_id, isin) > ($3::text, $4::text))
       ORDER BY account_id, isin LIMIT $5`,
      [
        query.reportDate,
        query.accounts ?? null,
        query.after?.[0] ?? null,
        query.after?.[1] ?? null,
        query.limit ?? null,
      ],
    );
    return rows.map(fromLineRow);
  }

  /** A stored report without its lines and history (its time, totals and issues), or undefined when not run. */
  async summary(reportDate: string): Promise<ReportSummary | undefined> {
    const { rows } = await this.pool.query<{ generated_at: string; summary: StoredSummary }>(
      `SELECT to_char(generated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS generated_at, summary
       FROM daily_pnl_reports WHERE report_date = $1`,
      [reportDate],
    );
    const report = rows[0];
    if (report === undefined) return undefined;
    const { previousReportDate, ...summary } = report.summary;
    return { reportDate, previousReportDate: previousReportDate ?? null, generatedAt: report.generated_at, ...summary };
  }

  /** Overall day's totals and cumulative P&L of the last report dates up to `reportDate`, oldest first. */
  async history(reportDate: string): Promise<HistoryPoint[]> {
    const { rows } = await this.pool.query<{ report_date: string; overall: TotalsDoc[] }>(
      `SELECT to_char(report_date, 'YYYY-MM-DD') AS report_date, summary->'overall' AS overall
       FROM daily_pnl_reports WHERE report_date <= $1 ORDER BY report_date DESC LIMIT $2`,
      [reportDate, HISTORY_DATES],
    );
    return rows.reverse().flatMap((row) =>
      row.overall.map((t) => ({
        reportDate: row.report_date,
        baseCurrency: t.baseCurrency,
        totalToday: t.totalToday,
        cumulative:
          t.realizedSinceInception === null
            ? null
            : roundToCurrency(new Dec(t.realizedSinceInception).plus(t.unrealizedAtClose), t.baseCurrency).toFixed(
                minorUnits(t.baseCurrency),
              ),
      })),
    );
  }
}

type LineRow = Record<(typeof LINE_COLUMNS)[number], string> & {
  trade_count: number;
  realized_since_inception: string | null;
  realized_since_inception_base: string | null;
  price_effect_today_base: string | null;
  fx_effect_today_base: string | null;
};

function fromLineRow(row: LineRow): ReportLineDoc {
  return {
    accountId: row.account_id,
    isin: row.isin,
    costMethod: row.cost_method,
    currency: row.currency,
    baseCurrency: row.base_currency,
    openingQuantity: row.opening_quantity,
    closingQuantity: row.closing_quantity,
    tradeCount: row.trade_count,
    boughtQuantity: row.bought_quantity,
    soldQuantity: row.sold_quantity,
    closePrice: row.close_price,
    closeFxRate: row.close_fx_rate,
    local: {
      realizedToday: row.realized_today,
      unrealizedChangeToday: row.unrealized_change_today,
      feesToday: row.fees_today,
      totalToday: row.total_today,
      realizedSinceInception: row.realized_since_inception,
      unrealizedAtPreviousClose: row.unrealized_at_previous_close,
      unrealizedAtClose: row.unrealized_at_close,
    },
    base: {
      realizedToday: row.realized_today_base,
      unrealizedChangeToday: row.unrealized_change_today_base,
      feesToday: row.fees_today_base,
      totalToday: row.total_today_base,
      realizedSinceInception: row.realized_since_inception_base,
      unrealizedAtPreviousClose: row.unrealized_at_previous_close_base,
      unrealizedAtClose: row.unrealized_at_close_base,
      priceEffectToday: row.price_effect_today_base,
      fxEffectToday: row.fx_effect_today_base,
    },
  };
}
