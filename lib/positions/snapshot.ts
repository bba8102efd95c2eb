/**
 * A `Position` as JSON and back, exactly: every decimal travels as a string, so a stored previous close replays
 * to the same figures as the position it was taken from.
 *
 * Two forms: the snapshot object (toSnapshot/fromSnapshot; the positions table keeps its lots so), and the daily
 * report's close (toCloseJson/fromCloseJson; daily_pnl_closes.position), one flat JSON array of the open lots:
 *
 *   [method, currency or "", then per lot: direction, quantity, cost, costBase, tradeId, tradeDate, ...]
 *
 * A close carries no realized P&L or fees: the report takes a day's realized P&L and fees as what the day's trades
 * add to the close it starts from, so a close read back starts from zero (the cumulative figures were stored and
 * parsed every evening, and read by nothing).
 *
 * The daily report reads and writes some 14,000 closes per run: the flat array is half the size of the object form
 * and much cheaper to parse and write (no keys, no object per lot), and both ways are hand-written rather than a
 * schema library's (which cost a third of the reading). A lot read back keeps its stored text and makes decimals
 * of it only when asked: a lot that comes through the day untouched (lots are immutable) is written back as it was
 * read, never turned into decimals at all. fromCloseJson also reads closes stored in the object form.
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

/**
 * A lot read back from storage: its decimals are made from their stored text when first asked for. A day's trades
 * touch a position's oldest or newest lots only (and its sums are stored with it), so most lots of a stored close
 * go back into the next close as the text they came in.
 */
class StoredLot implements Lot {
  #quantity: Dec | undefined;
  #cost: Dec | undefined;
  #costBase: Dec | undefined;

  constructor(
    readonly direction: typeof Direction.LONG | typeof Direction.SHORT,
    readonly quantityText: string,
    readonly costText: string,
    readonly costBaseText: string,
    readonly tradeId: string,
    readonly tradeDate: string,
  ) {}

  get quantity(): Dec {
    return (this.#quantity ??= new Dec(this.quantityText));
  }

  get cost(): Dec {
    return (this.#cost ??= new Dec(this.costText));
  }

  get costBase(): Dec {
    return (this.#costBase ??= new Dec(this.costBaseText));
  }
}

/** The position in JSON-safe form (decimals in plain notation, never exponent form). */
export function toSnapshot(position: Position): PositionSnapshot {
  return {
    method: position.method,
    ...(position.currency === undefined ? {} : { currency: position.currency }),
    lots: position.lots.map((lot) => {
      const [quantity, cost, costBase] = decimalTexts(lot);
      return { direction: lot.direction, quantity, cost, costBase, tradeId: lot.tradeId, tradeDate: lot.tradeDate };
    }),
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
    return new StoredLot(
      direction,
      decimal(l.quantity, `lots[${i}].quantity`),
      decimal(l.cost, `lots[${i}].cost`),
      decimal(l.costBase, `lots[${i}].costBase`),
      text(l.tradeId, `lots[${i}].tradeId`),
      text(l.tradeDate, `lots[${i}].tradeDate`),
    );
  });
  const realized = object(s.realized, 'realized');
  const fees = object(s.fees, 'fees');
  return {
    method: method as CostMethod,
    currency: currency,
    lots,
    realized: {
      local: new Dec(decimal(realized.local, 'realized.local')),
      base: new Dec(decimal(realized.base, 'realized.base')),
    },
    fees: { local: new Dec(decimal(fees.local, 'fees.local')), base: new Dec(decimal(fees.base, 'fees.base')) },
  };
}

/** Fields of the close array before its lots, and per lot. */
const CLOSE_HEAD = 2;
const CLOSE_LOT = 6;

const ZERO = new Dec(0);

/** The daily report's stored close of a position: its open lots, as the flat JSON array of the module note. */
export function toCloseJson(position: Position): string {
  const close: string[] = [position.method, position.currency ?? ''];
  for (const lot of position.lots) close.push(lot.direction, ...decimalTexts(lot), lot.tradeId, lot.tradeDate);
  return JSON.stringify(close);
}

/** A lot's quantity, cost and costBase as text: as stored when it was read back (untouched), else formatted. */
function decimalTexts(lot: Lot): readonly [string, string, string] {
  return lot instanceof StoredLot
    ? [lot.quantityText, lot.costText, lot.costBaseText]
    : [lot.quantity.toFixed(), lot.cost.toFixed(), lot.costBase.toFixed()];
}

/**
 * Reads a close stored by toCloseJson, or one stored earlier in the snapshot object form, as a position with
 * nothing realized and no fees paid yet (module note); throws PositionSnapshotError when it is neither (never
 * guesses).
 */
export function fromCloseJson(json: string): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new PositionSnapshotError('invalid position close: not JSON', error);
  }
  if (!Array.isArray(parsed)) {
    return { ...fromSnapshot(parsed), realized: { local: ZERO, base: ZERO }, fees: { local: ZERO, base: ZERO } };
  }
  const close = parsed as unknown[];
  if (close.length < CLOSE_HEAD || (close.length - CLOSE_HEAD) % CLOSE_LOT !== 0) {
    invalid('close', `must hold ${CLOSE_HEAD} fields and ${CLOSE_LOT} per lot`);
  }
  const method = close[0];
  if (typeof method !== 'string' || !METHODS.has(method)) invalid('close[0] (method)', 'must be FIFO, LIFO or AVERAGE');
  const currency = close[1];
  if (typeof currency !== 'string' || (currency !== '' && currency.length !== 3)) {
    invalid('close[1] (currency)', 'must be a 3-letter code or empty');
  }
  const lots: Lot[] = [];
  for (let at = CLOSE_HEAD; at < close.length; at += CLOSE_LOT) {
    const direction = close[at];
    if (direction !== Direction.LONG && direction !== Direction.SHORT) {
      invalid(`close[${at}] (direction)`, 'must be LONG or SHORT');
    }
    lots.push(
      new StoredLot(
        direction,
        decimal(close[at + 1], `close[${at + 1}] (quantity)`),
        decimal(close[at + 2], `close[${at + 2}] (cost)`),
        decimal(close[at + 3], `close[${at + 3}] (costBase)`),
        text(close[at + 4], `close[${at + 4}] (tradeId)`),
        text(close[at + 5], `close[${at + 5}] (tradeDate)`),
      ),
    );
  }
  return {
    method: method as CostMethod,
    currency: currency === '' ? undefined : currency,
    lots,
    realized: { local: ZERO, base: ZERO },
    fees: { local: ZERO, base: ZERO },
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
