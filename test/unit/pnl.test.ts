import {
  CostMethod,
  TradeAction,
  buildPosition,
  emptyPosition,
  type Position,
  type PositionEvent,
  type TradeEvent,
} from '../../lib/domain/lots';
import { Dec, Rounding } from '../../lib/domain/money';
import {
  dailyPnlLine,
  overallTotals,
  realizedPnl,
  summarizeByAccount,
  unrealizedPnl,
  type DailyPnlInput,
  type DailyPnlLine,
  type MarketClose,
} from '../../lib/domain/pnl';

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
  it('cost at trade-date rates, market value at the report-date rate, price + FX = total exactly', () => {
    const events = [
      trade('BUY', '100', '10', { currency: 'EUR', fxRateToBase: new Dec('1.10') }),
      trade('BUY', '100', '12', { currency: 'EUR', fxRateToBase: new Dec('1.20') }),
    ];
    const position = built(events, CostMethod.FIFO);

    const pnl = unrealizedPnl(position, market('14', '1.25'), EUR_IN_USD);

    // Cost 2200 EUR = 1100 + 1440 = 2540 USD; market value 2800 EUR × 1.25 = 3500 USD.
    expect(pnl.local.toFixed(2)).toBe('600.00');
    expect(pnl.base.toFixed(2)).toBe('960.00');
    expect(pnl.priceEffect.toFixed(2)).toBe('750.00'); // 600 EUR × 1.25
    expect(pnl.fxEffect.toFixed(2)).toBe('210.00'); // 2200 × 1.25 − 2540
  });

  it('rounds each amount once, half-even, and the price effect takes the residual so the split still foots', () => {
    const position = built(
      [trade('BUY', '3', '33.33', { currency: 'EUR', fxRateToBase: new Dec('1.08335') })],
      CostMethod.FIFO,
    );

    const pnl = unrealizedPnl(position, market('34.01', '1.10125'), EUR_IN_USD);

    // B = 99.99 × 1.08335 = 108.3241665; MV = 102.03 × 1.10125 = 112.3605375; U = 4.036371 → 4.04.
    // FX = 99.99 × 1.10125 − B = 1.789821 → 1.79. Price exact 2.04 × 1.10125 = 2.24655, reported 4.04 − 1.79.
    expect(pnl.local.toFixed()).toBe('2.04');
    expect(pnl.base.toFixed()).toBe('4.04');
    expect(pnl.fxEffect.toFixed()).toBe('1.79');
    expect(pnl.priceEffect.toFixed()).toBe('2.25');
  });

  it('when rounding the two effects separately would not foot, the price effect absorbs the residual', () => {
    const position = built([trade('BUY', '1', '10', { currency: 'EUR' })], CostMethod.FIFO);

    const pnl = unrealizedPnl(position, market('10.006', '1.0006'), EUR_IN_USD);

    // U = 10.006 × 1.0006 − 10 = 0.0120036 → 0.01; FX = 10 × 1.0006 − 10 = 0.006 → 0.01;
    // price exact 0.006 × 1.0006 = 0.0060036 would round to 0.01 too, but is reported 0.01 − 0.01 = 0.00.
    expect(pnl.base.toFixed()).toBe('0.01');
    expect(pnl.fxEffect.toFixed()).toBe('0.01');
    expect(pnl.priceEffect.toFixed()).toBe('0');
  });

  it('a short in a foreign currency: price gain, FX loss on the borrowed proceeds', () => {
    const position = built(
      [trade('SELL', '100', '50', { currency: 'EUR', fxRateToBase: new Dec('1.1') })],
      CostMethod.FIFO,
    );

    const pnl = unrealizedPnl(position, market('45', '1.2'), EUR_IN_USD);

    // U = −4500 × 1.2 + 5500 = 100; price 500 × 1.2 = 600; FX −5000 × 1.2 + 5500 = −500.
    expect([pnl.local, pnl.base, pnl.priceEffect, pnl.fxEffect].map((d) => d.toFixed())).toEqual([
      '500',
      '100',
      '600',
      '-500',
    ]);
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
      realized: '336.50',
      openingUnrealized: '45.00',
      unrealized: '97.50',
      unrealizedChange: '52.50',
      total: '389.00',
      fees: '11.00',
    });
    // Base: realized 1944 × 1.15 − 1105.5 − 692.875 = 437.225 → 437.22 (half-even);
    // unrealized 1176 − 1105.5 = 70.50 → 812 − 692.875 = 119.125 → 119.12; fees 11 × 1.15.
    // FX = 602.5 × 1.16 − 692.875 = 6.025 → 6.02; price = 119.12 − 6.02.
    expect(line && fixed(line.base)).toEqual({
      realized: '437.22',
      openingUnrealized: '70.50',
      unrealized: '119.12',
      unrealizedChange: '48.62',
      total: '485.84', // exact 485.85, but two half-even ties were each rounded once: the line foots as reported
      fees: '12.65',
      priceEffect: '113.10',
      fxEffect: '6.02',
    });
  });

  it.each([CostMethod.LIFO, CostMethod.AVERAGE])(
    '%s: the day total in local currency is 389 as under FIFO',
    (method) => {
      const result = dailyPnlLine(input(method));

      expect(result.ok && result.value.local.total.toFixed(2)).toBe('389.00');
    },
  );

  it('replays the day onto the previous close so a same-day amend and a cancel count once, as amended', () => {
    const [sale, buy] = dayTwo();
    if (sale === undefined || buy === undefined) throw new Error('fixture');
    const cancelledBuy: TradeEvent = { ...buy, version: 2, action: TradeAction.CANCEL };
    const smallerSale: TradeEvent = { ...sale, version: 2, action: TradeAction.AMEND, quantity: new Dec('60') };

    const result = dailyPnlLine({ ...input(CostMethod.FIFO), events: [smallerSale, buy, sale, cancelledBuy] });

    // Only the sale, amended to 60 @ 13 fee 6: realized 780 − 6 − 1005 × 0.6 = 171.
    expect(result.ok && [result.value.tradeCount, result.value.local.realized.toFixed(2)]).toEqual([1, '171.00']);
    expect(result.ok && result.value.closingQuantity.toFixed()).toBe('40');
  });

  it('refuses to value an open previous close without its previous market', () => {
    const result = dailyPnlLine({ ...input(CostMethod.FIFO), previousMarket: undefined });

    expect(result.ok).toBe(false);
  });

  it('an opening unrealized the caller already has is taken as given: the same line as computing it', () => {
    const day = input(CostMethod.FIFO);
    const computed = dailyPnlLine(day);
    const opening = computed.ok ? computed.value.local.openingUnrealized : undefined;
    const openingBase = computed.ok ? computed.value.base.openingUnrealized : undefined;

    const given = dailyPnlLine({
      ...day,
      openingUnrealized: opening && openingBase && { local: opening, base: openingBase },
    });
    const wrong = dailyPnlLine({
      ...day,
      openingUnrealized: { local: new Dec(1), base: new Dec(1) },
    });

    expect(given).toEqual(computed);
    // Taken, not checked: the caller vouches for it.
    expect(wrong.ok && wrong.value.local.openingUnrealized.toFixed()).toBe('1');
  });

  it('a flat previous close needs no previous market', () => {
    const result = dailyPnlLine({
      ...input(CostMethod.FIFO),
      previousClose: emptyPosition(CostMethod.FIFO),
      previousMarket: undefined,
    });

    // Buy 100 @ 12 fee 5, then sell 150 @ 13 fee 6 → 100 closed, 50 short opened at 13.
    expect(result.ok && result.value.local.realized.toFixed(2)).toBe('91.00'); // 1300 − 4 − 1205
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

    expect(byAccount.ok && byAccount.value.map((s) => [s.accountId, s.baseCurrency, s.total.toFixed(2)])).toEqual([
      ['A', 'USD', '8.00'],
      ['B', 'GBP', '9.00'],
    ]);
    expect(overall.map((t) => [t.baseCurrency, t.lineCount, t.total.toFixed(2), t.fees.toFixed(2)])).toEqual([
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
