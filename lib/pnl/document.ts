/**
 * The daily P&L report as a document: plain JSON (decimals as strings, already rounded to their currency's minor
 * units), the one shape every writer (JSON, CSV, HTML) and the query API read. Built from domain lines here; the
 * stored report (lib/pnl/service.ts) reads back into the same shape.
 */
import { minorUnits } from '../domain/money';
import type { AccountPnlSummary, DailyPnlLine, PnlTotals } from '../domain/pnl';

export interface FiguresDoc {
  readonly realized: string;
  readonly openingUnrealized: string;
  readonly unrealized: string;
  readonly unrealizedChange: string;
  readonly total: string;
  readonly fees: string;
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
  readonly base: FiguresDoc & { readonly priceEffect: string; readonly fxEffect: string };
}

export interface TotalsDoc {
  readonly baseCurrency: string;
  readonly lineCount: number;
  readonly realized: string;
  readonly unrealized: string;
  readonly unrealizedChange: string;
  readonly total: string;
  readonly fees: string;
  readonly priceEffect: string;
  readonly fxEffect: string;
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

/** One earlier report's overall total, for the cumulative chart. */
export interface HistoryPoint {
  readonly reportDate: string;
  readonly baseCurrency: string;
  readonly total: string;
}

export interface DailyReportDoc {
  readonly reportDate: string;
  readonly generatedAt: string;
  readonly lines: readonly ReportLineDoc[];
  readonly accounts: readonly AccountTotalsDoc[];
  /** One entry per base currency: amounts in different base currencies are never added. */
  readonly overall: readonly TotalsDoc[];
  readonly issues: readonly ReportIssue[];
  /** Overall totals of this and earlier reports, oldest first (at most the last 20 report dates). */
  readonly history: readonly HistoryPoint[];
}

export function lineDoc(
  line: DailyPnlLine,
  extra: { readonly costMethod: string; readonly closePrice: string; readonly closeFxRate: string },
): ReportLineDoc {
  // Amounts are already rounded (pnl.ts); fixed decimals only make "347" read as the amount "347.00".
  const figures = (f: DailyPnlLine['local'], ccy: string): FiguresDoc => {
    const d = minorUnits(ccy);
    return {
      realized: f.realized.toFixed(d),
      openingUnrealized: f.openingUnrealized.toFixed(d),
      unrealized: f.unrealized.toFixed(d),
      unrealizedChange: f.unrealizedChange.toFixed(d),
      total: f.total.toFixed(d),
      fees: f.fees.toFixed(d),
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
      priceEffect: line.base.priceEffect.toFixed(b),
      fxEffect: line.base.fxEffect.toFixed(b),
    },
  };
}

export function totalsDoc(totals: PnlTotals): TotalsDoc {
  const d = minorUnits(totals.baseCurrency);
  return {
    baseCurrency: totals.baseCurrency,
    lineCount: totals.lineCount,
    realized: totals.realized.toFixed(d),
    unrealized: totals.unrealized.toFixed(d),
    unrealizedChange: totals.unrealizedChange.toFixed(d),
    total: totals.total.toFixed(d),
    fees: totals.fees.toFixed(d),
    priceEffect: totals.priceEffect.toFixed(d),
    fxEffect: totals.fxEffect.toFixed(d),
  };
}

export function accountTotalsDoc(summary: AccountPnlSummary): AccountTotalsDoc {
  return { accountId: summary.accountId, ...totalsDoc(summary) };
}
