/**
 * Settlement of booked trades: one batch of `trades.booked` records in, one transaction out — instructions
 * built (or held as exceptions), amends and cancels applied, the touched netting scopes netted again, messages
 * written to the outbox — then the outbox published. A redelivered batch finds every id already stored and
 * changes nothing.
 */
import type { Pool } from 'pg';

import { PgDeadLetterStore } from '../db/dead-letter-store';
import { withTransaction } from '../db/pool';
import { Stage } from '../kafka/dead-letter';
import type { DecodedRecord } from '../kafka/decode';
import type { EventPublisher } from '../kafka/producer';
import type { BookedTradeEventV1 } from '../kafka/schemas/booked-trade';
import { traceContextsBy } from '../observability/correlation';
import { publishOutbox } from './outbox';
import { planSettlement } from './plan';
import { PgSettlementStore } from './store';

export interface SettlementDeps {
  readonly pool: Pool;
  readonly publisher: EventPublisher;
}

export interface SettlementSummary {
  readonly instructed: number;
  readonly exceptions: number;
  readonly cancelled: number;
  readonly ignored: number;
  readonly undecodable: number;
  /** Of those, the dead letters this call recorded (a redelivered batch: 0), the DeadLettered metric. */
  readonly deadLettered: number;
  readonly published: number;
}

/** Settles a batch of decoded `trades.booked` records (see the module comment). */
export async function settleBookedTrades(
  deps: SettlementDeps,
  records: readonly DecodedRecord<BookedTradeEventV1>[],
): Promise<SettlementSummary> {
  const store = new PgSettlementStore(deps.pool);
  const deadLetters = new PgDeadLetterStore(deps.pool);
  const at = new Date().toISOString();
  const events = records.flatMap((r) => (r.ok ? [r.value] : []));
  const failures = records.flatMap((r) => (r.ok ? [] : [r]));
  const reference = await store.referenceData(
    [...new Set(events.map((e) => e.trade.isin))],
    [...new Set(events.map((e) => e.trade.account))],
  );
  // The net instructions' status date: the latest booking of the batch, so that a replay dates them the same.
  const statusDate = events.reduce((latest, e) => (e.bookedAt > latest ? e.bookedAt : latest), '').slice(0, 10);
  let deadLettered = 0;
  const plan = await withTransaction(deps.pool, async (client) => {
    deadLettered = await deadLetters.record(Stage.SETTLE_TRADES, failures, at, client);
    const current = await store.currentInstructions(client, [...new Set(events.map((e) => e.trade.tradeId))]);
    const decided = planSettlement(events, current, reference);
    const scopes = await store.writePlan(client, decided, {
      byExecId: traceContextsBy(records, (e) => e.trade.execId),
      byTradeId: traceContextsBy(records, (e) => e.trade.tradeId),
    });
    await store.renet(client, scopes, statusDate === '' ? new Date().toISOString().slice(0, 10) : statusDate);
    return decided;
  });
  const published =
    (await publishOutbox(deps.pool, deps.publisher)) +
    (await deadLetters.publishPending(Stage.SETTLE_TRADES, deps.publisher));
  return {
    instructed: plan.instructions.filter((p) => p.state === 'INSTRUCTED').length,
    exceptions: plan.instructions.filter((p) => p.state === 'EXCEPTION').length,
    cancelled: plan.cancellations.length,
    ignored: plan.ignored.length,
    undecodable: failures.length,
    deadLettered,
    published,
  };
}
