/**
 * The events the trade simulator builds to fail validation: each a good trade changed to break one rule of
 * lib/domain/validation (its code travels with the event as `intendedFault`). Pure: the simulator hands in what
 * it knows (the market, its book, the last good trade, its clock).
 */
import { addCalendarDays, dayOfWeek } from '../domain/calendar';
import { Dec, Rounding } from '../domain/money';
import { ValidationCode } from '../domain/validation/codes';
import type { TradeEventV1 } from '../kafka/schemas/trade-event';
import type { Book } from './book';
import {
  commissionOf,
  seededRandom,
  sessionTime,
  type Market,
  type SimulatorData,
  type SimulatorInstrument,
} from './market';

/** The faults the simulator builds, each a rule of lib/domain/validation it is meant to break. */
export const FAULTS = [
  ValidationCode.PRICE_TOLERANCE,
  ValidationCode.QUANTITY_NOT_POSITIVE,
  ValidationCode.LOT_SIZE,
  ValidationCode.PRICE_DECIMALS,
  ValidationCode.COUNTERPARTY_INACTIVE,
  ValidationCode.ACCOUNT_INACTIVE,
  ValidationCode.INSTRUMENT_INACTIVE,
  ValidationCode.SSI_MISSING,
  ValidationCode.SSI_INACTIVE,
  ValidationCode.CURRENCY_MISMATCH,
  ValidationCode.RESTRICTED_INSTRUMENT,
  ValidationCode.NOTIONAL_LIMIT,
  ValidationCode.POSITION_LIMIT,
  ValidationCode.TRADE_DATE_NOT_BUSINESS_DAY,
  ValidationCode.SETTLEMENT_BEFORE_TRADE,
  ValidationCode.CHARGES_NEGATIVE,
  ValidationCode.AMOUNT_DECIMALS,
  ValidationCode.DUPLICATE_EXEC_ID,
  ValidationCode.WASH_TRADE,
] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * Positions (1-based) of faulty events: the k-th inside window k of 1/errorRate events, at a seeded offset.
 * Its own random stream, so that the error rate does not change which good trades are generated around them.
 */
export function faultSchedule(seed: number, errorRate: number): () => number {
  const random = seededRandom(seed ^ 0x5eed_f417);
  const rate = new Dec(String(errorRate));
  let k = 0;
  let previous = 0;
  return () => {
    if (rate.isZero()) return Infinity;
    k += 1;
    const position = new Dec(k - 1).plus(random()).div(rate).floor().toNumber() + 1;
    previous = Math.max(position, previous + 1);
    return previous;
  };
}

/** What a fault is built from: the simulator's view of the market and of what it has produced. */
export interface FaultContext {
  readonly market: Market;
  readonly book: Book;
  /** Single-day mode: every event is dated one business day, so a trade date off the calendar has no place. */
  readonly singleDay: boolean;
  today(): string;
  /** A time inside the venue's session on the date (the simulator's clock: it draws from its random stream). */
  time(mic: string, date: string): string;
  /** The last good trade produced, if any. */
  lastGood(): TradeEventV1 | undefined;
  owner(account: string): string;
}

export class FaultBuilder {
  constructor(private readonly context: FaultContext) {}

  /** The SSIs by account, market and currency, indexed on first use: scanning them per listing made faults slow. */
  private ssiIndex: Map<string, SimulatorData['ssis'][number][]> | undefined;

  private ssisOf(account: string, market: string, currency: string): readonly SimulatorData['ssis'][number][] {
    if (this.ssiIndex === undefined) {
      this.ssiIndex = new Map();
      for (const ssi of this.context.market.data.ssis) {
        const key = `${ssi.account}|${ssi.market}|${ssi.currency}`;
        const list = this.ssiIndex.get(key);
        if (list === undefined) this.ssiIndex.set(key, [ssi]);
        else list.push(ssi);
      }
    }
    return this.ssiIndex.get(`${account}|${market}|${currency}`) ?? [];
  }

  /** Another instrument of today, at its close: for faults that need a particular listing. */
  private listing(
    test: (instrument: SimulatorInstrument) => boolean,
    activeOnly = true,
  ): SimulatorInstrument | undefined {
    return this.context.market.data.instruments.find(
      (instrument) =>
        (!activeOnly || instrument.active) &&
        test(instrument) &&
        this.context.market.close(instrument.isin, this.context.today()) !== undefined,
    );
  }

  /** `good` on another listing of today, at that listing's close and ten lots. */
  private relisted(good: TradeEventV1, instrument: SimulatorInstrument): TradeEventV1 {
    const price = this.context.market.close(instrument.isin, good.tradeDate) ?? new Dec(good.price);
    const quantity = instrument.lotSize.times(10);
    return {
      ...good,
      isin: instrument.isin,
      mic: instrument.mic,
      currency: instrument.currency,
      price: price.toFixed(instrument.priceDecimals),
      quantity: quantity.toFixed(),
      commission: commissionOf(price, quantity),
      tradeTime: this.context.time(instrument.mic, good.tradeDate),
    };
  }

  /**
   * `good` changed to break `fault`, on today's date so that it cannot disturb the reference prices of the good
   * trades around it; undefined when today's data cannot build that fault (another one is drawn). Never booked.
   */
  build(fault: Fault, good: TradeEventV1): TradeEventV1 | undefined {
    const { data } = this.context.market;
    const price = new Dec(good.price);
    const quantity = new Dec(good.quantity);
    const decimals = this.context.market.instruments.get(good.isin)?.priceDecimals ?? 2;
    const account = this.context.market.accounts.get(good.account);
    switch (fault) {
      case ValidationCode.PRICE_TOLERANCE: {
        // Twice the band away from the reference, the previous close: a fat finger.
        const reference = this.context.market.reference(good.isin, good.tradeDate);
        if (reference === undefined) return undefined;
        const away = reference.times(data.priceToleranceBps.times(2).div(10_000).plus(1));
        return { ...good, price: away.toDecimalPlaces(decimals, Rounding.HALF_EVEN).toFixed(decimals) };
      }
      case ValidationCode.QUANTITY_NOT_POSITIVE:
        return { ...good, quantity: '0', commission: '0.00' };
      case ValidationCode.LOT_SIZE:
        return { ...good, quantity: quantity.plus('0.5').toFixed() };
      case ValidationCode.PRICE_DECIMALS:
        return { ...good, price: `${price.toFixed(decimals)}7` };
      case ValidationCode.COUNTERPARTY_INACTIVE: {
        const inactive = data.counterparties.find((cp) => !cp.active);
        return inactive && { ...good, counterpartyLei: inactive.lei };
      }
      case ValidationCode.ACCOUNT_INACTIVE: {
        const inactive = data.accounts.find((candidate) => !candidate.active);
        return inactive && { ...good, account: inactive.id };
      }
      case ValidationCode.INSTRUMENT_INACTIVE: {
        const inactive = this.listing((instrument) => !instrument.active, false);
        return inactive && this.relisted(good, inactive);
      }
      case ValidationCode.SSI_MISSING:
      case ValidationCode.SSI_INACTIVE: {
        // An account and listing whose SSIs are all missing (or all inactive) in the reference data.
        // Only a listing's market and currency matter, and today's listings have few of those: an account is
        // searched listing by listing only when one of them fits (2,000 accounts × 500 listings per fault else).
        const today = this.context.today();
        const kinds = new Map<string, { mic: string; currency: string }>();
        for (const instrument of data.instruments) {
          if (instrument.active && this.context.market.close(instrument.isin, today) !== undefined) {
            kinds.set(`${instrument.mic}|${instrument.currency}`, instrument);
          }
        }
        for (const candidate of data.accounts.filter((a) => a.active)) {
          const fits = (listing: { mic: string; currency: string }): boolean => {
            const ssis = this.ssisOf(candidate.id, listing.mic, listing.currency);
            return fault === ValidationCode.SSI_MISSING
              ? ssis.length === 0
              : ssis.length > 0 && ssis.every((ssi) => !ssi.active);
          };
          if (![...kinds.values()].some(fits)) continue;
          const instrument = this.listing(fits);
          if (instrument !== undefined) return { ...this.relisted(good, instrument), account: candidate.id };
        }
        return undefined;
      }
      case ValidationCode.CURRENCY_MISMATCH:
        return { ...good, currency: good.currency === 'USD' ? 'EUR' : 'USD' };
      case ValidationCode.RESTRICTED_INSTRUMENT: {
        const restricted = this.listing((instrument) =>
          this.context.market.restricted(instrument.isin, good.tradeDate),
        );
        return restricted && this.relisted(good, restricted);
      }
      case ValidationCode.NOTIONAL_LIMIT: {
        const fx = account && this.context.market.fx(good.currency, account.baseCurrency, good.tradeDate);
        if (account === undefined || fx === undefined) return undefined;
        const over = account.notionalLimit.div(price.times(fx)).times('1.5').ceil();
        return { ...good, quantity: over.toFixed(), commission: commissionOf(price, over) };
      }
      case ValidationCode.POSITION_LIMIT: {
        // Twice the limit breaches it from any position the simulator keeps (within the limit).
        if (account === undefined) return undefined;
        const over = account.positionLimit.times(2).plus(1);
        return { ...good, side: 'BUY', quantity: over.toFixed(), commission: commissionOf(price, over) };
      }
      case ValidationCode.TRADE_DATE_NOT_BUSINESS_DAY: {
        // Every event of a single day is dated that day, a business day: this fault has no place there.
        if (this.context.singleDay) return undefined;
        // A venue holiday (or else a Saturday) no later than today: the latest reference date stays today's.
        const today = good.tradeDate;
        const holiday = data.holidays
          .filter((h) => h.mic === good.mic && h.date <= today && h.date >= '2024-04-01' && dayOfWeek(h.date) % 6 !== 0)
          .sort((a, b) => b.date.localeCompare(a.date))[0];
        const saturday = addCalendarDays(today, -((dayOfWeek(today) + 1) % 7 || 7));
        const date = holiday?.date ?? (saturday >= '2024-04-01' ? saturday : undefined);
        return date === undefined
          ? undefined
          : { ...good, tradeDate: date, tradeTime: sessionTime(good.mic, date, 0.5) };
      }
      case ValidationCode.SETTLEMENT_BEFORE_TRADE:
        return { ...good, settlementDate: addCalendarDays(good.tradeDate, -1) };
      case ValidationCode.CHARGES_NEGATIVE:
        return { ...good, commission: `-${good.commission}` };
      case ValidationCode.AMOUNT_DECIMALS:
        return { ...good, fees: '0.125' };
      case ValidationCode.DUPLICATE_EXEC_ID: {
        // On the account of the trade it copies the ExecID of, so that it follows that trade on its partition
        // (trades.captured is keyed by the account's owner): the duplicate is refused, never the original.
        const last = this.context.lastGood();
        return last && { ...good, account: last.account, execId: last.execId };
      }
      case ValidationCode.WASH_TRADE:
        return this.mirror(good);
    }
  }

  /** The last good trade's mirror: its owner (through another account when it has one) on the other side. */
  private mirror(good: TradeEventV1): TradeEventV1 | undefined {
    const lastGood = this.context.lastGood();
    const last = lastGood === undefined ? undefined : this.context.book.live.get(lastGood.tradeId)?.event;
    if (last === undefined) return undefined;
    const owner = this.context.owner(last.account);
    const sibling = this.context.market.data.accounts.find(
      (account) =>
        account.active &&
        account.beneficialOwner === owner &&
        account.id !== last.account &&
        this.context.market.settles(account.id, last.counterpartyLei, last.mic, last.currency),
    );
    return {
      ...last,
      execId: good.execId,
      tradeId: good.tradeId,
      version: 1,
      lifecycle: 'NEW',
      account: sibling?.id ?? last.account,
      side: last.side === 'BUY' ? 'SELL' : 'BUY',
      tradeTime: new Date(Date.parse(last.tradeTime) + 20_000).toISOString(),
    };
  }
}
