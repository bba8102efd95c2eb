/**
 * Values the daily report's positions that need code (those that traded, have a split, or are replayed) and turns
 * each straight into its COPY rows: the close (daily_pnl_closes) when it is new, and the line (daily_pnl_lines).
 *
 * Trades come as the rows read and stored closes as JSON text, turned into decimals one position at a time: a
 * position's decimals live only while it is valued, so the garbage collector never copies thousands of them around
 * (it cost the report more than half a second a run when they were all made up front).
 *
 * Sharing the work with a worker thread was measured and dropped: on two cores, with PostgreSQL inserting the quiet
 * lines meanwhile, the worker's own start, JIT warm-up and the copying of its part cost more than it saved.
 */
import {
  applyEvents,
  emptyPosition,
  liveEvents,
  openCost,
  rememberSums,
  type CostMethod,
  type LocalAndBase,
  type Position,
  type PositionEvent,
  type SplitEvent,
} from '../domain/lots';
import { Dec } from '../domain/money';
import { addTotals, dailyPnlLine, lineTotals, type MarketClose, type PnlTotals } from '../domain/pnl';
import { copyRow } from '../db/copy';
import { toTradeEvent, type LiveTradeRow } from '../positions/live-events';
import { fromCloseJson, toCloseJson } from '../positions/snapshot';
import { lineDoc, type ReportIssue, type ReportLineDoc } from './document';

/** Policy: end-of-day prices at most this many calendar days old value a position (as validation's lookback). */
export const PRICE_LOOKBACK_DAYS = 10;

/** dailyPnlLine's error for open lots without yesterday's price or rate, as the code path reports it. */
export const NO_PREVIOUS_MARKET = 'previous close holds open lots but has no previous market';

export function missingPriceMessage(reportDate: string): string {
  return `no end-of-day price or FX rate within ${PRICE_LOOKBACK_DAYS} days of ${reportDate}`;
}

/**
 * The previous report's line of a position: its closing quantity and exact open cost (the sums of the stored
 * close's lots), and its unrealized P&L at that day's close price and FX rate.
 */
export interface StoredCloseFigures {
  readonly quantity: string;
  readonly openCost: string;
  readonly openCostBase: string;
  readonly unrealized: string;
  readonly unrealizedBase: string;
  readonly closePrice: string;
  readonly closeFxRate: string;
}

/** One position to value. */
export interface ValuationItem {
  readonly accountId: string;
  readonly isin: string;
  readonly costMethod: CostMethod;
  readonly currency: string;
  readonly baseCurrency: string;
  /** The stored close it starts from, as JSON text; null to start flat (a replay). */
  readonly snapshot: string | null;
  /** That close's id in daily_pnl_closes, or null (flat, or stored inline on an older line). */
  readonly storedCloseId: string | null;
  /** What the previous report's line says of that close, when it says it (lines stored since 1732407000000). */
  readonly storedFigures: StoredCloseFigures | null;
  readonly trades: readonly LiveTradeRow[];
  readonly splits: readonly SplitEvent[];
  /** Trades without a trade-date FX rate to the base currency: the position cannot be valued. */
  readonly missingFx: readonly string[];
}

/** End-of-day prices per ISIN and FX rates per "CCY/BASE", at the report date and the day before. */
export interface MarketData {
  readonly prices: ReadonlyMap<string, { readonly close: Dec | undefined; readonly previous: Dec | undefined }>;
  readonly fx: ReadonlyMap<
    string,
    {
      readonly currency: string;
      readonly baseCurrency: string;
      readonly close: Dec | undefined;
      readonly previous: Dec | undefined;
    }
  >;
}

export interface ValuationInput {
  readonly reportDate: string;
  readonly items: readonly ValuationItem[];
  readonly market: MarketData;
  /** Unused close ids, at least one per item. */
  readonly closeIds: readonly string[];
}

/** COPY rows of daily_pnl_closes and daily_pnl_lines, of the positions one batch valued. */
export interface ValuedRows {
  readonly closeRows: string[];
  readonly lineRows: string[];
}

/** The columns of a line row, in order (lineRow): the report's columns, then its close and open cost. */
export const LINE_COLUMNS = [
  'report_date',
  'account_id',
  'isin',
  'cost_method',
  'currency',
  'base_currency',
  'opening_quantity',
  'closing_quantity',
  'trade_count',
  'bought_quantity',
  'sold_quantity',
  'close_price',
  'close_fx_rate',
  'realized',
  'opening_unrealized',
  'unrealized',
  'unrealized_change',
  'total',
  'fees',
  'realized_base',
  'opening_unrealized_base',
  'unrealized_base',
  'unrealized_change_base',
  'total_base',
  'fees_base',
  'price_effect_base',
  'fx_effect_base',
] as const;

/** The closing position's exact open cost (local, base): what a quiet position is valued from the next day. */
export const COST_COLUMNS = ['open_cost', 'open_cost_base'] as const;

export const CLOSE_COLUMNS = ['close_id', 'report_date', 'account_id', 'isin', 'position'] as const;

/**
 * Values `input.items` in order, a batch at a time, each position straight into its COPY rows: its new close (when
 * it has one) and its line. Batches let the report send what is valued to PostgreSQL while it values the rest. The
 * positions not valued are `issues`; the lines' base-currency totals per account are `totals` (summed here, so that
 * the report need not read them back).
 */
export class Valuation {
  readonly issues: ReportIssue[] = [];
  readonly totals = new Map<string, PnlTotals>();
  private next = 0;
  private drawn = 0;

  constructor(private readonly input: ValuationInput) {}

  /** Whether every item has been valued. */
  get done(): boolean {
    return this.next >= this.input.items.length;
  }

  /** Values the next `count` items (fewer at the end) and returns their rows. */
  batch(count: number): ValuedRows {
    const rows: ValuedRows = { closeRows: [], lineRows: [] };
    const end = Math.min(this.input.items.length, this.next + count);
    while (this.next < end) {
      const item = this.input.items[this.next];
      this.next += 1;
      if (item !== undefined) this.value(item, rows);
    }
    return rows;
  }

  private issue(item: ValuationItem, code: string, message: string): void {
    this.issues.push({ accountId: item.accountId, isin: item.isin, code, message });
  }

  private value(item: ValuationItem, output: ValuedRows): void {
    const { input } = this;
    const { reportDate } = input;
    if (item.missingFx.length > 0) {
      this.issue(
        item,
        'MISSING_FX_RATE',
        `no trade-date FX rate to ${item.baseCurrency} for ${item.missingFx.join(', ')}`,
      );
      return;
    }
    const start = startOf(item, reportDate);
    const events: PositionEvent[] = [...item.trades.map(toTradeEvent), ...item.splits];
    const before = events.filter((event) => eventDate(event) < reportDate);
    const today = events.filter((event) => eventDate(event) === reportDate);
    const earlier = liveEvents(before);
    const previousClose = earlier.ok ? applyEvents(start, earlier.value) : earlier;
    if (!previousClose.ok) {
      for (const error of previousClose.errors) this.issue(item, error.code, error.message);
      return;
    }
    const prices = input.market.prices.get(item.isin);
    const rates = input.market.fx.get(`${item.currency}/${item.baseCurrency}`);
    const previousMarket =
      prices?.previous && rates?.previous ? { price: prices.previous, fxRateToBase: rates.previous } : undefined;
    const closeMarket: MarketClose | undefined =
      prices?.close && rates?.close ? { price: prices.close, fxRateToBase: rates.close } : undefined;
    const stored = item.storedFigures;
    // Nothing between the previous report and today: the previous close is the stored one, whose line already
    // says its unrealized P&L at that day's prices; when those are the prices the opening is valued at, it is that.
    const openingUnrealized =
      stored !== null &&
      before.length === 0 &&
      previousMarket !== undefined &&
      previousMarket.price.eq(stored.closePrice) &&
      previousMarket.fxRateToBase.eq(stored.closeFxRate)
        ? { local: new Dec(stored.unrealized), base: new Dec(stored.unrealizedBase) }
        : undefined;
    const computed = dailyPnlLine({
      openingUnrealized,
      accountId: item.accountId,
      instrumentId: item.isin,
      businessDate: reportDate,
      currency: item.currency,
      baseCurrency: item.baseCurrency,
      previousClose: previousClose.value,
      previousMarket,
      events: today,
      // A position flat at the close has no unrealized P&L whatever the price: it needs no market data.
      market: closeMarket ?? { price: new Dec(0), fxRateToBase: new Dec(1) },
    });
    if (!computed.ok) {
      for (const error of computed.errors) {
        this.issue(item, 'MISSING_PREVIOUS_PRICE', `${error.message} (no price within ${PRICE_LOOKBACK_DAYS} days)`);
      }
      return;
    }
    const line = computed.value;
    if (closeMarket === undefined && line.closingPosition.lots.length > 0) {
      this.issue(item, 'MISSING_PRICE', missingPriceMessage(reportDate));
      return;
    }
    // Nothing held and nothing traded: not a line of this day's report.
    if (line.openingQuantity.isZero() && line.closingQuantity.isZero() && line.tradeCount === 0) return;
    const doc = lineDoc(line, {
      costMethod: item.costMethod,
      closePrice: closeMarket?.price.toFixed() ?? '0',
      closeFxRate: closeMarket?.fxRateToBase.toFixed() ?? '1',
    });
    // Nothing happened to a position valued from its stored close: its closing position IS that close, and its
    // line points at it rather than storing it again. Otherwise the close is new, under a drawn id.
    let closeId = events.length === 0 && start.currency === item.currency ? item.storedCloseId : null;
    if (closeId === null) {
      closeId = input.closeIds[this.drawn] ?? null;
      this.drawn += 1;
      if (closeId === null) throw new Error(`report ${reportDate}: ran out of drawn close ids`);
      const position = toCloseJson(line.closingPosition);
      output.closeRows.push(copyRow([closeId, reportDate, doc.accountId, doc.isin, position]));
    }
    output.lineRows.push(lineRow(reportDate, doc, closeId, openCost(line.closingPosition)));
    this.totals.set(item.accountId, addTotals(this.totals.get(item.accountId), lineTotals(line)));
  }
}

function startOf(item: ValuationItem, reportDate: string): Position {
  if (item.snapshot === null) return emptyPosition(item.costMethod);
  let position: Position;
  try {
    position = fromCloseJson(item.snapshot);
  } catch (error) {
    throw new Error(`report ${reportDate}: stored close of ${item.accountId} ${item.isin}`, { cause: error });
  }
  const stored = item.storedFigures;
  // The line stored these sums of these very lots: no need to add them up again.
  return stored === null
    ? position
    : rememberSums(position, {
        quantity: new Dec(stored.quantity),
        cost: { local: new Dec(stored.openCost), base: new Dec(stored.openCostBase) },
      });
}

function eventDate(event: PositionEvent): string {
  return event.kind === 'TRADE' ? event.tradeDate : event.effectiveDate;
}

/** A daily_pnl_lines row in COPY text format: LINE_COLUMNS, close_id, COST_COLUMNS. */
function lineRow(reportDate: string, doc: ReportLineDoc, closeId: string, cost: LocalAndBase): string {
  return copyRow([
    reportDate,
    doc.accountId,
    doc.isin,
    doc.costMethod,
    doc.currency,
    doc.baseCurrency,
    doc.openingQuantity,
    doc.closingQuantity,
    doc.tradeCount,
    doc.boughtQuantity,
    doc.soldQuantity,
    doc.closePrice,
    doc.closeFxRate,
    doc.local.realized,
    doc.local.openingUnrealized,
    doc.local.unrealized,
    doc.local.unrealizedChange,
    doc.local.total,
    doc.local.fees,
    doc.base.realized,
    doc.base.openingUnrealized,
    doc.base.unrealized,
    doc.base.unrealizedChange,
    doc.base.total,
    doc.base.fees,
    doc.base.priceEffect,
    doc.base.fxEffect,
    closeId,
    cost.local.toFixed(),
    cost.base.toFixed(),
  ]);
}
