/**
 * Reference data and booked-trade facts for validation, read from PostgreSQL a batch at a time.
 *
 * `validationSnapshot` fills a {@link ValidationSnapshot} for a whole batch with a fixed set of set-based queries
 * (`= ANY($1)` / `unnest` over the batch's keys), whatever the batch size; they run concurrently on the pool.
 */
import type { Pool } from 'pg';

import { HolidayCalendar } from '../domain/calendar';
import { Dec } from '../domain/money';
import {
  Account,
  CostMethod,
  Counterparty,
  DEFAULT_VALIDATION_THRESHOLDS,
  Instrument,
  ReferencePrice,
  RestrictedEntry,
  Ssi,
  ValidationThresholds,
} from '../domain/refdata';
import { SettlementCycleRule } from '../domain/settlement-date';
import { Trade, TradeLifecycle } from '../domain/trade';
import {
  RecentExecution,
  ValidationSnapshot,
  fxRateKey,
  listingKey,
  positionKey,
  referencePriceKey,
} from '../domain/validation/context';
import { calendarsFromHolidays } from '../refdata/holidays';
import { THRESHOLD_KEYS } from './thresholds';
import { liveExecutionsNear } from './wash-check';

/** Reference data and trade facts in the domain's terms. */
export interface ReferenceDataStore {
  /**
   * Everything validation reads for `trades`: their instruments, accounts, counterparties and the accounts'
   * SSIs; previous-close reference prices; FX to each account's base currency; restrictions; calendars of the
   * venues and settlement markets; settlement cycles and thresholds; the ExecIDs already captured; positions
   * from live booked trades; and live executions of the same owners and instruments within the wash window.
   */
  validationSnapshot(trades: readonly Trade[]): Promise<ValidationSnapshot>;
}

export { THRESHOLD_KEYS };

/**
 * How far back a reference price or FX rate may be before it counts as missing: a fat-finger band around a
 * month-old close would reject good trades, and a week-old rate would misstate a notional.
 */
export const LOOKBACK_DAYS = { referencePrice: 10, fxRate: 7 } as const;

/** {@link ReferenceDataStore} on PostgreSQL. */
export class PgReferenceDataStore implements ReferenceDataStore {
  constructor(private readonly pool: Pool) {}

  async validationSnapshot(trades: readonly Trade[]): Promise<ValidationSnapshot> {
    const isins = unique(trades.map((trade) => trade.isin));
    const accountIds = unique(trades.map((trade) => trade.account));
    const [
      instruments,
      accounts,
      counterparties,
      ssis,
      referencePrices,
      fxRates,
      restrictions,
      calendars,
      settlementCycles,
      thresholds,
      seenExecIds,
      positions,
      recentExecutions,
    ] = await Promise.all([
      this.instruments(isins),
      this.accounts(accountIds),
      this.counterparties(unique(trades.map((trade) => trade.counterpartyLei))),
      this.ssis(accountIds),
      this.referencePrices(trades),
      this.fxRates(trades),
      this.restrictions(isins),
      this.calendars(unique(trades.map((trade) => trade.mic)), isins),
      this.settlementCycles(),
      this.thresholds(),
      this.seenExecIds(unique(trades.map((trade) => trade.execId))),
      this.positions(trades),
      this.recentExecutions(trades),
    ]);
    return {
      instruments,
      accounts,
      counterparties,
      ssis,
      referencePrices,
      positions,
      restrictions,
      fxRates,
      calendars,
      settlementCycles,
      thresholds,
      seenExecIds,
      recentExecutions,
    };
  }

  private async instruments(isins: readonly string[]): Promise<Map<string, Instrument>> {
    const { rows } = await this.pool.query<{
      isin: string;
      mic: string;
      name: string | null;
      currency: string;
      lot_size: string;
      price_decimals: number;
      instrument_type: string;
      settlement_mic: string;
      active: boolean;
    }>(
      `SELECT isin, mic, name, currency, lot_size, price_decimals, instrument_type, settlement_mic, active
       FROM instruments WHERE isin = ANY($1::bpchar[])`,
      [isins],
    );
    return new Map(
      rows.map((row) => [
        listingKey(row.isin, row.mic),
        {
          isin: row.isin,
          mic: row.mic,
          ...(row.name === null ? {} : { name: row.name }),
          currency: row.currency,
          lotSize: new Dec(row.lot_size),
          priceDecimals: row.price_decimals,
          instrumentType: row.instrument_type,
          // The database keys settlement markets by MIC (XNYS = US, XLON = UK, XETR = EU): the cycle table and
          // the holiday calendar share the code.
          settlementMarket: row.settlement_mic,
          settlementCalendarMic: row.settlement_mic,
          active: row.active,
        },
      ]),
    );
  }

  private async accounts(ids: readonly string[]): Promise<Map<string, Account>> {
    const { rows } = await this.pool.query<{
      id: string;
      base_currency: string;
      cost_method: CostMethod;
      notional_limit: string | null;
      position_limit: string | null;
      beneficial_owner: string;
      active: boolean;
    }>(
      `SELECT id, base_currency, cost_method, notional_limit, position_limit, beneficial_owner, active
       FROM accounts WHERE id = ANY($1::text[])`,
      [ids],
    );
    return new Map(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          baseCurrency: row.base_currency,
          costMethod: row.cost_method,
          // NULL means "no limit" in the table; the domain type has no such case, and nothing exceeds infinity.
          notionalLimit: new Dec(row.notional_limit ?? Infinity),
          positionLimit: new Dec(row.position_limit ?? Infinity),
          beneficialOwner: row.beneficial_owner,
          active: row.active,
        },
      ]),
    );
  }

  private async counterparties(leis: readonly string[]): Promise<Map<string, Counterparty>> {
    const { rows } = await this.pool.query<{ lei: string; name: string; active: boolean }>(
      'SELECT lei, name, active FROM counterparties WHERE lei = ANY($1::bpchar[])',
      [leis],
    );
    return new Map(rows.map((row) => [row.lei, { lei: row.lei, name: row.name, active: row.active }]));
  }

  private ssis(accountIds: readonly string[]): Promise<Ssi[]> {
    return loadSsis(this.pool, accountIds);
  }

  /**
   * The previous close of each ISIN: the latest price strictly before the trade date (the day's own close is not
   * known while it trades), at most {@link LOOKBACK_DAYS}.referencePrice days back, for each (ISIN, trade date)
   * of the batch: a batch spanning trade dates compares every trade with its own day's reference.
   */
  private async referencePrices(trades: readonly Trade[]): Promise<Map<string, ReferencePrice>> {
    const { rows } = await this.pool.query<{ isin: string; trade_date: string; price_date: string; price: string }>(
      `WITH wanted AS (
         SELECT DISTINCT isin, trade_date FROM unnest($1::bpchar[], $2::date[]) AS w(isin, trade_date))
       SELECT w.isin, to_char(w.trade_date, 'YYYY-MM-DD') AS trade_date,
              to_char(p.price_date, 'YYYY-MM-DD') AS price_date, p.price
       FROM wanted w CROSS JOIN LATERAL (
         SELECT r.price_date, r.price FROM reference_prices r
         WHERE r.isin = w.isin AND r.price_date < w.trade_date AND r.price_date >= w.trade_date - $3::integer
         ORDER BY r.price_date DESC LIMIT 1) p`,
      [trades.map((trade) => trade.isin), trades.map((trade) => trade.tradeDate), LOOKBACK_DAYS.referencePrice],
    );
    return new Map(
      rows.map((row) => [
        referencePriceKey(row.isin, row.trade_date),
        { isin: row.isin, date: row.price_date, price: new Dec(row.price) },
      ]),
    );
  }

  /**
   * Units of the account's base currency per unit of the trade currency, keyed by the trade date: the latest
   * rate on or before it (at most {@link LOOKBACK_DAYS}.fxRate days back), stored either way round — rates are
   * kept in market convention (EUR/USD, not USD/EUR), so half the lookups invert.
   */
  private async fxRates(trades: readonly Trade[]): Promise<Map<string, Dec>> {
    const { rows } = await this.pool.query<{
      from_ccy: string;
      to_ccy: string;
      trade_date: string;
      rate: string;
      inverted: boolean;
    }>(
      `WITH wanted AS (
         SELECT DISTINCT w.currency AS from_ccy, a.base_currency AS to_ccy, w.trade_date
         FROM unnest($1::text[], $2::bpchar[], $3::date[]) AS w(account_id, currency, trade_date)
         JOIN accounts a ON a.id = w.account_id
         WHERE a.base_currency <> w.currency)
       SELECT w.from_ccy, w.to_ccy, to_char(w.trade_date, 'YYYY-MM-DD') AS trade_date, f.rate, f.inverted
       FROM wanted w CROSS JOIN LATERAL (
         SELECT r.rate, r.base <> w.from_ccy AS inverted FROM fx_rates r
         WHERE ((r.base = w.from_ccy AND r.quote = w.to_ccy) OR (r.base = w.to_ccy AND r.quote = w.from_ccy))
           AND r.rate_date <= w.trade_date AND r.rate_date >= w.trade_date - $4::integer
         ORDER BY r.rate_date DESC, r.base = w.from_ccy DESC LIMIT 1) f`,
      [
        trades.map((trade) => trade.account),
        trades.map((trade) => trade.currency),
        trades.map((trade) => trade.tradeDate),
        LOOKBACK_DAYS.fxRate,
      ],
    );
    return new Map(
      rows.map((row) => {
        const rate = new Dec(row.rate);
        // Dec keeps 40 significant digits: the inverse is as exact as any later rounding needs.
        return [fxRateKey(row.from_ccy, row.to_ccy, row.trade_date), row.inverted ? new Dec(1).div(rate) : rate];
      }),
    );
  }

  private async restrictions(isins: readonly string[]): Promise<RestrictedEntry[]> {
    const { rows } = await this.pool.query<{
      isin: string;
      from_date: string;
      to_date: string | null;
      reason: string | null;
    }>(
      `SELECT isin, to_char(from_date, 'YYYY-MM-DD') AS from_date, to_char(to_date, 'YYYY-MM-DD') AS to_date, reason
       FROM restricted_list WHERE isin = ANY($1::bpchar[]) ORDER BY isin, from_date`,
      [isins],
    );
    return rows.map((row) => ({
      isin: row.isin,
      from: row.from_date,
      ...(row.to_date === null ? {} : { to: row.to_date }),
      ...(row.reason === null ? {} : { reason: row.reason }),
    }));
  }

  /** Calendars of the trades' venues and of their instruments' settlement markets. */
  private async calendars(mics: readonly string[], isins: readonly string[]): Promise<Map<string, HolidayCalendar>> {
    const { rows } = await this.pool.query<{ mic: string; date: string; name: string }>(
      `SELECT mic, to_char(date, 'YYYY-MM-DD') AS date, name FROM holidays
       WHERE mic = ANY($1::bpchar[]) OR mic IN (SELECT settlement_mic FROM instruments WHERE isin = ANY($2::bpchar[]))`,
      [mics, isins],
    );
    return calendarsFromHolidays(rows);
  }

  private async settlementCycles(): Promise<SettlementCycleRule[]> {
    const { rows } = await this.pool.query<{
      market: string;
      instrument_type: string;
      effective_from: string;
      days: number;
    }>(
      `SELECT market, instrument_type, to_char(effective_from, 'YYYY-MM-DD') AS effective_from, days
       FROM settlement_cycles ORDER BY market, instrument_type, effective_from`,
    );
    return rows.map((row) => ({
      market: row.market,
      instrumentType: row.instrument_type,
      effectiveFrom: row.effective_from,
      days: row.days,
    }));
  }

  private async thresholds(): Promise<ValidationThresholds> {
    const { rows } = await this.pool.query<{ key: string; value: string }>(
      'SELECT key, value FROM validation_thresholds',
    );
    const value = (key: string): Dec | undefined => {
      const row = rows.find((candidate) => candidate.key === key);
      return row === undefined ? undefined : new Dec(row.value);
    };
    const defaults = DEFAULT_VALIDATION_THRESHOLDS;
    const requireReferencePrice = value(THRESHOLD_KEYS.requireReferencePrice);
    return {
      priceToleranceBps: value(THRESHOLD_KEYS.priceToleranceBps) ?? defaults.priceToleranceBps,
      washTradeWindowSeconds:
        value(THRESHOLD_KEYS.washTradeWindowSeconds)?.toNumber() ?? defaults.washTradeWindowSeconds,
      requireReferencePrice:
        requireReferencePrice === undefined ? defaults.requireReferencePrice : !requireReferencePrice.isZero(),
    };
  }

  /** ExecIDs already captured: booked, held or rejected. */
  private async seenExecIds(execIds: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ exec_id: string }>(
      `SELECT exec_id FROM trade_versions WHERE exec_id = ANY($1::text[])
       UNION SELECT exec_id FROM pending_trade_events WHERE exec_id = ANY($1::text[])
       UNION SELECT exec_id FROM trade_rejections WHERE exec_id = ANY($1::text[])`,
      [execIds],
    );
    return new Set(rows.map((row) => row.exec_id));
  }

  /**
   * Signed positions (long positive) per account and ISIN over live booked trades, each at its current version.
   * Trades this batch amends are left out, as the position limit of an amend is checked without the version it
   * replaces; a NEW in the same account and ISIN then sees the position without them too (a known approximation
   * of the one-number-per-key snapshot).
   */
  private async positions(trades: readonly Trade[]): Promise<Map<string, Dec>> {
    const amended = unique(
      trades.filter((trade) => trade.lifecycle === TradeLifecycle.AMEND).map((trade) => trade.tradeId),
    );
    const { rows } = await this.pool.query<{ account_id: string; isin: string; quantity: string }>(
      `WITH wanted AS (SELECT DISTINCT account_id, isin FROM unnest($1::text[], $2::bpchar[]) AS w(account_id, isin))
       SELECT t.account_id, t.isin, sum(CASE WHEN t.side = 'BUY' THEN t.quantity ELSE -t.quantity END) AS quantity
       FROM trades t JOIN wanted w ON t.account_id = w.account_id AND t.isin = w.isin
       WHERE t.status = 'LIVE' AND t.trade_id <> ALL($3::text[])
       GROUP BY t.account_id, t.isin`,
      [trades.map((trade) => trade.account), trades.map((trade) => trade.isin), amended],
    );
    return new Map(rows.map((row) => [positionKey(row.account_id, row.isin), new Dec(row.quantity)]));
  }

  /**
   * Live executions of the batch's beneficial owners (stated on the trade, else the account's) in the batch's
   * instruments within the wash window of any of the batch's trade times: the query booking uses too.
   */
  private async recentExecutions(trades: readonly Trade[]): Promise<RecentExecution[]> {
    const { executions } = await liveExecutionsNear(this.pool, trades);
    return executions;
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Every standing settlement instruction of these accounts, active or not, in one query. */
export async function loadSsis(pool: Pick<Pool, 'query'>, accountIds: readonly string[]): Promise<Ssi[]> {
  const { rows } = await pool.query<{
    ref: string;
    account_id: string;
    counterparty_lei: string | null;
    settlement_mic: string;
    currency: string;
    place_of_settlement: string;
    safekeeping_account: string;
    own_agent_bic: string;
    agent_bic: string;
    counterparty_safekeeping_account: string | null;
    active: boolean;
  }>(
    `SELECT ref, account_id, counterparty_lei, settlement_mic, currency, place_of_settlement, safekeeping_account,
       own_agent_bic, agent_bic, counterparty_safekeeping_account, active
     FROM ssis WHERE account_id = ANY($1::text[]) ORDER BY ref`,
    [accountIds],
  );
  return rows.map((row) => ({
    id: row.ref,
    account: row.account_id,
    ...(row.counterparty_lei === null ? {} : { counterpartyLei: row.counterparty_lei }),
    market: row.settlement_mic,
    currency: row.currency,
    placeOfSettlement: row.place_of_settlement,
    safekeepingAccount: row.safekeeping_account,
    ownAgentBic: row.own_agent_bic,
    counterpartyAgentBic: row.agent_bic,
    ...(row.counterparty_safekeeping_account === null
      ? {}
      : { counterpartySafekeepingAccount: row.counterparty_safekeeping_account }),
    active: row.active,
  }));
}
