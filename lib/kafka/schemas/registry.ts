/**
 * Every event the platform publishes, by subject (the topic, or the family of dead-letter topics that share the one
 * wrapper), with its current schema version and zod schema: the source of the JSON Schemas checked in under
 * schemas/ (`npm run schemas`) and of the compatibility test that holds them to the rules of versioning.ts.
 */
import type { z } from 'zod';

import { DEAD_LETTER_SCHEMA_VERSION, DeadLetterSchema } from '../dead-letter';
import { Topics, type Topic } from '../topics';
import { BookedTradeEventV1Schema } from './booked-trade';
import { CustodyStatementV1Schema } from './custody-statement';
import { EodPriceV1Schema } from './eod-price';
import { PositionChangedV1Schema } from './positions-changed';
import { ReconBreakEventV1Schema } from './recon-break';
import { RiskAlertEventV1Schema } from './risk-alert';
import { SettlementInstructionMessageV1Schema } from './settlement-instruction';
import { SettlementStatusMessageV1Schema } from './settlement-status';
import { RejectedTradeEventV1Schema, TradeEventV1Schema, ValidatedTradeEventV1Schema } from './trade-event';

export interface EventSubject {
  /** The file name under schemas/: the topic, or `deadletter` for every dead-letter topic. */
  readonly subject: string;
  readonly topics: readonly Topic[];
  readonly version: number;
  readonly schema: z.ZodType;
}

export const EVENT_SUBJECTS: readonly EventSubject[] = [
  { subject: Topics.TRADES_CAPTURED, topics: [Topics.TRADES_CAPTURED], version: 1, schema: TradeEventV1Schema },
  {
    subject: Topics.TRADES_VALIDATED,
    topics: [Topics.TRADES_VALIDATED],
    version: 1,
    schema: ValidatedTradeEventV1Schema,
  },
  { subject: Topics.TRADES_REJECTED, topics: [Topics.TRADES_REJECTED], version: 1, schema: RejectedTradeEventV1Schema },
  { subject: Topics.TRADES_BOOKED, topics: [Topics.TRADES_BOOKED], version: 1, schema: BookedTradeEventV1Schema },
  {
    subject: Topics.SETTLEMENT_INSTRUCTIONS,
    topics: [Topics.SETTLEMENT_INSTRUCTIONS],
    version: 1,
    schema: SettlementInstructionMessageV1Schema,
  },
  {
    subject: Topics.SETTLEMENT_STATUS,
    topics: [Topics.SETTLEMENT_STATUS],
    version: 1,
    schema: SettlementStatusMessageV1Schema,
  },
  {
    subject: Topics.CUSTODY_STATEMENTS,
    topics: [Topics.CUSTODY_STATEMENTS],
    version: 1,
    schema: CustodyStatementV1Schema,
  },
  { subject: Topics.RECON_BREAKS, topics: [Topics.RECON_BREAKS], version: 1, schema: ReconBreakEventV1Schema },
  { subject: Topics.PRICES_EOD, topics: [Topics.PRICES_EOD], version: 1, schema: EodPriceV1Schema },
  {
    subject: Topics.POSITIONS_CHANGED,
    topics: [Topics.POSITIONS_CHANGED],
    version: 1,
    schema: PositionChangedV1Schema,
  },
  { subject: Topics.RISK_ALERTS, topics: [Topics.RISK_ALERTS], version: 1, schema: RiskAlertEventV1Schema },
  {
    subject: 'deadletter',
    topics: [
      Topics.TRADES_DEAD_LETTER,
      Topics.SETTLEMENT_DEAD_LETTER,
      Topics.CUSTODY_DEAD_LETTER,
      Topics.PRICES_DEAD_LETTER,
      Topics.POSITIONS_DEAD_LETTER,
    ],
    version: DEAD_LETTER_SCHEMA_VERSION,
    schema: DeadLetterSchema,
  },
];
