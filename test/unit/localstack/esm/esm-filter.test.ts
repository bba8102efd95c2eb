import { compileFilterPattern, matchesAnyFilter, matchesFilter, type CompiledFilter } from '../../../../localstack/esm';

function filter(pattern: object | string): CompiledFilter {
  const r = compileFilterPattern(pattern);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.value;
}

const trade = (value: object): Record<string, unknown> => ({ topic: 'trades', partition: 0, offset: 1, value });

describe('Lambda event filter patterns on Kafka records', () => {
  it.each([
    ['exact string', { value: { type: ['TRADE'] } }, { type: 'TRADE' }, true],
    ['exact string, other value', { value: { type: ['TRADE'] } }, { type: 'AMEND' }, false],
    ['OR of values', { value: { type: ['TRADE', 'AMEND'] } }, { type: 'AMEND' }, true],
    ['exact number', { value: { qty: [100] } }, { qty: 100 }, true],
    ['null', { value: { venue: [null] } }, { venue: null }, true],
    ['empty string', { value: { venue: [''] } }, { venue: '' }, true],
    ['prefix', { value: { isin: [{ prefix: 'US' }] } }, { isin: 'US0378331005' }, true],
    ['prefix, no match', { value: { isin: [{ prefix: 'US' }] } }, { isin: 'GB0002634946' }, false],
    ['suffix', { value: { file: [{ suffix: '.csv' }] } }, { file: 'a.csv' }, true],
    ['equals-ignore-case', { value: { side: [{ 'equals-ignore-case': 'buy' }] } }, { side: 'BUY' }, true],
    ['numeric range', { value: { qty: [{ numeric: ['>', 0, '<=', 100] }] } }, { qty: 100 }, true],
    ['numeric range, outside', { value: { qty: [{ numeric: ['>', 0, '<=', 100] }] } }, { qty: 101 }, false],
    ['numeric on a string', { value: { qty: [{ numeric: ['>', 0] }] } }, { qty: '5' }, false],
    ['numeric equals', { value: { qty: [{ numeric: ['=', 5] }] } }, { qty: 5 }, true],
    ['exists', { value: { lei: [{ exists: true }] } }, { lei: 'X' }, true],
    ['exists, absent', { value: { lei: [{ exists: true }] } }, {}, false],
    ['does not exist', { value: { lei: [{ exists: false }] } }, {}, true],
    ['does not exist, present', { value: { lei: [{ exists: false }] } }, { lei: 'X' }, false],
    [
      'anything-but list',
      { value: { status: [{ 'anything-but': ['CANCELLED', 'REJECTED'] }] } },
      { status: 'NEW' },
      true,
    ],
    [
      'anything-but list, excluded',
      { value: { status: [{ 'anything-but': ['CANCELLED'] }] } },
      { status: 'CANCELLED' },
      false,
    ],
    ['anything-but prefix', { value: { id: [{ 'anything-but': { prefix: 'test-' } }] } }, { id: 'test-1' }, false],
    ['nested field', { value: { trade: { side: ['BUY'] } } }, { trade: { side: 'BUY' } }, true],
    ['nested field missing', { value: { trade: { side: ['BUY'] } } }, { side: 'BUY' }, false],
    ['array in event: any element', { value: { tags: ['urgent'] } }, { tags: ['late', 'urgent'] }, true],
    [
      'AND across fields',
      { value: { type: ['TRADE'], qty: [{ numeric: ['>', 10] }] } },
      { type: 'TRADE', qty: 5 },
      false,
    ],
    [
      '$or across fields',
      { value: { $or: [{ type: ['AMEND'] }, { qty: [{ numeric: ['>', 10] }] }] } },
      { type: 'TRADE', qty: 50 },
      true,
    ],
  ])('%s', (_name, pattern, value, expected) => {
    // Arrange
    const f = filter(pattern);

    // Act
    const matched = matchesFilter(f, trade(value));

    // Assert
    expect(matched).toBe(expected);
  });

  it('matches metadata as well as the value', () => {
    // Arrange
    const f = filter({ partition: [1], value: { type: ['TRADE'] } });

    // Act / Assert
    expect(matchesFilter(f, { partition: 1, value: { type: 'TRADE' } })).toBe(true);
    expect(matchesFilter(f, { partition: 0, value: { type: 'TRADE' } })).toBe(false);
  });

  it('does not match a value pattern when the value is not JSON (no value in the document)', () => {
    // Arrange
    const f = filter('{"value":{"type":["TRADE"]}}');

    // Act / Assert
    expect(matchesFilter(f, { topic: 'trades', partition: 0 })).toBe(false);
  });

  it('keeps a record when any filter matches, and every record with no filters', () => {
    // Arrange
    const filters = [filter({ value: { type: ['TRADE'] } }), filter({ value: { type: ['AMEND'] } })];

    // Act / Assert
    expect(matchesAnyFilter(filters, trade({ type: 'AMEND' }))).toBe(true);
    expect(matchesAnyFilter(filters, trade({ type: 'CANCEL' }))).toBe(false);
    expect(matchesAnyFilter([], trade({ type: 'CANCEL' }))).toBe(true);
  });

  it('reports malformed patterns with their path', () => {
    // Arrange / Act
    const notJson = compileFilterPattern('{value:');
    const bad = compileFilterPattern({ value: { qty: [{ numeric: ['>>', 1] }], side: [{ between: 1 }], x: [] } });

    // Assert
    expect(notJson.ok).toBe(false);
    expect(bad).toEqual({
      ok: false,
      errors: [
        'pattern.value.qty[0]: numeric takes [op, number] pairs with op in = < <= > >=',
        'pattern.value.side[0]: unknown filter operator "between"',
        'pattern.value.x: an array of matchers cannot be empty',
      ],
    });
  });
});
