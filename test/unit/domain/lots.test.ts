import {
  CostMethod,
  Direction,
  TradeAction,
  applyTrade,
  buildPosition,
  emptyPosition,
  liveEvents,
  openCost,
  positionDirection,
  positionQuantity,
  relieveLots,
  type Position,
  type PositionEvent,
  type SplitEvent,
  type TradeEvent,
} from '../../../lib/domain/lots';
import { Dec } from '../../../lib/domain/money';

/** hh:mm:ss that many seconds after 09:00, so fixture trades stay in creation order all day. */
function clock(seconds: number): string {
  return new Date(Date.UTC(2024, 0, 1, 9, 0, seconds)).toISOString().slice(11, 19);
}

let sequence = 0;

/** A NEW version 1 trade in USD with no fees, stamped a second after the previous one on 2024-06-03. */
function trade(side: 'BUY' | 'SELL', quantity: string, price: string, extra: Partial<TradeEvent> = {}): TradeEvent {
  sequence += 1;
  return {
    kind: 'TRADE',
    tradeId: `T${String(sequence).padStart(3, '0')}`,
    version: 1,
    action: TradeAction.NEW,
    side,
    quantity: new Dec(quantity),
    price: new Dec(price),
    fees: new Dec(0),
    tradeDate: '2024-06-03',
    tradeTime: `2024-06-03T${clock(sequence)}Z`,
    currency: 'USD',
    fxRateToBase: new Dec(1),
    ...extra,
  };
}

function split(id: string, numerator: number, denominator: number, effectiveDate: string): SplitEvent {
  return {
    kind: 'SPLIT',
    corporateActionId: id,
    numerator: new Dec(numerator),
    denominator: new Dec(denominator),
    effectiveDate,
  };
}

function built(events: readonly PositionEvent[], method: CostMethod): Position {
  const result = buildPosition(events, method);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

/** A position as plain strings, so two positions compare with toEqual. */
function snapshot(position: Position) {
  return {
    method: position.method,
    currency: position.currency,
    lots: position.lots.map((lot) => ({
      direction: lot.direction,
      quantity: lot.quantity.toFixed(),
      cost: lot.cost.toFixed(),
      costBase: lot.costBase.toFixed(),
      tradeId: lot.tradeId,
    })),
    realized: [position.realized.local.toFixed(), position.realized.base.toFixed()],
    fees: [position.fees.local.toFixed(), position.fees.base.toFixed()],
  };
}

/** mulberry32: a seeded generator so a shuffle that fails can be reproduced. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const a = copy[i];
    const b = copy[j];
    if (a === undefined || b === undefined) throw new Error('index out of range');
    copy[i] = b;
    copy[j] = a;
  }
  return copy;
}

describe('lots: DOMAIN.md worked example (buy 100 @ 10, buy 100 @ 12, sell 150 @ 13)', () => {
  const workedExample = () => [
    trade('BUY', '100', '10.00'),
    trade('BUY', '100', '12.00'),
    trade('SELL', '150', '13.00'),
  ];

  it('FIFO realizes 100×3 + 50×1 = 350 and keeps 50 @ 12', () => {
    const position = built(workedExample(), CostMethod.FIFO);

    expect(position.realized.local.toFixed(2)).toBe('350.00');
    expect(positionQuantity(position).toFixed()).toBe('50');
    expect(openCost(position).local.toFixed(2)).toBe('600.00');
  });

  it('AVERAGE realizes 150×(13−11) = 300 and keeps one pooled lot of 50 @ 11', () => {
    const position = built(workedExample(), CostMethod.AVERAGE);

    expect(position.realized.local.toFixed(2)).toBe('300.00');
    expect(position.lots).toHaveLength(1);
    expect(positionQuantity(position).toFixed()).toBe('50');
    expect(openCost(position).local.toFixed(2)).toBe('550.00');
  });

  it('LIFO realizes 100×1 + 50×3 = 250 and keeps 50 @ 10', () => {
    const position = built(workedExample(), CostMethod.LIFO);

    expect(position.realized.local.toFixed(2)).toBe('250.00');
    expect(openCost(position).local.toFixed(2)).toBe('500.00');
  });
});

describe('lots: fees (buy 100 @ 10 fee 5, buy 100 @ 12 fee 5, sell 150 @ 13 fee 6)', () => {
  // Lot costs 1005 and 1205; net proceeds 1950 − 6 = 1944.
  const withFees = () => [
    trade('BUY', '100', '10', { fees: new Dec('5') }),
    trade('BUY', '100', '12', { fees: new Dec('5') }),
    trade('SELL', '150', '13', { fees: new Dec('6') }),
  ];

  it.each([
    // FIFO relieves 1005 + 1205×50/100 = 1607.5; keeps 1205 − 602.5.
    [CostMethod.FIFO, '336.5', '602.5'],
    // LIFO relieves 1205 + 1005×50/100 = 1707.5; keeps 1005 − 502.5.
    [CostMethod.LIFO, '236.5', '502.5'],
    // AVERAGE pool 2210 for 200; relieves 2210×150/200 = 1657.5; keeps 552.5.
    [CostMethod.AVERAGE, '286.5', '552.5'],
  ])('%s: buy fees add to cost, sell fees reduce proceeds (realized %s, open cost %s)', (method, realized, cost) => {
    const position = built(withFees(), method);

    expect(position.realized.local.toFixed()).toBe(realized);
    expect(openCost(position).local.toFixed()).toBe(cost);
    expect(position.fees.local.toFixed()).toBe('16');
  });

  it('realized minus open cost, the method-independent part of total P&L, is the same under every method', () => {
    const methods = [CostMethod.FIFO, CostMethod.LIFO, CostMethod.AVERAGE];

    const realizedLessCost = methods.map((method) => {
      const position = built(withFees(), method);
      return position.realized.local.minus(openCost(position).local).toFixed();
    });

    // 1944 − 1005 − 1205 = −266 whichever lots were relieved.
    expect(realizedLessCost).toEqual(['-266', '-266', '-266']);
  });
});

describe('lots: flips', () => {
  it('a sell larger than the long closes it, realizes, and opens a short at the sell price with its share of fees', () => {
    const events = [
      trade('BUY', '100', '10', { fees: new Dec('4') }),
      trade('SELL', '150', '12', { fees: new Dec('6') }),
    ];

    const position = built(events, CostMethod.FIFO);

    // Closing 100 carries 6×100/150 = 4 of the fees: realized = 1200 − 4 − 1004 = 192.
    expect(position.realized.local.toFixed()).toBe('192');
    expect(positionDirection(position)).toBe(Direction.SHORT);
    expect(positionQuantity(position).toFixed()).toBe('-50');
    // The short's basis is its net proceeds: 50×12 − 2 = 598.
    expect(position.lots[0]?.cost.toFixed()).toBe('598');
  });

  it.each([CostMethod.FIFO, CostMethod.LIFO, CostMethod.AVERAGE])(
    '%s: a buy larger than the short covers it and opens a long at the buy price',
    (method) => {
      const events = [
        trade('SELL', '100', '20', { fees: new Dec('10') }),
        trade('BUY', '300', '18', { fees: new Dec('30') }),
      ];

      const position = built(events, method);

      // Short basis 2000 − 10 = 1990; cover 1800 + 10 = 1810 → realized 180. New long 200 @ 18 + 20 fees.
      expect(position.realized.local.toFixed()).toBe('180');
      expect(positionDirection(position)).toBe(Direction.LONG);
      expect(positionQuantity(position).toFixed()).toBe('200');
      expect(openCost(position).local.toFixed()).toBe('3620');
    },
  );

  it('a sell of exactly the long leaves the position flat', () => {
    const position = built([trade('BUY', '10', '5'), trade('SELL', '10', '6')], CostMethod.FIFO);

    expect(positionDirection(position)).toBe(Direction.FLAT);
    expect(position.lots).toHaveLength(0);
    expect(position.realized.local.toFixed()).toBe('10');
  });

  it('fees shared with a non-terminating ratio lose nothing once rounded to cents', () => {
    const events = [trade('BUY', '1', '10'), trade('SELL', '3', '10', { fees: new Dec('1') })];

    const position = built(events, CostMethod.FIFO);

    // Cash: −10 + 30 − 1 = 19 = realized (−1/3) + short basis (20 − 2/3).
    expect(position.realized.local.toFixed(2)).toBe('-0.33');
    expect(position.realized.local.plus(position.lots[0]?.cost ?? 0).toFixed(20)).toBe('19.00000000000000000000');
  });
});

describe('lots: total P&L does not depend on the cost method', () => {
  it.each([3, 17, 256, 4099])('random trades with fees and flips (seed %d): realized + unrealized agree', (seed) => {
    const random = seededRandom(seed);
    const events = Array.from({ length: 40 }, (_, i) =>
      trade(random() < 0.5 ? 'BUY' : 'SELL', String(1 + Math.floor(random() * 300)), (5 + random() * 10).toFixed(2), {
        fees: new Dec((random() * 3).toFixed(2)),
        tradeTime: `2024-06-03T14:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}Z`,
      }),
    );
    const closePrice = new Dec('11.37');

    const totals = [CostMethod.FIFO, CostMethod.LIFO, CostMethod.AVERAGE].map((method) => {
      const position = built(events, method);
      const unrealized = positionQuantity(position).times(closePrice).minus(openCost(position).local);
      return position.realized.local.plus(unrealized).toFixed(20);
    });

    // Cash view, independent of any lot: sells net of fees − buys with fees + closing market value.
    const cash = events.reduce((sum, t) => {
      const gross = t.quantity.times(t.price);
      return t.side === 'SELL' ? sum.plus(gross).minus(t.fees) : sum.minus(gross).minus(t.fees);
    }, new Dec(0));
    const held = events.reduce((q, t) => (t.side === 'BUY' ? q.plus(t.quantity) : q.minus(t.quantity)), new Dec(0));
    const expected = cash.plus(held.times(closePrice)).toFixed(20);
    expect(totals).toEqual([expected, expected, expected]);
  });
});

describe('lots: relieveLots', () => {
  it('LIFO takes the newest lot first and keeps the rest in opening order', () => {
    const position = [trade('BUY', '10', '1'), trade('BUY', '10', '2'), trade('BUY', '10', '3')].reduce(
      applyTrade,
      emptyPosition(CostMethod.LIFO),
    );

    const { relief, remaining } = relieveLots(position.lots, new Dec('15'), CostMethod.LIFO);

    expect(relief.cost.toFixed()).toBe('40'); // 10×3 + 5×2
    expect(remaining.map((lot) => [lot.quantity.toFixed(), lot.cost.toFixed()])).toEqual([
      ['10', '10'],
      ['5', '10'],
    ]);
  });
});

describe('lots: amend, cancel and arrival order', () => {
  it('an amend gives exactly the position as if the trade had always been as amended', () => {
    const first = trade('BUY', '100', '10');
    const second = trade('BUY', '100', '12');
    const sale = trade('SELL', '150', '13');
    const amended: TradeEvent = { ...first, version: 2, action: TradeAction.AMEND, price: new Dec('9.50') };

    const afterAmend = built([first, second, sale, amended], CostMethod.FIFO);
    const alwaysAmended = built([{ ...amended, version: 1, action: TradeAction.NEW }, second, sale], CostMethod.FIFO);

    expect(snapshot(afterAmend)).toEqual(snapshot(alwaysAmended));
    expect(afterAmend.realized.local.toFixed()).toBe('400'); // 100×3.5 + 50×1
  });

  it('a cancel gives exactly the position as if the trade had never existed', () => {
    const first = trade('BUY', '100', '10');
    const second = trade('BUY', '100', '12');
    const sale = trade('SELL', '150', '13');
    const cancel: TradeEvent = { ...first, version: 2, action: TradeAction.CANCEL };

    const afterCancel = built([first, second, sale, cancel], CostMethod.FIFO);
    const neverBooked = built([second, sale], CostMethod.FIFO);

    expect(snapshot(afterCancel)).toEqual(snapshot(neverBooked));
    // Without the first buy the sale flips: 100 closed at +1, 50 short opened at 13.
    expect(afterCancel.realized.local.toFixed()).toBe('100');
    expect(positionQuantity(afterCancel).toFixed()).toBe('-50');
  });

  it('a cancel is terminal even if it arrives before an amend with a lower version', () => {
    const first = trade('BUY', '100', '10');
    const cancel: TradeEvent = { ...first, version: 3, action: TradeAction.CANCEL };
    const amend: TradeEvent = { ...first, version: 2, action: TradeAction.AMEND, quantity: new Dec('50') };

    const position = built([cancel, amend, first], CostMethod.FIFO);

    expect(position.lots).toHaveLength(0);
  });

  it.each([1, 7, 42, 2024, 99991])('out-of-order arrival (seed %d) gives the in-order position', (seed) => {
    const a = trade('BUY', '100', '10', { fees: new Dec('1.25') });
    const b = trade('BUY', '60', '11', { tradeDate: '2024-06-04', tradeTime: '2024-06-04T09:30:00-04:00' });
    const c = trade('SELL', '200', '12', { tradeDate: '2024-06-04', tradeTime: '2024-06-04T14:00:00Z' });
    const cAmended: TradeEvent = { ...c, version: 2, action: TradeAction.AMEND, quantity: new Dec('220') };
    const d = trade('BUY', '30', '9', { tradeDate: '2024-06-05', tradeTime: '2024-06-05T15:00:00Z' });
    const dCancelled: TradeEvent = { ...d, version: 2, action: TradeAction.CANCEL };
    const e = trade('BUY', '100', '6', { tradeDate: '2024-06-06', tradeTime: '2024-06-06T15:00:00Z' });
    const twoForOne = split('CA-1', 2, 1, '2024-06-06');
    const inOrder = [a, b, c, cAmended, d, dCancelled, twoForOne, e];
    const arrivals = shuffled([...inOrder, b, cAmended], seed); // with two redeliveries

    const expected = built(inOrder, CostMethod.FIFO);
    const actual = built(arrivals, CostMethod.FIFO);

    expect(snapshot(actual)).toEqual(snapshot(expected));
    // 100 @ 10.0125 and 60 @ 11 sold at 12 (198.75 + 60), 60 short at 12 → split to 120 short at 6, covered by 100.
    expect(expected.realized.local.toFixed()).toBe('258.75');
    expect(positionQuantity(expected).toFixed()).toBe('-20');
  });

  it('the same trade version delivered twice with different contents is refused, not guessed', () => {
    const first = trade('BUY', '100', '10');

    const result = liveEvents([first, { ...first, price: new Dec('10.01') }]);

    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((error) => error.code)).toEqual(['CONFLICTING_VERSION']);
  });

  it('trades sort by trade time as instants, then tradeId, whatever their offsets', () => {
    const late = trade('BUY', '1', '1', { tradeId: 'A', tradeTime: '2024-06-03T10:00:00-04:00' }); // 14:00Z
    const early = trade('BUY', '1', '1', { tradeId: 'B', tradeTime: '2024-06-03T13:00:00Z' });
    const tie = trade('BUY', '1', '1', { tradeId: 'C', tradeTime: '2024-06-03T14:00:00Z' });

    const result = liveEvents([tie, late, early]);

    expect(result.ok && result.value.map((event) => (event.kind === 'TRADE' ? event.tradeId : ''))).toEqual([
      'B',
      'A',
      'C',
    ]);
  });
});

describe('lots: splits', () => {
  it('2:1 doubles quantity, halves unit cost and leaves realized P&L as without the split', () => {
    const buys = [trade('BUY', '100', '10'), trade('BUY', '100', '12')];
    const splitOnThe4th = split('CA-2', 2, 1, '2024-06-04');
    const postSplitSale = trade('SELL', '300', '6.50', { tradeDate: '2024-06-04', tradeTime: '2024-06-04T15:00:00Z' });

    const position = built([...buys, splitOnThe4th, postSplitSale], CostMethod.FIFO);

    // As the worked example at half the price and twice the shares: realized 350, 100 left costing 600.
    expect(position.realized.local.toFixed()).toBe('350');
    expect(positionQuantity(position).toFixed()).toBe('100');
    expect(openCost(position).local.toFixed()).toBe('600');
  });

  it('3:2 scales quantity by 1.5, keeps each lot cost, keeps a fractional share rather than lose its cost', () => {
    const events = [trade('BUY', '100', '15', { fees: new Dec('3') }), trade('BUY', '101', '15')];

    const before = built(events, CostMethod.FIFO);
    const after = built([...events, split('CA-3', 3, 2, '2024-06-10')], CostMethod.FIFO);

    expect(after.lots.map((lot) => [lot.quantity.toFixed(), lot.cost.toFixed()])).toEqual([
      ['150', '1503'],
      ['151.5', '1515'],
    ]);
    expect(openCost(after).local.eq(openCost(before).local)).toBe(true);
    expect(after.realized.local.eq(before.realized.local)).toBe(true);
  });

  it('a split applies to a short position too', () => {
    const position = built([trade('SELL', '40', '30'), split('CA-4', 3, 2, '2024-06-10')], CostMethod.LIFO);

    expect(positionQuantity(position).toFixed()).toBe('-60');
    expect(openCost(position).local.toFixed()).toBe('-1200');
  });

  it('a ratio with no exact decimal quantity is refused rather than rounded', () => {
    const result = buildPosition([trade('BUY', '100', '3'), split('CA-5', 1, 3, '2024-06-10')], CostMethod.FIFO);

    expect(result.ok ? [] : result.errors.map((error) => error.code)).toEqual(['INEXACT_SPLIT']);
  });
});

describe('lots: validation and currencies', () => {
  it('refuses a non-positive quantity, a trade time without offset and a trade in another currency', () => {
    const zero = buildPosition([trade('BUY', '0', '10')], CostMethod.FIFO);
    const hostLocalTime = buildPosition(
      [trade('BUY', '1', '10', { tradeTime: '2024-06-03T14:00:00' })],
      CostMethod.FIFO,
    );
    const mixed = buildPosition(
      [trade('BUY', '1', '10'), trade('BUY', '1', '10', { currency: 'EUR' })],
      CostMethod.FIFO,
    );

    expect(zero.ok ? [] : zero.errors.map((error) => error.code)).toEqual(['INVALID_TRADE']);
    expect(hostLocalTime.ok ? [] : hostLocalTime.errors.map((error) => error.message)).toEqual([
      'tradeTime must be an ISO 8601 timestamp with Z or an offset',
    ]);
    expect(mixed.ok ? [] : mixed.errors.map((error) => error.code)).toEqual(['CURRENCY_MISMATCH']);
  });

  it('carries cost in base currency at the trade-date rate and realizes base P&L at the sale-date rate', () => {
    const buy = trade('BUY', '100', '10', { currency: 'EUR', fxRateToBase: new Dec('1.10') });
    const sell = trade('SELL', '40', '11', { currency: 'EUR', fxRateToBase: new Dec('1.20') });

    const position = built([buy, sell], CostMethod.FIFO);

    // Relieved base cost 400 × 1.10 = 440; proceeds 440 EUR × 1.20 = 528 USD.
    expect(position.realized.local.toFixed()).toBe('40');
    expect(position.realized.base.toFixed()).toBe('88');
    expect(openCost(position).base.toFixed()).toBe('660');
  });
});

describe('lots: the remembered sums follow each trade', () => {
  /** The sums added up afresh over the lots, as openCost and positionQuantity did before they were remembered. */
  function summed(position: Position): { quantity: string; local: string; base: string } {
    const sign = (direction: string, amount: Dec): Dec => (direction === Direction.LONG ? amount : amount.negated());
    return {
      quantity: position.lots.reduce((sum, lot) => sum.plus(sign(lot.direction, lot.quantity)), new Dec(0)).toFixed(),
      local: position.lots.reduce((sum, lot) => sum.plus(sign(lot.direction, lot.cost)), new Dec(0)).toFixed(),
      base: position.lots.reduce((sum, lot) => sum.plus(sign(lot.direction, lot.costBase)), new Dec(0)).toFixed(),
    };
  }

  it.each([CostMethod.FIFO, CostMethod.LIFO, CostMethod.AVERAGE])(
    '%s: through buys, partial sells, flips both ways and a split, they equal the lots added up',
    (method) => {
      const rate = { fxRateToBase: new Dec('0.9137') };
      const events: PositionEvent[] = [
        trade('BUY', '100', '10.01', { fees: new Dec('1.25'), ...rate }),
        trade('BUY', '70', '11.30', { fees: new Dec('0.7'), ...rate }),
        trade('SELL', '45', '12', { fees: new Dec('0.33'), ...rate }),
        trade('SELL', '200', '9.5', { fees: new Dec('2'), ...rate }),
        trade('SELL', '15', '9.25', rate),
        trade('BUY', '30', '9.1', { fees: new Dec('0.1'), ...rate }),
        trade('BUY', '100', '8.75', { fees: new Dec('1'), ...rate }),
      ];
      let position = emptyPosition(method);
      for (const event of events) {
        if (event.kind !== 'TRADE') continue;
        position = applyTrade(position, event);
        const cost = openCost(position);

        expect({
          quantity: positionQuantity(position).toFixed(),
          local: cost.local.toFixed(),
          base: cost.base.toFixed(),
        }).toEqual(summed(position));
      }
      const afterSplit = buildPosition([...events, split('CA-1', 3, 2, '2024-06-04')], method);
      if (!afterSplit.ok) throw new Error(JSON.stringify(afterSplit.errors));
      const cost = openCost(afterSplit.value);

      expect({
        quantity: positionQuantity(afterSplit.value).toFixed(),
        local: cost.local.toFixed(),
        base: cost.base.toFixed(),
      }).toEqual(summed(afterSplit.value));
    },
  );
});
