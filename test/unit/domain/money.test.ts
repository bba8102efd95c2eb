import { Dec, Rounding, hasAtMostDecimals, minorUnits, parseDecimal, roundToCurrency } from '../../../lib/domain/money';

describe('money', () => {
  it('knows ISO 4217 minor units', () => {
    expect([minorUnits('USD'), minorUnits('JPY'), minorUnits('BHD')]).toEqual([2, 0, 3]);
    expect(() => minorUnits('XXX')).toThrow('unknown currency XXX');
  });

  it('rounds once at the end, half-even by default and half-up on request', () => {
    expect(roundToCurrency(new Dec('2.345'), 'USD').toFixed()).toBe('2.34');
    expect(roundToCurrency(new Dec('2.345'), 'USD', Rounding.HALF_UP).toFixed()).toBe('2.35');
    expect(roundToCurrency(new Dec('1234.5'), 'JPY').toFixed()).toBe('1234');
    expect(roundToCurrency(new Dec('0.0005'), 'BHD', Rounding.HALF_UP).toFixed()).toBe('0.001');
  });

  it('does not lose precision where binary floating point would', () => {
    expect(new Dec('0.1').plus('0.2').equals('0.3')).toBe(true);
  });

  it('parses only canonical decimal strings and counts their decimals', () => {
    expect(parseDecimal('1e3')).toBeUndefined();
    expect(parseDecimal('01.5')).toBeUndefined();
    const price = parseDecimal('10.125');
    expect(price && hasAtMostDecimals(price, 2)).toBe(false);
    expect(price && hasAtMostDecimals(price, 3)).toBe(true);
  });
});
