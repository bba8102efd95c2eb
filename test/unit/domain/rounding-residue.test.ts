/**
 * A half-cent tie computed through inexact pro-rata quotients is rounded as the tie (issue 13: the faults run's
 * ACC-008 GB0009895292 realized -270.495 exactly, computed -270.494999…996 at 40 digits, was reported -270.49;
 * the half-even answer is -270.50). The trades are that position's live trades of seed 4242.
 */
import fc from 'fast-check';

import { buildPosition, CostMethod, type TradeEvent } from '../../../lib/domain/lots';
import { Dec, EXACT_PLACES, Rounding, roundToCurrency } from '../../../lib/domain/money';

// [tradeId, side, quantity, price, commission, tradeDate, tradeTime]: ACC-008's GB0009895292 trades, seed 4242.
const ACC_008: [string, 'BUY' | 'SELL', string, string, string, string, string][] = [
  ['T269', 'SELL', '200', '105.73', '10.57', '2024-05-23', '07:34:11.080'],
  ['T1255', 'BUY', '120', '105.85', '6.35', '2024-05-23', '09:39:57.386'],
  ['T1605', 'BUY', '120', '105.84', '6.35', '2024-05-23', '10:24:31.392'],
  ['T2118', 'SELL', '30', '105.72', '1.59', '2024-05-23', '11:29:58.281'],
  ['T2619', 'BUY', '60', '105.80', '3.17', '2024-05-23', '12:33:54.450'],
  ['T3426', 'SELL', '200', '105.60', '10.56', '2024-05-23', '14:16:48.728'],
  ['T3552', 'BUY', '160', '106.21', '8.50', '2024-05-23', '14:32:45.564'],
  ['T4833', 'SELL', '200', '105.26', '10.53', '2024-05-24', '08:46:08.876'],
  ['T4959', 'BUY', '120', '104.88', '6.29', '2024-05-24', '09:02:11.425'],
  ['T5374', 'BUY', '210', '105.86', '11.12', '2024-05-24', '09:55:10.984'],
  ['T5417', 'SELL', '170', '104.99', '8.92', '2024-05-24', '10:00:32.625'],
  ['T5610', 'SELL', '80', '105.65', '4.23', '2024-05-24', '10:25:15.741'],
  ['T7116', 'BUY', '50', '105.55', '2.64', '2024-05-24', '13:37:10.199'],
  ['T13199', 'SELL', '160', '106.80', '8.54', '2024-05-28', '09:32:50.881'],
  ['T14031', 'BUY', '40', '105.68', '2.11', '2024-05-28', '11:18:54.375'],
  ['T14328', 'BUY', '160', '106.59', '8.53', '2024-05-28', '11:56:44.409'],
  ['T14671', 'BUY', '60', '106.59', '3.20', '2024-05-28', '12:40:32.673'],
  ['T14836', 'BUY', '160', '105.34', '8.43', '2024-05-28', '13:01:30.919'],
  ['T15414', 'BUY', '160', '106.17', '8.49', '2024-05-28', '14:15:10.868'],
  ['T16696', 'BUY', '180', '104.97', '9.45', '2024-05-29', '08:28:41.302'],
  ['T17035', 'BUY', '120', '104.96', '6.30', '2024-05-29', '09:11:56.653'],
  ['T18075', 'SELL', '251', '105.20', '13.20', '2024-05-29', '11:24:31.696'],
  ['T18559', 'SELL', '20', '104.49', '1.04', '2024-05-29', '12:26:09.430'],
  ['T18704', 'SELL', '219', '106.05', '11.61', '2024-05-29', '12:44:41.544'],
  ['T19209', 'BUY', '20', '106.38', '1.06', '2024-05-29', '13:49:03.336'],
  ['T19724', 'BUY', '20', '105.71', '1.06', '2024-05-29', '14:54:44.832'],
  ['T19806', 'SELL', '160', '106.30', '8.50', '2024-05-29', '15:05:13.272'],
];

function trade([tradeId, side, quantity, price, fees, tradeDate, time]: (typeof ACC_008)[number]): TradeEvent {
  return {
    kind: 'TRADE',
    tradeId,
    version: 1,
    action: 'NEW',
    side,
    quantity: new Dec(quantity),
    price: new Dec(price),
    fees: new Dec(fees),
    tradeDate,
    tradeTime: `${tradeDate}T${time}Z`,
    currency: 'GBP',
    fxRateToBase: new Dec(1),
  };
}

describe('rounding once, at the end, to minor units', () => {
  it("ACC-008's realized P&L, exactly -270.495 through inexact shares, is -270.50 half-even", () => {
    // Arrange
    const position = buildPosition(ACC_008.map(trade), CostMethod.FIFO);
    if (!position.ok) throw new Error('the position does not build');

    // Act
    const realized = position.value.realized.local;

    // Assert: the full-precision figure carries a quotient residue, the rounded one does not
    expect(realized.eq('-270.495')).toBe(false);
    expect(realized.toDecimalPlaces(EXACT_PLACES).toFixed()).toBe('-270.495');
    expect(roundToCurrency(realized, 'GBP').toFixed(2)).toBe('-270.50');
    expect(roundToCurrency(realized, 'GBP', Rounding.HALF_UP).toFixed(2)).toBe('-270.50');
  });

  it('a tie off by a quotient residue (below 1e-30) rounds as the tie, either way the residue falls', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -1_000_000_000_000n, max: 1_000_000_000_000n }),
        fc.integer({ min: 1, max: 9_999 }),
        fc.boolean(),
        (cents, residue, above) => {
          // Arrange: a whole number of cents and a half, nudged by a residue at the 38th place
          const tie = new Dec(`${cents}.5`).div(100);
          const nudge = new Dec(residue).times(new Dec(`0.${'0'.repeat(37)}1`));
          const computed = above ? tie.plus(nudge) : tie.minus(nudge);

          // Act / Assert
          expect(roundToCurrency(computed, 'USD').eq(roundToCurrency(tie, 'USD'))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
