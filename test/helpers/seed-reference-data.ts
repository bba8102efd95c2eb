/**
 * The shipped reference data (migrations/seed/*.csv) as domain values, and a {@link ValidationSnapshot} built from
 * it the way PgReferenceDataStore builds one from the loaded tables: the same keys, the previous close within
 * LOOKBACK_DAYS as reference price, FX to the account's base currency on or before the trade date (inverted when
 * stored the other way round). Property tests draw their trades from these rows, so that what they generate is
 * what the platform really meets.
 */
import fs from 'node:fs';
import path from 'node:path';

import { HolidayCalendar, toDayNumber } from '../../lib/domain/calendar';
import { Dec } from '../../lib/domain/money';
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
} from '../../lib/domain/refdata';
import { SettlementCycleRule } from '../../lib/domain/settlement-date';
import { Trade } from '../../lib/domain/trade';
import { ValidationSnapshot, fxRateKey, listingKey, referencePriceKey } from '../../lib/domain/validation/context';
import { LOOKBACK_DAYS } from '../../lib/db/reference-store';
import { calendarsFromHolidays, parseHolidaysCsv } from '../../lib/refdata/holidays';
import type { SettlementReferenceData } from '../../lib/settlement/plan';
import { parseCsv } from '../../lib/refdata/load';
import { StaticAccountOwners } from '../../lib/pipeline/trade-keys';

export const SEED_DIR = path.join(__dirname, '..', '..', 'migrations', 'seed');

function table(file: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(fs.readFileSync(path.join(SEED_DIR, file), 'utf8'));
  if (header === undefined) return [];
  return rows.map((row) => Object.fromEntries(header.map((name, index) => [name, row[index] ?? ''])));
}

function field(row: Record<string, string>, name: string): string {
  const value = row[name];
  if (value === undefined) throw new Error(`seed row without ${name}: ${JSON.stringify(row)}`);
  return value;
}

export interface FxRow {
  readonly base: string;
  readonly quote: string;
  readonly date: string;
  readonly rate: Dec;
}

export interface SeedReferenceData {
  readonly instruments: readonly Instrument[];
  readonly accounts: readonly Account[];
  readonly counterparties: readonly Counterparty[];
  readonly ssis: readonly Ssi[];
  /** Closes by ISIN, ascending by date. */
  readonly closes: ReadonlyMap<string, readonly ReferencePrice[]>;
  readonly fxRates: readonly FxRow[];
  readonly restrictions: readonly RestrictedEntry[];
  readonly calendars: ReadonlyMap<string, HolidayCalendar>;
  readonly settlementCycles: readonly SettlementCycleRule[];
  readonly thresholds: ValidationThresholds;
  /** First and last day the seed has closes for (2024-04-01 … 2024-06-28). */
  readonly firstCloseDate: string;
  readonly lastCloseDate: string;
  /** First and last year the holiday calendars cover. */
  readonly firstHolidayYear: number;
  readonly lastHolidayYear: number;
}

function load(): SeedReferenceData {
  const instruments = table('instruments.csv').map((row): Instrument => ({
    isin: field(row, 'isin'),
    mic: field(row, 'mic'),
    name: field(row, 'name'),
    currency: field(row, 'currency'),
    lotSize: new Dec(field(row, 'lot_size')),
    priceDecimals: Number(field(row, 'price_decimals')),
    instrumentType: field(row, 'instrument_type'),
    // As PgReferenceDataStore: settlement markets are keyed by MIC, for the cycle table and the calendar alike.
    settlementMarket: field(row, 'settlement_mic'),
    settlementCalendarMic: field(row, 'settlement_mic'),
    active: field(row, 'active') === 'true',
  }));
  const accounts = table('accounts.csv').map((row): Account => ({
    id: field(row, 'id'),
    baseCurrency: field(row, 'base_currency'),
    costMethod: field(row, 'cost_method') as CostMethod,
    notionalLimit: new Dec(field(row, 'notional_limit') || Infinity),
    positionLimit: new Dec(field(row, 'position_limit') || Infinity),
    beneficialOwner: field(row, 'beneficial_owner'),
    active: field(row, 'active') === 'true',
  }));
  const counterparties = table('counterparties.csv').map((row): Counterparty => ({
    lei: field(row, 'lei'),
    name: field(row, 'name'),
    active: field(row, 'active') === 'true',
  }));
  const ssis = table('ssis.csv').map((row): Ssi => ({
    id: field(row, 'ref'),
    account: field(row, 'account_id'),
    ...(field(row, 'counterparty_lei') === '' ? {} : { counterpartyLei: field(row, 'counterparty_lei') }),
    market: field(row, 'settlement_mic'),
    currency: field(row, 'currency'),
    placeOfSettlement: field(row, 'place_of_settlement'),
    safekeepingAccount: field(row, 'safekeeping_account'),
    ownAgentBic: field(row, 'own_agent_bic'),
    counterpartyAgentBic: field(row, 'agent_bic'),
    ...(field(row, 'counterparty_safekeeping_account') === ''
      ? {}
      : { counterpartySafekeepingAccount: field(row, 'counterparty_safekeeping_account') }),
    active: field(row, 'active') === 'true',
  }));
  const closes = new Map<string, ReferencePrice[]>();
  for (const row of table('reference_prices.csv')) {
    const isin = field(row, 'isin');
    const list = closes.get(isin) ?? [];
    list.push({ isin, date: field(row, 'price_date'), price: new Dec(field(row, 'price')) });
    closes.set(isin, list);
  }
  for (const list of closes.values()) list.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const closeDates = [...closes.values()]
    .flat()
    .map((close) => close.date)
    .sort();
  const fxRates = table('fx_rates.csv').map((row): FxRow => ({
    base: field(row, 'base'),
    quote: field(row, 'quote'),
    date: field(row, 'rate_date'),
    rate: new Dec(field(row, 'rate')),
  }));
  const restrictions = table('restricted_list.csv').map((row): RestrictedEntry => ({
    isin: field(row, 'isin'),
    from: field(row, 'from_date'),
    ...(field(row, 'to_date') === '' ? {} : { to: field(row, 'to_date') }),
    ...(field(row, 'reason') === '' ? {} : { reason: field(row, 'reason') }),
  }));
  const holidays = parseHolidaysCsv(fs.readFileSync(path.join(SEED_DIR, 'holidays.csv'), 'utf8'));
  const holidayYears = holidays.map((holiday) => Number(holiday.date.slice(0, 4)));
  const settlementCycles = table('settlement_cycles.csv').map((row): SettlementCycleRule => ({
    market: field(row, 'market'),
    instrumentType: field(row, 'instrument_type'),
    effectiveFrom: field(row, 'effective_from'),
    days: Number(field(row, 'days')),
  }));
  const thresholdRows = new Map(
    table('validation_thresholds.csv').map((row) => [field(row, 'key'), field(row, 'value')]),
  );
  const thresholdValue = (key: string): string | undefined => thresholdRows.get(key);
  const thresholds: ValidationThresholds = {
    priceToleranceBps: new Dec(
      thresholdValue('price_tolerance_bps') ?? DEFAULT_VALIDATION_THRESHOLDS.priceToleranceBps,
    ),
    washTradeWindowSeconds: Number(
      thresholdValue('wash_trade_window_seconds') ?? DEFAULT_VALIDATION_THRESHOLDS.washTradeWindowSeconds,
    ),
    requireReferencePrice: (thresholdValue('require_reference_price') ?? '0') !== '0',
  };
  const first = closeDates[0];
  const last = closeDates[closeDates.length - 1];
  if (first === undefined || last === undefined) throw new Error('the seed has no reference prices');
  return {
    instruments,
    accounts,
    counterparties,
    ssis,
    closes,
    fxRates,
    restrictions,
    calendars: calendarsFromHolidays(holidays),
    settlementCycles,
    thresholds,
    firstCloseDate: first,
    lastCloseDate: last,
    firstHolidayYear: Math.min(...holidayYears),
    lastHolidayYear: Math.max(...holidayYears),
  };
}

let cached: SeedReferenceData | undefined;

/** The seed reference data, read once per test file. */
export function seedReferenceData(): SeedReferenceData {
  cached ??= load();
  return cached;
}

const closeMemo = new WeakMap<SeedReferenceData, Map<string, ReferencePrice | undefined>>();
const fxMemo = new WeakMap<SeedReferenceData, Map<string, Dec | undefined>>();

function memo<V>(memos: WeakMap<SeedReferenceData, Map<string, V>>, data: SeedReferenceData): Map<string, V> {
  let map = memos.get(data);
  if (map === undefined) {
    map = new Map();
    memos.set(data, map);
  }
  return map;
}

const closeDayMemo = new WeakMap<SeedReferenceData, Map<string, number[]>>();

/** The day numbers of an ISIN's closes, in the order of `data.closes`. */
function closeDays(data: SeedReferenceData, isin: string): number[] {
  const memos = memo(closeDayMemo, data);
  let days = memos.get(isin);
  if (days === undefined) {
    days = (data.closes.get(isin) ?? []).map((close) => toDayNumber(close.date));
    memos.set(isin, days);
  }
  return days;
}

/** The previous close of an ISIN before `tradeDate`, at most LOOKBACK_DAYS.referencePrice days back. */
export function previousClose(data: SeedReferenceData, isin: string, tradeDate: string): ReferencePrice | undefined {
  const memos = memo(closeMemo, data);
  const key = `${isin}|${tradeDate}`;
  if (memos.has(key)) return memos.get(key);
  const day = toDayNumber(tradeDate);
  const closes = data.closes.get(isin) ?? [];
  const days = closeDays(data, isin);
  const earlier = closes.filter((_, index) => {
    const closeDay = days[index] ?? Number.NaN;
    return closeDay < day && closeDay >= day - LOOKBACK_DAYS.referencePrice;
  });
  const close = earlier[earlier.length - 1];
  memos.set(key, close);
  return close;
}

/**
 * Units of `to` per unit of `from` on `date`: the latest stored rate on or before it (at most
 * LOOKBACK_DAYS.fxRate days back), either way round, the market-convention row winning a tie.
 */
export function fxRate(data: SeedReferenceData, from: string, to: string, date: string): Dec | undefined {
  if (from === to) return new Dec(1);
  const memos = memo(fxMemo, data);
  const key = `${from}/${to}|${date}`;
  if (memos.has(key)) return memos.get(key);
  const day = toDayNumber(date);
  const candidates = data.fxRates
    .filter(
      (row) =>
        ((row.base === from && row.quote === to) || (row.base === to && row.quote === from)) &&
        toDayNumber(row.date) <= day &&
        toDayNumber(row.date) >= day - LOOKBACK_DAYS.fxRate,
    )
    .sort((a, b) => (a.date !== b.date ? (a.date < b.date ? 1 : -1) : a.base === from ? -1 : 1));
  const best = candidates[0];
  const rate = best === undefined ? undefined : best.base === from ? best.rate : new Dec(1).div(best.rate);
  memos.set(key, rate);
  return rate;
}

/**
 * What PgReferenceDataStore.validationSnapshot would read for `trades` from a database loaded with the seed and
 * holding no trades yet: no ExecID seen, flat positions, no recent executions.
 */
export function seedSnapshot(
  trades: readonly Trade[],
  data: SeedReferenceData = seedReferenceData(),
): ValidationSnapshot {
  const accounts = new Map(data.accounts.map((account) => [account.id, account]));
  const referencePrices = new Map<string, ReferencePrice>();
  const fxRates = new Map<string, Dec>();
  for (const trade of trades) {
    const close = previousClose(data, trade.isin, trade.tradeDate);
    if (close) referencePrices.set(referencePriceKey(trade.isin, trade.tradeDate), close);
    const account = accounts.get(trade.account);
    if (account && account.baseCurrency !== trade.currency) {
      const rate = fxRate(data, trade.currency, account.baseCurrency, trade.tradeDate);
      if (rate) fxRates.set(fxRateKey(trade.currency, account.baseCurrency, trade.tradeDate), rate);
    }
  }
  return {
    instruments: new Map(
      data.instruments.map((instrument) => [listingKey(instrument.isin, instrument.mic), instrument]),
    ),
    accounts,
    counterparties: new Map(data.counterparties.map((counterparty) => [counterparty.lei, counterparty])),
    ssis: data.ssis,
    referencePrices,
    positions: new Map(),
    restrictions: data.restrictions,
    fxRates,
    calendars: data.calendars,
    settlementCycles: data.settlementCycles,
    thresholds: data.thresholds,
    seenExecIds: new Set(),
    recentExecutions: [],
  };
}

/** The reference data settlement plans with (lib/settlement/plan.ts), from the seed. */
export function seedSettlementReference(data: SeedReferenceData = seedReferenceData()): SettlementReferenceData {
  return {
    instruments: new Map(
      data.instruments.map((instrument) => [
        instrument.isin,
        {
          isin: instrument.isin,
          instrumentType: instrument.instrumentType,
          settlementMic: instrument.settlementCalendarMic,
        },
      ]),
    ),
    cycles: data.settlementCycles,
    calendars: data.calendars,
    ssis: data.ssis,
  };
}

/** The seed accounts' beneficial owners, for captures in tests (the trade topics' key). */
export function seedAccountOwners(): StaticAccountOwners {
  return new StaticAccountOwners(seedReferenceData().accounts);
}
