/**
 * Read side of the platform for the query API: trades, positions, daily P&L, settlements and breaks, in the API's
 * documents (lib/api/query/schemas.ts). Reuses the stores where they already answer the question (trade history,
 * positions, stored reports) and reads the tables directly for the listings they do not offer.
 *
 * Every listing is keyset-paginated on a unique, stable sort key and filtered to `accounts` (undefined: all
 * accounts), which is how a token's scope reaches SQL: rows outside it are never read, let alone served.
 */
import type { Pool } from 'pg';

import { PgTradeStore, type StoredTradeVersion } from '../../db/trade-store';
import { openCost } from '../../domain/lots';
import { Dec, minorUnits, roundToCurrency } from '../../domain/money';
import type { Trade } from '../../domain/trade';
import { TOTAL_AMOUNTS } from '../../domain/pnl';
import type { AccountTotalsDoc, DailyReportDoc, ReportLineDoc, TotalsDoc } from '../../pnl/document';
import { PgStoredReports } from '../../pnl/stored-reports';
import { PgPositionStore, type StoredPosition } from '../../positions/store';
import { positionKeyOf, positionReconciliations, type PositionReconciliation } from '../../recon/position-status';
import { storedAccountRisk } from '../../risk/stored';
import type { AccountRiskDoc, BreakDoc, DailyPnl, PositionDoc, SettlementDoc, TradeDetail, TradeDoc } from './schemas';

/** A page of rows and the sort key of its last row when more follow. */
export interface KeyedPage<T> {
  readonly items: readonly T[];
  readonly nextKey: readonly string[] | undefined;
}

export interface Listing {
  /** Only these accounts; undefined for every account. */
  readonly accounts: readonly string[] | undefined;
  readonly after: readonly string[] | undefined;
  readonly limit: number;
}

export interface QueryService {
  /** The trade's history and every account it names (any version, held event or rejected event). */
  trade(tradeId: string): Promise<{ readonly detail: TradeDetail; readonly accounts: readonly string[] } | undefined>;
  trades(query: Listing & { readonly date?: string; readonly status?: string }): Promise<KeyedPage<TradeDoc>>;
  positions(query: Listing): Promise<KeyedPage<PositionDoc>>;
  /** A page of a date's lines (keyed by account and ISIN) with the readable accounts' totals; undefined when not run. */
  dailyPnl(
    reportDate: string,
    listing: Listing,
  ): Promise<(Omit<DailyPnl, 'lines' | 'nextCursor'> & KeyedPage<ReportLineDoc>) | undefined>;
  dailyReport(reportDate: string, accounts: readonly string[] | undefined): Promise<DailyReportDoc | undefined>;
  settlements(query: Listing & { readonly status?: string }): Promise<KeyedPage<SettlementDoc>>;
  breaks(query: Listing & { readonly status?: string }): Promise<KeyedPage<BreakDoc>>;
  /** The account's latest stored risk (risk_snapshots) and open alerts; undefined when never evaluated. */
  risk(accountId: string): Promise<AccountRiskDoc | undefined>;
}

export class PgQueryService implements QueryService {
  private readonly tradeStore: PgTradeStore;
  private readonly positionStore: PgPositionStore;
  private readonly reports: PgStoredReports;

  constructor(private readonly pool: Pool) {
    this.tradeStore = new PgTradeStore(pool);
    this.positionStore = new PgPositionStore(pool);
    this.reports = new PgStoredReports(pool);
  }

  async trade(tradeId: string) {
    const history = await this.tradeStore.getTrade(tradeId);
    if (history === undefined) return undefined;
    const accounts = new Set([
      ...history.versions.map((v) => v.trade.account),
      ...history.pending.map((t) => t.account),
      ...history.rejections.flatMap((r) => accountOfEvent(r.event)),
    ]);
    const detail: TradeDetail = {
      tradeId: history.tradeId,
      status: history.status ?? null,
      currentVersion: history.currentVersion ?? null,
      versions: history.versions.map(versionDoc),
      pending: history.pending.map(tradeDoc),
      rejections: history.rejections.map((r) => ({
        execId: r.execId ?? null,
        rejectedAt: r.rejectedAt,
        reasons: r.reasons.map(({ code, message }) => ({ code, message })),
      })),
    };
    return { detail, accounts: [...accounts] };
  }

  async trades(query: Listing & { readonly date?: string; readonly status?: string }) {
    const { rows } = await this.pool.query<TradeRow>(
      `SELECT ${TRADE_COLUMNS}, status FROM trades
       WHERE ($1::text[] IS NULL OR account_id = ANY($1::text[]))
         AND ($2::date IS NULL OR trade_date = $2::date)
         AND ($3::text IS NULL OR status = $3::text)
         AND ($4::date IS NULL OR (trade_date, trade_id) > ($4::date, $5::text))
       ORDER BY trade_date, trade_id LIMIT $6`,
      [
        query.accounts ?? null,
        query.date ?? null,
        query.status ?? null,
        query.after?.[0] ?? null,
        query.after?.[1] ?? null,
        query.limit + 1,
      ],
    );
    return keyed(
      rows,
      query.limit,
      (row) => ({ ...tradeRowDoc(row), status: row.status }),
      (row) => [row.trade_date, row.trade_id],
    );
  }

  async positions(query: Listing) {
    const [accountId, isin] = query.after ?? [];
    const page = await this.positionStore.list({
      ...(query.accounts === undefined ? {} : { accounts: query.accounts }),
      ...(accountId === undefined || isin === undefined ? {} : { after: { accountId, isin } }),
      limit: query.limit,
    });
    const reconciliations = await positionReconciliations(
      this.pool,
      page.items.map((p) => ({ accountId: p.accountId, isin: p.isin, quantity: p.quantity.toFixed() })),
    );
    return {
      items: page.items.map((p) => positionDoc(p, reconciliations.get(positionKeyOf(p.accountId, p.isin)))),
      nextKey: page.next === undefined ? undefined : [page.next.accountId, page.next.isin],
    };
  }

  async dailyPnl(reportDate: string, listing: Listing) {
    const summary = await this.reports.summary(reportDate);
    if (summary === undefined) return undefined;
    const [afterAccount, afterIsin] = listing.after ?? [];
    const lines = await this.reports.lines({
      reportDate,
      ...(listing.accounts === undefined ? {} : { accounts: listing.accounts }),
      ...(afterAccount === undefined || afterIsin === undefined ? {} : { after: [afterAccount, afterIsin] as const }),
      limit: listing.limit + 1,
    });
    const allowed = listing.accounts === undefined ? undefined : new Set(listing.accounts);
    return {
      reportDate,
      previousReportDate: summary.previousReportDate,
      generatedAt: summary.generatedAt,
      accounts: summary.accounts.filter((a) => allowed === undefined || allowed.has(a.accountId)),
      ...keyed(
        lines,
        listing.limit,
        (line) => line,
        (line) => [line.accountId, line.isin],
      ),
    };
  }

  async dailyReport(reportDate: string, accounts: readonly string[] | undefined) {
    // Only the accounts' lines are read (a report holds tens of thousands); restrictReport narrows the totals.
    const report = await this.reports.get(reportDate, accounts);
    return report === undefined || accounts === undefined ? report : restrictReport(report, accounts);
  }

  async settlements(query: Listing & { readonly status?: string }) {
    const { rows } = await this.pool.query<SettlementRow>(
      `SELECT s.instruction_id, s.trade_id, s.trade_version, s.account_id, s.isin, s.quantity, s.movement, s.payment,
         s.settlement_amount, s.currency, to_char(s.trade_date, 'YYYY-MM-DD') AS trade_date,
         to_char(s.settlement_date, 'YYYY-MM-DD') AS settlement_date, v.state, v.net_instruction_id,
         to_char(v.failed_since, 'YYYY-MM-DD') AS failed_since, v.reason_code, s.exceptions
       FROM settlement_instruction_status v JOIN settlement_instructions s USING (instruction_id)
       WHERE ($1::text[] IS NULL OR s.account_id = ANY($1::text[]))
         AND ($2::text IS NULL OR v.state = $2::text)
         AND ($3::date IS NULL OR (s.settlement_date, s.instruction_id) > ($3::date, $4::text))
       ORDER BY s.settlement_date, s.instruction_id LIMIT $5`,
      [
        query.accounts ?? null,
        query.status ?? null,
        query.after?.[0] ?? null,
        query.after?.[1] ?? null,
        query.limit + 1,
      ],
    );
    return keyed(rows, query.limit, settlementDoc, (row) => [row.settlement_date, row.instruction_id]);
  }

  risk(accountId: string) {
    return storedAccountRisk(this.pool, accountId);
  }

  async breaks(query: Listing & { readonly status?: string }) {
    const { rows } = await this.pool.query<BreakRow>(
      `SELECT break_key, break_class, scope, account_id, isin, currency, internal_value, custodian_value, difference,
         to_char(opened_on, 'YYYY-MM-DD') AS opened_on, to_char(last_seen_on, 'YYYY-MM-DD') AS last_seen_on,
         age_business_days, ageing_bucket, status, to_char(resolved_on, 'YYYY-MM-DD') AS resolved_on
       FROM recon_breaks
       WHERE ($1::text[] IS NULL OR account_id = ANY($1::text[]))
         AND ($2::text IS NULL OR status = $2::text)
         AND ($3::date IS NULL OR (opened_on, break_key) > ($3::date, $4::text))
       ORDER BY opened_on, break_key LIMIT $5`,
      [
        query.accounts ?? null,
        query.status ?? null,
        query.after?.[0] ?? null,
        query.after?.[1] ?? null,
        query.limit + 1,
      ],
    );
    return keyed(rows, query.limit, breakDoc, (row) => [row.opened_on, row.break_key]);
  }
}

/** Rows were read with LIMIT limit + 1: the extra row only says that another page follows. */
function keyed<R, T>(
  rows: readonly R[],
  limit: number,
  toDoc: (row: R) => T,
  keyOf: (row: R) => string[],
): KeyedPage<T> {
  const served = rows.slice(0, limit);
  const last = served[served.length - 1];
  return { items: served.map(toDoc), nextKey: rows.length > limit && last !== undefined ? keyOf(last) : undefined };
}

/** A rejected event's account, when the event decoded far enough to name one. */
function accountOfEvent(event: unknown): string[] {
  if (typeof event !== 'object' || event === null || !('account' in event)) return [];
  return typeof event.account === 'string' ? [event.account] : [];
}

function tradeDoc(trade: Trade): TradeDoc {
  return {
    tradeId: trade.tradeId,
    execId: trade.execId,
    version: trade.version,
    lifecycle: trade.lifecycle,
    account: trade.account,
    counterpartyLei: trade.counterpartyLei,
    isin: trade.isin,
    mic: trade.mic,
    side: trade.side,
    quantity: trade.quantity.toFixed(),
    price: trade.price.toFixed(),
    currency: trade.currency,
    tradeDate: trade.tradeDate,
    tradeTime: trade.tradeTime,
    settlementDate: trade.settlementDate ?? null,
    commission: trade.commission.toFixed(),
    fees: trade.fees.toFixed(),
    beneficialOwner: trade.beneficialOwner ?? null,
  };
}

function versionDoc(version: StoredTradeVersion) {
  return { ...tradeDoc(version.trade), receivedAt: version.receivedAt, bookedAt: version.bookedAt };
}

const TRADE_COLUMNS = `trade_id, exec_id, version, lifecycle, account_id, counterparty_lei, isin, mic, side, quantity,
  price, currency, to_char(trade_date, 'YYYY-MM-DD') AS trade_date,
  to_char(trade_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS trade_time,
  to_char(settlement_date, 'YYYY-MM-DD') AS settlement_date, commission, fees, beneficial_owner`;

interface TradeRow {
  trade_id: string;
  exec_id: string;
  version: number;
  lifecycle: TradeDoc['lifecycle'];
  account_id: string;
  counterparty_lei: string;
  isin: string;
  mic: string;
  side: TradeDoc['side'];
  quantity: string;
  price: string;
  currency: string;
  trade_date: string;
  trade_time: string;
  settlement_date: string | null;
  commission: string;
  fees: string;
  beneficial_owner: string | null;
  status: 'LIVE' | 'CANCELLED';
}

function tradeRowDoc(row: TradeRow): TradeDoc {
  return {
    tradeId: row.trade_id,
    execId: row.exec_id,
    version: row.version,
    lifecycle: row.lifecycle,
    account: row.account_id,
    counterpartyLei: row.counterparty_lei,
    isin: row.isin,
    mic: row.mic,
    side: row.side,
    // NUMERIC text through Dec: one canonical form ("100", not "100.000") whichever path served the trade.
    quantity: new Dec(row.quantity).toFixed(),
    price: new Dec(row.price).toFixed(),
    currency: row.currency,
    tradeDate: row.trade_date,
    tradeTime: row.trade_time,
    settlementDate: row.settlement_date,
    commission: new Dec(row.commission).toFixed(),
    fees: new Dec(row.fees).toFixed(),
    beneficialOwner: row.beneficial_owner,
  };
}

function positionDoc(stored: StoredPosition, recon: PositionReconciliation | undefined): PositionDoc {
  const cost = openCost(stored.position);
  // Lot arithmetic keeps full precision (average cost divides); the API shows money in minor units, half-even.
  const money = (local: Dec, base: Dec) => ({
    local: roundToCurrency(local, stored.currency).toFixed(minorUnits(stored.currency)),
    base: roundToCurrency(base, stored.baseCurrency).toFixed(minorUnits(stored.baseCurrency)),
  });
  return {
    accountId: stored.accountId,
    isin: stored.isin,
    costMethod: stored.costMethod,
    currency: stored.currency,
    baseCurrency: stored.baseCurrency,
    quantity: stored.quantity.toFixed(),
    openCost: money(cost.local, cost.base),
    realized: money(stored.position.realized.local, stored.position.realized.base),
    fees: money(stored.position.fees.local, stored.position.fees.base),
    liveTrades: stored.liveTrades,
    lastTradeDate: stored.lastTradeDate,
    reconciliation: {
      status: recon?.status ?? 'NOT_RECONCILED',
      statementDate: recon?.statementDate ?? null,
      breakClass: recon?.breakClass ?? null,
      breakOpenedOn: recon?.breakOpenedOn ?? null,
      breakAgeBusinessDays: recon?.breakAgeBusinessDays ?? null,
      breakAgeingBucket: recon?.breakAgeingBucket ?? null,
    },
  };
}

interface SettlementRow {
  instruction_id: string;
  trade_id: string;
  trade_version: number;
  account_id: string;
  isin: string;
  quantity: string;
  movement: SettlementDoc['movement'];
  payment: SettlementDoc['payment'];
  settlement_amount: string | null;
  currency: string;
  trade_date: string;
  settlement_date: string;
  state: SettlementDoc['state'];
  net_instruction_id: string | null;
  failed_since: string | null;
  reason_code: string | null;
  exceptions: SettlementDoc['exceptions'];
}

function settlementDoc(row: SettlementRow): SettlementDoc {
  return {
    instructionId: row.instruction_id,
    tradeId: row.trade_id,
    tradeVersion: row.trade_version,
    accountId: row.account_id,
    isin: row.isin.trim(),
    quantity: new Dec(row.quantity).toFixed(),
    movement: row.movement,
    payment: row.payment,
    settlementAmount: row.settlement_amount === null ? null : new Dec(row.settlement_amount).toFixed(),
    currency: row.currency,
    tradeDate: row.trade_date,
    settlementDate: row.settlement_date,
    state: row.state,
    netInstructionId: row.net_instruction_id,
    failedSince: row.failed_since,
    reasonCode: row.reason_code,
    exceptions: row.exceptions,
  };
}

interface BreakRow {
  break_key: string;
  break_class: string;
  scope: BreakDoc['scope'];
  account_id: string;
  isin: string | null;
  currency: string | null;
  internal_value: string | null;
  custodian_value: string | null;
  difference: string;
  opened_on: string;
  last_seen_on: string;
  age_business_days: number;
  ageing_bucket: string;
  status: BreakDoc['status'];
  resolved_on: string | null;
}

function breakDoc(row: BreakRow): BreakDoc {
  const decimal = (text: string | null) => (text === null ? null : new Dec(text).toFixed());
  return {
    breakKey: row.break_key,
    breakClass: row.break_class,
    scope: row.scope,
    accountId: row.account_id,
    isin: row.isin?.trim() ?? null,
    currency: row.currency,
    internalValue: decimal(row.internal_value),
    custodianValue: decimal(row.custodian_value),
    difference: new Dec(row.difference).toFixed(),
    openedOn: row.opened_on,
    lastSeenOn: row.last_seen_on,
    ageBusinessDays: row.age_business_days,
    ageingBucket: row.ageing_bucket,
    status: row.status,
    resolvedOn: row.resolved_on,
  };
}

const TOTAL_FIELDS = TOTAL_AMOUNTS satisfies readonly (keyof TotalsDoc)[];

/**
 * The report as a token limited to some accounts may see it: their lines, account totals and issues, and overall
 * totals re-added from those accounts only (per base currency, never across). The history of earlier overall
 * totals covers every account, so it is left out.
 */
export function restrictReport(report: DailyReportDoc, accounts: readonly string[]): DailyReportDoc {
  const allowed = new Set(accounts);
  const accountTotals = report.accounts.filter((a) => allowed.has(a.accountId));
  const byBase = new Map<string, AccountTotalsDoc[]>();
  for (const totals of accountTotals)
    byBase.set(totals.baseCurrency, [...(byBase.get(totals.baseCurrency) ?? []), totals]);
  const overall = [...byBase.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([baseCurrency, rows]): TotalsDoc => {
      // A figure a stored report did not keep (null) is not known for the sum either.
      const sum = (field: (typeof TOTAL_FIELDS)[number]): string | null =>
        rows.some((row) => row[field] === null)
          ? null
          : rows.reduce((acc, row) => acc.plus(row[field] ?? 0), new Dec(0)).toFixed(minorUnits(baseCurrency));
      const sums = Object.fromEntries(TOTAL_FIELDS.map((field) => [field, sum(field)])) as Omit<
        TotalsDoc,
        'baseCurrency' | 'lineCount'
      >;
      return { baseCurrency, lineCount: rows.reduce((acc, row) => acc + row.lineCount, 0), ...sums };
    });
  return {
    reportDate: report.reportDate,
    previousReportDate: report.previousReportDate,
    generatedAt: report.generatedAt,
    lines: report.lines.filter((line) => allowed.has(line.accountId)),
    accounts: accountTotals,
    overall,
    issues: report.issues.filter((issue) => allowed.has(issue.accountId)),
    exceptions: report.exceptions.filter((exception) => allowed.has(exception.accountId)),
    history: [],
    risk: report.risk.filter((line) => allowed.has(line.accountId)),
  };
}
