import { Dec } from '../../../lib/domain/money';
import { Account, Counterparty, Instrument, Ssi, selectSsi } from '../../../lib/domain/refdata';
import { DEFAULT_SETTLEMENT_CYCLES } from '../../../lib/domain/settlement-date';
import { Trade } from '../../../lib/domain/trade';
import {
  RecentExecution,
  ValidationCode,
  ValidationContext,
  ValidationSnapshot,
  contextFor,
  fxRateKey,
  listingKey,
  positionKey,
  referencePriceKey,
  validateBatch,
  validateTrade,
} from '../../../lib/domain/validation';
import { findWashTrade, washTradeViolation } from '../../../lib/domain/validation/duplicates';
import { loadHolidayCalendars } from '../../../lib/refdata/holidays';

const calendars = loadHolidayCalendars();

const APPLE = 'US0378331005';
const GOLDMAN_LEI = 'W22LROWP2IHZNBB6K528';

const instrument: Instrument = {
  isin: APPLE,
  mic: 'XNYS',
  currency: 'USD',
  lotSize: new Dec(100),
  priceDecimals: 2,
  instrumentType: 'EQUITY',
  settlementMarket: 'US',
  settlementCalendarMic: 'XNYS',
  active: true,
};
const account: Account = {
  id: 'ACC-1',
  baseCurrency: 'USD',
  costMethod: 'FIFO',
  notionalLimit: new Dec(1_000_000),
  positionLimit: new Dec(10_000),
  beneficialOwner: 'BO-1',
  active: true,
};
const counterparty: Counterparty = { lei: GOLDMAN_LEI, name: 'Goldman Sachs International', active: true };
const ssi: Ssi = {
  id: 'SSI-1',
  account: 'ACC-1',
  market: 'US',
  currency: 'USD',
  placeOfSettlement: 'DTCYUS33',
  safekeepingAccount: 'SAFE-1',
  ownAgentBic: 'IRVTUS3N',
  counterpartyAgentBic: 'GSCMUS33',
  active: true,
};

/** Tue 2024-05-28, the first US T+1 trade date: BUY 100 @ 189.95 = 18,995.00 USD notional. */
function aTrade(overrides: Partial<Trade> = {}): Trade {
  return {
    execId: 'EX-1',
    tradeId: 'TR-1',
    version: 1,
    lifecycle: 'NEW',
    account: 'ACC-1',
    counterpartyLei: GOLDMAN_LEI,
    isin: APPLE,
    mic: 'XNYS',
    side: 'BUY',
    quantity: new Dec(100),
    price: new Dec('189.95'),
    currency: 'USD',
    tradeDate: '2024-05-28',
    tradeTime: '2024-05-28T14:30:00Z',
    commission: new Dec('1.50'),
    fees: new Dec('0.03'),
    ...overrides,
  };
}

function aContext(overrides: Partial<ValidationContext> = {}): ValidationContext {
  return {
    instrument,
    account,
    counterparty,
    ssi,
    referencePrice: { isin: APPLE, date: '2024-05-24', price: new Dec('190.00') },
    positionQuantity: new Dec(0),
    restrictions: [],
    fxRateToBase: new Dec(1),
    calendars,
    settlementCycles: DEFAULT_SETTLEMENT_CYCLES,
    thresholds: { priceToleranceBps: new Dec(500), washTradeWindowSeconds: 60, requireReferencePrice: false },
    execIdSeen: false,
    recentExecutions: [],
    ...overrides,
  };
}

function codesOf(trade: Trade, context: ValidationContext): string[] {
  const result = validateTrade(trade, context);
  return result.ok ? [] : result.errors.map((error) => error.code);
}

function aSell(overrides: Partial<RecentExecution> = {}): RecentExecution {
  return {
    execId: 'EX-0',
    tradeId: 'TR-0',
    beneficialOwner: 'BO-1',
    isin: APPLE,
    side: 'SELL',
    quantity: new Dec(100),
    price: new Dec('189.95'),
    tradeTime: '2024-05-28T14:29:30Z',
    ...overrides,
  };
}

describe('validateTrade', () => {
  it('accepts a good trade and resolves its settlement date', () => {
    const result = validateTrade(aTrade(), aContext());

    expect(result.ok && result.value.settlementDate).toBe('2024-05-29');
  });

  it('settles the DOMAIN.md example: Fri 2024-05-24 (T+2) and Tue 2024-05-28 (T+1) both on Wed 2024-05-29', () => {
    const friday = validateTrade(aTrade({ tradeDate: '2024-05-24', tradeTime: '2024-05-24T15:00:00Z' }), aContext());
    const tuesday = validateTrade(aTrade(), aContext());

    expect(friday.ok && friday.value.settlementDate).toBe('2024-05-29');
    expect(tuesday.ok && tuesday.value.settlementDate).toBe('2024-05-29');
  });

  it.each<[string, Partial<Trade>, Partial<ValidationContext>, string[]]>([
    ['unknown instrument', {}, { instrument: undefined }, [ValidationCode.INSTRUMENT_UNKNOWN]],
    ['inactive instrument', {}, { instrument: { ...instrument, active: false } }, [ValidationCode.INSTRUMENT_INACTIVE]],
    ['unknown account', {}, { account: undefined }, [ValidationCode.ACCOUNT_UNKNOWN]],
    ['inactive account', {}, { account: { ...account, active: false } }, [ValidationCode.ACCOUNT_INACTIVE]],
    ['unknown counterparty', {}, { counterparty: undefined }, [ValidationCode.COUNTERPARTY_UNKNOWN]],
    [
      'inactive counterparty',
      {},
      { counterparty: { ...counterparty, active: false } },
      [ValidationCode.COUNTERPARTY_INACTIVE],
    ],
    ['missing SSI', {}, { ssi: undefined }, [ValidationCode.SSI_MISSING]],
    ['inactive SSI', {}, { ssi: { ...ssi, active: false } }, [ValidationCode.SSI_INACTIVE]],
    ['currency not the instrument’s', { currency: 'EUR' }, {}, [ValidationCode.CURRENCY_MISMATCH]],
    [
      'currency without minor units',
      { currency: 'XYZ' },
      {},
      [ValidationCode.CURRENCY_MISMATCH, ValidationCode.CURRENCY_UNKNOWN],
    ],
    ['zero quantity', { quantity: new Dec(0) }, {}, [ValidationCode.QUANTITY_NOT_POSITIVE]],
    ['negative quantity', { quantity: new Dec(-100) }, {}, [ValidationCode.QUANTITY_NOT_POSITIVE]],
    ['odd lot', { quantity: new Dec(150) }, {}, [ValidationCode.LOT_SIZE]],
    ['fractional lot', { quantity: new Dec('100.5') }, {}, [ValidationCode.LOT_SIZE]],
    // A zero price is also 10,000 bps from the reference: both are true and both are reported.
    ['zero price', { price: new Dec(0) }, {}, [ValidationCode.PRICE_NOT_POSITIVE, ValidationCode.PRICE_TOLERANCE]],
    [
      'price with 3 decimals on a 2-decimal instrument',
      { price: new Dec('189.955') },
      {},
      [ValidationCode.PRICE_DECIMALS],
    ],
    ['negative fees', { fees: new Dec('-0.01') }, {}, [ValidationCode.CHARGES_NEGATIVE]],
    ['commission in tenths of a cent', { commission: new Dec('1.005') }, {}, [ValidationCode.AMOUNT_DECIMALS]],
    [
      'both charges over precision',
      { commission: new Dec('1.001'), fees: new Dec('0.0001') },
      {},
      [ValidationCode.AMOUNT_DECIMALS, ValidationCode.AMOUNT_DECIMALS],
    ],
    // Band 500 bps around 190.00 is 180.50 … 199.50; 199.51 is 500.53 bps away.
    ['price outside the tolerance band', { price: new Dec('199.51') }, {}, [ValidationCode.PRICE_TOLERANCE]],
    ['price below the tolerance band', { price: new Dec('180.49') }, {}, [ValidationCode.PRICE_TOLERANCE]],
    [
      'no reference price when one is required',
      {},
      {
        referencePrice: undefined,
        thresholds: { priceToleranceBps: new Dec(500), washTradeWindowSeconds: 60, requireReferencePrice: true },
      },
      [ValidationCode.REFERENCE_PRICE_MISSING],
    ],
    // 100 × 189.95 = 18,995.00 > 18,994.99
    [
      'notional over the account limit',
      {},
      { account: { ...account, notionalLimit: new Dec('18994.99') } },
      [ValidationCode.NOTIONAL_LIMIT],
    ],
    // 18,995.00 USD × 0.92 = 17,475.40 EUR > 17,475.39
    [
      'notional over the limit in the base currency',
      {},
      {
        account: { ...account, baseCurrency: 'EUR', notionalLimit: new Dec('17475.39') },
        fxRateToBase: new Dec('0.92'),
      },
      [ValidationCode.NOTIONAL_LIMIT],
    ],
    [
      'no FX rate to the base currency',
      {},
      { account: { ...account, baseCurrency: 'EUR' }, fxRateToBase: undefined },
      [ValidationCode.FX_RATE_MISSING],
    ],
    // 9,950 + 100 = 10,050 > 10,000
    ['long position over the limit', {}, { positionQuantity: new Dec(9950) }, [ValidationCode.POSITION_LIMIT]],
    // -9,950 - 100 = -10,050
    [
      'short position over the limit',
      { side: 'SELL' },
      { positionQuantity: new Dec(-9950) },
      [ValidationCode.POSITION_LIMIT],
    ],
    [
      'restricted on the trade date (inclusive end)',
      {},
      { restrictions: [{ isin: APPLE, from: '2024-05-01', to: '2024-05-28', reason: 'MNPI' }] },
      [ValidationCode.RESTRICTED_INSTRUMENT],
    ],
    [
      'restricted open-ended',
      {},
      { restrictions: [{ isin: APPLE, from: '2024-05-28' }] },
      [ValidationCode.RESTRICTED_INSTRUMENT],
    ],
    [
      'trade date on Memorial Day',
      { tradeDate: '2024-05-27', tradeTime: '2024-05-27T14:30:00Z' },
      {},
      [ValidationCode.TRADE_DATE_NOT_BUSINESS_DAY],
    ],
    [
      'trade date on a Saturday',
      { tradeDate: '2024-05-25', tradeTime: '2024-05-25T14:30:00Z' },
      {},
      [ValidationCode.TRADE_DATE_NOT_BUSINESS_DAY],
    ],
    ['venue without a calendar', { mic: 'XTKS' }, {}, [ValidationCode.CALENDAR_UNKNOWN]],
    [
      // The seed holidays stop at 2027: both the venue's trade-date check and the settlement date refuse to guess.
      'trade date in a year the holiday data does not reach',
      { tradeDate: '2028-01-04', tradeTime: '2028-01-04T14:30:00Z' },
      {},
      [ValidationCode.CALENDAR_NOT_COVERED, ValidationCode.CALENDAR_NOT_COVERED],
    ],
    [
      'T+1 settlement date in a year the holiday data does not reach (Fri 2027-12-31 settles Mon 2028-01-03)',
      { tradeDate: '2027-12-31', tradeTime: '2027-12-31T14:30:00Z' },
      {},
      [ValidationCode.CALENDAR_NOT_COVERED],
    ],
    ['settlement before trade date', { settlementDate: '2024-05-27' }, {}, [ValidationCode.SETTLEMENT_BEFORE_TRADE]],
    ['settlement date off the cycle', { settlementDate: '2024-05-30' }, {}, [ValidationCode.SETTLEMENT_DATE_MISMATCH]],
    [
      'no settlement cycle for the instrument type',
      {},
      { instrument: { ...instrument, instrumentType: 'WARRANT' } },
      [ValidationCode.SETTLEMENT_CYCLE_UNKNOWN],
    ],
    ['ExecID already captured', {}, { execIdSeen: true }, [ValidationCode.DUPLICATE_EXEC_ID]],
    ['wash trade 30 s after an opposite sell', {}, { recentExecutions: [aSell()] }, [ValidationCode.WASH_TRADE]],
    [
      'wash trade against a stated beneficial owner',
      { beneficialOwner: 'BO-2' },
      { recentExecutions: [aSell({ beneficialOwner: 'BO-2' })] },
      [ValidationCode.WASH_TRADE],
    ],
  ])('rejects %s', (_case, tradeOverrides, contextOverrides, expectedCodes) => {
    expect(codesOf(aTrade(tradeOverrides), aContext(contextOverrides))).toEqual(expectedCodes);
  });

  it.each<[string, Partial<Trade>, Partial<ValidationContext>]>([
    ['a price exactly on the band edge (500.00 bps)', { price: new Dec('199.50') }, {}],
    ['a price with trailing zeros within the decimals', { price: new Dec('189.9500') }, {}],
    ['no reference price when none is required', {}, { referencePrice: undefined }],
    ['notional exactly at the limit', {}, { account: { ...account, notionalLimit: new Dec('18995.00') } }],
    [
      'notional at the limit in the base currency',
      {},
      {
        account: { ...account, baseCurrency: 'EUR', notionalLimit: new Dec('17475.40') },
        fxRateToBase: new Dec('0.92'),
      },
    ],
    ['position exactly at the limit', {}, { positionQuantity: new Dec(9900) }],
    ['a trade that reduces a position already over the limit', {}, { positionQuantity: new Dec(-10500) }],
    [
      'a restriction that ended the day before',
      {},
      { restrictions: [{ isin: APPLE, from: '2024-05-01', to: '2024-05-27' }] },
    ],
    ['a restriction of another instrument', {}, { restrictions: [{ isin: 'US5949181045', from: '2024-05-01' }] }],
    ['a stated settlement date equal to the cycle', { settlementDate: '2024-05-29' }, {}],
    ['an opposite sell 61 s earlier', {}, { recentExecutions: [aSell({ tradeTime: '2024-05-28T14:28:59Z' })] }],
    ['an opposite sell at another price', {}, { recentExecutions: [aSell({ price: new Dec('189.96') })] }],
    ['an opposite sell of another quantity', {}, { recentExecutions: [aSell({ quantity: new Dec(200) })] }],
    ['a buy on the same side', {}, { recentExecutions: [aSell({ side: 'BUY' })] }],
    ['an opposite sell of another owner', {}, { recentExecutions: [aSell({ beneficialOwner: 'BO-9' })] }],
    ['an earlier version of the same trade', {}, { recentExecutions: [aSell({ tradeId: 'TR-1' })] }],
  ])('accepts %s', (_case, tradeOverrides, contextOverrides) => {
    expect(codesOf(aTrade(tradeOverrides), aContext(contextOverrides))).toEqual([]);
  });

  it('accepts commission to the minor units of JPY (0) and BHD (3) and rejects one decimal more', () => {
    const yen = { ...instrument, currency: 'JPY', priceDecimals: 1 };
    const yenReference = { isin: APPLE, date: '2024-05-24', price: new Dec(3000) };
    const yenTrade = aTrade({ currency: 'JPY', price: new Dec(3000), commission: new Dec(150), fees: new Dec(0) });
    const dinar = { ...instrument, currency: 'BHD' };
    const dinarTrade = aTrade({ currency: 'BHD', commission: new Dec('0.125') });

    expect(codesOf(yenTrade, aContext({ instrument: yen, referencePrice: yenReference }))).toEqual([]);
    expect(
      codesOf(
        { ...yenTrade, commission: new Dec('150.5') },
        aContext({ instrument: yen, referencePrice: yenReference }),
      ),
    ).toEqual([ValidationCode.AMOUNT_DECIMALS]);
    expect(codesOf(dinarTrade, aContext({ instrument: dinar }))).toEqual([]);
    expect(codesOf({ ...dinarTrade, fees: new Dec('0.0001') }, aContext({ instrument: dinar }))).toEqual([
      ValidationCode.AMOUNT_DECIMALS,
    ]);
  });

  it('reports every failure at once, with a message for each', () => {
    const trade = aTrade({
      currency: 'EUR',
      quantity: new Dec(150),
      price: new Dec('250.555'),
      commission: new Dec('-1'),
      tradeDate: '2024-05-27',
      settlementDate: '2024-05-24',
    });
    const context = aContext({
      counterparty: { ...counterparty, active: false },
      ssi: undefined,
      execIdSeen: true,
      restrictions: [{ isin: APPLE, from: '2024-01-01' }],
    });

    const result = validateTrade(trade, context);

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((error) => error.code)).toEqual([
      ValidationCode.COUNTERPARTY_INACTIVE,
      ValidationCode.SSI_MISSING,
      ValidationCode.CURRENCY_MISMATCH,
      ValidationCode.LOT_SIZE,
      ValidationCode.PRICE_DECIMALS,
      ValidationCode.CHARGES_NEGATIVE,
      ValidationCode.PRICE_TOLERANCE,
      ValidationCode.RESTRICTED_INSTRUMENT,
      ValidationCode.TRADE_DATE_NOT_BUSINESS_DAY,
      ValidationCode.SETTLEMENT_BEFORE_TRADE,
      ValidationCode.DUPLICATE_EXEC_ID,
    ]);
    expect(result.errors.every((error) => error.message.length > 0)).toBe(true);
  });

  it('lets a cancel through limits and inactive static data, but not a duplicate ExecID', () => {
    const cancel = aTrade({ execId: 'EX-2', version: 2, lifecycle: 'CANCEL' });
    const stale = aContext({
      account: { ...account, active: false, positionLimit: new Dec(0) },
      ssi: undefined,
      restrictions: [{ isin: APPLE, from: '2024-01-01' }],
    });

    expect(codesOf(cancel, stale)).toEqual([]);
    expect(codesOf(cancel, { ...stale, execIdSeen: true })).toEqual([ValidationCode.DUPLICATE_EXEC_ID]);
    expect(codesOf(cancel, { ...stale, account: undefined })).toEqual([ValidationCode.ACCOUNT_UNKNOWN]);
  });
});

describe('validateBatch', () => {
  const otherAccount: Account = { ...account, id: 'ACC-2' };
  const snapshot: ValidationSnapshot = {
    instruments: new Map([[listingKey(APPLE, 'XNYS'), instrument]]),
    accounts: new Map([
      ['ACC-1', account],
      ['ACC-2', otherAccount],
    ]),
    counterparties: new Map([[GOLDMAN_LEI, counterparty]]),
    ssis: [ssi, { ...ssi, id: 'SSI-2', account: 'ACC-2' }],
    referencePrices: new Map([
      [referencePriceKey(APPLE, '2024-05-28'), { isin: APPLE, date: '2024-05-24', price: new Dec('190.00') }],
    ]),
    positions: new Map([[positionKey('ACC-1', APPLE), new Dec(9800)]]),
    restrictions: [],
    fxRates: new Map(),
    calendars,
    settlementCycles: DEFAULT_SETTLEMENT_CYCLES,
    thresholds: { priceToleranceBps: new Dec(500), washTradeWindowSeconds: 60, requireReferencePrice: false },
    seenExecIds: new Set(['EX-OLD']),
    recentExecutions: [],
  };

  function batchCodes(trades: Trade[]): string[][] {
    return validateBatch(trades, snapshot).map(({ result }) => (result.ok ? [] : result.errors.map((e) => e.code)));
  }

  it('finds duplicates already captured and repeated within the batch', () => {
    expect(
      batchCodes([
        aTrade({ execId: 'EX-OLD' }),
        aTrade({ execId: 'EX-A', tradeId: 'TR-A' }),
        aTrade({ execId: 'EX-A', tradeId: 'TR-A' }),
      ]),
    ).toEqual([[ValidationCode.DUPLICATE_EXEC_ID], [], [ValidationCode.DUPLICATE_EXEC_ID]]);
  });

  it('limits later trades against the position built by earlier accepted ones', () => {
    // 9,800 + 100 = 9,900; + 100 = 10,000 (at the limit); + 100 = 10,100 (over).
    expect(
      batchCodes([
        aTrade({ execId: 'EX-1', tradeId: 'TR-1' }),
        aTrade({ execId: 'EX-2', tradeId: 'TR-2' }),
        aTrade({ execId: 'EX-3', tradeId: 'TR-3' }),
      ]),
    ).toEqual([[], [], [ValidationCode.POSITION_LIMIT]]);
  });

  it('detects a wash trade between two accounts of one owner within the batch', () => {
    expect(
      batchCodes([
        aTrade({ execId: 'EX-B', tradeId: 'TR-B', account: 'ACC-2', side: 'SELL' }),
        aTrade({ execId: 'EX-C', tradeId: 'TR-C', tradeTime: '2024-05-28T14:30:45Z' }),
      ]),
    ).toEqual([[], [ValidationCode.WASH_TRADE]]);
  });

  it('does not let a rejected trade count as a wash-trade leg', () => {
    expect(
      batchCodes([
        aTrade({ execId: 'EX-D', tradeId: 'TR-D', account: 'ACC-2', side: 'SELL', quantity: new Dec(150) }),
        aTrade({ execId: 'EX-E', tradeId: 'TR-E', quantity: new Dec(150) }),
      ]),
    ).toEqual([[ValidationCode.LOT_SIZE], [ValidationCode.LOT_SIZE]]);
  });
});

describe('findWashTrade (the wash rule persistence applies again at booking)', () => {
  // The buy is at 14:30:00; aSell is at 14:29:30, 30 s before
  it.each([
    ['the mirror 30 s before', aSell(), 'EX-0'],
    ['the mirror exactly 60 s after (the window is inclusive)', aSell({ tradeTime: '2024-05-28T14:31:00Z' }), 'EX-0'],
    ['a mirror 61 s after', aSell({ tradeTime: '2024-05-28T14:31:01Z' }), undefined],
    ['the same side', aSell({ side: 'BUY' }), undefined],
    ['another owner', aSell({ beneficialOwner: 'BO-2' }), undefined],
    ['another price', aSell({ price: new Dec('189.96') }), undefined],
    ['another version of the same trade', aSell({ tradeId: 'TR-1' }), undefined],
  ])('against %s', (_, execution, expected) => {
    expect(findWashTrade(aTrade(), 'BO-1', [execution], 60)?.execId).toBe(expected);
  });

  it('gives the same reason as the validation rule', () => {
    const trade = aTrade();

    const reason = washTradeViolation(trade, 'BO-1', aSell(), 60);
    const rule = validateTrade(trade, aContext({ recentExecutions: [aSell()] }));

    expect(reason).toEqual({
      code: ValidationCode.WASH_TRADE,
      message:
        'beneficial owner BO-1 was on the other side of US0378331005 at the same price and quantity in ExecID EX-0 ' +
        '(2024-05-28T14:29:30Z), within 60s',
    });
    expect(rule.ok ? [] : rule.errors).toEqual([reason]);
  });
});

describe('selectSsi', () => {
  const criteria = { account: 'ACC-1', counterpartyLei: GOLDMAN_LEI, market: 'US', currency: 'USD' };

  it("prefers the counterparty's own active SSI over the generic one", () => {
    const specific = { ...ssi, id: 'SSI-GS', counterpartyLei: GOLDMAN_LEI };

    expect(selectSsi([ssi, specific], criteria)?.id).toBe('SSI-GS');
  });

  it('prefers any active SSI over an inactive specific one, and returns an inactive one only as a last resort', () => {
    const inactiveSpecific = { ...ssi, id: 'SSI-GS', counterpartyLei: GOLDMAN_LEI, active: false };

    expect(selectSsi([inactiveSpecific, ssi], criteria)?.id).toBe('SSI-1');
    expect(selectSsi([inactiveSpecific], criteria)?.id).toBe('SSI-GS');
  });

  it('ignores SSIs of another market, currency, account or counterparty', () => {
    const others = [
      { ...ssi, market: 'EU' },
      { ...ssi, currency: 'EUR' },
      { ...ssi, account: 'ACC-2' },
      { ...ssi, counterpartyLei: '7LTWFZYICNSX8D621K86' },
    ];

    expect(selectSsi(others, criteria)).toBeUndefined();
  });
});

describe('contextFor', () => {
  it("picks the trade-date FX rate into the account's base currency, and 1 when the currencies agree", () => {
    const eurAccount: Account = { ...account, baseCurrency: 'EUR' };
    const snapshot: ValidationSnapshot = {
      instruments: new Map([[listingKey(APPLE, 'XNYS'), instrument]]),
      accounts: new Map([['ACC-1', eurAccount]]),
      counterparties: new Map(),
      ssis: [],
      referencePrices: new Map(),
      positions: new Map(),
      restrictions: [],
      fxRates: new Map([[fxRateKey('USD', 'EUR', '2024-05-28'), new Dec('0.92')]]),
      calendars,
      settlementCycles: DEFAULT_SETTLEMENT_CYCLES,
      thresholds: { priceToleranceBps: new Dec(500), washTradeWindowSeconds: 60, requireReferencePrice: false },
      seenExecIds: new Set(),
      recentExecutions: [],
    };

    expect(contextFor(aTrade(), snapshot).fxRateToBase?.toFixed()).toBe('0.92');
    expect(contextFor(aTrade({ tradeDate: '2024-05-29' }), snapshot).fxRateToBase).toBeUndefined();
    const usdSnapshot = { ...snapshot, accounts: new Map([['ACC-1', account]]) };
    expect(contextFor(aTrade(), usdSnapshot).fxRateToBase?.toFixed()).toBe('1');
  });
});
