/**
 * What the daily P&L report reads before it values anything (lib/pnl/service.ts, steps 1 and 3): the previous
 * report, its closes that can still be trusted, the day's trades and splits, the market data; then, for the
 * positions valued in code, their remaining trades and splits; and the list of what to value in code. Reads only,
 * on the pool's connections, outside the report's transaction (service.ts says why that is safe).
 */
import type { Pool } from 'pg';

import { type CostMethod, type SplitEvent } from '../domain/lots';
import { Dec } from '../domain/money';
import {
  groupTradeRows,
  keyOf,
  loadLiveTradeRows,
  loadLiveTradeRowsDated,
  loadSplits,
  type PositionKey,
  type PositionTradeRows,
} from '../positions/live-events';
import { CLOSE_IDS, FX_RATES, PREVIOUS_REPORT, PRICES, SPLIT_ISINS, STORED_CLOSES } from './report-sql';
import { PRICE_LOOKBACK_DAYS, type MarketData, type StoredCloseFigures, type ValuationItem } from './valuation';

/** The previous report this one opens from. */
export interface PreviousReport {
  readonly reportDate: string;
  readonly generatedAt: Date;
  /** generated_at as PostgreSQL prints it: a JS Date would drop the microseconds. */
  readonly generatedAtExact: string;
  /** The positions it left out (its issues), by keyOf: it reported nothing of them, not that they were flat. */
  readonly issueKeys: ReadonlySet<string>;
}

/** The report's day: trades and splits dated after `after` through `through`. */
export interface ReportWindow {
  readonly after: string;
  readonly through: string;
}

/**
 * The previous report's line of a position whose stored close is not trusted: its figures (the opening as
 * reported), and what a replay needs to value it when no live trade of it is left.
 */
export interface StaleLine extends StoredCloseFigures {
  readonly line: { readonly currency: string; readonly baseCurrency: string; readonly costMethod: CostMethod | null };
}

/** A trusted stored close of a position valued in code. */
export interface Opening extends PositionKey {
  readonly costMethod: CostMethod;
  readonly currency: string;
  readonly baseCurrency: string;
  /**
   * The stored closing position as JSON text, parsed only when the position is valued: 14,000 positions parsed up
   * front would keep some 250,000 decimals alive through the run, and the garbage collector copying them around.
   */
  readonly snapshot: string;
  /** The stored close it was read from (daily_pnl_closes), or null for a close stored inline on an older line. */
  readonly closeId: string | null;
  /** What the previous line says of that close. */
  readonly figures: StoredCloseFigures | null;
}

/** The previous report's closes as the code path needs them (storedCloses). */
export interface StoredCloses {
  /** Trusted closes of positions that trade in the window or have a split in it, by keyOf. */
  readonly openings: ReadonlyMap<string, Opening>;
  /** Positions whose stored close must not be trusted: replayed from flat. */
  readonly stale: readonly PositionKey[];
  /** The previous report's lines of the stale positions that have one, by keyOf. */
  readonly staleFigures: ReadonlyMap<string, StaleLine>;
}

/** Step 1's answer: everything read before the quiet lines can be valued. */
export interface ReportInputs extends StoredCloses {
  /** Live trades dated in the window, per position. */
  readonly recent: ReadonlyMap<string, PositionTradeRows>;
  /** Instruments with a split in the window: their positions are never quiet. */
  readonly splitIsins: readonly string[];
  readonly market: MarketData;
}

/** Step 3's answer: what the positions valued in code need beyond step 1's. */
export interface CodePathInputs {
  /** Every live trade through the report date of the replayed positions. */
  readonly replayed: ReadonlyMap<string, PositionTradeRows>;
  /** Splits in the window of the instruments held by openings. */
  readonly windowSplits: ReadonlyMap<string, SplitEvent[]>;
  /** Splits through the report date of the replayed positions' instruments. */
  readonly replaySplits: ReadonlyMap<string, SplitEvent[]>;
  /** Unused ids for the closes the code path writes, one per position at most (an unused id is only a gap). */
  readonly closeIds: readonly string[];
}

const NO_CLOSES: StoredCloses = { openings: new Map(), stale: [], staleFigures: new Map() };

/** The latest stored report before `reportDate`, or undefined when there is none. */
export async function readPreviousReport(pool: Pool, reportDate: string): Promise<PreviousReport | undefined> {
  const { rows } = await pool.query<{
    report_date: string;
    generated_at: Date;
    exact: string;
    issues: PositionKey[] | null;
  }>(PREVIOUS_REPORT, [reportDate]);
  const row = rows[0];
  return (
    row && {
      reportDate: row.report_date,
      generatedAt: row.generated_at,
      generatedAtExact: row.exact,
      issueKeys: new Set((row.issues ?? []).map(keyOf)),
    }
  );
}

/**
 * Step 1: independent reads on separate connections, so that PostgreSQL works on them while this process parses
 * the others. They need not share a snapshot: a trade booked between them is either valued from flat (replayKeys)
 * or, when only the stored-close read saw it, missed as any booking after the report's start would be, and its
 * position is replayed by the next report (the in-flight margin).
 */
export async function readReportInputs(
  pool: Pool,
  input: {
    readonly reportDate: string;
    readonly previousDate: string;
    readonly previous: PreviousReport | undefined;
    readonly window: ReportWindow;
    readonly inFlightMarginSeconds: number;
  },
): Promise<ReportInputs> {
  const { previous, window } = input;
  const [recentRows, splitIsins, closes, market] = await Promise.all([
    loadLiveTradeRowsDated(pool, window),
    previous ? readSplitIsins(pool, window) : [],
    previous ? readStoredCloses(pool, previous, window, input.inFlightMarginSeconds) : NO_CLOSES,
    // Every instrument's prices and every currency pair's rates: the quiet positions, valued in PostgreSQL, use
    // the very prices and rates the code path uses, read once.
    readMarketData(pool, input.reportDate, input.previousDate),
  ]);
  return { recent: groupTradeRows(recentRows), splitIsins, ...closes, market };
}

/** Every position valued in code or untrusted, once: never valued as quiet. */
export function positionsInCode(inputs: ReportInputs): PositionKey[] {
  return distinct([...inputs.openings.values(), ...inputs.recent.values(), ...inputs.stale]);
}

/** Positions without a trusted close that trade now or were touched by a late correction: replayed from flat. */
export function replayKeys(inputs: ReportInputs): PositionKey[] {
  return distinct([...inputs.recent.values(), ...inputs.stale].filter((key) => !inputs.openings.has(keyOf(key))));
}

/** Step 3: the rest of what the positions valued in code need, read side by side. */
export async function readForCodePath(
  pool: Pool,
  input: {
    readonly inputs: ReportInputs;
    readonly replay: readonly PositionKey[];
    readonly previous: PreviousReport | undefined;
    readonly reportDate: string;
    readonly window: ReportWindow;
  },
): Promise<CodePathInputs> {
  const { inputs, replay, reportDate } = input;
  const [replayed, windowSplits, replaySplits, closeIds] = await Promise.all([
    // With no previous report every position is replayed, and the window holds every trade: recent is all of them.
    input.previous ? loadLiveTradeRows(pool, replay, { through: reportDate }).then(groupTradeRows) : inputs.recent,
    loadSplits(pool, [...new Set([...inputs.openings.values()].map((o) => o.isin))], input.window),
    loadSplits(pool, [...new Set(replay.map((k) => k.isin))], { through: reportDate }),
    drawCloseIds(pool, inputs.openings.size + replay.length),
  ]);
  return { replayed, windowSplits, replaySplits, closeIds };
}

/**
 * What to value in code: the positions with a trusted close that trade or have a split (from that close, with the
 * window's trades and splits), then the replayed ones (from flat, with every trade and split through the date).
 */
export function valuationItems(input: {
  readonly inputs: ReportInputs;
  readonly codePath: CodePathInputs;
  readonly replay: readonly PositionKey[];
  readonly previous: PreviousReport | undefined;
}): ValuationItem[] {
  const { inputs, codePath, previous } = input;
  const items: ValuationItem[] = [];
  for (const opening of inputs.openings.values()) {
    const entry = inputs.recent.get(keyOf(opening));
    items.push({
      accountId: opening.accountId,
      isin: opening.isin,
      costMethod: opening.costMethod,
      currency: opening.currency,
      baseCurrency: opening.baseCurrency,
      snapshot: opening.snapshot,
      storedCloseId: opening.closeId,
      storedFigures: opening.figures,
      reportedFlat: false,
      trades: entry?.rows ?? [],
      splits: codePath.windowSplits.get(opening.isin) ?? [],
      missingFx: entry?.missingFx ?? [],
    });
  }
  for (const key of input.replay) {
    const figures = inputs.staleFigures.get(keyOf(key)) ?? null;
    // No live trade left (all cancelled since, or moved past the report date): flat now. Still a line when the
    // previous report had one, so that its figures are taken back in this day rather than leave the chain.
    const entry =
      codePath.replayed.get(keyOf(key)) ??
      (figures === null || figures.line.costMethod === null
        ? undefined
        : {
            accountId: key.accountId,
            isin: key.isin,
            costMethod: figures.line.costMethod,
            currency: figures.line.currency,
            baseCurrency: figures.line.baseCurrency,
            rows: [],
            missingFx: [],
          });
    if (entry === undefined) continue;
    items.push({
      accountId: entry.accountId,
      isin: entry.isin,
      costMethod: entry.costMethod,
      currency: entry.currency,
      baseCurrency: entry.baseCurrency,
      snapshot: null,
      storedCloseId: null,
      // The previous report's line when it has one (a correction since): the opening as reported. Without one,
      // it reported the position flat, unless it left it out.
      storedFigures: figures,
      reportedFlat: previous !== undefined && figures === null && !previous.issueKeys.has(keyOf(key)),
      trades: entry.rows,
      splits: codePath.replaySplits.get(entry.isin) ?? [],
      missingFx: entry.missingFx,
    });
  }
  return items;
}

/**
 * The previous report's closes that can still be trusted (see the module note of service.ts) of the positions
 * valued in code: those that trade in the window or have a split in it, whole; and the positions whose stored close
 * must not be trusted (replayed), with the figures of their line in the previous report when it has one (their
 * opening as reported). The other trusted closes are the quiet positions, which storeQuietLines values where they
 * are.
 */
async function readStoredCloses(
  pool: Pool,
  previous: PreviousReport,
  window: ReportWindow,
  inFlightMarginSeconds: number,
): Promise<StoredCloses> {
  const { rows } = await pool.query<{
    kind: 'CODE' | 'STALE';
    account_id: string;
    isin: string;
    currency: string;
    base_currency: string;
    cost_method: CostMethod;
    closing_position: string;
    close_id: string | null;
    closing_quantity: string | null;
    open_cost: string | null;
    open_cost_base: string | null;
    close_price: string | null;
    close_fx_rate: string | null;
    realized_exact: string | null;
    realized_base_exact: string | null;
  }>(STORED_CLOSES, [previous.reportDate, previous.generatedAt, inFlightMarginSeconds, window.after, window.through]);
  const openings = new Map<string, Opening>();
  const stale: PositionKey[] = [];
  const staleFigures = new Map<string, StaleLine>();
  for (const row of rows) {
    const figures: StoredCloseFigures | null =
      row.closing_quantity === null ||
      row.open_cost === null ||
      row.open_cost_base === null ||
      row.close_price === null ||
      row.close_fx_rate === null
        ? null
        : {
            quantity: row.closing_quantity,
            openCost: row.open_cost,
            openCostBase: row.open_cost_base,
            closePrice: row.close_price,
            closeFxRate: row.close_fx_rate,
            realizedExact:
              row.realized_exact === null || row.realized_base_exact === null
                ? null
                : { local: row.realized_exact, base: row.realized_base_exact },
          };
    if (row.kind === 'STALE') {
      const key = { accountId: row.account_id, isin: row.isin };
      stale.push(key);
      if (figures !== null) {
        staleFigures.set(keyOf(key), {
          ...figures,
          line: { currency: row.currency, baseCurrency: row.base_currency, costMethod: row.cost_method },
        });
      }
    } else {
      const opening: Opening = {
        accountId: row.account_id,
        isin: row.isin,
        costMethod: row.cost_method,
        currency: row.currency,
        baseCurrency: row.base_currency,
        snapshot: row.closing_position,
        closeId: row.close_id,
        figures,
      };
      openings.set(keyOf(opening), opening);
    }
  }
  return { openings, stale, staleFigures };
}

/** `count` unused ids of daily_pnl_closes' identity (drawn outside the report's transaction: gaps are harmless). */
async function drawCloseIds(pool: Pool, count: number): Promise<string[]> {
  if (count === 0) return [];
  const { rows } = await pool.query<{ id: string }>(CLOSE_IDS, [count]);
  return rows.map((row) => row.id);
}

/** Instruments with a split whose ex-date falls in the window: their positions are valued in code. */
async function readSplitIsins(pool: Pool, window: ReportWindow): Promise<string[]> {
  const { rows } = await pool.query<{ isin: string }>(SPLIT_ISINS, [window.after, window.through]);
  return rows.map((row) => row.isin);
}

/**
 * End-of-day prices of every instrument and FX rates of every pair of an instrument currency and an account base
 * currency, at the report date and at the previous report date (each within the lookback), where a position the
 * previous report has no line of opens. Everything, not just what is held: it is small, and the quiet positions
 * need no list of their own.
 */
async function readMarketData(pool: Pool, reportDate: string, previousDate: string): Promise<MarketData> {
  const { rows: priceRows } = await pool.query<{ isin: string; close: string | null; previous: string | null }>(
    PRICES,
    [reportDate, PRICE_LOOKBACK_DAYS, previousDate],
  );
  const { rows: fxRows } = await pool.query<{ c: string; b: string; close: string | null; previous: string | null }>(
    FX_RATES,
    [reportDate, previousDate],
  );
  const dec = (text: string | null): Dec | undefined => (text === null ? undefined : new Dec(text));
  return {
    prices: new Map(priceRows.map((r) => [r.isin, { close: dec(r.close), previous: dec(r.previous) }])),
    fx: new Map(
      fxRows.map((r) => [
        `${r.c}/${r.b}`,
        { currency: r.c, baseCurrency: r.b, close: dec(r.close), previous: dec(r.previous) },
      ]),
    ),
  };
}

function distinct(keys: readonly PositionKey[]): PositionKey[] {
  return [...new Map(keys.map((key) => [keyOf(key), key])).values()];
}
