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
import {
  addTotals,
  dailyPnlLine,
  lineTotals,
  type MarketClose,
  type PnlTotals,
  type ReportedClose,
} from '../domain/pnl';
import { copyRow } from '../db/copy';
import { toTradeEvent, type LiveTradeRow } from '../positions/live-events';
import { fromCloseJson, toCloseJson } from '../positions/snapshot';
import { lineDoc, type ReportIssue, type ReportLineDoc } from './document';

/** Policy: end-of-day prices at most this many calendar days old value a position (as validation's lookback). */
export const PRICE_LOOKBACK_DAYS = 10;

export function missingPriceMessage(reportDate: string): string {
  return `no end-of-day price or FX rate within ${PRICE_LOOKBACK_DAYS} days of ${reportDate}`;
}

/**
 * The previous report's line of a position: its closing quantity and exact open cost (the sums of the stored
 * close's lots), its close price and FX rate, and its realized P&L since inception, exact (null on lines stored
 * before migration 1732407400000, which are replayed).
 */
export interface StoredCloseFigures {
  readonly quantity: string;
  readonly openCost: string;
  readonly openCostBase: string;
  readonly closePrice: string;
  readonly closeFxRate: string;
  readonly realizedExact: { readonly local: string; readonly base: string } | null;
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
  /**
   * The previous report's line of the position, when it has one (lines stored since 1732407000000): the opening
   * as reported. With a snapshot, the line of that close; in a replay, the line the correction now differs from.
   */
  readonly storedFigures: StoredCloseFigures | null;
  /**
   * Replays only: the previous report valued everything and had no line for this position, so it reported
   * nothing of it (its opening as reported is flat with nothing realized). False when there is no previous
   * report, or the position was among its issues: the opening is then the replayed previous close.
   */
  readonly reportedFlat: boolean;
  readonly trades: readonly LiveTradeRow[];
  readonly splits: readonly SplitEvent[];
  /** Trades without a trade-date FX rate to the base currency: the position cannot be valued. */
  readonly missingFx: readonly string[];
}

/**
 * End-of-day prices per ISIN and FX rates per "CCY/BASE", at the report date and at the previous report date (the
 * opening of a position the previous report has no line of).
 */
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
  /**
   * The previous report date: the day's events are those dated after it. With no previous report, the weekday
   * before the report date.
   */
  readonly previousDate: string;
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
  'realized_today',
  'unrealized_change_today',
  'fees_today',
  'total_today',
  'realized_since_inception',
  'unrealized_at_previous_close',
  'unrealized_at_close',
  'realized_today_base',
  'unrealized_change_today_base',
  'fees_today_base',
  'total_today_base',
  'realized_since_inception_base',
  'unrealized_at_previous_close_base',
  'unrealized_at_close_base',
  'price_effect_today_base',
  'fx_effect_today_base',
] as const;

/**
 * The closing position's exact open cost and realized P&L since inception (local, base), unrounded: what the next
 * report opens from (a quiet position is valued from them in PostgreSQL).
 */
export const COST_COLUMNS = [
  'open_cost',
  'open_cost_base',
  'realized_since_inception_exact',
  'realized_since_inception_base_exact',
] as const;

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
    // Events up to the previous report date build the previous close (a replay); the rest are the day's.
    const before = events.filter((event) => eventDate(event) <= input.previousDate);
    const today = events.filter((event) => eventDate(event) > input.previousDate);
    const earlier = liveEvents(before);
    const previousClose = earlier.ok ? applyEvents(start, earlier.value) : earlier;
    if (!previousClose.ok) {
      for (const error of previousClose.errors) this.issue(item, error.code, error.message);
      return;
    }
    const prices = input.market.prices.get(item.isin);
    const rates = input.market.fx.get(`${item.currency}/${item.baseCurrency}`);
    const closeMarket: MarketClose | undefined =
      prices?.close && rates?.close ? { price: prices.close, fxRateToBase: rates.close } : undefined;
    const stored = item.storedFigures;
    // The opening is the previous report's close as reported: marked at its close price and rate, with its
    // realized since inception. A position it had no line of, or a flat one (whose line has no price to speak of)
    // that a correction since gave lots, at the previous report date's prices.
    const previousMarket =
      stored !== null && !new Dec(stored.quantity).isZero()
        ? { price: new Dec(stored.closePrice), fxRateToBase: new Dec(stored.closeFxRate) }
        : prices?.previous && rates?.previous
          ? { price: prices.previous, fxRateToBase: rates.previous }
          : undefined;
    const realizedExact = stored?.realizedExact;
    const fromSnapshot = item.snapshot !== null;
    const computed = dailyPnlLine({
      accountId: item.accountId,
      instrumentId: item.isin,
      businessDate: reportDate,
      currency: item.currency,
      baseCurrency: item.baseCurrency,
      previousClose: previousClose.value,
      previousMarket,
      // A stored close holds no realized P&L: its line has it. A replay holds it all.
      realizedBefore:
        fromSnapshot && realizedExact
          ? { local: new Dec(realizedExact.local), base: new Dec(realizedExact.base) }
          : undefined,
      reportedOpening: fromSnapshot ? undefined : reportedOpening(item),
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
    // Nothing held, traded or realized, ever: not a line of this day's report. A flat position with P&L since
    // inception keeps its line, so that the report's cumulative figures keep it too.
    if (
      line.openingQuantity.isZero() &&
      line.closingQuantity.isZero() &&
      line.tradeCount === 0 &&
      line.realizedSinceInceptionExact.local.isZero() &&
      line.realizedSinceInceptionExact.base.isZero() &&
      line.base.totalToday.isZero() &&
      line.local.totalToday.isZero()
    ) {
      return;
    }
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
    output.lineRows.push(
      lineRow(reportDate, doc, closeId, openCost(line.closingPosition), line.realizedSinceInceptionExact),
    );
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

/**
 * A replayed position's opening as the previous report reported it: its line's figures (unrealized at that line's
 * close price and rate), nothing when it reported no line of it, or undefined when that is not known (no previous
 * report, the position among its issues, or a line stored without its realized P&L since inception).
 */
function reportedOpening(item: ValuationItem): ReportedClose | undefined {
  if (item.reportedFlat) return { quantity: ZERO, realizedSinceInception: NOTHING, unrealized: NOTHING };
  const stored = item.storedFigures;
  if (stored === null || stored.realizedExact === null) return undefined;
  const quantity = new Dec(stored.quantity);
  const value = quantity.times(stored.closePrice);
  return {
    quantity,
    realizedSinceInception: { local: new Dec(stored.realizedExact.local), base: new Dec(stored.realizedExact.base) },
    unrealized: {
      local: value.minus(stored.openCost),
      base: value.times(stored.closeFxRate).minus(stored.openCostBase),
    },
  };
}

const ZERO = new Dec(0);
const NOTHING: LocalAndBase = { local: ZERO, base: ZERO };

function eventDate(event: PositionEvent): string {
  return event.kind === 'TRADE' ? event.tradeDate : event.effectiveDate;
}

/** A daily_pnl_lines row in COPY text format: LINE_COLUMNS, close_id, COST_COLUMNS. */
function lineRow(
  reportDate: string,
  doc: ReportLineDoc,
  closeId: string,
  cost: LocalAndBase,
  realized: LocalAndBase,
): string {
  const { local, base } = doc;
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
    local.realizedToday,
    local.unrealizedChangeToday,
    local.feesToday,
    local.totalToday,
    local.realizedSinceInception,
    local.unrealizedAtPreviousClose,
    local.unrealizedAtClose,
    base.realizedToday,
    base.unrealizedChangeToday,
    base.feesToday,
    base.totalToday,
    base.realizedSinceInception,
    base.unrealizedAtPreviousClose,
    base.unrealizedAtClose,
    base.priceEffectToday,
    base.fxEffectToday,
    closeId,
    cost.local.toFixed(),
    cost.base.toFixed(),
    realized.local.toFixed(),
    realized.base.toFixed(),
  ]);
}
