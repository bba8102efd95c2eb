/**
 * Handler factories of settlement: decode the Kafka event, call the service. The Lambda entry points in
 * functions/ wire them to the container's pool and publisher; tests wire them to theirs.
 */
import type { Pool } from 'pg';

import { decodeRecords, type KafkaEvent } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import { decodeBookedTrade } from '../kafka/schemas/booked-trade';
import { decodeSettlementStatus } from '../kafka/schemas/settlement-status';
import { settleBookedTrades, type SettlementSummary } from './service';
import { applyStatusReports, type StatusSummary } from './status-service';

export function settleTradesHandler(deps: { pool: Pool; publisher: EventPublisher }) {
  return (event: KafkaEvent): Promise<SettlementSummary> =>
    settleBookedTrades(deps, decodeRecords(event, decodeBookedTrade));
}

export function settlementStatusHandler(deps: { pool: Pool; publisher: EventPublisher }) {
  return (event: KafkaEvent): Promise<StatusSummary> =>
    applyStatusReports(deps, decodeRecords(event, decodeSettlementStatus));
}
