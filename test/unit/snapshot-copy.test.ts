import { CostMethod, Direction, type Position } from '../../lib/domain/lots';
import { Dec } from '../../lib/domain/money';
import { copyField, copyRow } from '../../lib/db/copy';
import { PositionSnapshotError } from '../../lib/positions/errors';
import { fromSnapshot, toSnapshot } from '../../lib/positions/snapshot';

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
