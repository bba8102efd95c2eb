/**
 * A `Position` as JSON and back, exactly: every decimal travels as a string, so a stored previous close replays
 * to the same figures as the position it was taken from.
 *
 * The daily report reads and writes some 14,000 of these per run, so both ways are hand-written rather than a
 * schema library's (which cost a third of the reading), and a lot read from a snapshot remembers its stored form:
 * a lot that comes through the day untouched (the same object: lots are immutable) is written back as it was read,
 * without formatting its decimals again.
 */
import { CostMethod, Direction, type Lot, type Position } from '../domain/lots';
import { Dec } from '../domain/money';
import { PositionSnapshotError } from './errors';

export interface SnapshotLot {
  readonly direction: typeof Direction.LONG | typeof Direction.SHORT;
  readonly quantity: string;
  readonly cost: string;
  readonly costBase: string;
  readonly tradeId: string;
  readonly tradeDate: string;
}

export interface PositionSnapshot {
  readonly method: CostMethod;
  readonly currency?: string;
  readonly lots: readonly SnapshotLot[];
  readonly realized: { readonly local: string; readonly base: string };
  readonly fees: { readonly local: string; readonly base: string };
}

const DECIMAL = /^-?\d+(\.\d+)?$/;
const METHODS: ReadonlySet<string> = new Set(Object.values(CostMethod));

/** The stored form of lots read by fromSnapshot, so that toSnapshot writes an untouched lot back as it came. */
const storedForm = new WeakMap<Lot, SnapshotLot>();

/** The position in JSON-safe form (decimals in plain notation, never exponent form). */
export function toSnapshot(position: Position): PositionSnapshot {
  return {
    method: position.method,
    ...(position.currency === undefined ? {} : { currency: position.currency }),
    lots: position.lots.map(
      (lot) =>
        storedForm.get(lot) ?? {
          direction: lot.direction,
          quantity: lot.quantity.toFixed(),
          cost: lot.cost.toFixed(),
          costBase: lot.costBase.toFixed(),
          tradeId: lot.tradeId,
          tradeDate: lot.tradeDate,
        },
    ),
    realized: { local: position.realized.local.toFixed(), base: position.realized.base.toFixed() },
    fees: { local: position.fees.local.toFixed(), base: position.fees.base.toFixed() },
  };
}

/** Reads a stored snapshot; throws PositionSnapshotError when it is not one (never guesses). */
export function fromSnapshot(json: unknown): Position {
  const s = object(json, 'snapshot');
  const method = s.method;
  if (typeof method !== 'string' || !METHODS.has(method)) invalid('method', 'must be FIFO, LIFO or AVERAGE');
  const currency = s.currency;
  if (currency !== undefined && (typeof currency !== 'string' || currency.length !== 3)) {
    invalid('currency', 'must be a 3-letter code when present');
  }
  if (!Array.isArray(s.lots)) invalid('lots', 'must be an array');
  const lots = (s.lots as unknown[]).map((value, i): Lot => {
    const l = object(value, `lots[${i}]`);
    const direction = l.direction;
    if (direction !== Direction.LONG && direction !== Direction.SHORT) {
      invalid(`lots[${i}].direction`, 'must be LONG or SHORT');
    }
    const stored: SnapshotLot = {
      direction,
      quantity: decimal(l.quantity, `lots[${i}].quantity`),
      cost: decimal(l.cost, `lots[${i}].cost`),
      costBase: decimal(l.costBase, `lots[${i}].costBase`),
      tradeId: text(l.tradeId, `lots[${i}].tradeId`),
      tradeDate: text(l.tradeDate, `lots[${i}].tradeDate`),
    };
    const lot: Lot = {
      direction,
      quantity: new Dec(stored.quantity),
      cost: new Dec(stored.cost),
      costBase: new Dec(stored.costBase),
      tradeId: stored.tradeId,
      tradeDate: stored.tradeDate,
    };
    storedForm.set(lot, stored);
    return lot;
  });
  const realized = object(s.realized, 'realized');
  const fees = object(s.fees, 'fees');
  return {
    method: method as CostMethod,
    currency: currency as string | undefined,
    lots,
    realized: {
      local: new Dec(decimal(realized.local, 'realized.local')),
      base: new Dec(decimal(realized.base, 'realized.base')),
    },
    fees: { local: new Dec(decimal(fees.local, 'fees.local')), base: new Dec(decimal(fees.base, 'fees.base')) },
  };
}

function invalid(path: string, message: string): never {
  throw new PositionSnapshotError(`invalid position snapshot: ${path} ${message}`);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid(path, 'must be an object');
  return value as Record<string, unknown>;
}

function decimal(value: unknown, path: string): string {
  if (typeof value !== 'string' || !DECIMAL.test(value)) invalid(path, 'must be a plain decimal string');
  return value;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') invalid(path, 'must be a string');
  return value;
}
