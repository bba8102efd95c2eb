/**
 * fast-check generators of realistic domain values for the property tests: identifiers with valid check digits
 * (computed here independently of lib/domain/refdata), decimal strings within an instrument's allowed decimals,
 * dates within the seed calendars, and trade events that pass validation against the seed reference data.
 */
import fc from 'fast-check';

import { addCalendarDays, fromDayNumber, toDayNumber } from '../../lib/domain/calendar';
import { Side, TradeAction, type SplitEvent, type TradeEvent } from '../../lib/domain/lots';
import { Dec, MINOR_UNITS, Rounding } from '../../lib/domain/money';
import { Account, Counterparty, Instrument, selectSsi } from '../../lib/domain/refdata';
import { resolveCycle, settlementDate } from '../../lib/domain/settlement-date';
import type { TradeEventV1 } from '../../lib/kafka/schemas/trade-event';
import { SeedReferenceData, fxRate, previousClose, seedReferenceData } from './seed-reference-data';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const ALPHANUMERIC = UPPER + DIGITS;

/** `length` characters of `alphabet` (indexes drawn, not fc.string: its per-value tokenising is costly here). */
function charsOf(alphabet: string, length: number): fc.Arbitrary<string> {
  return fc
    .array(fc.nat({ max: alphabet.length - 1 }), { minLength: length, maxLength: length })
    .map((indexes) => indexes.map((index) => alphabet.charAt(index)).join(''));
}

/** A letter as ISO 6166 and ISO 7064 expand it: 0-9 themselves, A = 10 … Z = 35. */
function expand(text: string): string {
  return [...text].map((char) => (DIGITS.includes(char) ? char : String(UPPER.indexOf(char) + 10))).join('');
}

/** The ISO 6166 check digit of the first 11 characters of an ISIN: Luhn over the expanded digits. */
export function isinCheckDigit(body: string): string {
  const digits = expand(body);
  let sum = 0;
  // The check digit will sit at the right, undoubled, so doubling starts with the body's last digit.
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return String((10 - (sum % 10)) % 10);
}

/** An ISIN with a valid check digit: a 2-letter country prefix, 9 alphanumerics, the check digit. */
export function isinArbitrary(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom('US', 'GB', 'DE', 'FR', 'NL', 'CH', 'JP', 'IE', 'LU'), charsOf(ALPHANUMERIC, 9))
    .map(([country, rest]) => country + rest + isinCheckDigit(country + rest));
}

/** The two ISO 7064 MOD 97-10 check digits of an LEI's first 18 characters. */
export function leiCheckDigits(body: string): string {
  const remainder = BigInt(expand(`${body}00`)) % 97n;
  return String(98n - remainder).padStart(2, '0');
}

/** An ISO 17442 LEI with valid check digits. */
export function leiArbitrary(): fc.Arbitrary<string> {
  return charsOf(ALPHANUMERIC, 18).map((body) => body + leiCheckDigits(body));
}

/** An identifier as the schema allows them (1-64 characters), in the shapes venues and OMSs send. */
export function identifierArbitrary(prefix: string): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 1, max: 99_999_999 }), charsOf(ALPHANUMERIC, 4))
    .map(([n, tail]) => `${prefix}-${String(n).padStart(8, '0')}-${tail}`);
}

/** `units` × 10^-decimals as a canonical decimal string, written with exactly `decimals` places. */
export function formatUnits(units: bigint, decimals: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, '0');
  const text = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return negative ? `-${text}` : text;
}

/** A decimal string between `min` and `max` minor units, with `decimals` places. */
export function decimalString(min: bigint, max: bigint, decimals: number): fc.Arbitrary<string> {
  return fc.bigInt({ min, max }).map((units) => formatUnits(units, decimals));
}

/** An ISO 8601 UTC timestamp on `date`, in venue hours (07:00-16:59:59.999 UTC). */
export function tradeTimeOn(date: string): fc.Arbitrary<string> {
  return fc
    .integer({ min: 7 * 3_600_000, max: 17 * 3_600_000 - 1 })
    .map((ms) => `${date}T${new Date(ms).toISOString().slice(11)}`);
}

/** Dates from `first` to `last` inclusive. */
export function datesBetween(first: string, last: string): string[] {
  const dates: string[] = [];
  for (let day = toDayNumber(first); day <= toDayNumber(last); day++) dates.push(fromDayNumber(day));
  return dates;
}

/** A valid trade event and the reference data it was drawn from. */
export interface SeedTrade {
  readonly event: TradeEventV1;
  readonly instrument: Instrument;
  readonly account: Account;
  readonly counterparty: Counterparty;
  /** The previous close the price was drawn around. */
  readonly referencePrice: Dec;
  /** Units of the account's base currency per unit of the trade currency on the trade date. */
  readonly fxRateToBase: Dec;
  /** The settlement date the cycle gives. */
  readonly expectedSettlementDate: string;
}

interface Listing {
  readonly instrument: Instrument;
  readonly tradeDates: readonly string[];
}

const listingsByData = new WeakMap<SeedReferenceData, Listing[]>();

/**
 * Active listings with the trade dates a valid trade can have: business days of the venue with a previous close
 * within the lookback, outside any restriction of the ISIN.
 */
function listings(data: SeedReferenceData): Listing[] {
  let cached = listingsByData.get(data);
  if (cached) return cached;
  const days = datesBetween(addCalendarDays(data.firstCloseDate, 1), data.lastCloseDate);
  cached = data.instruments
    .filter((instrument) => instrument.active)
    .map((instrument) => {
      const calendar = data.calendars.get(instrument.mic);
      const tradeDates = days.filter(
        (date) =>
          calendar?.isBusinessDay(date) === true &&
          previousClose(data, instrument.isin, date) !== undefined &&
          !data.restrictions.some(
            (entry) =>
              entry.isin === instrument.isin && entry.from <= date && (entry.to === undefined || date <= entry.to),
          ),
      );
      return { instrument, tradeDates };
    })
    .filter((listing) => listing.tradeDates.length > 0);
  listingsByData.set(data, cached);
  return cached;
}

/** The largest whole number of lots that keeps `quantity × price × fx` within the notional limit. */
function maxLotsWithin(account: Account, instrument: Instrument, price: Dec, fx: Dec): bigint {
  const positionLots = account.positionLimit.isFinite()
    ? BigInt(account.positionLimit.div(instrument.lotSize).floor().toFixed())
    : 1_000_000n;
  const perLot = price.times(fx).times(instrument.lotSize);
  const notionalLots = account.notionalLimit.isFinite()
    ? BigInt(account.notionalLimit.div(perLot).floor().toFixed())
    : 1_000_000n;
  const lots = [positionLots, notionalLots, 1_000_000n].reduce((a, b) => (a < b ? a : b));
  // The division rounds at Dec's 40 digits: step down until the product is within the limit for certain.
  let safe = lots;
  while (safe > 0n && perLot.times(safe.toString()).greaterThan(account.notionalLimit)) safe -= 1n;
  return safe;
}

/**
 * A trade event that passes every validation rule against the seed reference data (no trades booked before it):
 * an active listing on one of its business days with a previous close, an active account with an active SSI for
 * the market and currency and an FX rate to its base currency, an active counterparty, a price within ±4.5 % of
 * the previous close on the instrument's tick precision (the seed's band is 5 %), a whole number of lots within
 * the account's position and notional limits, charges in the currency's minor units, and either no settlement
 * date or the one the cycle gives.
 */
export function validSeedTradeArbitrary(data: SeedReferenceData = seedReferenceData()): fc.Arbitrary<SeedTrade> {
  const counterparties = data.counterparties.filter((counterparty) => counterparty.active);
  const eligible = new Map<string, Account[]>();
  const accountsFor = (instrument: Instrument, tradeDate: string, counterparty: Counterparty): Account[] => {
    const key = `${instrument.isin}|${instrument.mic}|${tradeDate}|${counterparty.lei}`;
    let accounts = eligible.get(key);
    if (accounts === undefined) {
      accounts = data.accounts.filter(
        (account) =>
          account.active &&
          fxRate(data, instrument.currency, account.baseCurrency, tradeDate) !== undefined &&
          selectSsi(data.ssis, {
            account: account.id,
            counterpartyLei: counterparty.lei,
            market: instrument.settlementMarket,
            currency: instrument.currency,
          })?.active === true,
      );
      eligible.set(key, accounts);
    }
    return accounts;
  };
  // Everything drawn up front and combined in one map: building arbitraries per case (chain) costs more than the
  // checks themselves, and a flat tuple shrinks better.
  return fc
    .record({
      listing: fc.constantFrom(...listings(data)),
      counterparty: fc.constantFrom(...counterparties),
      dateIndex: fc.nat(),
      accountIndex: fc.nat(),
      bps: fc.integer({ min: -450, max: 450 }),
      // Most trades are a few hundred lots; some go up to the account's limits.
      lotShare: fc.oneof(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 1_000_000 }).map((n) => -n),
      ),
      execId: identifierArbitrary('EX'),
      tradeId: identifierArbitrary('TR'),
      lifecycle: fc.constantFrom('NEW', 'NEW', 'NEW', 'AMEND'),
      amendVersion: fc.integer({ min: 2, max: 9 }),
      side: fc.constantFrom('BUY', 'SELL'),
      timeOfDayMs: fc.integer({ min: 7 * 3_600_000, max: 17 * 3_600_000 - 1 }),
      commissionUnits: fc.bigInt({ min: 0n, max: 50_000n }),
      feeUnits: fc.bigInt({ min: 0n, max: 5_000n }),
      statesSettlementDate: fc.boolean(),
      statesOwner: fc.boolean(),
      source: fc.option(fc.constantFrom('XNYS-DROP', 'OMS', 'FILE', 'SIMULATOR'), { nil: undefined }),
    })
    .map((drawn): SeedTrade => {
      const { instrument, tradeDates } = drawn.listing;
      const tradeDate = tradeDates[drawn.dateIndex % tradeDates.length];
      const close = tradeDate === undefined ? undefined : previousClose(data, instrument.isin, tradeDate);
      const accounts = tradeDate === undefined ? [] : accountsFor(instrument, tradeDate, drawn.counterparty);
      const account = accounts[drawn.accountIndex % accounts.length];
      const cycle =
        tradeDate &&
        resolveCycle(data.settlementCycles, instrument.settlementMarket, instrument.instrumentType, tradeDate);
      const calendar = data.calendars.get(instrument.settlementCalendarMic);
      if (!tradeDate || !close || !account || !cycle || !calendar) {
        throw new Error(`the seed cannot trade, or settle, ${instrument.isin} on ${tradeDate ?? '?'}`);
      }
      const fx = fxRate(data, instrument.currency, account.baseCurrency, tradeDate) ?? new Dec(1);
      const price = close.price
        .times(10_000 + drawn.bps)
        .div(10_000)
        .toDecimalPlaces(instrument.priceDecimals, Rounding.HALF_EVEN);
      const maxLots = maxLotsWithin(account, instrument, price, fx);
      if (maxLots < 1n) throw new Error(`${account.id} cannot buy one lot of ${instrument.isin} at ${price.toFixed()}`);
      const lots =
        drawn.lotShare > 0
          ? BigInt(drawn.lotShare) > maxLots
            ? maxLots
            : BigInt(drawn.lotShare)
          : 1n + ((maxLots - 1n) * BigInt(-drawn.lotShare)) / 1_000_000n;
      const minor = MINOR_UNITS[instrument.currency] ?? 2;
      const expected = settlementDate(tradeDate, cycle.days, calendar);
      const event: TradeEventV1 = {
        schemaVersion: 1,
        execId: drawn.execId,
        tradeId: drawn.tradeId,
        version: drawn.lifecycle === 'NEW' ? 1 : drawn.amendVersion,
        lifecycle: drawn.lifecycle,
        account: account.id,
        counterpartyLei: drawn.counterparty.lei,
        isin: instrument.isin,
        mic: instrument.mic,
        side: drawn.side,
        quantity: instrument.lotSize.times(lots.toString()).toFixed(),
        price: price.toFixed(instrument.priceDecimals),
        currency: instrument.currency,
        tradeDate,
        tradeTime: `${tradeDate}T${new Date(drawn.timeOfDayMs).toISOString().slice(11)}`,
        commission: formatUnits(drawn.commissionUnits, minor),
        fees: formatUnits(drawn.feeUnits, minor),
        ...(drawn.statesSettlementDate ? { settlementDate: expected } : {}),
        ...(drawn.statesOwner ? { beneficialOwner: account.beneficialOwner } : {}),
        ...(drawn.source === undefined ? {} : { source: drawn.source }),
      };
      return {
        event,
        instrument,
        account,
        counterparty: drawn.counterparty,
        referencePrice: close.price,
        fxRateToBase: fx,
        expectedSettlementDate: expected,
      };
    });
}

/** A trade version as positions book it, with the account and instrument it belongs to. */
export interface PositionScenario {
  readonly instrument: Instrument;
  readonly account: Account;
  /** NEW versions of distinct trades, then splits, in no particular order. */
  readonly trades: readonly TradeEvent[];
  readonly splits: readonly SplitEvent[];
  /** The end-of-day mark the position is valued at, after the last event. */
  readonly mark: { readonly date: string; readonly price: Dec; readonly fxRateToBase: Dec };
}

/** Split ratios whose results are always exact decimals (denominators 1, 2, 4, 5, 10). */
const SPLIT_RATIOS: readonly (readonly [number, number])[] = [
  [2, 1],
  [3, 1],
  [3, 2],
  [5, 4],
  [1, 2],
  [1, 10],
];

/**
 * One account's trades in one seed instrument: 1-25 buys and sells on the instrument's trading days in the seed,
 * priced within ±20 % of the previous close on its tick, whole lots, charges in the currency's minor units, FX to
 * the account's base currency at each trade date; now and then a split. The mark is a close after the last trade.
 */
export function positionScenarioArbitrary(
  data: SeedReferenceData = seedReferenceData(),
): fc.Arbitrary<PositionScenario> {
  const choices = listings(data).flatMap((listing) =>
    data.accounts
      .filter((account) =>
        listing.tradeDates.every((date) => fxRate(data, listing.instrument.currency, account.baseCurrency, date)),
      )
      .map((account) => ({ listing, account })),
  );
  const tradeDraw = fc.record({
    dateIndex: fc.nat(),
    timeOfDayMs: fc.integer({ min: 7 * 3_600_000, max: 17 * 3_600_000 - 1 }),
    side: fc.constantFrom(Side.BUY, Side.SELL),
    // Round sizes often, so that positions close out exactly and flip as often as they partly close.
    lots: fc.oneof(
      fc.constantFrom(100, 200, 300, 500),
      fc.integer({ min: 1, max: 100 }),
      fc.integer({ min: 1, max: 5_000 }),
    ),
    bps: fc.integer({ min: -2_000, max: 2_000 }),
    feeUnits: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 5_000n })),
  });
  const splitDraw = fc.record({ dateIndex: fc.nat(), ratio: fc.constantFrom(...SPLIT_RATIOS) });
  return fc
    .record({
      choice: fc.constantFrom(...choices),
      trades: fc.array(tradeDraw, { minLength: 1, maxLength: 25 }),
      splits: fc.oneof(
        { weight: 4, arbitrary: fc.constant<{ dateIndex: number; ratio: readonly [number, number] }[]>([]) },
        { weight: 1, arbitrary: fc.array(splitDraw, { maxLength: 2 }) },
      ),
      markBps: fc.integer({ min: -3_000, max: 3_000 }),
      closesOut: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    })
    .map(({ choice, trades, splits, markBps, closesOut }): PositionScenario => {
      const { instrument, tradeDates } = choice.listing;
      const { account } = choice;
      const minor = MINOR_UNITS[instrument.currency] ?? 2;
      const dateAt = (index: number): string => tradeDates[index % tradeDates.length] ?? tradeDates[0] ?? '';
      const closeOn = (date: string): Dec => previousClose(data, instrument.isin, date)?.price ?? new Dec(1);
      const priced = (reference: Dec, bps: number): Dec =>
        Dec.max(
          reference
            .times(10_000 + bps)
            .div(10_000)
            .toDecimalPlaces(instrument.priceDecimals),
          new Dec(1).div(new Dec(10).times(10 ** Math.max(instrument.priceDecimals - 1, 0))),
        );
      const tradeEvents = trades.map((draw, index): TradeEvent => {
        const tradeDate = dateAt(draw.dateIndex);
        return {
          kind: 'TRADE',
          tradeId: `TR-${String(index + 1).padStart(4, '0')}`,
          version: 1,
          action: TradeAction.NEW,
          side: draw.side,
          quantity: instrument.lotSize.times(draw.lots),
          price: priced(closeOn(tradeDate), draw.bps),
          fees: new Dec(formatUnits(draw.feeUnits, minor)),
          tradeDate,
          tradeTime: `${tradeDate}T${new Date(draw.timeOfDayMs).toISOString().slice(11)}`,
          currency: instrument.currency,
          fxRateToBase: fxRate(data, instrument.currency, account.baseCurrency, tradeDate) ?? new Dec(1),
        };
      });
      const splitEvents = splits.map((draw, index): SplitEvent => ({
        kind: 'SPLIT',
        corporateActionId: `CA-${index + 1}`,
        numerator: new Dec(draw.ratio[0]),
        denominator: new Dec(draw.ratio[1]),
        effectiveDate: dateAt(draw.dateIndex),
      }));
      // One scenario in five (without splits) ends flat: a last trade of the day closes whatever is open.
      const open = tradeEvents.reduce(
        (sum, trade) => (trade.side === Side.BUY ? sum.plus(trade.quantity) : sum.minus(trade.quantity)),
        new Dec(0),
      );
      const last = tradeEvents.reduce<TradeEvent | undefined>(
        (latest, trade) => (latest === undefined || trade.tradeDate > latest.tradeDate ? trade : latest),
        undefined,
      );
      if (closesOut && splitEvents.length === 0 && last !== undefined && !open.isZero()) {
        tradeEvents.push({
          ...last,
          tradeId: `TR-${String(tradeEvents.length + 1).padStart(4, '0')}`,
          side: open.isPositive() ? Side.SELL : Side.BUY,
          quantity: open.abs(),
          tradeTime: `${last.tradeDate}T16:59:59.999Z`,
        });
      }
      const lastDate =
        [...tradeEvents.map((t) => t.tradeDate), ...splitEvents.map((s) => s.effectiveDate)].sort().pop() ?? '';
      return {
        instrument,
        account,
        trades: tradeEvents,
        splits: splitEvents,
        mark: {
          date: lastDate,
          price: priced(closeOn(lastDate), markBps),
          fxRateToBase: fxRate(data, instrument.currency, account.baseCurrency, lastDate) ?? new Dec(1),
        },
      };
    });
}
