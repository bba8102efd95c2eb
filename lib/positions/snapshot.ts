/**
 * A `Position` as JSON and back, exactly: every decimal travels as a string, so a stored previous close replays
 * to the same figures as the position it was taken from.
 */
import { z } from 'zod';

import { CostMethod, Direction, type Position } from '../domain/lots';
import { Dec } from '../domain/money';
import { PositionSnapshotError } from './errors';

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a plain decimal string');
const pair = z.object({ local: decimal, base: decimal });

const PositionSnapshotSchema = z.object({
  method: z.enum([CostMethod.FIFO, CostMethod.LIFO, CostMethod.AVERAGE]),
  currency: z.string().length(3).optional(),
  lots: z.array(
    z.object({
      direction: z.enum([Direction.LONG, Direction.SHORT]),
      quantity: decimal,
      cost: decimal,
      costBase: decimal,
      tradeId: z.string(),
      tradeDate: z.string(),
    }),
  ),
  realized: pair,
  fees: pair,
});
export type PositionSnapshot = z.infer<typeof PositionSnapshotSchema>;

/** The position in JSON-safe form (decimals in plain notation, never exponent form). */
export function toSnapshot(position: Position): PositionSnapshot {
  return {
    method: position.method,
    ...(position.currency === undefined ? {} : { currency: position.currency }),
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
  };
}

/** Reads a stored snapshot; throws PositionSnapshotError when it is not one (never guesses). */
export function fromSnapshot(json: unknown): Position {
  const parsed = PositionSnapshotSchema.safeParse(json);
  if (!parsed.success) throw new PositionSnapshotError(`invalid position snapshot: ${parsed.error.message}`);
  const s = parsed.data;
  return {
    method: s.method,
    currency: s.currency,
    lots: s.lots.map((lot) => ({
      direction: lot.direction,
      quantity: new Dec(lot.quantity),
      cost: new Dec(lot.cost),
      costBase: new Dec(lot.costBase),
      tradeId: lot.tradeId,
      tradeDate: lot.tradeDate,
    })),
    realized: { local: new Dec(s.realized.local), base: new Dec(s.realized.base) },
    fees: { local: new Dec(s.fees.local), base: new Dec(s.fees.base) },
  };
}
