/**
 * The event persistence publishes to `trades.booked` (keyed by account) for every newly booked trade version,
 * once per version: settlement and positions consume it. Version 1.
 *
 * Delivery is at-least-once: after a crash between publish and marking it published, a version can be published
 * a second time. Consumers de-duplicate on `trade.execId` (unique per version), which is stable across republishes.
 */
import { z } from 'zod';

import { Trade } from '../../domain/trade';
import { isoDate, timestamp } from './storable';
import { TradeEventV1Schema, encodeTradeEvent } from './trade-event';
import { versionedDecoder } from './versioning';

export const BookedTradeStatus = { LIVE: 'LIVE', CANCELLED: 'CANCELLED' } as const;
export type BookedTradeStatus = (typeof BookedTradeStatus)[keyof typeof BookedTradeStatus];

export const BookedTradeEventV1Schema = z.object({
  schemaVersion: z.literal(1),
  /** The booked version, with its `version` and `lifecycle` (a CANCEL version ends the trade). */
  trade: TradeEventV1Schema,
  /** The trade's status once this version was booked. */
  status: z.enum([BookedTradeStatus.LIVE, BookedTradeStatus.CANCELLED]),
  bookedAt: timestamp,
  /** The resolved settlement date of this version. */
  settlementDate: isoDate,
});
export type BookedTradeEventV1 = z.infer<typeof BookedTradeEventV1Schema>;

/** Decodes a parsed JSON `trades.booked` event, reporting every field error with its path. */
export const decodeBookedTrade = versionedDecoder({ version: 1, schema: BookedTradeEventV1Schema });

/** Encodes a booked version; the trade's decimals are written in plain notation. */
export function encodeBookedTrade(booked: {
  readonly trade: Trade;
  readonly status: BookedTradeStatus;
  readonly bookedAt: string;
  readonly settlementDate: string;
}): BookedTradeEventV1 {
  return {
    schemaVersion: 1,
    trade: { ...encodeTradeEvent(booked.trade), settlementDate: booked.settlementDate },
    status: booked.status,
    bookedAt: booked.bookedAt,
    settlementDate: booked.settlementDate,
  };
}
