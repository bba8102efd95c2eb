/**
 * The daily P&L report: computed per account and instrument for one business date, stored per date (a rerun
 * replaces that date's report in one transaction, never duplicates it) and read back for the writers and the API.
 *
 * Where the previous close comes from. Replaying every trade since inception each evening would not scale, so each
 * stored line keeps its exact closing position, and the next report starts from it: previous close = the latest
 * earlier report's closing position + the live trades (and splits) dated after it and before the report date.
 * A stored close is only trusted while nothing it depends on changed: a position is REPLAYED from flat instead
 * when any version of a trade dated on or before that report (a late trade, an amend, a cancel, also one that
 * moves the trade to another date) or a split effective by then was booked after the report read its data, when
 * its account's cost method changed, or when it has no stored close. Correctness never depends on a snapshot: a
 * missing one only costs a replay. `booked_at` is the booking transaction's start time, so the check looks back a
 * margin before the report's start to catch bookings that were still in flight when it read.
 */
import type { Pool } from 'pg';

import {
  applyEvents,
  emptyPosition,
  liveEvents,
  type CostMethod,
  type Position,
  type PositionEvent,
} from '../domain/lots';
import { Dec } from '../domain/money';
import { dailyPnlLine, overallTotals, summarizeByAccount, type DailyPnlLine, type MarketClose } from '../domain/pnl';
import { withTransaction } from '../db/pool';
import {
  keyOf,
  loadLiveEvents,
  loadLiveEventsDated,
  loadSplits,
  type PositionEvents,
  type PositionKey,
} from '../positions/live-events';
import { fromSnapshot, toSnapshot } from '../positions/snapshot';
import {
  accountTotalsDoc,
  lineDoc,
  totalsDoc,
  type AccountTotalsDoc,
  type DailyReportDoc,
  type HistoryPoint,
  type ReportIssue,
  type ReportLineDoc,
  type TotalsDoc,
} from './document';

/** Policy: how far before a report's start a booking may have begun and still be missing from what it read. */
export const IN_FLIGHT_MARGIN_SECONDS = 300;
/** Policy: end-of-day prices at most this many calendar days old value a position (as validation's lookback). */
export const PRICE_LOOKBACK_DAYS = 10;
/** How many report dates the cumulative chart shows. */
export const HISTORY_DATES = 20;

const REPORT_LOCK_CLASS = 1_732_406_801;
const BEGINNING = '0001-01-01';

interface Opening extends PositionKey {
  readonly costMethod: CostMethod;
  readonly currency: string;
  readonly baseCurrency: string;
  readonly position: Position;
}

export interface ReportStatistics {
  /** Positions valued from a stored close. */
  readonly fromSnapshot: number;
  /** Positions replayed from flat (no usable stored close). */
  readonly replayed: number;
}

export interface DailyReportOptions {
  /** Default IN_FLIGHT_MARGIN_SECONDS; tests set 0 to exercise the stored-close path. */
  readonly inFlightMarginSeconds?: number;
}

export class PgDailyReportService {
  private readonly inFlightMarginSeconds: number;

  constructor(
    private readonly pool: Pool,
    options: DailyReportOptions = {},
  ) {
    this.inFlightMarginSeconds = options.inFlightMarginSeconds ?? IN_FLIGHT_MARGIN_SECONDS;
  }

  /** Computes the report for `reportDate` (YYYY-MM-DD), stores it in place of any earlier run, and returns it. */
  async generate(reportDate: string): Promise<DailyReportDoc & { readonly statistics: ReportStatistics }> {
    const { rows: clock } = await this.pool.query<{ started: string }>(
      `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS started`,
    );
    const generatedAt = clock[0]?.started ?? new Date().toISOString();

    const previous = await this.previousReport(reportDate);
    const { openings, stale } = previous
      ? await this.storedCloses(previous)
      : { openings: new Map<string, Opening>(), stale: [] };
    const after = previous?.reportDate ?? BEGINNING;
    const recent = await loadLiveEventsDated(this.pool, { after, through: reportDate });

    // Positions without a trusted close that trade now or were touched by a late correction: replay from flat.
    const replayKeys = [
      ...new Map(
        [...recent.values(), ...stale].filter((key) => !openings.has(keyOf(key))).map((key) => [keyOf(key), key]),
      ).values(),
    ];
    const replayed = previous ? await loadLiveEvents(this.pool, replayKeys, { through: reportDate }) : recent;
    const quietSplits = await loadSplits(this.pool, [...new Set([...openings.values()].map((o) => o.isin))], {
      after,
      through: reportDate,
    });

    interface Work {
      readonly key: PositionKey;
      readonly costMethod: CostMethod;
      readonly currency: string;
      readonly baseCurrency: string;
      readonly start: Position;
      readonly events: readonly PositionEvent[];
      readonly missingFx: readonly string[];
      readonly fromStoredClose: boolean;
    }
    const work: Work[] = [];
    for (const opening of openings.values()) {
      const entry = recent.get(keyOf(opening));
      work.push({
        key: opening,
        costMethod: opening.costMethod,
        currency: opening.currency,
        baseCurrency: opening.baseCurrency,
        start: opening.position,
        events: entry?.events ?? quietSplits.get(opening.isin) ?? [],
        missingFx: entry?.missingFx ?? [],
        fromStoredClose: true,
      });
    }
    for (const entry of replayKeys) {
      const full: PositionEvents | undefined = replayed.get(keyOf(entry));
      if (full === undefined) continue;
      work.push({
        key: full,
        costMethod: full.costMethod,
        currency: full.currency,
        baseCurrency: full.baseCurrency,
        start: emptyPosition(full.costMethod),
        events: full.events,
        missingFx: full.missingFx,
        fromStoredClose: false,
      });
    }

    const market = await this.marketData(
      reportDate,
      [...new Set(work.map((w) => w.key.isin))],
      [...new Map(work.map((w) => [`${w.currency}/${w.baseCurrency}`, w])).values()].map((w) => ({
        currency: w.currency,
        baseCurrency: w.baseCurrency,
      })),
    );

    const lines: StoredLine[] = [];
    const issues: ReportIssue[] = [];
    const issue = (key: PositionKey, code: string, message: string): void => {
      issues.push({ accountId: key.accountId, isin: key.isin, code, message });
    };
    for (const item of work) {
      if (item.missingFx.length > 0) {
        issue(
          item.key,
          'MISSING_FX_RATE',
          `no trade-date FX rate to ${item.baseCurrency} for ${item.missingFx.join(', ')}`,
        );
        continue;
      }
      const before = item.events.filter((event) => eventDate(event) < reportDate);
      const today = item.events.filter((event) => eventDate(event) === reportDate);
      const earlier = liveEvents(before);
      const previousClose = earlier.ok ? applyEvents(item.start, earlier.value) : earlier;
      if (!previousClose.ok) {
        for (const error of previousClose.errors) issue(item.key, error.code, error.message);
        continue;
      }
      const prices = market.prices.get(item.key.isin);
      const fx = market.fx.get(`${item.currency}/${item.baseCurrency}`);
      const previousMarket =
        prices?.previous && fx?.previous ? { price: prices.previous, fxRateToBase: fx.previous } : undefined;
      const closeMarket: MarketClose | undefined =
        prices?.close && fx?.close ? { price: prices.close, fxRateToBase: fx.close } : undefined;
      const computed = dailyPnlLine({
        accountId: item.key.accountId,
        instrumentId: item.key.isin,
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
          issue(item.key, 'MISSING_PREVIOUS_PRICE', `${error.message} (no price within ${PRICE_LOOKBACK_DAYS} days)`);
        }
        continue;
      }
      const line = computed.value;
      if (closeMarket === undefined && line.closingPosition.lots.length > 0) {
        issue(
          item.key,
          'MISSING_PRICE',
          `no end-of-day price or FX rate within ${PRICE_LOOKBACK_DAYS} days of ${reportDate}`,
        );
        continue;
      }
      // Nothing held and nothing traded: not a line of this day's report.
      if (line.openingQuantity.isZero() && line.closingQuantity.isZero() && line.tradeCount === 0) continue;
      lines.push({
        line,
        // Nothing happened to a position valued from its stored close: its closing position IS that close, so
        // the store copies it server-side instead of shipping it back (most positions are quiet on most days).
        carriedClose: item.fromStoredClose && item.events.length === 0 && item.start.currency === item.currency,
        doc: lineDoc(line, {
          costMethod: item.costMethod,
          closePrice: closeMarket?.price.toFixed() ?? '0',
          closeFxRate: closeMarket?.fxRateToBase.toFixed() ?? '1',
        }),
      });
    }
    lines.sort((a, b) => (keyOf(a.doc) < keyOf(b.doc) ? -1 : 1));
    issues.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));

    const byAccount = summarizeByAccount(lines.map((l) => l.line));
    if (!byAccount.ok) throw new Error(`report ${reportDate}: ${byAccount.errors.map((e) => e.message).join('; ')}`);
    const accounts = byAccount.value.map(accountTotalsDoc);
    const overall = overallTotals(lines.map((l) => l.line)).map(totalsDoc);

    await this.store(reportDate, generatedAt, lines, { accounts, overall, issues }, previous);
    return {
      reportDate,
      generatedAt,
      lines: lines.map((l) => l.doc),
      accounts,
      overall,
      issues,
      history: await this.history(reportDate),
      statistics: { fromSnapshot: openings.size, replayed: replayKeys.length },
    };
  }

  /** The stored report of a date, or undefined when it has not been run. */
  async get(reportDate: string): Promise<DailyReportDoc | undefined> {
    const { rows } = await this.pool.query<{ generated_at: string; summary: StoredSummary }>(
      `SELECT to_char(generated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS generated_at, summary
       FROM daily_pnl_reports WHERE report_date = $1`,
      [reportDate],
    );
    const report = rows[0];
    if (report === undefined) return undefined;
    const lines = await this.lines({ reportDate });
    return {
      reportDate,
      generatedAt: report.generated_at,
      lines,
      ...report.summary,
      history: await this.history(reportDate),
    };
  }

  /** Stored lines of a date, optionally of some accounts only, ordered by account and instrument. */
  async lines(query: { readonly reportDate: string; readonly accounts?: readonly string[] }): Promise<ReportLineDoc[]> {
    const { rows } = await this.pool.query<LineRow>(
      `SELECT ${LINE_COLUMNS.join(', ')} FROM daily_pnl_lines
       WHERE report_date = $1 AND ($2::text[] IS NULL OR account_id = ANY($2::text[]))
       ORDER BY account_id, isin`,
      [query.reportDate, query.accounts ?? null],
    );
    return rows.map(fromLineRow);
  }

  /** Overall totals of the last report dates up to `reportDate`, oldest first. */
  async history(reportDate: string): Promise<HistoryPoint[]> {
    const { rows } = await this.pool.query<{ report_date: string; overall: TotalsDoc[] }>(
      `SELECT to_char(report_date, 'YYYY-MM-DD') AS report_date, summary->'overall' AS overall
       FROM daily_pnl_reports WHERE report_date <= $1 ORDER BY report_date DESC LIMIT $2`,
      [reportDate, HISTORY_DATES],
    );
    return rows
      .reverse()
      .flatMap((row) =>
        row.overall.map((t) => ({ reportDate: row.report_date, baseCurrency: t.baseCurrency, total: t.total })),
      );
  }

  private async previousReport(
    reportDate: string,
  ): Promise<{ reportDate: string; generatedAt: Date; generatedAtExact: string } | undefined> {
    const { rows } = await this.pool.query<{ report_date: string; generated_at: Date; exact: string }>(
      `SELECT to_char(report_date, 'YYYY-MM-DD') AS report_date, generated_at, generated_at::text AS exact
       FROM daily_pnl_reports WHERE report_date < $1 ORDER BY report_date DESC LIMIT 1`,
      [reportDate],
    );
    const row = rows[0];
    return row && { reportDate: row.report_date, generatedAt: row.generated_at, generatedAtExact: row.exact };
  }

  /** The previous report's closing positions that can still be trusted (see the module note). */
  private async storedCloses(previous: {
    reportDate: string;
    generatedAt: Date;
  }): Promise<{ openings: Map<string, Opening>; stale: PositionKey[] }> {
    const { rows } = await this.pool.query<{
      trusted: boolean;
      account_id: string;
      isin: string;
      currency: string;
      base_currency: string;
      cost_method: CostMethod;
      closing_position: unknown;
    }>(
      `WITH touched AS (
         SELECT DISTINCT v.trade_id FROM trade_versions v
         WHERE v.booked_at > $2::timestamptz - make_interval(secs => $3)),
       stale AS (
         SELECT DISTINCT w.account_id, w.isin FROM trade_versions w JOIN touched USING (trade_id)
         WHERE EXISTS (SELECT 1 FROM trade_versions d WHERE d.trade_id = w.trade_id AND d.trade_date <= $1)
         UNION
         SELECT NULL, s.isin FROM corporate_action_splits s
         WHERE s.recorded_at > $2::timestamptz - make_interval(secs => $3) AND s.effective_date <= $1)
       SELECT true AS trusted, l.account_id, l.isin, l.currency, l.base_currency, l.cost_method, l.closing_position
       FROM daily_pnl_lines l JOIN accounts a ON a.id = l.account_id AND a.cost_method = l.cost_method
       WHERE l.report_date = $1
         AND NOT EXISTS (SELECT 1 FROM stale s WHERE s.isin = l.isin AND (s.account_id IS NULL OR s.account_id = l.account_id))
       UNION ALL
       -- Untrusted lines as joins, not an OR of subplans (that ran the stale list once per line: 1.5 s at 50k).
       -- A line listed twice is harmless: the caller keys the stale positions.
       SELECT false, l.account_id, l.isin, NULL, NULL, NULL, NULL FROM daily_pnl_lines l
       JOIN stale s ON s.isin = l.isin AND s.account_id = l.account_id WHERE l.report_date = $1
       UNION ALL
       SELECT false, l.account_id, l.isin, NULL, NULL, NULL, NULL FROM daily_pnl_lines l
       JOIN stale s ON s.isin = l.isin AND s.account_id IS NULL WHERE l.report_date = $1
       UNION ALL
       SELECT false, l.account_id, l.isin, NULL, NULL, NULL, NULL FROM daily_pnl_lines l
       LEFT JOIN accounts a ON a.id = l.account_id AND a.cost_method = l.cost_method
       WHERE l.report_date = $1 AND a.id IS NULL
       UNION ALL
       SELECT false, s.account_id, s.isin, NULL, NULL, NULL, NULL FROM stale s WHERE s.account_id IS NOT NULL`,
      [previous.reportDate, previous.generatedAt, this.inFlightMarginSeconds],
    );
    const openings = new Map<string, Opening>();
    const stale: PositionKey[] = [];
    for (const row of rows) {
      if (!row.trusted) {
        stale.push({ accountId: row.account_id, isin: row.isin });
        continue;
      }
      const opening: Opening = {
        accountId: row.account_id,
        isin: row.isin,
        costMethod: row.cost_method,
        currency: row.currency,
        baseCurrency: row.base_currency,
        position: fromSnapshot(row.closing_position),
      };
      openings.set(keyOf(opening), opening);
    }
    return { openings, stale };
  }

  private async marketData(
    reportDate: string,
    isins: readonly string[],
    pairs: readonly { currency: string; baseCurrency: string }[],
  ): Promise<{
    prices: Map<string, { close: Dec | undefined; previous: Dec | undefined }>;
    fx: Map<string, { close: Dec | undefined; previous: Dec | undefined }>;
  }> {
    const { rows: priceRows } = await this.pool.query<{ isin: string; close: string | null; previous: string | null }>(
      `SELECT i.isin,
         (SELECT p.price FROM reference_prices p WHERE p.isin = i.isin AND p.price_date <= $1::date
            AND p.price_date > $1::date - $3::int ORDER BY p.price_date DESC LIMIT 1) AS close,
         (SELECT p.price FROM reference_prices p WHERE p.isin = i.isin AND p.price_date < $1::date
            AND p.price_date >= $1::date - $3::int ORDER BY p.price_date DESC LIMIT 1) AS previous
       FROM unnest($2::text[]) AS i(isin)`,
      [reportDate, isins, PRICE_LOOKBACK_DAYS],
    );
    const { rows: fxRows } = await this.pool.query<{
      c: string;
      b: string;
      close: string | null;
      previous: string | null;
    }>(
      `SELECT x.c, x.b, fx_rate_to_base(x.c, x.b, $1::date) AS close, fx_rate_to_base(x.c, x.b, $1::date - 1) AS previous
       FROM unnest($2::text[], $3::text[]) AS x(c, b)`,
      [reportDate, pairs.map((p) => p.currency), pairs.map((p) => p.baseCurrency)],
    );
    const dec = (text: string | null): Dec | undefined => (text === null ? undefined : new Dec(text));
    return {
      prices: new Map(priceRows.map((r) => [r.isin, { close: dec(r.close), previous: dec(r.previous) }])),
      fx: new Map(fxRows.map((r) => [`${r.c}/${r.b}`, { close: dec(r.close), previous: dec(r.previous) }])),
    };
  }

  private async store(
    reportDate: string,
    generatedAt: string,
    lines: readonly StoredLine[],
    summary: StoredSummary,
    previous: { readonly reportDate: string; readonly generatedAtExact: string } | undefined,
  ): Promise<void> {
    // All lines travel as ONE json parameter read by json_to_recordset: 28 array parameters of 50,000 elements
    // each cost far more to encode and parse (the bench measured 26 s against about 1 s).
    const rows = lines.map(({ line, doc, carriedClose }) => [
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
      carriedClose ? null : toSnapshot(line.closingPosition),
    ]);
    await withTransaction(this.pool, async (client) => {
      // Two runs for the same date queue up rather than interleave their delete and insert.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [REPORT_LOCK_CLASS, reportDate]);
      await client.query('DELETE FROM daily_pnl_reports WHERE report_date = $1', [reportDate]);
      await client.query(
        `INSERT INTO daily_pnl_reports (report_date, generated_at, line_count, summary) VALUES ($1, $2, $3, $4)`,
        [reportDate, generatedAt, lines.length, JSON.stringify(summary)],
      );
      // A carried close is copied from the previous report's line, and only from the run this report read (same
      // generated_at): were that report rerun meanwhile, the copy finds nothing and NOT NULL aborts the insert.
      await client.query(
        `INSERT INTO daily_pnl_lines (${LINE_COLUMNS.join(', ')})
         SELECT $2::date, ${STORED_COLUMNS.slice(0, -1)
           .map((_, i) => `r.c${i}`)
           .join(', ')},
                COALESCE(r.c${STORED_COLUMNS.length - 1}, prev.closing_position)
         FROM json_to_recordset($1::json) AS r(${STORED_COLUMNS.map((column, i) => `c${i} ${column.type}`).join(', ')})
         LEFT JOIN daily_pnl_reports pr ON pr.report_date = $3::date AND pr.generated_at = $4::timestamptz
         LEFT JOIN daily_pnl_lines prev ON prev.report_date = pr.report_date
           AND prev.account_id = r.c0 AND prev.isin = r.c1`,
        [
          JSON.stringify(rows.map((row) => Object.fromEntries(row.map((value, i) => [`c${i}`, value])))),
          reportDate,
          previous?.reportDate ?? null,
          // As text: a JS Date would drop the microseconds and never match.
          previous?.generatedAtExact ?? null,
        ],
      );
    });
  }
}

interface StoredLine {
  readonly line: DailyPnlLine;
  readonly doc: ReportLineDoc;
  /** The closing position is the previous report's stored close, unchanged (see `store`). */
  readonly carriedClose: boolean;
}

interface StoredSummary {
  readonly accounts: readonly AccountTotalsDoc[];
  readonly overall: readonly TotalsDoc[];
  readonly issues: readonly ReportIssue[];
}

const LINE_COLUMNS = [
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
  'closing_position',
] as const;
const LINE_TYPES = [
  'date',
  'text',
  'text',
  'text',
  'text',
  'text',
  'numeric',
  'numeric',
  'int',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'numeric',
  'jsonb',
] as const;

/** The stored columns after report_date, with their types, in LINE_COLUMNS order. */
const STORED_COLUMNS = LINE_COLUMNS.slice(1).map((name, i) => ({ name, type: LINE_TYPES[i + 1] ?? 'text' }));

type LineRow = Record<(typeof LINE_COLUMNS)[number], string> & { trade_count: number };

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
      realized: row.realized,
      openingUnrealized: row.opening_unrealized,
      unrealized: row.unrealized,
      unrealizedChange: row.unrealized_change,
      total: row.total,
      fees: row.fees,
    },
    base: {
      realized: row.realized_base,
      openingUnrealized: row.opening_unrealized_base,
      unrealized: row.unrealized_base,
      unrealizedChange: row.unrealized_change_base,
      total: row.total_base,
      fees: row.fees_base,
      priceEffect: row.price_effect_base,
      fxEffect: row.fx_effect_base,
    },
  };
}

function eventDate(event: PositionEvent): string {
  return event.kind === 'TRADE' ? event.tradeDate : event.effectiveDate;
}
