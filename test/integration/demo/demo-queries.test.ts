/**
 * The demo's stage counts (lib/demo/queries.ts) against a real database, with hand-checked numbers: a run whose
 * trades went through the real validation and persistence handlers, plus the ledger rows two executions sharing
 * an ExecID leave when they are validated at the same time on two partitions (a race no handler call here can
 * produce on demand, so those rows are written as the stages write them). Every capture lands in exactly one
 * outcome, and the ExecIDs validated twice do not count their booked version twice.
 */
import { pendingStage } from '../../../lib/demo/progress';
import { readPipelineCounts, type CapturedRange } from '../../../lib/demo/queries';
import { tradeOutcomes } from '../../../lib/demo/summary';
import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import type { TradeEventV1 } from '../../../lib/kafka/schemas/trade-event';
import { Topics } from '../../../lib/kafka/topics';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { DEFAULT_SEED_DIR, loadSimulatorData } from '../../../lib/simulator/cli';
import { simulateTrades } from '../../../lib/simulator/generate';
import { mskEventFactory } from '../../helpers/kafka-events';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
}

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadReferenceData(db.pool, DEFAULT_SEED_DIR);
});
afterAll(async () => {
  await db.drop();
});

/** A ledger row as the validation stage (source trades.captured) or persistence (trades.validated) records it. */
async function ledgerRow(row: {
  topic: string;
  partition: number;
  offset: number;
  execId: string;
  outcome: 'VALIDATED' | 'REJECTED';
  out: OutgoingMessage;
}): Promise<void> {
  await db.pool.query(
    `INSERT INTO trade_captures (source_topic, source_partition, source_offset, exec_id, outcome, out_topic, out_key,
       out_value, published_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())`,
    [row.topic, row.partition, row.offset, row.execId, row.outcome, row.out.topic, row.out.key, row.out.value],
  );
}

test('every capture of the run is in one outcome; an ExecID validated twice books, and counts, one version', async () => {
  // Arrange: seven good new trades of 2024-06-28 (no amends or cancels)
  const stream = simulateTrades(loadSimulatorData(DEFAULT_SEED_DIR), {
    seed: 61,
    errorRate: 0,
    amendRate: 0,
    cancelRate: 0,
    date: '2024-06-28',
    eventsOnDate: 7,
  });
  const good = Array.from({ length: 7 }, () => stream.next().value.event);
  const [t1, t2, t3, , , , t7] = good;
  if (t1 === undefined || t2 === undefined || t3 === undefined || t7 === undefined) throw new Error('too few');
  const publisher = new RecordingPublisher();
  const captured = mskEventFactory();
  const validatedTopic = mskEventFactory();
  const record = (event: TradeEventV1) => ({ key: event.account, value: event });

  // Act 1: partition 0 of trades.captured, offsets 0-8, through the real validation: t1-t6 (validated), t1 again
  // with the same content (redelivered), a zero quantity (rejected), an amend of a trade never seen (validated)
  const amendOfUnknown: TradeEventV1 = { ...t7, tradeId: 'SIM61-UNKNOWN', version: 2, lifecycle: 'AMEND' };
  const zero: TradeEventV1 = { ...t7, execId: 'SIM61-ZERO', tradeId: 'SIM61-T-ZERO', quantity: '0' };
  const validation = await validateHandler({ pool: db.pool, publisher })(
    captured(Topics.TRADES_CAPTURED, [...good.slice(0, 6), t1, zero, amendOfUnknown].map(record)),
  );
  // ... then the validated messages through the real persistence: t1-t6 booked, the amend held
  const validated = publisher.messages.filter((m) => m.topic === Topics.TRADES_VALIDATED);
  const persisted = await persistHandler({ pool: db.pool, publisher })(
    validatedTopic(Topics.TRADES_VALIDATED, validated),
  );

  // Act 2: partition 1, offsets 0-1: two other executions carrying t2's and t3's ExecIDs, validated while their
  // twins were (so neither saw the other), as the DUPLICATE_EXEC_ID fault on another partition can be
  const twinOf = (original: TradeEventV1, tradeId: string): OutgoingMessage => {
    const message = validated.find((m) => (m.value as TradeEventV1).execId === original.execId);
    if (message === undefined) throw new Error(`${original.execId} was not validated`);
    return { ...message, value: { ...(message.value as TradeEventV1), tradeId } };
  };
  const twin2 = twinOf(t2, 'SIM61-TWIN2');
  const twin3 = twinOf(t3, 'SIM61-TWIN3');
  await ledgerRow({
    topic: Topics.TRADES_CAPTURED,
    partition: 1,
    offset: 0,
    execId: t2.execId,
    outcome: 'VALIDATED',
    out: twin2,
  });
  await ledgerRow({
    topic: Topics.TRADES_CAPTURED,
    partition: 1,
    offset: 1,
    execId: t3.execId,
    outcome: 'VALIDATED',
    out: twin3,
  });
  // twin2 reaches persistence after t2 was booked: another execution with a booked ExecID, so persistence rejects it
  // (DUPLICATE_EXEC_ID) and records that in the ledger itself
  const refused = await persistHandler({ pool: db.pool, publisher })(validatedTopic(Topics.TRADES_VALIDATED, [twin2]));
  // twin3 reached persistence together with t3 and was refused in the same way (its row written here by hand)
  await ledgerRow({
    topic: Topics.TRADES_VALIDATED,
    partition: 0,
    offset: 99,
    execId: t3.execId,
    outcome: 'REJECTED',
    out: { topic: Topics.TRADES_REJECTED, key: t3.account, value: { trade: twin3.value } },
  });

  const ranges: CapturedRange[] = [
    { partition: 0, from: 0, to: 9 },
    { partition: 1, from: 0, to: 2 },
  ];
  const counts = await readPipelineCounts(db.pool, ranges);

  // Assert: the handlers did what the scenario says
  expect(validation).toMatchObject({ validated: 7, rejected: 1, deadLettered: 0, redelivered: 1 });
  expect(persisted).toMatchObject({ booked: 6, held: 1, conflicts: 0 });
  expect(refused).toMatchObject({ booked: 0, held: 0, duplicates: 0, conflicts: 0, rejected: 1 });

  // Assert: 11 captures = 9 validated + 1 rejected + 1 redelivered; 9 validated = 6 booked (t1-t6; t2's and t3's
  // versions once each) + 1 held + 2 refused by persistence (twin2, twin3)
  expect(counts).toEqual({
    captured: 11,
    validated: 9,
    rejected: 1,
    deadLettered: 0,
    duplicates: 1,
    booked: 6,
    held: 1,
    persistRejected: 2,
    persistDuplicates: 0,
    published: 6,
    positioned: 0,
    instructed: 0,
  });
  // 6 accepted + 3 rejected + 0 dead-lettered + 1 duplicate + 1 held = 11
  expect(tradeOutcomes(counts)).toMatchObject({
    accepted: 6,
    rejected: { total: 3, validation: 1, persistence: 2 },
    duplicates: { total: 1, redelivered: 1, execIdBooked: 0 },
    held: 1,
    unaccounted: 0,
  });
  // Booking and publication are done; the positions stage (not run here) is what the demo would wait for
  expect(pendingStage(counts, { settlement: false })).toBe('positions');
});
