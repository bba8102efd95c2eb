/**
 * How a trade event and a rejection are laid out in PostgreSQL (trade_versions, pending_trade_events,
 * trade_rejections) and read back: the `unnest` column arrays the stores write, the text columns they select, and
 * the mapping of a row to the domain's Trade.
 */
import { Dec } from '../domain/money';
import { Side, Trade, TradeLifecycle } from '../domain/trade';
import type { RecordSource, RejectionReason, TradeRejection } from './trade-store';

/** Columns written for a version, in the order of the `unnest` arrays; shared by trade_versions and pending. */
export const EVENT_COLUMNS = [
  ['exec_id', 'text'],
  ['trade_id', 'text'],
  ['version', 'integer'],
  ['lifecycle', 'text'],
  ['account_id', 'text'],
  ['counterparty_lei', 'text'],
  ['isin', 'text'],
  ['mic', 'text'],
  ['side', 'text'],
  ['quantity', 'numeric'],
  ['price', 'numeric'],
  ['currency', 'text'],
  ['trade_date', 'date'],
  ['trade_time', 'timestamptz'],
  ['settlement_date', 'date'],
  ['commission', 'numeric'],
  ['fees', 'numeric'],
  ['beneficial_owner', 'text'],
  ['capture_source', 'text'],
  ['source_topic', 'text'],
  ['source_partition', 'integer'],
  ['source_offset', 'bigint'],
] as const;

export const COLUMN_NAMES = EVENT_COLUMNS.map(([name]) => name).join(', ');
export const UNNEST = `unnest(${EVENT_COLUMNS.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ')})`;

/** A stored event read back as text: dates and times formatted in SQL so that no host time zone can shift them. */
export function eventColumns(alias: string): string {
  return `${alias}.exec_id, ${alias}.trade_id, ${alias}.version, ${alias}.lifecycle, ${alias}.account_id,
    ${alias}.counterparty_lei, ${alias}.isin, ${alias}.mic, ${alias}.side, ${alias}.quantity, ${alias}.price,
    ${alias}.currency, to_char(${alias}.trade_date, 'YYYY-MM-DD') AS trade_date,
    to_char(${alias}.trade_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS trade_time,
    to_char(${alias}.settlement_date, 'YYYY-MM-DD') AS settlement_date, ${alias}.commission, ${alias}.fees,
    ${alias}.beneficial_owner, ${alias}.capture_source, ${alias}.source_topic, ${alias}.source_partition,
    ${alias}.source_offset`;
}

/** The trade columns of a `trade_versions` row, as pg returns them (NUMERIC and dates as text). */
export interface TradeVersionRow {
  exec_id: string;
  trade_id: string;
  version: number;
  lifecycle: string;
  account_id: string;
  counterparty_lei: string;
  isin: string;
  mic: string;
  side: string;
  quantity: string;
  price: string;
  currency: string;
  trade_date: string;
  trade_time: string;
  settlement_date: string | null;
  commission: string;
  fees: string;
  beneficial_owner: string | null;
  capture_source: string | null;
}

export interface EventRow extends TradeVersionRow {
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
}

export interface CapturedEvent {
  readonly trade: Trade;
  readonly source: RecordSource | undefined;
}

/** One array per column of {@link EVENT_COLUMNS}; decimals as plain strings, straight into NUMERIC. */
export function columnArrays(events: readonly CapturedEvent[]): unknown[][] {
  const value = ({ trade, source }: CapturedEvent): unknown[] => [
    trade.execId,
    trade.tradeId,
    trade.version,
    trade.lifecycle,
    trade.account,
    trade.counterpartyLei,
    trade.isin,
    trade.mic,
    trade.side,
    trade.quantity.toFixed(),
    trade.price.toFixed(),
    trade.currency,
    trade.tradeDate,
    trade.tradeTime,
    trade.settlementDate ?? null,
    trade.commission.toFixed(),
    trade.fees.toFixed(),
    trade.beneficialOwner ?? null,
    trade.source ?? null,
    source?.topic ?? null,
    source?.partition ?? null,
    source === undefined ? null : String(source.offset),
  ];
  const rows = events.map(value);
  return EVENT_COLUMNS.map((_, column) => rows.map((row) => row[column]));
}

/** A stored trade version as the domain's {@link Trade}, money back to decimals. */
export function tradeFromRow(row: TradeVersionRow): Trade {
  return {
    execId: row.exec_id,
    tradeId: row.trade_id,
    version: row.version,
    lifecycle: row.lifecycle as TradeLifecycle,
    account: row.account_id,
    counterpartyLei: row.counterparty_lei,
    isin: row.isin,
    mic: row.mic,
    side: row.side as Side,
    quantity: new Dec(row.quantity),
    price: new Dec(row.price),
    currency: row.currency,
    tradeDate: row.trade_date,
    tradeTime: row.trade_time,
    commission: new Dec(row.commission),
    fees: new Dec(row.fees),
    ...(row.settlement_date === null ? {} : { settlementDate: row.settlement_date }),
    ...(row.beneficial_owner === null ? {} : { beneficialOwner: row.beneficial_owner }),
    ...(row.capture_source === null ? {} : { source: row.capture_source }),
  };
}

export function sourceOf(row: {
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
}): RecordSource | undefined {
  if (row.source_topic === null || row.source_partition === null || row.source_offset === null) return undefined;
  return { topic: row.source_topic, partition: row.source_partition, offset: row.source_offset };
}

export interface RejectionRow {
  rejection_key: string;
  exec_id: string | null;
  event: unknown;
  reasons: RejectionReason[];
  rejected_at: string;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: string | null;
}

/**
 * The idempotency key of a rejection: the Kafka record it came from (a redelivery is the same record), else its
 * ExecID. A resend of a rejected ExecID under a new offset is a new rejection (typically DUPLICATE_EXEC_ID).
 */
export function rejectionKey(rejection: Pick<TradeRejection, 'execId' | 'source'>): string {
  const { source, execId } = rejection;
  if (source !== undefined) return `kafka:${source.topic}:${source.partition}:${String(source.offset)}`;
  if (execId !== undefined && execId !== '') return `exec:${execId}`;
  throw new RangeError('a rejection needs a source record or an ExecID to be stored idempotently');
}

export function rejectionRows(rejections: readonly TradeRejection[]): unknown[][] {
  const rows = rejections.map((rejection) => {
    if (rejection.reasons.length === 0) {
      throw new RangeError(`rejection ${rejectionKey(rejection)} has no reasons: every rejection states at least one`);
    }
    return [
      rejectionKey(rejection),
      rejection.execId ?? null,
      rejection.tradeId ?? null,
      JSON.stringify(rejection.event ?? null),
      JSON.stringify(rejection.reasons.map(({ code, message }) => ({ code, message }))),
      rejection.rejectedAt,
      rejection.source?.topic ?? null,
      rejection.source?.partition ?? null,
      rejection.source === undefined ? null : String(rejection.source.offset),
    ];
  });
  return Array.from({ length: 9 }, (_, column) => rows.map((row) => row[column]));
}

/** A NEW, the only lifecycle that is checked for a wash trade and opens a trade. */
export function isNew(event: CapturedEvent): boolean {
  return event.trade.lifecycle === TradeLifecycle.NEW;
}
