import { CostMethod, Direction, type Position } from '../../../lib/domain/lots';
import { Dec } from '../../../lib/domain/money';
import { copyField, copyRow } from '../../../lib/db/copy';
import { PositionSnapshotError } from '../../../lib/positions/errors';
import { fromCloseJson, fromSnapshot, toCloseJson, toSnapshot } from '../../../lib/positions/snapshot';

const position: Position = {
  method: CostMethod.FIFO,
  currency: 'USD',
  lots: [
    {
      direction: Direction.LONG,
      quantity: new Dec('100'),
      cost: new Dec('1001.333333333333333333333333333333333333'),
      costBase: new Dec('800.5'),
      tradeId: 'T-1',
      tradeDate: '2024-07-01',
    },
  ],
  realized: { local: new Dec('-12.5'), base: new Dec('-10') },
  fees: { local: new Dec('1'), base: new Dec('0.8') },
};

describe('position snapshots', () => {
  it('round-trips every decimal exactly, through JSON text', () => {
    const back = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(position))));

    expect(toSnapshot(back)).toEqual(toSnapshot(position));
    expect(back.lots[0]?.cost.toFixed()).toBe('1001.333333333333333333333333333333333333');
  });

  it('writes a lot read from a snapshot back as it was stored', () => {
    const stored = { ...toSnapshot(position), lots: [{ ...toSnapshot(position).lots[0], quantity: '100.0' }] };

    const again = toSnapshot(fromSnapshot(stored));

    expect(again.lots[0]?.quantity).toBe('100.0');
  });

  it.each([
    [{ ...toSnapshot(position), method: 'HIFO' }, 'method must be FIFO, LIFO or AVERAGE'],
    [{ ...toSnapshot(position), lots: {} }, 'lots must be an array'],
    [{ ...toSnapshot(position), lots: [{ ...toSnapshot(position).lots[0], cost: '1e3' }] }, 'lots[0].cost must be'],
    [{ ...toSnapshot(position), lots: [{ ...toSnapshot(position).lots[0], direction: 'FLAT' }] }, 'lots[0].direction'],
    [{ ...toSnapshot(position), realized: null }, 'realized must be an object'],
    [null, 'snapshot must be an object'],
  ])('refuses what is not a snapshot (%#)', (json, message) => {
    expect(() => fromSnapshot(json)).toThrow(PositionSnapshotError);
    expect(() => fromSnapshot(json)).toThrow(message);
  });
});

const ZEROS = { local: '0', base: '0' };

describe("the daily report's stored close", () => {
  it('is one flat JSON array: method and currency, then six fields per lot', () => {
    expect(JSON.parse(toCloseJson(position))).toEqual([
      'FIFO',
      'USD',
      'LONG',
      '100',
      '1001.333333333333333333333333333333333333',
      '800.5',
      'T-1',
      '2024-07-01',
    ]);
  });

  it('round-trips the open lots exactly, with nothing realized yet, and a position with no currency yet', () => {
    const back = fromCloseJson(toCloseJson(position));
    const flat: Position = { ...position, currency: undefined, lots: [] };

    expect(toSnapshot(back)).toEqual({ ...toSnapshot(position), realized: ZEROS, fees: ZEROS });
    expect(back.lots[0]?.cost.eq(new Dec('1001.333333333333333333333333333333333333'))).toBe(true);
    expect(fromCloseJson(toCloseJson(flat)).currency).toBeUndefined();
  });

  it('writes an untouched lot back as the text it was stored as', () => {
    const stored = JSON.stringify(['LIFO', 'EUR', 'SHORT', '100.0', '-5.50', '-6.00', 'T-9', '2024-07-02']);

    expect(JSON.parse(toCloseJson(fromCloseJson(stored)))).toEqual(JSON.parse(stored));
  });

  it('reads a close stored earlier in the snapshot object form', () => {
    const back = fromCloseJson(JSON.stringify(toSnapshot(position)));

    expect(toSnapshot(back)).toEqual({ ...toSnapshot(position), realized: ZEROS, fees: ZEROS });
  });

  it.each([
    ['not json', 'not JSON'],
    [JSON.stringify(['FIFO', 'USD', 'LONG', '1']), 'must hold 2 fields and 6 per lot'],
    [JSON.stringify(['HIFO', 'USD']), 'close[0] (method) must be FIFO, LIFO or AVERAGE'],
    [JSON.stringify(['FIFO', 'US']), 'close[1] (currency)'],
    [
      JSON.stringify(['FIFO', 'USD', 'LONG', '1e3', '1', '1', 'T', '2024-07-01']),
      'close[3] (quantity) must be a plain',
    ],
    [JSON.stringify(['FIFO', 'USD', 'FLAT', '1', '1', '1', 'T', '2024-07-01']), 'close[2] (direction)'],
    [JSON.stringify(['FIFO', 'USD', 'LONG', '1', '1', '1', 7, '2024-07-01']), 'close[6] (tradeId)'],
  ])('refuses what is not a close (%#)', (json, message) => {
    expect(() => fromCloseJson(json)).toThrow(PositionSnapshotError);
    expect(() => fromCloseJson(json)).toThrow(message);
  });
});

describe('COPY text format', () => {
  it('writes NULL as \\N and escapes backslash, tab, newline and carriage return', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyField(12)).toBe('12');
  });

  it('joins fields with tabs and ends the row with a newline', () => {
    expect(copyRow(['2024-07-01', 'ACC-001', null, '{"a":"x\\ty"}'])).toBe(
      '2024-07-01\tACC-001\t\\N\t{"a":"x\\\\ty"}\n',
    );
  });
});
