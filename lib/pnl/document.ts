/**
 * The daily P&L report as a document: plain JSON (decimals as strings, already rounded to their currency's minor
 * units), the one shape every writer (JSON, CSV, HTML) and the query API read. Built from domain lines here; the
 * stored report (lib/pnl/service.ts) reads back into the same shape.
 */
import { minorUnits } from '../domain/money';
import {
  TOTAL_AMOUNTS,
  type AccountPnlSummary,
  type DailyPnlLine,
  type PnlFigures,
  type PnlTotals,
  type TotalAmount,
} from '../domain/pnl';

/**
 * A line's figures in one currency (docs/daily-report.md says what each means). The day's figures run from the
 * previous report date's close to this close; the cumulative ones are as of a close. `realizedSinceInception` is
 * null on lines stored before migration 1732407400000, which did not keep it.
 */
export interface FiguresDoc {
  readonly realizedToday: string;
  readonly unrealizedChangeToday: string;
  readonly feesToday: string;
  readonly totalToday: string;
  readonly realizedSinceInception: string | null;
  readonly unrealizedAtPreviousClose: string;
  readonly unrealizedAtClose: string;
}

/** Base figures: with the day's split of the unrealized change (null on lines stored before 1732407400000). */
export interface BaseFiguresDoc extends FiguresDoc {
  readonly priceEffectToday: string | null;
  readonly fxEffectToday: string | null;
}

export interface ReportLineDoc {
  readonly accountId: string;
  readonly isin: string;
  readonly costMethod: string;
  readonly currency: string;
  readonly baseCurrency: string;
  readonly openingQuantity: string;
  readonly closingQuantity: string;
  readonly tradeCount: number;
  readonly boughtQuantity: string;
  readonly soldQuantity: string;
  readonly closePrice: string;
  readonly closeFxRate: string;
  readonly local: FiguresDoc;
  readonly base: BaseFiguresDoc;
}

/** Base-currency sums of lines: the same names as a line's base figures. */
export interface TotalsDoc extends BaseFiguresDoc {
  readonly baseCurrency: string;
  readonly lineCount: number;
}

export interface AccountTotalsDoc extends TotalsDoc {
  readonly accountId: string;
}

/** A position left out of the report, and why (a missing price or FX rate, a replay error). */
export interface ReportIssue {
  readonly accountId: string;
  readonly isin: string;
  readonly code: string;
  readonly message: string;
}

/**
 * An amend or cancel that could never be booked (lib/pipeline/pending-events.ts): its trade's NEW was rejected
 * (`TRADE_REJECTED`) or never arrived (`PENDING_EXPIRED`). Listed by the report of its trade date's day.
 */
export interface TradeException {
  readonly execId: string;
  readonly tradeId: string;
  readonly accountId: string;
  readonly lifecycle: string;
  readonly version: number;
  readonly tradeDate: string;
  readonly code: string;
  readonly message: string;
  readonly rejectedAt: string;
}

/** One report's overall figures in one base currency, for the cumulative chart. */
export interface HistoryPoint {
  readonly reportDate: string;
  readonly baseCurrency: string;
  readonly totalToday: string;
  /**
   * Realized since inception + unrealized at close of that report's lines: its cumulative P&L; null for a report
   * stored before migration 1732407400000.
   */
  readonly cumulative: string | null;
}

/**
 * An account's risk in the report's risk section: the end-of-day risk run of the report date
 * (`risk_eod_snapshots`, lib/risk/end-of-day.ts), amounts rounded to the base currency, with its alerts open when
 * the report is read.
 */
export interface RiskLineDoc {
  readonly accountId: string;
  readonly baseCurrency: string;
  readonly equity: string;
  readonly maintenanceRequirement: string;
  /** Equity − maintenance requirement: negative is a deficit (a margin call). */
  readonly excessOverMaintenance: string;
  readonly marginCall: boolean;
  /** One-day 99 % historical VaR, or null with the reason in `varIssue`. */
  readonly valueAtRisk: string | null;
  readonly varIssue: string | null;
  readonly openAlerts: number;
}

export interface DailyReportDoc {
  readonly reportDate: string;
  /**
   * The report date whose close this report opens from (its day runs from that close to this one), or null when
   * there was no earlier report (the opening is then the weekday before, replayed) or it is not known (a report
   * stored before migration 1732407400000).
   */
  readonly previousReportDate: string | null;
  readonly generatedAt: string;
  readonly lines: readonly ReportLineDoc[];
  readonly accounts: readonly AccountTotalsDoc[];
  /** One entry per base currency: amounts in different base currencies are never added. */
  readonly overall: readonly TotalsDoc[];
  readonly issues: readonly ReportIssue[];
  /**
   * Amends and cancels of trades dated in the report's day (after the previous report date, through this one) that
   * could never be booked, as known when the report is read.
   */
  readonly exceptions: readonly TradeException[];
  /** Overall totals of this and earlier reports, oldest first (at most the last 20 report dates). */
  readonly history: readonly HistoryPoint[];
  /** The risk section, per account: empty until the end-of-day risk run of the report date has been done. */
  readonly risk: readonly RiskLineDoc[];
}

export function lineDoc(
  line: DailyPnlLine,
  extra: { readonly costMethod: string; readonly closePrice: string; readonly closeFxRate: string },
): ReportLineDoc {
  // Amounts are already rounded (pnl.ts); fixed decimals only make "347" read as the amount "347.00".
  const figures = (f: PnlFigures, ccy: string): FiguresDoc => {
    const d = minorUnits(ccy);
    return {
      realizedToday: f.realizedToday.toFixed(d),
      unrealizedChangeToday: f.unrealizedChangeToday.toFixed(d),
      feesToday: f.feesToday.toFixed(d),
      totalToday: f.totalToday.toFixed(d),
      realizedSinceInception: f.realizedSinceInception.toFixed(d),
      unrealizedAtPreviousClose: f.unrealizedAtPreviousClose.toFixed(d),
      unrealizedAtClose: f.unrealizedAtClose.toFixed(d),
    };
  };
  const b = minorUnits(line.baseCurrency);
  return {
    accountId: line.accountId,
    isin: line.instrumentId,
    costMethod: extra.costMethod,
    currency: line.currency,
    baseCurrency: line.baseCurrency,
    openingQuantity: line.openingQuantity.toFixed(),
    closingQuantity: line.closingQuantity.toFixed(),
    tradeCount: line.tradeCount,
    boughtQuantity: line.boughtQuantity.toFixed(),
    soldQuantity: line.soldQuantity.toFixed(),
    closePrice: extra.closePrice,
    closeFxRate: extra.closeFxRate,
    local: figures(line.local, line.currency),
    base: {
      ...figures(line.base, line.baseCurrency),
      priceEffectToday: line.base.priceEffectToday.toFixed(b),
      fxEffectToday: line.base.fxEffectToday.toFixed(b),
    },
  };
}

export function totalsDoc(totals: PnlTotals): TotalsDoc {
  const d = minorUnits(totals.baseCurrency);
  const amounts = Object.fromEntries(TOTAL_AMOUNTS.map((name) => [name, totals[name].toFixed(d)])) as Record<
    TotalAmount,
    string
  >;
  return { baseCurrency: totals.baseCurrency, lineCount: totals.lineCount, ...amounts };
}

export function accountTotalsDoc(summary: AccountPnlSummary): AccountTotalsDoc {
  return { accountId: summary.accountId, ...totalsDoc(summary) };
}
