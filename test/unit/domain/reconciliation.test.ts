import { HolidayCalendar } from '../../../lib/domain/calendar';
import { Dec } from '../../../lib/domain/money';
import {
  CustodianStatement,
  InFlightSettlement,
  InternalBooks,
  ReconciliationBreak,
  ReconciliationResult,
  ReconciliationTolerances,
  ageingBucketOf,
  reconcile,
} from '../../../lib/domain/reconciliation';

// XNYS closed Monday 2024-05-27 (Memorial Day).
const xnys = new HolidayCalendar('XNYS', ['2024-05-27']);
const AAPL = 'US0378331005';
const MSFT = 'US5949181045';
const IBM = 'US4592001014';
const GOOG = 'US02079K3059';
const TSLA = 'US88160R1014';

const tolerances: ReconciliationTolerances = {
  quantityAbsolute: new Dec(0),
  amountAbsolute: new Dec('0.01'),
  amountAbsoluteByCurrency: { JPY: new Dec(1) },
  timingWindowBusinessDays: 1,
};

const position = (isin: string, quantity: string, account = 'ACC-1') => ({
  account,
  isin,
  quantity: new Dec(quantity),
});
const cash = (currency: string, amount: string, account = 'ACC-1') => ({ account, currency, amount: new Dec(amount) });

function books(overrides: Partial<InternalBooks> = {}): InternalBooks {
  return {
    positions: [position(AAPL, '1000'), position(MSFT, '500')],
    cash: [cash('USD', '10000.00'), cash('JPY', '500000')],
    inFlight: [],
    bookedPostingReferences: [],
    ...overrides,
  };
}

function statement(overrides: Partial<CustodianStatement> = {}): CustodianStatement {
  return {
    statementId: 'ST-0528',
    statementDate: '2024-05-28',
    accounts: ['ACC-1'],
    positions: [position(AAPL, '1000'), position(MSFT, '500')],
    cash: [cash('USD', '10000.00'), cash('JPY', '500000')],
    cashPostings: [],
    ...overrides,
  };
}

function inFlight(overrides: Partial<InFlightSettlement> & { instructionId: string }): InFlightSettlement {
  return {
    account: 'ACC-1',
    isin: AAPL,
    currency: 'USD',
    signedQuantity: new Dec(100),
    signedCash: new Dec('-1500.00'),
    settlementDate: '2024-05-28',
    settledInternally: false,
    ...overrides,
  };
}

function classes(breaks: readonly ReconciliationBreak[]): Record<string, string> {
  return Object.fromEntries(breaks.map((b) => [b.breakKey, b.breakClass]));
}

function only(result: ReconciliationResult): ReconciliationBreak {
  expect(result.newBreaks).toHaveLength(1);
  const [found] = result.newBreaks;
  if (found === undefined) throw new Error('no break');
  return found;
}

const run = (internal: InternalBooks, custodian: CustodianStatement, open: readonly ReconciliationBreak[] = []) =>
  reconcile(internal, custodian, open, tolerances, xnys, custodian.statementDate);

describe('reconcile: matching', () => {
  it('finds no break when the statement agrees exactly', () => {
    const result = run(books(), statement());

    expect(result).toEqual({ newBreaks: [], stillOpen: [], resolvedBreakKeys: [] });
  });

  it('accepts differences within tolerance, per currency', () => {
    const result = run(books(), statement({ cash: [cash('USD', '10000.01'), cash('JPY', '499999')] }));

    expect(result.newBreaks).toEqual([]);
  });

  it('treats a zero line on one side and no line on the other as agreement', () => {
    const result = run(books({ positions: [...books().positions, position(IBM, '0')] }), statement());

    expect(result.newBreaks).toEqual([]);
  });
});

describe('reconcile: break classes', () => {
  it('MISSING_INTERNAL: the custodian holds a security we do not', () => {
    const found = only(run(books(), statement({ positions: [...statement().positions, position(IBM, '200')] })));

    expect(found.breakKey).toBe(`POSITION|ACC-1|${IBM}`);
    expect(found.breakClass).toBe('MISSING_INTERNAL');
    expect(found.internalValue).toBeUndefined();
    expect(found.difference.toFixed()).toBe('200');
  });

  it('MISSING_AT_CUSTODIAN: we hold a security the custodian does not report', () => {
    const found = only(run(books(), statement({ positions: [position(AAPL, '1000')] })));

    expect(found.breakKey).toBe(`POSITION|ACC-1|${MSFT}`);
    expect(found.breakClass).toBe('MISSING_AT_CUSTODIAN');
    expect(found.difference.toFixed()).toBe('-500');
  });

  it('QUANTITY: both hold the security in different quantities', () => {
    const found = only(run(books(), statement({ positions: [position(AAPL, '990'), position(MSFT, '500')] })));

    expect(found.breakClass).toBe('QUANTITY');
    expect([found.internalValue?.toFixed(), found.custodianValue?.toFixed(), found.difference.toFixed()]).toEqual([
      '1000',
      '990',
      '-10',
    ]);
  });

  it('AMOUNT: cash differs by more than tolerance with nothing to explain it', () => {
    const found = only(run(books(), statement({ cash: [cash('USD', '9999.98'), cash('JPY', '500000')] })));

    expect(found.breakKey).toBe('CASH|ACC-1|USD');
    expect(found.breakClass).toBe('AMOUNT');
    expect(found.difference.toFixed(2)).toBe('-0.02');
  });

  it('TIMING: the custodian settled a buy we still hold as pending, in securities and cash', () => {
    const pending = inFlight({ instructionId: 'SI-BUY' });

    const result = run(
      books({ inFlight: [pending] }),
      statement({
        positions: [position(AAPL, '1100'), position(MSFT, '500')],
        cash: [cash('USD', '8500.00'), cash('JPY', '500000')],
      }),
    );

    expect(classes(result.newBreaks)).toEqual({ 'CASH|ACC-1|USD': 'TIMING', [`POSITION|ACC-1|${AAPL}`]: 'TIMING' });
    expect(result.newBreaks.map((b) => b.explainedBy)).toEqual([['SI-BUY'], ['SI-BUY']]);
  });

  it('TIMING: we booked a sale as settled that the custodian settles the next business day', () => {
    // Settles Wednesday 29th, statement of Tuesday 28th: one business day apart, inside the window.
    const sold = inFlight({
      instructionId: 'SI-SELL',
      signedQuantity: new Dec(-200),
      signedCash: new Dec('3000.00'),
      settlementDate: '2024-05-29',
      settledInternally: true,
    });

    const result = run(
      books({
        positions: [position(AAPL, '800'), position(MSFT, '500')],
        cash: [cash('USD', '13000.00'), cash('JPY', '500000')],
        inFlight: [sold],
      }),
      statement(),
    );

    expect(classes(result.newBreaks)).toEqual({ 'CASH|ACC-1|USD': 'TIMING', [`POSITION|ACC-1|${AAPL}`]: 'TIMING' });
    expect(result.newBreaks.map((b) => b.difference.toFixed(2))).toEqual(['-3000.00', '200.00']);
    expect(result.newBreaks.map((b) => b.explainedBy)).toEqual([['SI-SELL'], ['SI-SELL']]);
  });

  it('TIMING uses only the settlements that explain the difference', () => {
    const due = [
      inFlight({ instructionId: 'SI-100', signedCash: new Dec(0) }),
      inFlight({ instructionId: 'SI-50', signedQuantity: new Dec(50), signedCash: new Dec(0) }),
    ];

    const found = only(
      run(books({ inFlight: due }), statement({ positions: [position(AAPL, '1050'), position(MSFT, '500')] })),
    );

    expect(found.breakClass).toBe('TIMING');
    expect(found.explainedBy).toEqual(['SI-50']);
  });

  it('is not TIMING when the settlement date is outside the window', () => {
    // Friday 31st is three business days after Tuesday 28th.
    const later = inFlight({ instructionId: 'SI-LATER', settlementDate: '2024-05-31', signedCash: new Dec(0) });

    const found = only(
      run(books({ inFlight: [later] }), statement({ positions: [position(AAPL, '1100'), position(MSFT, '500')] })),
    );

    expect(found.breakClass).toBe('QUANTITY');
  });

  it('DUPLICATE: a key twice in the statement; identical lines are still compared', () => {
    const result = run(
      books(),
      statement({ positions: [position(AAPL, '1000'), position(AAPL, '1000'), position(MSFT, '490')] }),
    );

    expect(classes(result.newBreaks)).toEqual({
      [`DUPLICATE|POSITION|ACC-1|${AAPL}`]: 'DUPLICATE',
      [`POSITION|ACC-1|${MSFT}`]: 'QUANTITY',
    });
  });

  it('DUPLICATE: disagreeing lines are not compared, since neither can be trusted', () => {
    const result = run(
      books(),
      statement({ positions: [position(AAPL, '1000'), position(AAPL, '900'), position(MSFT, '500')] }),
    );

    expect(classes(result.newBreaks)).toEqual({ [`DUPLICATE|POSITION|ACC-1|${AAPL}`]: 'DUPLICATE' });
  });

  it('FEES: a cash difference equal to unbooked custodian charges', () => {
    const charges = [
      { reference: 'CF-1', account: 'ACC-1', currency: 'USD', amount: new Dec('-20.00'), type: 'FEE' as const },
      { reference: 'CF-2', account: 'ACC-1', currency: 'USD', amount: new Dec('-5.00'), type: 'FEE' as const },
    ];

    const found = only(
      run(books(), statement({ cash: [cash('USD', '9975.00'), cash('JPY', '500000')], cashPostings: charges })),
    );

    expect(found.breakClass).toBe('FEES');
    expect(found.explainedBy).toEqual(['CF-1', 'CF-2']);
  });

  it('is AMOUNT, not FEES, once the charges are already booked', () => {
    const charge = {
      reference: 'CF-1',
      account: 'ACC-1',
      currency: 'USD',
      amount: new Dec('-25.00'),
      type: 'FEE' as const,
    };

    const found = only(
      run(
        books({ bookedPostingReferences: ['CF-1'] }),
        statement({ cash: [cash('USD', '9975.00'), cash('JPY', '500000')], cashPostings: [charge] }),
      ),
    );

    expect(found.breakClass).toBe('AMOUNT');
  });

  it('FX: a cash difference equal to an unbooked custodian FX posting', () => {
    const autoFx = {
      reference: 'FX-9',
      account: 'ACC-1',
      currency: 'JPY',
      amount: new Dec('-10000'),
      type: 'FX' as const,
    };

    const found = only(
      run(books(), statement({ cash: [cash('USD', '10000.00'), cash('JPY', '490000')], cashPostings: [autoFx] })),
    );

    expect(found.breakKey).toBe('CASH|ACC-1|JPY');
    expect(found.breakClass).toBe('FX');
    expect(found.explainedBy).toEqual(['FX-9']);
  });
});

describe('reconcile: break lifecycle', () => {
  // One internal book and one statement that between them produce every break class.
  const brokenBooks = books({
    positions: [position(AAPL, '1000'), position(MSFT, '500'), position(GOOG, '10')],
    cash: [cash('USD', '10000.00'), cash('JPY', '500000'), cash('EUR', '100.00')],
    inFlight: [
      inFlight({
        instructionId: 'SI-TSLA',
        isin: TSLA,
        signedQuantity: new Dec(5),
        signedCash: new Dec(0),
        settlementDate: '2024-05-24',
      }),
    ],
  });
  const brokenStatement = statement({
    statementId: 'ST-0524',
    statementDate: '2024-05-24',
    positions: [
      position(AAPL, '990'),
      position(IBM, '200'),
      position(GOOG, '10'),
      position(GOOG, '10'),
      position(TSLA, '5'),
    ],
    cash: [cash('USD', '9975.00'), cash('JPY', '490000'), cash('EUR', '90.00')],
    cashPostings: [
      { reference: 'CF-1', account: 'ACC-1', currency: 'USD', amount: new Dec('-25.00'), type: 'FEE' },
      { reference: 'FX-9', account: 'ACC-1', currency: 'JPY', amount: new Dec('-10000'), type: 'FX' },
    ],
  });
  const expectedClasses = {
    [`POSITION|ACC-1|${AAPL}`]: 'QUANTITY',
    [`POSITION|ACC-1|${MSFT}`]: 'MISSING_AT_CUSTODIAN',
    [`POSITION|ACC-1|${IBM}`]: 'MISSING_INTERNAL',
    [`DUPLICATE|POSITION|ACC-1|${GOOG}`]: 'DUPLICATE',
    [`POSITION|ACC-1|${TSLA}`]: 'TIMING',
    'CASH|ACC-1|USD': 'FEES',
    'CASH|ACC-1|JPY': 'FX',
    'CASH|ACC-1|EUR': 'AMOUNT',
  };

  it('finds every class from one injected statement, then resolves each when a later statement agrees', () => {
    const first = reconcile(brokenBooks, brokenStatement, [], tolerances, xnys, '2024-05-24');
    // The next statement agrees with the (repaired) books; TSLA has settled on both sides.
    const repairedBooks = books({
      positions: [position(AAPL, '1000'), position(MSFT, '500'), position(GOOG, '10'), position(TSLA, '5')],
    });
    const agreeing = statement({
      statementId: 'ST-0528',
      positions: [position(AAPL, '1000'), position(MSFT, '500'), position(GOOG, '10'), position(TSLA, '5')],
    });

    const second = reconcile(repairedBooks, agreeing, first.newBreaks, tolerances, xnys, '2024-05-28');

    expect(classes(first.newBreaks)).toEqual(expectedClasses);
    expect(first.newBreaks.every((b) => b.openedOn === '2024-05-24' && b.ageingBucket === '0-1')).toBe(true);
    expect(second.newBreaks).toEqual([]);
    expect(second.stillOpen).toEqual([]);
    expect(second.resolvedBreakKeys).toEqual(Object.keys(expectedClasses).sort());
  });

  it('ages a break that stays open across a weekend and a holiday, from the day it opened', () => {
    const opened = reconcile(brokenBooks, brokenStatement, [], tolerances, xnys, '2024-05-24').newBreaks;
    const sameAgain = { ...brokenStatement, statementId: 'ST-0528', statementDate: '2024-05-28' };
    const ageOn = (asOf: string) =>
      reconcile(brokenBooks, sameAgain, opened, tolerances, xnys, asOf).stillOpen.find(
        (b) => b.breakKey === `POSITION|ACC-1|${AAPL}`,
      );

    // Friday 24th -> Tuesday 28th: Sat, Sun and Memorial Day do not count.
    const tuesday = ageOn('2024-05-28');
    const friday = ageOn('2024-05-31');
    const tenDays = ageOn('2024-06-10');
    const elevenDays = ageOn('2024-06-11');

    expect([tuesday?.ageBusinessDays, tuesday?.ageingBucket, tuesday?.openedOn]).toEqual([1, '0-1', '2024-05-24']);
    expect(tuesday?.lastSeenStatementId).toBe('ST-0528');
    expect([friday?.ageBusinessDays, friday?.ageingBucket]).toEqual([4, '2-5']);
    expect([tenDays?.ageBusinessDays, tenDays?.ageingBucket]).toEqual([10, '6-10']);
    expect([elevenDays?.ageBusinessDays, elevenDays?.ageingBucket]).toEqual([11, '11+']);
  });

  it('keeps the opening date when a break changes class', () => {
    const quantityBreak = reconcile(
      books(),
      statement({ statementDate: '2024-05-24', positions: [position(AAPL, '1100'), position(MSFT, '500')] }),
      [],
      tolerances,
      xnys,
      '2024-05-24',
    ).newBreaks;
    const explained = books({ inFlight: [inFlight({ instructionId: 'SI-BUY', signedCash: new Dec(0) })] });

    const result = reconcile(
      explained,
      statement({ positions: [position(AAPL, '1100'), position(MSFT, '500')] }),
      quantityBreak,
      tolerances,
      xnys,
      '2024-05-28',
    );

    expect(quantityBreak.map((b) => b.breakClass)).toEqual(['QUANTITY']);
    expect(result.newBreaks).toEqual([]);
    expect(result.stillOpen.map((b) => [b.breakClass, b.openedOn, b.ageBusinessDays])).toEqual([
      ['TIMING', '2024-05-24', 1],
    ]);
  });

  it('leaves breaks of accounts the statement does not cover open, only ageing them', () => {
    const otherAccount = reconcile(
      books({ positions: [...books().positions, position(AAPL, '70', 'ACC-2')] }),
      statement({ statementDate: '2024-05-24', accounts: ['ACC-1', 'ACC-2'] }),
      [],
      tolerances,
      xnys,
      '2024-05-24',
    ).newBreaks;

    const result = reconcile(
      books({ positions: [...books().positions, position(AAPL, '70', 'ACC-2')] }),
      statement(),
      otherAccount,
      tolerances,
      xnys,
      '2024-05-28',
    );

    expect(otherAccount.map((b) => b.breakKey)).toEqual([`POSITION|ACC-2|${AAPL}`]);
    expect(result.newBreaks).toEqual([]);
    expect(result.resolvedBreakKeys).toEqual([]);
    expect(result.stillOpen.map((b) => [b.breakKey, b.ageBusinessDays])).toEqual([[`POSITION|ACC-2|${AAPL}`, 1]]);
  });
});

describe('ageingBucketOf', () => {
  it('buckets by business days with data-driven bounds', () => {
    const buckets = [
      { label: 'today', maxBusinessDays: 0 },
      { label: 'this week', maxBusinessDays: 5 },
      { label: 'old' },
    ];

    expect([0, 1, 5, 6].map((age) => ageingBucketOf(age, buckets))).toEqual(['today', 'this week', 'this week', 'old']);
    expect([0, 1, 2, 5, 6, 10, 11, 40].map((age) => ageingBucketOf(age))).toEqual([
      '0-1',
      '0-1',
      '2-5',
      '2-5',
      '6-10',
      '6-10',
      '11+',
      '11+',
    ]);
  });
});
