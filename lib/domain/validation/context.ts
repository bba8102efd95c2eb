/**
 * What validation needs to know besides the trade itself. Two shapes:
 * - {@link ValidationContext}: the facts about one trade (its instrument, account, … or undefined);
 * - {@link ValidationSnapshot}: the same facts for a whole batch, as maps a handler fills with one set-based
 *   query per table (`WHERE key = ANY($1)` over the batch's ISINs, accounts, LEIs, exec ids).
 * {@link contextFor} picks one trade's context out of a snapshot.
 */
import { HolidayCalendar } from '../calendar';
import { Dec } from '../money';
import {
  Account,
  Counterparty,
  Instrument,
  ReferencePrice,
  RestrictedEntry,
  Ssi,
  ValidationThresholds,
  selectSsi,
} from '../refdata';
import { SettlementCycleRule } from '../settlement-date';
import { Side, Trade } from '../trade';

/** An execution already known to the platform, as wash-trade detection compares it. */
export interface RecentExecution {
  readonly execId: string;
  readonly tradeId: string;
  /** Resolved by the caller: the trade's own owner, else its account's. */
  readonly beneficialOwner: string;
  readonly isin: string;
  readonly side: Side;
  readonly quantity: Dec;
  readonly price: Dec;
  readonly tradeTime: string;
}

/** The facts about one trade that its validation rules read. */
export interface ValidationContext {
  /** The listing of the trade's ISIN on its venue (MIC). */
  readonly instrument: Instrument | undefined;
  readonly account: Account | undefined;
  readonly counterparty: Counterparty | undefined;
  /** The SSI the trade would settle with (see selectSsi), active or not, or undefined when none exists. */
  readonly ssi: Ssi | undefined;
  readonly referencePrice: ReferencePrice | undefined;
  /**
   * The account's signed position in the instrument before this trade (long positive). For an amend, the
   * position without the version being replaced.
   */
  readonly positionQuantity: Dec;
  /** Restricted-list entries of the trade's ISIN (any dates: the rule compares them with the trade date). */
  readonly restrictions: readonly RestrictedEntry[];
  /** Units of the account's base currency per unit of the trade currency on the trade date, when they differ. */
  readonly fxRateToBase: Dec | undefined;
  /** Calendars by MIC: the venue's for the trade date, the settlement market's for the settlement date. */
  readonly calendars: ReadonlyMap<string, HolidayCalendar>;
  readonly settlementCycles: readonly SettlementCycleRule[];
  readonly thresholds: ValidationThresholds;
  /** Whether a trade event with this ExecID was already captured (accepted or rejected). */
  readonly execIdSeen: boolean;
  /** Executions of the same beneficial owner and instrument near the trade time. */
  readonly recentExecutions: readonly RecentExecution[];
}

/** The facts for a batch of trades, keyed for lookup; every collection covers only the batch's keys. */
export interface ValidationSnapshot {
  /** By {@link listingKey}(isin, mic). */
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** By account id. */
  readonly accounts: ReadonlyMap<string, Account>;
  /** By LEI. */
  readonly counterparties: ReadonlyMap<string, Counterparty>;
  /** All SSIs of the batch's accounts. */
  readonly ssis: readonly Ssi[];
  /** By {@link referencePriceKey}(isin, trade date): the price each trade is compared with (its previous close). */
  readonly referencePrices: ReadonlyMap<string, ReferencePrice>;
  /** By {@link positionKey}(account, isin); a missing key is a flat position. */
  readonly positions: ReadonlyMap<string, Dec>;
  /** Entries for the batch's ISINs. */
  readonly restrictions: readonly RestrictedEntry[];
  /** By {@link fxRateKey}(from, to, date). */
  readonly fxRates: ReadonlyMap<string, Dec>;
  readonly calendars: ReadonlyMap<string, HolidayCalendar>;
  readonly settlementCycles: readonly SettlementCycleRule[];
  readonly thresholds: ValidationThresholds;
  /** The batch's ExecIDs that were already captured. */
  readonly seenExecIds: ReadonlySet<string>;
  /** Executions of the batch's beneficial owners in the batch's instruments within the wash window. */
  readonly recentExecutions: readonly RecentExecution[];
}

export function listingKey(isin: string, mic: string): string {
  return `${isin}|${mic}`;
}

export function positionKey(account: string, isin: string): string {
  return `${account}|${isin}`;
}

/** A batch spans trade dates: each trade is compared with the reference price for its own date. */
export function referencePriceKey(isin: string, tradeDate: string): string {
  return `${isin}|${tradeDate}`;
}

export function fxRateKey(from: string, to: string, date: string): string {
  return `${from}/${to}|${date}`;
}

/** The beneficial owner of a trade: stated on the trade, else the account's. */
export function beneficialOwnerOf(trade: Trade, account: Account | undefined): string | undefined {
  return trade.beneficialOwner ?? account?.beneficialOwner;
}

/** One trade's {@link ValidationContext}, picked out of a batch snapshot. */
export function contextFor(trade: Trade, snapshot: ValidationSnapshot): ValidationContext {
  const instrument = snapshot.instruments.get(listingKey(trade.isin, trade.mic));
  const account = snapshot.accounts.get(trade.account);
  const owner = beneficialOwnerOf(trade, account);
  return {
    instrument,
    account,
    counterparty: snapshot.counterparties.get(trade.counterpartyLei),
    ssi:
      instrument &&
      selectSsi(snapshot.ssis, {
        account: trade.account,
        counterpartyLei: trade.counterpartyLei,
        market: instrument.settlementMarket,
        currency: trade.currency,
      }),
    referencePrice: snapshot.referencePrices.get(referencePriceKey(trade.isin, trade.tradeDate)),
    positionQuantity: snapshot.positions.get(positionKey(trade.account, trade.isin)) ?? new Dec(0),
    restrictions: snapshot.restrictions.filter((entry) => entry.isin === trade.isin),
    fxRateToBase:
      account === undefined || account.baseCurrency === trade.currency
        ? new Dec(1)
        : snapshot.fxRates.get(fxRateKey(trade.currency, account.baseCurrency, trade.tradeDate)),
    calendars: snapshot.calendars,
    settlementCycles: snapshot.settlementCycles,
    thresholds: snapshot.thresholds,
    execIdSeen: snapshot.seenExecIds.has(trade.execId),
    recentExecutions: snapshot.recentExecutions.filter(
      (execution) => execution.beneficialOwner === owner && execution.isin === trade.isin,
    ),
  };
}
