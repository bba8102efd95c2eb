/**
 * Property tests of lot relief and P&L (lib/domain/lots.ts, lib/domain/pnl.ts) on one account's trades in one seed
 * instrument (test/helpers/arbitraries.ts): quantity is conserved, total P&L is the same under FIFO, LIFO and
 * average cost and equals an independent cash-flow computation, a cancel restores the position exactly, and
 * out-of-order or redelivered events give the position of the ordered, once-only stream.
 *
 * A failure prints fast-check's seed and path; test/helpers/property.ts says how to replay it.
 */
import assert from 'node:assert/strict';

import fc from 'fast-check';

import {
  CostMethod,
  Direction,
  TradeAction,
  applyEvents,
  buildPosition,
  liveEvents,
  openCost,
  positionQuantity,
  type Position,
  type PositionEvent,
  type TradeEvent,
} from '../../../lib/domain/lots';
import { Dec } from '../../../lib/domain/money';
import { dailyPnlLine } from '../../../lib/domain/pnl';
import { fromCloseJson, fromSnapshot, toCloseJson, toSnapshot } from '../../../lib/positions/snapshot';
import { PositionScenario, positionScenarioArbitrary } from '../../helpers/arbitraries';
import { propertyRuns } from '../../helpers/property';

/** Runs of each property; their sum is this file's share of the suite's generated cases. */
const RUNS = { conserved: 400, methods: 400, cancel: 300, amend: 200, order: 300, daily: 200, chain: 200, stored: 300 };

const METHODS = [CostMethod.FIFO, CostMethod.LIFO, CostMethod.AVERAGE] as const;
/**
 * What "the same" allows where a partial relief divides (cost × relieved / quantity at Dec's 40 significant
 * digits): ten orders of magnitude below the smallest minor unit, whatever the amounts here.
 */
const TOLERANCE = new Dec('1e-12');

const scenarios = positionScenarioArbitrary();

function built(events: readonly PositionEvent[], method: CostMethod): Position {
  const result = buildPosition(events, method);
  if (!result.ok) throw new Error(`buildPosition refused: ${JSON.stringify(result.errors)}`);
  return result.value;
}

function eventsOf(scenario: PositionScenario): PositionEvent[] {
  return [...scenario.trades, ...scenario.splits];
}

function assertClose(actual: Dec, expected: Dec, what: string): void {
  assert.ok(
    actual.minus(expected).abs().lte(TOLERANCE),
    `${what}: ${actual.toFixed()} differs from ${expected.toFixed()} by more than ${TOLERANCE.toFixed()}`,
  );
}

/**
 * A position as plain text, every decimal by value: two positions are the same state when these are equal. With
 * `sums`, also its remembered quantity and open cost (lots.ts, rememberSums), which equal the lots added up to
 * Dec's 40 significant digits only: a position read back from storage adds them up afresh.
 */
function stateOf(position: Position, sums = true) {
  return {
    method: position.method,
    currency: position.currency,
    lots: position.lots.map((lot) => ({
      direction: lot.direction,
      quantity: lot.quantity.toFixed(),
      cost: lot.cost.toFixed(),
      costBase: lot.costBase.toFixed(),
      tradeId: lot.tradeId,
      tradeDate: lot.tradeDate,
    })),
    realized: { local: position.realized.local.toFixed(), base: position.realized.base.toFixed() },
    fees: { local: position.fees.local.toFixed(), base: position.fees.base.toFixed() },
    ...(sums
      ? {
          quantity: positionQuantity(position).toFixed(),
          openCost: { local: openCost(position).local.toFixed(), base: openCost(position).base.toFixed() },
        }
      : {}),
  };
}

/**
 * The second implementation the lots are checked against: events in replay order (date, splits first on their
 * ex-date, then trade time, then id), the signed quantity followed through them, and the cash each trade paid or
 * received (buys pay price × quantity plus fees, sells receive it minus fees), in local and base currency.
 */
function cashFlowOracle(scenario: PositionScenario) {
  const ordered = eventsOf(scenario).sort((a, b) => {
    const dateA = a.kind === 'TRADE' ? a.tradeDate : a.effectiveDate;
    const dateB = b.kind === 'TRADE' ? b.tradeDate : b.effectiveDate;
    if (dateA !== dateB) return dateA < dateB ? -1 : 1;
    if (a.kind !== b.kind) return a.kind === 'SPLIT' ? -1 : 1;
    if (a.kind === 'TRADE' && b.kind === 'TRADE') {
      return Date.parse(a.tradeTime) - Date.parse(b.tradeTime) || (a.tradeId < b.tradeId ? -1 : 1);
    }
    return 0;
  });
  let quantity = new Dec(0);
  let cashLocal = new Dec(0);
  let cashBase = new Dec(0);
  let fees = new Dec(0);
  for (const event of ordered) {
    if (event.kind === 'SPLIT') {
      quantity = quantity.times(event.numerator).div(event.denominator);
      continue;
    }
    const gross = event.quantity.times(event.price);
    const cash = event.side === 'BUY' ? gross.plus(event.fees).negated() : gross.minus(event.fees);
    quantity = event.side === 'BUY' ? quantity.plus(event.quantity) : quantity.minus(event.quantity);
    cashLocal = cashLocal.plus(cash);
    cashBase = cashBase.plus(cash.times(event.fxRateToBase));
    fees = fees.plus(event.fees);
  }
  return { quantity, cashLocal, cashBase, fees };
}

/** Total P&L, unrounded: realized so far plus unrealized at the mark, in local and base currency. */
function totalPnl(position: Position, mark: PositionScenario['mark']) {
  const quantity = positionQuantity(position);
  const cost = openCost(position);
  return {
    local: position.realized.local.plus(quantity.times(mark.price)).minus(cost.local),
    base: position.realized.base.plus(quantity.times(mark.price).times(mark.fxRateToBase)).minus(cost.base),
  };
}

describe('lot relief conserves quantity', () => {
  it('under every method the position is the signed sum of the trades (splits scaling it), in lots of one direction', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const oracle = cashFlowOracle(scenario);
        for (const method of METHODS) {
          const position = built(eventsOf(scenario), method);
          const quantity = positionQuantity(position);
          assert.equal(quantity.toFixed(), oracle.quantity.toFixed(), `${method}: position quantity`);
          // The lots added up afresh, not the remembered sums.
          const lotTotal = position.lots.reduce(
            (sum, lot) => sum.plus(lot.direction === Direction.LONG ? lot.quantity : lot.quantity.negated()),
            new Dec(0),
          );
          assert.equal(lotTotal.toFixed(), quantity.toFixed(), `${method}: lots add up to the position`);
          const lotCost = position.lots.reduce(
            (sum, lot) => sum.plus(lot.direction === Direction.LONG ? lot.cost : lot.cost.negated()),
            new Dec(0),
          );
          assertClose(lotCost, openCost(position).local, `${method}: lots' cost adds up to the open cost`);
          assert.ok(
            position.lots.every((lot) => lot.quantity.gt(0)),
            `${method}: every lot holds something`,
          );
          const directions = new Set(position.lots.map((lot) => lot.direction));
          assert.ok(directions.size <= 1, `${method}: lots point one way`);
          assert.equal(
            position.lots[0]?.direction ?? Direction.FLAT,
            quantity.isZero() ? Direction.FLAT : quantity.isPositive() ? Direction.LONG : Direction.SHORT,
          );
          if (method === CostMethod.AVERAGE) assert.ok(position.lots.length <= 1, 'average cost keeps one pool');
          assert.equal(position.fees.local.toFixed(), oracle.fees.toFixed(), `${method}: fees paid`);
        }
      }),
      propertyRuns(RUNS.conserved),
    );
  });
});

describe('total P&L does not depend on the cost method', () => {
  it('realized + unrealized at the same mark is the same under FIFO, LIFO and average cost, and is the cash flow plus market value', () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const oracle = cashFlowOracle(scenario);
        const marketValue = oracle.quantity.times(scenario.mark.price);
        const expected = {
          local: oracle.cashLocal.plus(marketValue),
          base: oracle.cashBase.plus(marketValue.times(scenario.mark.fxRateToBase)),
        };
        for (const method of METHODS) {
          const total = totalPnl(built(eventsOf(scenario), method), scenario.mark);
          assertClose(total.local, expected.local, `${method}: local total`);
          assertClose(total.base, expected.base, `${method}: base total`);
        }
      }),
      propertyRuns(RUNS.methods),
    );
  });
});

/** The CANCEL version of a trade (the next version, same economics). */
function cancelOf(trade: TradeEvent): TradeEvent {
  return { ...trade, version: trade.version + 1, action: TradeAction.CANCEL };
}

describe('a cancel restores the state exactly', () => {
  it('cancelling some trades gives exactly the position as if they had never been booked', () => {
    const cases = scenarios.chain((scenario) =>
      fc.record({
        scenario: fc.constant(scenario),
        cancelled: fc.subarray(scenario.trades.map((trade) => trade.tradeId)),
        method: fc.constantFrom(...METHODS),
      }),
    );
    fc.assert(
      fc.property(cases, ({ scenario, cancelled, method }) => {
        const gone = new Set(cancelled);
        const withCancels = [
          ...eventsOf(scenario),
          ...scenario.trades.filter((trade) => gone.has(trade.tradeId)).map(cancelOf),
        ];
        const without = eventsOf(scenario).filter((event) => event.kind === 'SPLIT' || !gone.has(event.tradeId));
        assert.deepEqual(stateOf(built(withCancels, method)), stateOf(built(without, method)));
      }),
      propertyRuns(RUNS.cancel),
    );
  });

  it('an amend gives exactly the position as if the trade had always been as amended, and cancelling the amend removes it', () => {
    const cases = scenarios.chain((scenario) =>
      fc.record({
        scenario: fc.constant(scenario),
        index: fc.nat({ max: scenario.trades.length - 1 }),
        lots: fc.integer({ min: 1, max: 2_000 }),
        side: fc.constantFrom('BUY' as const, 'SELL' as const),
        bps: fc.integer({ min: -500, max: 500 }),
        method: fc.constantFrom(...METHODS),
      }),
    );
    fc.assert(
      fc.property(cases, ({ scenario, index, lots, side, bps, method }) => {
        const original = scenario.trades[index];
        if (original === undefined) throw new Error('no trade to amend');
        const amended: TradeEvent = {
          ...original,
          version: 2,
          action: TradeAction.AMEND,
          side,
          quantity: scenario.instrument.lotSize.times(lots),
          price: original.price
            .times(10_000 + bps)
            .div(10_000)
            .toDecimalPlaces(scenario.instrument.priceDecimals),
        };
        const others = eventsOf(scenario).filter((event) => event !== original);
        const asIfAlways = [...others, { ...amended, version: 1, action: TradeAction.NEW }];
        assert.deepEqual(stateOf(built([...eventsOf(scenario), amended], method)), stateOf(built(asIfAlways, method)));
        assert.deepEqual(
          stateOf(built([...eventsOf(scenario), amended, cancelOf(amended)], method)),
          stateOf(built(others, method)),
        );
      }),
      propertyRuns(RUNS.amend),
    );
  });
});

describe('arrival order does not matter', () => {
  it('shuffled, with amends before their NEW and redelivered versions, gives the position of the ordered stream', () => {
    const cases = scenarios.chain((scenario) => {
      const amends = scenario.trades
        .filter((_, index) => index % 3 === 0)
        .map((trade): TradeEvent => ({
          ...trade,
          version: 2,
          action: TradeAction.AMEND,
          quantity: trade.quantity.plus(scenario.instrument.lotSize),
        }));
      const stream = [...eventsOf(scenario), ...amends];
      return fc.record({
        stream: fc.constant(stream),
        arrival: fc.shuffledSubarray(stream, { minLength: stream.length }),
        redelivered: fc.subarray(stream),
        method: fc.constantFrom(...METHODS),
      });
    });
    fc.assert(
      fc.property(cases, ({ stream, arrival, redelivered, method }) => {
        assert.deepEqual(stateOf(built([...arrival, ...redelivered], method)), stateOf(built(stream, method)));
      }),
      propertyRuns(RUNS.order),
    );
  });

  it("a day's P&L line is the same whatever the order its events arrive in, and a same-day cancel leaves the day as without the trade", () => {
    const cases = scenarios.chain((scenario) => {
      const lastDate = scenario.mark.date;
      const before = eventsOf(scenario).filter(
        (event) => (event.kind === 'TRADE' ? event.tradeDate : event.effectiveDate) < lastDate,
      );
      const today = eventsOf(scenario).filter((event) => !before.includes(event));
      return fc.record({
        scenario: fc.constant(scenario),
        before: fc.constant(before),
        today: fc.constant(today),
        arrival: fc.shuffledSubarray(today, { minLength: today.length }),
        cancelled: fc.subarray(today.filter((event): event is TradeEvent => event.kind === 'TRADE')),
        method: fc.constantFrom(...METHODS),
      });
    });
    fc.assert(
      fc.property(cases, ({ scenario, before, today, arrival, cancelled, method }) => {
        const previousClose = built(before, method);
        const line = (events: readonly PositionEvent[]) => {
          const result = dailyPnlLine({
            accountId: scenario.account.id,
            instrumentId: scenario.instrument.isin,
            businessDate: scenario.mark.date,
            currency: scenario.instrument.currency,
            baseCurrency: scenario.account.baseCurrency,
            previousClose,
            // Yesterday's mark: the same close is as good as any for comparing two lines.
            previousMarket: { price: scenario.mark.price, fxRateToBase: scenario.mark.fxRateToBase },
            events,
            market: { price: scenario.mark.price, fxRateToBase: scenario.mark.fxRateToBase },
          });
          if (!result.ok) throw new Error(`dailyPnlLine refused: ${JSON.stringify(result.errors)}`);
          const { closingPosition, ...figures } = result.value;
          return { figures: JSON.parse(JSON.stringify(figures)) as unknown, closing: stateOf(closingPosition) };
        };
        assert.deepEqual(line(arrival), line(today));
        const gone = new Set(cancelled);
        assert.deepEqual(
          line([...arrival, ...cancelled.map(cancelOf)]),
          line(today.filter((event) => !(event.kind === 'TRADE' && gone.has(event)))),
        );
      }),
      propertyRuns(RUNS.daily),
    );
  });

  it('day by day, each line starting from the previous close, ends in the position replayed from scratch', () => {
    const cases = scenarios.chain((scenario) =>
      fc.record({ scenario: fc.constant(scenario), method: fc.constantFrom(...METHODS) }),
    );
    fc.assert(
      fc.property(cases, ({ scenario, method }) => {
        const dateOf = (event: PositionEvent) => (event.kind === 'TRADE' ? event.tradeDate : event.effectiveDate);
        const days = [...new Set(eventsOf(scenario).map(dateOf))].sort();
        let close: Position | undefined;
        for (const day of days) {
          const result = dailyPnlLine({
            accountId: scenario.account.id,
            instrumentId: scenario.instrument.isin,
            businessDate: day,
            currency: scenario.instrument.currency,
            baseCurrency: scenario.account.baseCurrency,
            previousClose: close ?? built([], method),
            previousMarket: { price: scenario.mark.price, fxRateToBase: scenario.mark.fxRateToBase },
            events: eventsOf(scenario).filter((event) => dateOf(event) === day),
            market: { price: scenario.mark.price, fxRateToBase: scenario.mark.fxRateToBase },
          });
          if (!result.ok) throw new Error(`dailyPnlLine refused: ${JSON.stringify(result.errors)}`);
          close = result.value.closingPosition;
        }
        if (close === undefined) throw new Error('no day');
        assert.deepEqual(stateOf(close), stateOf(built(eventsOf(scenario), method)));
      }),
      propertyRuns(RUNS.chain),
    );
  });

  it('a position stored (as the positions table or the daily close keeps it) and read back replays the rest as the one in memory', () => {
    const cases = scenarios.chain((scenario) => {
      const events = eventsOf(scenario);
      return fc.record({
        scenario: fc.constant(scenario),
        cut: fc.nat({ max: events.length }),
        method: fc.constantFrom(...METHODS),
      });
    });
    fc.assert(
      fc.property(cases, ({ scenario, cut, method }) => {
        const live = liveEvents(eventsOf(scenario));
        if (!live.ok) throw new Error('no live set');
        const before = live.value.slice(0, cut);
        const after = live.value.slice(cut);
        const inMemory = built(before, method);
        const stored = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(inMemory))));
        assert.deepEqual(stateOf(stored, false), stateOf(inMemory, false), 'the snapshot reads back as it was');
        assertClose(openCost(stored).local, openCost(inMemory).local, 'open cost read back');
        const close = fromCloseJson(toCloseJson(inMemory));
        assert.deepEqual(stateOf(close).lots, stateOf(inMemory).lots, 'the close keeps the lots');
        const replay = (start: Position) => {
          const result = applyEvents(start, after);
          if (!result.ok) throw new Error(`applyEvents refused: ${JSON.stringify(result.errors)}`);
          return result.value;
        };
        assert.deepEqual(stateOf(replay(stored), false), stateOf(replay(inMemory), false), 'the rest replays alike');
        // A close carries no realized P&L: what the rest adds to it is what it adds to the position in memory.
        const fromClose = replay(close);
        const fromMemory = replay(inMemory);
        assert.deepEqual(stateOf(fromClose).lots, stateOf(fromMemory).lots);
        // (Within TOLERANCE: realized adds up at Dec's 40 significant digits, from zero or from what was realized.)
        assertClose(
          fromClose.realized.local,
          fromMemory.realized.local.minus(inMemory.realized.local),
          'realized after the close',
        );
        // And the close stored again after the rest is the one the position in memory gives.
        assert.equal(toCloseJson(fromClose), toCloseJson(fromMemory));
      }),
      propertyRuns(RUNS.stored),
    );
  });
});
