/**
 * Property tests of validation and compliance (lib/domain/validation) on trades drawn from the seed reference data
 * (test/helpers/arbitraries.ts): valid trades pass, whatever the layout of their JSON; every single-field
 * corruption, and every change of the reference data a rule reads, is caught by that rule's code.
 *
 * A failure prints fast-check's seed and path; test/helpers/property.ts says how to replay it.
 */
import fc from 'fast-check';

import assert from 'node:assert/strict';

import { HolidayCalendar, addCalendarDays, toDayNumber } from '../../../lib/domain/calendar';
import { Dec, MINOR_UNITS } from '../../../lib/domain/money';
import { Trade } from '../../../lib/domain/trade';
import {
  ValidationCode,
  ValidationSnapshot,
  listingKey,
  positionKey,
  referencePriceKey,
  validateBatch,
} from '../../../lib/domain/validation';
import { decodeRecords } from '../../../lib/kafka/decode';
import { TradeEventV1, decodeTradeEvent } from '../../../lib/kafka/schemas/trade-event';
import { tradeContentHash } from '../../../lib/pipeline/validate';
import {
  SeedTrade,
  datesBetween,
  decimalString,
  isinArbitrary,
  leiArbitrary,
  validSeedTradeArbitrary,
} from '../../helpers/arbitraries';
import { rawKafkaEvent } from '../../helpers/kafka-events';
import { seedReferenceData, seedSnapshot } from '../../helpers/seed-reference-data';

const data = seedReferenceData();
const trades = validSeedTradeArbitrary(data);
import { propertyRuns } from '../../helpers/property';

/** Runs of each property; their sum is this file's share of the suite's generated cases. */
const RUNS = { valid: 800, reordered: 500, fieldCorruptions: 2000, referenceCorruptions: 1500, cancels: 300 };

/** The JSON bytes of a trade event, its fields in the given order, laid out with `indent`. */
function wireBytes(event: TradeEventV1, order: readonly string[], indent?: number | string): Buffer {
  const fields = new Map(Object.entries(event));
  const reordered = Object.fromEntries(order.map((name) => [name, fields.get(name)]));
  return Buffer.from(JSON.stringify(reordered, null, indent));
}

/** As the validation stage does it: decode the records of an event, validate the decoded batch on a snapshot. */
function decodeAndValidate(
  values: readonly Buffer[],
  snapshotOf: (trades: readonly Trade[]) => ValidationSnapshot = seedSnapshot,
) {
  const decoded = decodeRecords(rawKafkaEvent('trades.captured', values), decodeTradeEvent);
  const tradesDecoded = decoded.flatMap((record) => {
    if (!record.ok) throw new Error(`did not decode: ${JSON.stringify(record.errors)}`);
    return [record.value];
  });
  return validateBatch(tradesDecoded, snapshotOf(tradesDecoded));
}

type Outcome = ReturnType<typeof decodeAndValidate>[number];

function onlyOutcome(outcomes: readonly Outcome[]): Outcome {
  const [outcome, ...rest] = outcomes;
  if (outcome === undefined || rest.length > 0) throw new Error(`expected one outcome, got ${outcomes.length}`);
  return outcome;
}

/** The distinct codes a validation reported, sorted; none for an accepted trade. */
function codesOf(outcome: Outcome): ValidationCode[] {
  return outcome.result.ok ? [] : [...new Set(outcome.result.errors.map((error) => error.code))].sort();
}

describe('validation of trades drawn from the seed reference data', () => {
  it('accepts every valid trade, with the settlement date of its cycle: a business day of its market, after the trade date', () => {
    fc.assert(
      fc.property(trades, (seed) => {
        const outcome = onlyOutcome(decodeAndValidate([Buffer.from(JSON.stringify(seed.event))]));
        if (!outcome.result.ok) throw new Error(`rejected: ${JSON.stringify(outcome.result)}`);
        const settlement = outcome.result.value.settlementDate;
        assert.equal(settlement, seed.expectedSettlementDate);
        assert.equal(data.calendars.get(seed.instrument.settlementCalendarMic)?.isBusinessDay(settlement), true);
        assert.ok(toDayNumber(settlement) > toDayNumber(seed.event.tradeDate), `${settlement} after the trade date`);
      }),
      propertyRuns(RUNS.valid),
    );
  });

  it('a valid trade stays valid, with the same settlement date and content hash, whatever the order and layout of its JSON fields', () => {
    const reorderings = trades.chain((seed) =>
      fc.record({
        seed: fc.constant(seed),
        order: fc.shuffledSubarray(Object.keys(seed.event), { minLength: Object.keys(seed.event).length }),
        indent: fc.constantFrom(undefined, 1, 2, '\t'),
      }),
    );
    fc.assert(
      fc.property(reorderings, ({ seed, order, indent }) => {
        const inOrder = onlyOutcome(decodeAndValidate([wireBytes(seed.event, Object.keys(seed.event))]));
        const reordered = onlyOutcome(decodeAndValidate([wireBytes(seed.event, order, indent)]));
        if (!inOrder.result.ok || !reordered.result.ok) {
          throw new Error(`rejected: ${JSON.stringify([inOrder.result, reordered.result])}`);
        }
        assert.equal(reordered.result.value.settlementDate, inOrder.result.value.settlementDate);
        assert.equal(tradeContentHash(reordered.trade), tradeContentHash(inOrder.trade));
      }),
      propertyRuns(RUNS.reordered),
    );
  });
});

/**
 * A corruption of one thing a rule reads: `caughtBy` are the codes that must be reported (the rule's own), and
 * `mayAlsoRaise` the ones the same change legitimately trips as well (a trade in another currency has no SSI in
 * it, for example). Anything else reported is a rule misfiring.
 */
interface Corruption {
  readonly name: string;
  readonly caughtBy: readonly ValidationCode[];
  readonly mayAlsoRaise?: readonly ValidationCode[];
  /** The corrupted trade event and, for reference-data changes, the changed snapshot; undefined: not applicable. */
  readonly corrupt: (
    seed: SeedTrade,
  ) => fc.Arbitrary<
    { event: TradeEventV1; snapshot?: (snapshot: ValidationSnapshot) => ValidationSnapshot } | undefined
  >;
}

const C = ValidationCode;
const seedIsins = new Set(data.instruments.map((instrument) => instrument.isin));
const seedLeis = new Set(data.counterparties.map((counterparty) => counterparty.lei));
const seedMics = [...new Set(data.instruments.map((instrument) => instrument.mic))];
const knownCurrencies = Object.keys(MINOR_UNITS);
/** Weekend days and holidays of each seed venue within the seed's closes, with their day numbers. */
const closedDays = new Map(
  seedMics.map((mic) => [
    mic,
    datesBetween(data.firstCloseDate, data.lastCloseDate)
      .filter((date) => data.calendars.get(mic)?.isBusinessDay(date) === false)
      .map((date) => ({ date, day: toDayNumber(date) })),
  ]),
);

function change(event: TradeEventV1, fields: Partial<TradeEventV1>) {
  return { event: { ...event, ...fields } };
}

/** One more decimal place than `decimals`, never zero in it. */
function oneDecimalTooMany(value: string, decimals: number): fc.Arbitrary<string> {
  return fc
    .integer({ min: 1, max: 9 })
    .map((digit) => new Dec(value).plus(new Dec(digit).div(new Dec(10).times(10 ** decimals))).toFixed(decimals + 1));
}

const fieldCorruptions: readonly Corruption[] = [
  {
    name: 'isin: another valid ISIN, not listed',
    caughtBy: [C.INSTRUMENT_UNKNOWN],
    corrupt: (seed) =>
      isinArbitrary()
        .filter((isin) => !seedIsins.has(isin))
        .map((isin) => change(seed.event, { isin })),
  },
  {
    name: 'mic: another seed venue, where the ISIN is not listed',
    caughtBy: [C.INSTRUMENT_UNKNOWN],
    mayAlsoRaise: [C.TRADE_DATE_NOT_BUSINESS_DAY],
    corrupt: (seed) =>
      fc.constantFrom(...seedMics.filter((mic) => mic !== seed.event.mic)).map((mic) => change(seed.event, { mic })),
  },
  {
    name: 'mic: a venue the platform has no calendar for',
    caughtBy: [C.INSTRUMENT_UNKNOWN, C.CALENDAR_UNKNOWN],
    corrupt: (seed) => fc.constantFrom('XPAR', 'XAMS', 'XTKS', 'XSWX').map((mic) => change(seed.event, { mic })),
  },
  {
    name: 'account: unknown',
    // No SSI can exist for an unknown account.
    caughtBy: [C.ACCOUNT_UNKNOWN, C.SSI_MISSING],
    corrupt: (seed) =>
      fc
        .integer({ min: 21, max: 999 })
        .map((n) => change(seed.event, { account: `ACC-${String(n).padStart(3, '0')}` })),
  },
  {
    name: 'counterpartyLei: another valid LEI, unknown',
    caughtBy: [C.COUNTERPARTY_UNKNOWN],
    corrupt: (seed) =>
      leiArbitrary()
        .filter((lei) => !seedLeis.has(lei))
        .map((counterpartyLei) => change(seed.event, { counterpartyLei })),
  },
  {
    name: 'counterpartyLei: an inactive counterparty',
    caughtBy: [C.COUNTERPARTY_INACTIVE],
    corrupt: (seed) =>
      fc
        .constantFrom(...data.counterparties.filter((c) => !c.active))
        .map((counterparty) => change(seed.event, { counterpartyLei: counterparty.lei })),
  },
  {
    name: "currency: another known currency than the instrument's",
    caughtBy: [C.CURRENCY_MISMATCH],
    // The account has no SSI or FX rate in every currency, JPY has no minor units, and the notional converts anew.
    mayAlsoRaise: [C.SSI_MISSING, C.SSI_INACTIVE, C.FX_RATE_MISSING, C.AMOUNT_DECIMALS, C.NOTIONAL_LIMIT],
    corrupt: (seed) =>
      fc
        .constantFrom(...knownCurrencies.filter((currency) => currency !== seed.event.currency))
        .map((currency) => change(seed.event, { currency })),
  },
  {
    name: 'currency: a code with no ISO 4217 minor units',
    caughtBy: [C.CURRENCY_MISMATCH, C.CURRENCY_UNKNOWN, C.SSI_MISSING, C.FX_RATE_MISSING],
    corrupt: (seed) => fc.constantFrom('XAU', 'ZZZ', 'BTC', 'USN').map((currency) => change(seed.event, { currency })),
  },
  {
    name: 'quantity: zero or negative',
    caughtBy: [C.QUANTITY_NOT_POSITIVE],
    corrupt: (seed) =>
      fc
        .constantFrom('0', '0.0', '-0', `-${seed.event.quantity}`, '-1')
        .map((quantity) => change(seed.event, { quantity })),
  },
  {
    name: 'quantity: not a whole number of lots',
    caughtBy: [C.LOT_SIZE],
    corrupt: (seed) =>
      fc.integer({ min: 1, max: 99 }).map((hundredths) =>
        change(seed.event, {
          quantity: new Dec(seed.event.quantity).minus(seed.instrument.lotSize.times(hundredths).div(100)).toFixed(),
        }),
      ),
  },
  {
    name: "quantity: beyond the account's position limit",
    caughtBy: [C.POSITION_LIMIT],
    mayAlsoRaise: [C.NOTIONAL_LIMIT],
    corrupt: (seed) =>
      fc.integer({ min: 1, max: 1000 }).map((lots) =>
        change(seed.event, {
          quantity: seed.account.positionLimit.plus(seed.instrument.lotSize.times(lots)).toFixed(),
        }),
      ),
  },
  {
    name: 'price: zero or negative',
    caughtBy: [C.PRICE_NOT_POSITIVE, C.PRICE_TOLERANCE],
    corrupt: (seed) =>
      fc.constantFrom('0', '0.00', `-${seed.event.price}`).map((price) => change(seed.event, { price })),
  },
  {
    name: 'price: one decimal more than the instrument allows',
    caughtBy: [C.PRICE_DECIMALS],
    mayAlsoRaise: [C.NOTIONAL_LIMIT],
    corrupt: (seed) =>
      oneDecimalTooMany(seed.event.price, seed.instrument.priceDecimals).map((price) => change(seed.event, { price })),
  },
  {
    name: 'price: outside the fat-finger band',
    caughtBy: [C.PRICE_TOLERANCE],
    mayAlsoRaise: [C.NOTIONAL_LIMIT],
    corrupt: (seed) =>
      fc.tuple(fc.integer({ min: 600, max: 9000 }), fc.boolean()).map(([bps, up]) =>
        change(seed.event, {
          price: seed.referencePrice
            .times(10_000 + (up ? bps : -bps))
            .div(10_000)
            .toDecimalPlaces(seed.instrument.priceDecimals)
            .toFixed(seed.instrument.priceDecimals),
        }),
      ),
  },
  ...(['commission', 'fees'] as const).flatMap((field): Corruption[] => [
    {
      name: `${field}: negative`,
      caughtBy: [C.CHARGES_NEGATIVE],
      corrupt: (seed) =>
        decimalString(-100_000n, -1n, MINOR_UNITS[seed.event.currency] ?? 2).map((amount) =>
          change(seed.event, { [field]: amount }),
        ),
    },
    {
      name: `${field}: more decimals than the currency's minor units`,
      caughtBy: [C.AMOUNT_DECIMALS],
      corrupt: (seed) =>
        oneDecimalTooMany(seed.event[field], MINOR_UNITS[seed.event.currency] ?? 2).map((amount) =>
          change(seed.event, { [field]: amount }),
        ),
    },
  ]),
  {
    name: 'tradeDate: a weekend day or holiday of the venue nearby',
    caughtBy: [C.TRADE_DATE_NOT_BUSINESS_DAY],
    // Another day has another previous close, FX rate and restriction status, and a stated settlement date no
    // longer agrees with it.
    mayAlsoRaise: [
      C.PRICE_TOLERANCE,
      C.NOTIONAL_LIMIT,
      C.RESTRICTED_INSTRUMENT,
      C.SETTLEMENT_DATE_MISMATCH,
      C.SETTLEMENT_BEFORE_TRADE,
    ],
    corrupt: (seed) => {
      const day = toDayNumber(seed.event.tradeDate);
      const closed = (closedDays.get(seed.event.mic) ?? []).filter((closedDay) => Math.abs(closedDay.day - day) <= 10);
      return fc.constantFrom(...closed).map(({ date: tradeDate }) => ({
        event: { ...seed.event, tradeDate, tradeTime: `${tradeDate}${seed.event.tradeTime.slice(10)}` },
      }));
    },
  },
  {
    name: 'settlementDate: before the trade date',
    caughtBy: [C.SETTLEMENT_BEFORE_TRADE],
    corrupt: (seed) =>
      fc
        .integer({ min: 1, max: 30 })
        .map((days) => change(seed.event, { settlementDate: addCalendarDays(seed.event.tradeDate, -days) })),
  },
  {
    name: 'settlementDate: another date than the cycle gives',
    caughtBy: [C.SETTLEMENT_DATE_MISMATCH],
    corrupt: (seed) =>
      fc
        .integer({ min: 0, max: 30 })
        .map((days) => addCalendarDays(seed.event.tradeDate, days))
        .filter((settlementDate) => settlementDate !== seed.expectedSettlementDate)
        .map((settlementDate) => change(seed.event, { settlementDate })),
  },
];

function withInstrument(seed: SeedTrade, changes: Partial<SeedTrade['instrument']>) {
  return (snapshot: ValidationSnapshot): ValidationSnapshot => ({
    ...snapshot,
    instruments: new Map([
      ...snapshot.instruments,
      [listingKey(seed.instrument.isin, seed.instrument.mic), { ...seed.instrument, ...changes }],
    ]),
  });
}

function withAccount(seed: SeedTrade, changes: Partial<SeedTrade['account']>) {
  return (snapshot: ValidationSnapshot): ValidationSnapshot => ({
    ...snapshot,
    accounts: new Map([...snapshot.accounts, [seed.account.id, { ...seed.account, ...changes }]]),
  });
}

const unchanged = (seed: SeedTrade, snapshot: (snapshot: ValidationSnapshot) => ValidationSnapshot) =>
  fc.constant({ event: seed.event, snapshot });

const ssiOfTrade = (seed: SeedTrade) => (ssi: ValidationSnapshot['ssis'][number]) =>
  ssi.account === seed.account.id &&
  ssi.market === seed.instrument.settlementMarket &&
  ssi.currency === seed.event.currency;

const referenceCorruptions: readonly Corruption[] = [
  {
    name: 'instrument inactive',
    caughtBy: [C.INSTRUMENT_INACTIVE],
    corrupt: (seed) => unchanged(seed, withInstrument(seed, { active: false })),
  },
  {
    name: 'account inactive',
    caughtBy: [C.ACCOUNT_INACTIVE],
    corrupt: (seed) => unchanged(seed, withAccount(seed, { active: false })),
  },
  {
    name: "the account's SSIs for the market and currency removed",
    caughtBy: [C.SSI_MISSING],
    corrupt: (seed) =>
      unchanged(seed, (snapshot) => ({ ...snapshot, ssis: snapshot.ssis.filter((ssi) => !ssiOfTrade(seed)(ssi)) })),
  },
  {
    name: "the account's SSIs for the market and currency inactive",
    caughtBy: [C.SSI_INACTIVE],
    corrupt: (seed) =>
      unchanged(seed, (snapshot) => ({
        ...snapshot,
        ssis: snapshot.ssis.map((ssi) => (ssiOfTrade(seed)(ssi) ? { ...ssi, active: false } : ssi)),
      })),
  },
  {
    name: 'no reference price while one is required',
    caughtBy: [C.REFERENCE_PRICE_MISSING],
    corrupt: (seed) =>
      unchanged(seed, (snapshot) => {
        const referencePrices = new Map(snapshot.referencePrices);
        referencePrices.delete(referencePriceKey(seed.event.isin, seed.event.tradeDate));
        return { ...snapshot, referencePrices, thresholds: { ...snapshot.thresholds, requireReferencePrice: true } };
      }),
  },
  {
    name: 'no FX rate to the base currency',
    caughtBy: [C.FX_RATE_MISSING],
    corrupt: (seed) =>
      seed.account.baseCurrency === seed.event.currency
        ? fc.constant(undefined)
        : unchanged(seed, (snapshot) => ({ ...snapshot, fxRates: new Map() })),
  },
  {
    name: 'notional limit below the notional',
    caughtBy: [C.NOTIONAL_LIMIT],
    corrupt: (seed) =>
      fc.integer({ min: 1, max: 99 }).chain((percent) =>
        unchanged(
          seed,
          withAccount(seed, {
            notionalLimit: new Dec(seed.event.quantity)
              .times(seed.event.price)
              .times(seed.fxRateToBase)
              .times(percent)
              .div(100),
          }),
        ),
      ),
  },
  {
    name: 'position already at the limit on the same side',
    caughtBy: [C.POSITION_LIMIT],
    corrupt: (seed) =>
      unchanged(seed, (snapshot) => ({
        ...snapshot,
        positions: new Map([
          [
            positionKey(seed.account.id, seed.event.isin),
            seed.event.side === 'BUY' ? seed.account.positionLimit : seed.account.positionLimit.negated(),
          ],
        ]),
      })),
  },
  {
    name: 'restricted on the trade date',
    caughtBy: [C.RESTRICTED_INSTRUMENT],
    corrupt: (seed) =>
      fc
        .tuple(fc.integer({ min: 0, max: 30 }), fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }))
        .chain(([before, after]) =>
          unchanged(seed, (snapshot) => ({
            ...snapshot,
            restrictions: [
              ...snapshot.restrictions,
              {
                isin: seed.event.isin,
                from: addCalendarDays(seed.event.tradeDate, -before),
                ...(after === undefined ? {} : { to: addCalendarDays(seed.event.tradeDate, after) }),
              },
            ],
          })),
        ),
  },
  {
    name: "no calendar for the venue (which is also the settlement market's)",
    caughtBy: [C.CALENDAR_UNKNOWN],
    corrupt: (seed) =>
      unchanged(seed, (snapshot) => {
        const calendars = new Map(snapshot.calendars);
        calendars.delete(seed.event.mic);
        return { ...snapshot, calendars };
      }),
  },
  {
    name: "the venue's holiday data stops the year before the trade (its calendar covers earlier years only)",
    caughtBy: [C.CALENDAR_NOT_COVERED],
    corrupt: (seed) =>
      unchanged(seed, (snapshot) => {
        const calendars = new Map(snapshot.calendars);
        const year = Number(seed.event.tradeDate.slice(0, 4));
        calendars.set(
          seed.event.mic,
          new HolidayCalendar(seed.event.mic, [], { firstYear: year - 3, lastYear: year - 1 }),
        );
        return { ...snapshot, calendars };
      }),
  },
  {
    name: 'no settlement cycle for the market and instrument type',
    caughtBy: [C.SETTLEMENT_CYCLE_UNKNOWN],
    corrupt: (seed) =>
      unchanged(seed, (snapshot) => ({
        ...snapshot,
        settlementCycles: snapshot.settlementCycles.filter((rule) => rule.market !== seed.instrument.settlementMarket),
      })),
  },
  {
    name: 'ExecID already captured',
    caughtBy: [C.DUPLICATE_EXEC_ID],
    corrupt: (seed) => unchanged(seed, (snapshot) => ({ ...snapshot, seenExecIds: new Set([seed.event.execId]) })),
  },
  {
    name: 'the same owner on the other side at the same price and quantity, within the wash window',
    caughtBy: [C.WASH_TRADE],
    corrupt: (seed) =>
      fc
        .integer({ min: -data.thresholds.washTradeWindowSeconds, max: data.thresholds.washTradeWindowSeconds })
        .chain((seconds) =>
          unchanged(seed, (snapshot) => ({
            ...snapshot,
            recentExecutions: [
              {
                execId: `${seed.event.execId}-X`,
                tradeId: `${seed.event.tradeId}-X`,
                beneficialOwner: seed.event.beneficialOwner ?? seed.account.beneficialOwner,
                isin: seed.event.isin,
                side: seed.event.side === 'BUY' ? 'SELL' : 'BUY',
                quantity: new Dec(seed.event.quantity),
                price: new Dec(seed.event.price),
                tradeTime: new Date(Date.parse(seed.event.tradeTime) + seconds * 1000).toISOString(),
              },
            ],
          })),
        ),
  },
];

function checkCorruptions(corruptions: readonly Corruption[], numRuns: number): void {
  const cases = fc
    .tuple(trades, fc.constantFrom(...corruptions))
    .chain(([seed, corruption]) => corruption.corrupt(seed).map((corrupted) => ({ seed, corruption, corrupted })));
  fc.assert(
    fc.property(cases, ({ corruption, corrupted }) => {
      fc.pre(corrupted !== undefined);
      if (corrupted === undefined) return;
      const outcome = onlyOutcome(
        decodeAndValidate([Buffer.from(JSON.stringify(corrupted.event))], (decoded) =>
          (corrupted.snapshot ?? ((s: ValidationSnapshot) => s))(seedSnapshot(decoded)),
        ),
      );
      const codes = codesOf(outcome);
      const allowed = new Set([...corruption.caughtBy, ...(corruption.mayAlsoRaise ?? [])]);
      // assert, not expect, inside properties: jest builds a stack trace for every expect call, passing or not.
      assert.deepEqual(
        { corruption: corruption.name, missing: corruption.caughtBy.filter((code) => !codes.includes(code)) },
        { corruption: corruption.name, missing: [] },
      );
      assert.deepEqual(
        { corruption: corruption.name, unexpected: codes.filter((code) => !allowed.has(code)) },
        { corruption: corruption.name, unexpected: [] },
      );
    }),
    propertyRuns(numRuns),
  );
}

describe('each single corruption of a valid trade is caught by its rule', () => {
  it('corruptions of one field of the trade event', () => {
    checkCorruptions(fieldCorruptions, RUNS.fieldCorruptions);
  });

  it('changes of the reference data or booked state one rule reads', () => {
    checkCorruptions(referenceCorruptions, RUNS.referenceCorruptions);
  });

  it('together they reach every validation code', () => {
    const reached = new Set([...fieldCorruptions, ...referenceCorruptions].flatMap((c) => c.caughtBy));
    expect(Object.values(ValidationCode).filter((code) => !reached.has(code))).toEqual([]);
  });

  it('a cancel is never blocked by a limit, tolerance or "still active" rule', () => {
    const blockers = [...fieldCorruptions, ...referenceCorruptions].filter((corruption) =>
      corruption.caughtBy.every((code) =>
        (
          [
            C.INSTRUMENT_INACTIVE,
            C.ACCOUNT_INACTIVE,
            C.COUNTERPARTY_INACTIVE,
            C.SSI_MISSING,
            C.SSI_INACTIVE,
            C.PRICE_TOLERANCE,
            C.PRICE_DECIMALS,
            C.NOTIONAL_LIMIT,
            C.POSITION_LIMIT,
            C.RESTRICTED_INSTRUMENT,
            C.WASH_TRADE,
            C.REFERENCE_PRICE_MISSING,
            C.FX_RATE_MISSING,
          ] as readonly ValidationCode[]
        ).includes(code),
      ),
    );
    const cases = fc
      .tuple(trades, fc.constantFrom(...blockers))
      .chain(([seed, corruption]) => corruption.corrupt(seed).map((corrupted) => ({ corruption, corrupted })));
    fc.assert(
      fc.property(cases, ({ corruption, corrupted }) => {
        fc.pre(corrupted !== undefined);
        if (corrupted === undefined) return;
        const cancel = { ...corrupted.event, lifecycle: 'CANCEL' as const, version: corrupted.event.version + 1 };
        const outcome = onlyOutcome(
          decodeAndValidate([Buffer.from(JSON.stringify(cancel))], (decoded) =>
            (corrupted.snapshot ?? ((s: ValidationSnapshot) => s))(seedSnapshot(decoded)),
          ),
        );
        assert.deepEqual(
          { corruption: corruption.name, codes: codesOf(outcome) },
          { corruption: corruption.name, codes: [] },
        );
      }),
      propertyRuns(RUNS.cancels),
    );
  });
});
