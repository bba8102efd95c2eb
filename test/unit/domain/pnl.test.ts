import {
  CostMethod,
  TradeAction,
  buildPosition,
  emptyPosition,
  liveEvents,
  type Position,
  type PositionEvent,
  type TradeEvent,
} from '../../../lib/domain/lots';
import { Dec, Rounding } from '../../../lib/domain/money';
import {
  dailyPnlLine,
  fxEffectToday,
  overallTotals,
  realizedPnl,
  summarizeByAccount,
  unrealizedExact,
  unrealizedPnl,
  type DailyPnlInput,
  type DailyPnlLine,
  type MarketClose,
} from '../../../lib/domain/pnl';

/** hh:mm:ss that many seconds after 09:00, so fixture trades stay in creation order all day. */
function clock(seconds: number): string {
  return new Date(Date.UTC(2024, 0, 1, 9, 0, seconds)).toISOString().slice(11, 19);
}

let sequence = 0;

/** A NEW version 1 trade, no fees, in USD at rate 1 unless told otherwise, a second after the previous one. */
function trade(side: 'BUY' | 'SELL', quantity: string, price: string, extra: Partial<TradeEvent> = {}): TradeEvent {
  sequence += 1;
  const tradeDate = extra.tradeDate ?? '2024-06-03';
  return {
    kind: 'TRADE',
    tradeId: `P${String(sequence).padStart(3, '0')}`,
    version: 1,
    action: TradeAction.NEW,
    side,
    quantity: new Dec(quantity),
    price: new Dec(price),
    fees: new Dec(0),
    tradeDate,
    tradeTime: `${tradeDate}T${clock(sequence)}Z`,
    currency: 'USD',
    fxRateToBase: new Dec(1),
    ...extra,
  };
}

function built(events: readonly PositionEvent[], method: CostMethod): Position {
  const result = buildPosition(events, method);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

function market(price: string, fxRateToBase = '1'): MarketClose {
  return { price: new Dec(price), fxRateToBase: new Dec(fxRateToBase) };
}

const USD = { currency: 'USD', baseCurrency: 'USD' };
const EUR_IN_USD = { currency: 'EUR', baseCurrency: 'USD' };

function totalPnl(position: Position, close: MarketClose): string {
  return realizedPnl(position, USD)
    .local.plus(unrealizedPnl(position, close, USD).local)
    .toFixed(2);
}

describe('pnl: DOMAIN.md worked example, end-of-day price 14.00', () => {
  const workedExample = () => [
    trade('BUY', '100', '10.00'),
    trade('BUY', '100', '12.00'),
    trade('SELL', '150', '13.00'),
  ];

  it.each([
    [CostMethod.FIFO, '350.00', '100.00'],
    [CostMethod.AVERAGE, '300.00', '150.00'],
    [CostMethod.LIFO, '250.00', '200.00'],
  ])('%s: realized %s, unrealized %s, total 450.00', (method, realized, unrealized) => {
    const position = built(workedExample(), method);

    const pnl = unrealizedPnl(position, market('14.00'), USD);

    expect(realizedPnl(position, USD).local.toFixed(2)).toBe(realized);
    expect(pnl.local.toFixed(2)).toBe(unrealized);
    expect(totalPnl(position, market('14.00'))).toBe('450.00');
  });
});

describe('pnl: with fees (buy 100 @ 10 fee 5, buy 100 @ 12 fee 5, sell 150 @ 13 fee 6), EOD 14', () => {
  it.each([
    // Remaining cost 602.5 / 502.5 / 552.5 against a market value of 700.
    [CostMethod.FIFO, '336.50', '97.50'],
    [CostMethod.LIFO, '236.50', '197.50'],
    [CostMethod.AVERAGE, '286.50', '147.50'],
  ])('%s: realized %s + unrealized %s = 434.00 (= 1944 + 700 − 1005 − 1205)', (method, realized, unrealized) => {
    const events = [
      trade('BUY', '100', '10', { fees: new Dec('5') }),
      trade('BUY', '100', '12', { fees: new Dec('5') }),
      trade('SELL', '150', '13', { fees: new Dec('6') }),
    ];
    const position = built(events, method);

    const pnl = unrealizedPnl(position, market('14'), USD);

    expect(realizedPnl(position, USD).local.toFixed(2)).toBe(realized);
    expect(pnl.local.toFixed(2)).toBe(unrealized);
    expect(totalPnl(position, market('14'))).toBe('434.00');
  });
});

describe('pnl: short positions', () => {
  it('a short gains when the price falls and loses when it rises', () => {
    const position = built([trade('SELL', '100', '50')], CostMethod.FIFO);

    const lower = unrealizedPnl(position, market('45'), USD);
    const higher = unrealizedPnl(position, market('55'), USD);

    expect(lower.local.toFixed(2)).toBe('500.00');
    expect(higher.local.toFixed(2)).toBe('-500.00');
  });

  it('a flip leaves realized on the closed long and marks the new short from its sell price', () => {
    const position = built([trade('BUY', '100', '10'), trade('SELL', '150', '12')], CostMethod.AVERAGE);

    const pnl = unrealizedPnl(position, market('11'), USD);

    expect(realizedPnl(position, USD).local.toFixed(2)).toBe('200.00');
    expect(pnl.local.toFixed(2)).toBe('50.00'); // 50 short at 12, now 11
  });
});

describe('pnl: splits never move P&L', () => {
  it.each([
    // 2:1: the worked example's 50 @ 12 becomes 100 @ 6; price 14 becomes 7.
    [2, 1, '14', '7'],
    // 3:2: 50 becomes 75 at cost 600 (8 each); compare at 15 → 10 (14 would become a non-terminating 9.333…).
    [3, 2, '15', '10'],
  ])('%d:%d leaves realized, unrealized and total unchanged at the equivalent price', (num, den, pre, post) => {
    const events = [trade('BUY', '100', '10'), trade('BUY', '100', '12'), trade('SELL', '150', '13')];
    const splitEvent: PositionEvent = {
      kind: 'SPLIT',
      corporateActionId: `CA-${num}-${den}`,
      numerator: new Dec(num),
      denominator: new Dec(den),
      effectiveDate: '2024-06-10',
    };

    const before = built(events, CostMethod.FIFO);
    const after = built([...events, splitEvent], CostMethod.FIFO);

    expect(realizedPnl(after, USD).local.toFixed(2)).toBe('350.00');
    expect(unrealizedPnl(after, market(post), USD).local.toFixed(2)).toBe(
      unrealizedPnl(before, market(pre), USD).local.toFixed(2),
    );
    expect(totalPnl(after, market(post))).toBe(totalPnl(before, market(pre)));
  });
});

describe('pnl: multi-currency (EUR instrument, USD base)', () => {
  it('cost at trade-date rates, market value at the report-date rate', () => {
    const events = [
      trade('BUY', '100', '10', { currency: 'EUR', fxRateToBase: new Dec('1.10') }),
      trade('BUY', '100', '12', { currency: 'EUR', fxRateToBase: new Dec('1.20') }),
    ];
    const position = built(events, CostMethod.FIFO);

    const pnl = unrealizedPnl(position, market('14', '1.25'), EUR_IN_USD);

    // Cost 2200 EUR = 1100 + 1440 = 2540 USD; market value 2800 EUR × 1.25 = 3500 USD.
    expect(pnl.local.toFixed(2)).toBe('600.00');
    expect(pnl.base.toFixed(2)).toBe('960.00');
  });

  it('a short in a foreign currency: U = Q·P·X − B with Q and B negative', () => {
    const position = built(
      [trade('SELL', '100', '50', { currency: 'EUR', fxRateToBase: new Dec('1.1') })],
      CostMethod.FIFO,
    );

    const pnl = unrealizedPnl(position, market('45', '1.2'), EUR_IN_USD);

    // −4500 × 1.2 + 5500 = 100; local −4500 + 5000 = 500.
    expect([pnl.local, pnl.base].map((d) => d.toFixed())).toEqual(['500', '100']);
  });

  it('half-up is available on request and differs from the half-even default on a tie', () => {
    const position = built([trade('BUY', '8', '10')], CostMethod.FIFO);

    // 8 × 10.015625 − 80 = 0.125 exactly.
    const halfEven = unrealizedPnl(position, market('10.015625'), USD);
    const halfUp = unrealizedPnl(position, market('10.015625'), USD, Rounding.HALF_UP);

    expect(halfEven.local.toFixed()).toBe('0.12');
    expect(halfUp.local.toFixed()).toBe('0.13');
  });
});

function fixed(figures: object): Record<string, string> {
  return Object.fromEntries(
    Object.entries(figures).map(([name, amount]) => [name, amount instanceof Dec ? amount.toFixed(2) : 'not a Dec']),
  );
}

describe('pnl: daily line', () => {
  // Day 1: buy 100 @ 10 fee 5 EUR at 1.10; closes at 10.50 / 1.12.
  // Day 2: buy 100 @ 12 fee 5 and sell 150 @ 13 fee 6, both at 1.15; closes at 14 / 1.16.
  const dayOne = () => [
    trade('BUY', '100', '10', { currency: 'EUR', fxRateToBase: new Dec('1.10'), fees: new Dec('5') }),
  ];
  const dayTwo = () => [
    trade('SELL', '150', '13', {
      currency: 'EUR',
      fxRateToBase: new Dec('1.15'),
      fees: new Dec('6'),
      tradeDate: '2024-06-04',
      tradeTime: '2024-06-04T15:00:00Z',
    }),
    trade('BUY', '100', '12', {
      currency: 'EUR',
      fxRateToBase: new Dec('1.15'),
      fees: new Dec('5'),
      tradeDate: '2024-06-04',
      tradeTime: '2024-06-04T13:00:00Z',
    }),
  ];
  const input = (method: CostMethod): DailyPnlInput => ({
    accountId: 'ACC-1',
    instrumentId: 'DE0007164600',
    businessDate: '2024-06-04',
    currency: 'EUR',
    baseCurrency: 'USD',
    previousClose: built(dayOne(), method),
    previousMarket: market('10.50', '1.12'),
    events: dayTwo(),
    market: market('14', '1.16'),
  });

  it('FIFO: quantities, realized, unrealized change and fees in local and base currency, hand-computed', () => {
    const result = dailyPnlLine(input(CostMethod.FIFO));

    expect(result.ok).toBe(true);
    const line = result.ok ? result.value : undefined;
    expect(line && [line.openingQuantity, line.closingQuantity].map((d) => d.toFixed())).toEqual(['100', '50']);
    expect(line && [line.tradeCount, line.boughtQuantity.toFixed(), line.soldQuantity.toFixed()]).toEqual([
      2,
      '100',
      '150',
    ]);
    // Local: realized 1944 − 1005 − 602.5; unrealized 1050 − 1005 → 700 − 602.5; fees 5 + 6.
    // Cross-check: 700 − 1050 − 1205 + 1944 = 389.
    expect(line && fixed(line.local)).toEqual({
      realizedToday: '336.50',
      unrealizedChangeToday: '52.50',
      feesToday: '11.00',
      totalToday: '389.00',
      realizedSinceInception: '336.50',
      unrealizedAtPreviousClose: '45.00',
      unrealizedAtClose: '97.50',
    });
    // Base: realized 1944 × 1.15 − 1105.5 − 692.875 = 437.225 → 437.22 (half-even); unrealized 1176 − 1105.5 =
    // 70.50 → 812 − 692.875 = 119.125 → 119.12; fees 11 × 1.15. The day: 437.225 + 119.125 − 70.5 = 485.85
    // exactly, rounded once (the parts rounded apart would make 437.22 + 119.12 − 70.50 = 485.84); the change in
    // unrealized is what the total leaves of the realized: 485.85 − 437.22.
    // FX: lot 1 relieved, C − c·x0 = 1105.5 − 1005 × 1.12 = −20.1; the 50 left of lot 2, opened today at 1.15,
    // 50 × 14 × (1.16 − 1.15) = 7; −13.10. Price: 48.63 − (−13.10) (per lot: (1005 − 1050) × 1.12 = −50.4 and
    // (700 − 602.5) × 1.15 = 112.125, 61.725 exactly).
    expect(line && fixed(line.base)).toEqual({
      realizedToday: '437.22',
      unrealizedChangeToday: '48.63',
      feesToday: '12.65',
      totalToday: '485.85',
      realizedSinceInception: '437.22',
      unrealizedAtPreviousClose: '70.50',
      unrealizedAtClose: '119.12',
      priceEffectToday: '61.73',
      fxEffectToday: '-13.10',
    });
  });

  it.each([CostMethod.LIFO, CostMethod.AVERAGE])(
    '%s: the day total in local currency is 389 as under FIFO',
    (method) => {
      const result = dailyPnlLine(input(method));

      expect(result.ok && result.value.local.totalToday.toFixed(2)).toBe('389.00');
      expect(result.ok && result.value.base.totalToday.toFixed(2)).toBe('485.85');
    },
  );

  it('replays the day onto the previous close so a same-day amend and a cancel count once, as amended', () => {
    const [sale, buy] = dayTwo();
    if (sale === undefined || buy === undefined) throw new Error('fixture');
    const cancelledBuy: TradeEvent = { ...buy, version: 2, action: TradeAction.CANCEL };
    const smallerSale: TradeEvent = { ...sale, version: 2, action: TradeAction.AMEND, quantity: new Dec('60') };

    const result = dailyPnlLine({ ...input(CostMethod.FIFO), events: [smallerSale, buy, sale, cancelledBuy] });

    // Only the sale, amended to 60 @ 13 fee 6: realized 780 − 6 − 1005 × 0.6 = 171.
    expect(result.ok && [result.value.tradeCount, result.value.local.realizedToday.toFixed(2)]).toEqual([1, '171.00']);
    expect(result.ok && result.value.closingQuantity.toFixed()).toBe('40');
  });

  it('refuses to value an open previous close without its previous market', () => {
    const result = dailyPnlLine({ ...input(CostMethod.FIFO), previousMarket: undefined });

    expect(result.ok).toBe(false);
  });

  it('the opening as reported: a correction since lands in the day, so the chain loses nothing', () => {
    const day = input(CostMethod.FIFO);
    // Yesterday's report had the buy at 10.10 (cost 1015 EUR, 1116.50 USD): unrealized 35 EUR, 59.50 USD. The
    // buy was amended to 10.00 since: the replayed close differs from the reported one by 10 EUR of cost.
    const reported = {
      quantity: new Dec(100),
      realizedSinceInception: { local: new Dec(0), base: new Dec(0) },
      unrealized: { local: new Dec('35'), base: new Dec('59.5') },
    };

    const corrected = dailyPnlLine({ ...day, reportedOpening: reported });
    const plain = dailyPnlLine(day);

    // The day's total takes the 10 EUR (11 USD at 1.10) the amend gave back to yesterday: 389 + 10, 485.85 + 11.
    expect(corrected.ok && fixed(corrected.value.local)).toMatchObject({
      unrealizedAtPreviousClose: '35.00',
      totalToday: '399.00',
      realizedToday: '336.50',
    });
    expect(corrected.ok && corrected.value.base.totalToday.toFixed(2)).toBe('496.85');
    // Cumulative figures are the close's, whatever was reported yesterday.
    expect(
      corrected.ok && plain.ok && corrected.value.base.unrealizedAtClose.eq(plain.value.base.unrealizedAtClose),
    ).toBe(true);
  });

  it('realized before the stored close (which holds none) makes realized since inception, not realized today', () => {
    const result = dailyPnlLine({
      ...input(CostMethod.FIFO),
      realizedBefore: { local: new Dec('100'), base: new Dec('110.004') },
    });

    expect(result.ok && fixed(result.value.local)).toMatchObject({
      realizedToday: '336.50',
      realizedSinceInception: '436.50',
    });
    // 437.225 + 110.004 = 547.229, rounded once.
    expect(result.ok && result.value.base.realizedSinceInception.toFixed()).toBe('547.23');
    expect(result.ok && result.value.realizedSinceInceptionExact.base.toFixed()).toBe('547.229');
  });

  it('a flat previous close needs no previous market', () => {
    const result = dailyPnlLine({
      ...input(CostMethod.FIFO),
      previousClose: emptyPosition(CostMethod.FIFO),
      previousMarket: undefined,
    });

    // Buy 100 @ 12 fee 5, then sell 150 @ 13 fee 6 → 100 closed, 50 short opened at 13.
    expect(result.ok && result.value.local.realizedToday.toFixed(2)).toBe('91.00'); // 1300 − 4 − 1205
    expect(result.ok && result.value.closingQuantity.toFixed()).toBe('-50');
  });
});

describe('pnl: summaries', () => {
  function simpleLine(accountId: string, instrumentId: string, baseCurrency: string, price: string): DailyPnlLine {
    const result = dailyPnlLine({
      accountId,
      instrumentId,
      businessDate: '2024-06-03',
      currency: baseCurrency,
      baseCurrency,
      previousClose: emptyPosition(CostMethod.FIFO),
      previousMarket: undefined,
      events: [trade('BUY', '10', '100', { currency: baseCurrency, fees: new Dec('1') })],
      market: market(price),
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.value;
  }

  it('sums base figures per account and overall per base currency', () => {
    const lines = [
      simpleLine('B', 'X', 'GBP', '101'), // unrealized 1010 − 1001 = 9
      simpleLine('A', 'X', 'USD', '102'), // 19
      simpleLine('A', 'Y', 'USD', '99'), // −11
    ];

    const byAccount = summarizeByAccount(lines);
    const overall = overallTotals(lines);

    expect(byAccount.ok && byAccount.value.map((s) => [s.accountId, s.baseCurrency, s.totalToday.toFixed(2)])).toEqual([
      ['A', 'USD', '8.00'],
      ['B', 'GBP', '9.00'],
    ]);
    expect(overall.map((t) => [t.baseCurrency, t.lineCount, t.totalToday.toFixed(2), t.feesToday.toFixed(2)])).toEqual([
      ['GBP', 1, '9.00', '1.00'],
      ['USD', 2, '8.00', '2.00'],
    ]);
  });

  it('refuses an account reported in two base currencies', () => {
    const lines = [simpleLine('A', 'X', 'USD', '100'), simpleLine('A', 'Y', 'GBP', '100')];

    const result = summarizeByAccount(lines);

    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual(['CURRENCY_MISMATCH']);
  });
});

describe('pnl: the day’s total is rounded once, from the exact parts', () => {
  it('realized and unrealized each round up (0.006 → 0.01) while their sum does not (0.012 → 0.01)', () => {
    const result = dailyPnlLine({
      accountId: 'ACC-1',
      instrumentId: 'US0378331005',
      businessDate: '2024-06-03',
      ...USD,
      previousClose: emptyPosition(CostMethod.FIFO),
      previousMarket: undefined,
      // Buy 2 @ 10, sell 1 @ 10.006: realized 0.006; the other at the close 10.006: unrealized 0.006.
      events: [trade('BUY', '2', '10'), trade('SELL', '1', '10.006')],
      market: market('10.006'),
    });

    // Rounded apart and added, 0.01 + 0.01 − 0.00 = 0.02; the day is 0.012 → 0.01.
    expect(result.ok && fixed(result.value.local)).toEqual({
      realizedToday: '0.01',
      unrealizedChangeToday: '0.00',
      feesToday: '0.00',
      totalToday: '0.01',
      realizedSinceInception: '0.01',
      unrealizedAtPreviousClose: '0.00',
      unrealizedAtClose: '0.01',
    });
  });

  it('a quiet day: opening 0.0046 → 0.00 and close 0.0094 → 0.01, but the change 0.0048 → 0.00', () => {
    const result = dailyPnlLine({
      accountId: 'ACC-1',
      instrumentId: 'US0378331005',
      businessDate: '2024-06-04',
      ...USD,
      previousClose: built([trade('BUY', '1', '10')], CostMethod.FIFO),
      previousMarket: market('10.0046'),
      events: [],
      market: market('10.0094'),
    });

    expect(result.ok && fixed(result.value.base)).toEqual({
      realizedToday: '0.00',
      unrealizedChangeToday: '0.00',
      feesToday: '0.00',
      totalToday: '0.00',
      realizedSinceInception: '0.00',
      unrealizedAtPreviousClose: '0.00',
      unrealizedAtClose: '0.01',
      priceEffectToday: '0.00',
      fxEffectToday: '0.00',
    });
  });
});

describe('pnl: price and FX effects split the day’s change in unrealized exactly (DOMAIN.md)', () => {
  // Held since 2024-06-03: lot A, 100 @ 9 EUR at 1.05 (cost 900 EUR, 945 USD), marked at 10 / 1.10 at the previous
  // close (unrealized 155). On 2024-06-04 a buy opens lot B, 50 @ 10.50 at 1.12 (525 EUR, 588 USD), then a sale at
  // 10.80 (rate 1.15); the close is 11 / 1.15.
  const eur = (extra: Partial<TradeEvent>): Partial<TradeEvent> => ({ currency: 'EUR', ...extra });
  const opening = (method: CostMethod) =>
    built([trade('BUY', '100', '9', eur({ fxRateToBase: new Dec('1.05') }))], method);
  const day = (sold: string): TradeEvent[] => [
    trade(
      'BUY',
      '50',
      '10.50',
      eur({ fxRateToBase: new Dec('1.12'), tradeDate: '2024-06-04', tradeTime: '2024-06-04T13:00:00Z' }),
    ),
    trade(
      'SELL',
      sold,
      '10.80',
      eur({ fxRateToBase: new Dec('1.15'), tradeDate: '2024-06-04', tradeTime: '2024-06-04T15:00:00Z' }),
    ),
  ];
  const line = (method: CostMethod, events: readonly TradeEvent[]) => {
    const result = dailyPnlLine({
      accountId: 'ACC-1',
      instrumentId: 'DE0007164600',
      businessDate: '2024-06-04',
      ...EUR_IN_USD,
      previousClose: opening(method),
      previousMarket: market('10', '1.10'),
      events,
      market: market('11', '1.15'),
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.value;
  };
  const split = (l: DailyPnlLine) =>
    [l.base.unrealizedChangeToday, l.base.priceEffectToday, l.base.fxEffectToday, l.base.totalToday].map((d) =>
      d.toFixed(2),
    );

  it('a lot held through a rate change, and nothing else: q·(p1 − p0)·x0 and q·p1·(x1 − x0)', () => {
    // 100 × 1 × 1.10 = 110 and 100 × 11 × 0.05 = 55; ΔU = 1100 × 1.15 − 1000 × 1.10 = 165.
    expect(split(line(CostMethod.FIFO, []))).toEqual(['165.00', '110.00', '55.00', '165.00']);
  });

  it('FIFO: lot A held in part and relieved in part, lot B opened today (marked from its cost)', () => {
    // FX: A held 60 × 11 × 0.05 = 33; B 50 × 11 × (1.15 − 1.12) = 16.5; A relieved 378 − 360 × 1.10 = −18.
    // Price: 60 × 1 × 1.10 = 66; (550 − 525) × 1.12 = 28; (360 − 400) × 1.10 = −44. ΔU 236.5 − 155 = 81.5;
    // realized 432 × 1.15 − 378 = 118.8.
    expect(split(line(CostMethod.FIFO, day('40')))).toEqual(['81.50', '50.00', '31.50', '200.30']);
  });

  it('LIFO: the sale relieves lot B, opened and relieved the same day: no effect of its own', () => {
    // FX: A 100 × 11 × 0.05 = 55; B's 10 left 10 × 11 × 0.03 = 3.3. Price: 110 + (110 − 105) × 1.12 = 115.6.
    expect(split(line(CostMethod.LIFO, day('40')))).toEqual(['173.90', '115.60', '58.30', '200.30']);
  });

  it('AVERAGE: the pool relieved pro rata is followed as the part held since the opening and the part bought today', () => {
    // Sell 30 of 150: 4/5 of each part stays. FX: 80 × 11 × 0.05 = 44; 40 × 11 × 0.03 = 13.2; 189 − 180 × 1.1 = −9.
    // Price: 80 × 1.10 = 88; (180 − 200) × 1.10 = −22; (440 − 420) × 1.12 = 22.4. ΔU 291.6 − 155; realized 66.
    expect(split(line(CostMethod.AVERAGE, day('30')))).toEqual(['136.60', '88.40', '48.20', '202.60']);
  });

  it('a flip: the long relieved whole and a short opened at the sale’s rate', () => {
    const flip = [
      trade(
        'SELL',
        '150',
        '10.80',
        eur({ fxRateToBase: new Dec('1.15'), tradeDate: '2024-06-04', tradeTime: '2024-06-04T15:00:00Z' }),
      ),
    ];
    // FX: 945 − 900 × 1.10 = −45; the short −50 × 11 × (1.15 − 1.15) = 0. Price: (900 − 1000) × 1.10 = −110 and
    // (−550 + 540) × 1.15 = −11.5. ΔU = (−632.5 + 621) − 155 = −166.5; realized 1242 − 945 = 297.
    expect(split(line(CostMethod.FIFO, flip))).toEqual(['-166.50', '-121.50', '-45.00', '130.50']);
    expect(split(line(CostMethod.AVERAGE, flip))).toEqual(['-166.50', '-121.50', '-45.00', '130.50']);
  });

  it('exactly, before any rounding: price (Σ per lot) + FX = ΔU', () => {
    const events = day('40');
    const start = opening(CostMethod.FIFO);
    const live = liveEvents(events);
    if (!live.ok) throw new Error('fixture');
    const closing = buildPosition(
      [trade('BUY', '100', '9', eur({ fxRateToBase: new Dec('1.05') })), ...events],
      CostMethod.FIFO,
    );
    if (!closing.ok) throw new Error('fixture');

    const fx = fxEffectToday(start, new Dec('1.10'), live.value, closing.value, market('11', '1.15'));
    const deltaU = unrealizedExact(closing.value, market('11', '1.15')).base.minus(
      unrealizedExact(start, market('10', '1.10')).base,
    );

    expect(fx.toFixed()).toBe('31.5');
    expect(deltaU.minus(fx).toFixed()).toBe('50');
  });
});
