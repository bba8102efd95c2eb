/**
 * The wash-trade rule's outcome must not depend on which partition is processed first (issue 13: under faults, 7
 * good trades were refused WASH_TRADE that the no-fault run booked). Two mirrored legs of one beneficial owner on
 * two of its accounts are captured one after the other through the real capture, validation and persistence code
 * against PostgreSQL; each distinct key is put on a partition of its own (the worst any partitioner can do: two
 * records can be on different partitions exactly when their keys differ), and the partitions are processed in
 * every order. Keyed by the account, the legs were on two partitions and the order decided which was refused;
 * keyed by the owner, they are on one, in capture order, and the first leg is booked every time.
 */
import path from 'node:path';

import { PgAccountOwners, OWNER_CACHE_MS } from '../../../lib/db/account-owners';
import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import type { TradeEventV1 } from '../../../lib/kafka/schemas/trade-event';
import { Topics } from '../../../lib/kafka/topics';
import { captureTrades } from '../../../lib/pipeline/capture';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { partitionedEventFactory } from '../../helpers/kafka-events';
import { seedTrade } from '../../helpers/trades';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
  on(topic: string): OutgoingMessage[] {
    return this.messages.filter((message) => message.topic === topic);
  }
}

/**
 * The messages grouped by partition, a partition per key: `partitionOf` numbers each key the first time it is
 * seen, so that one key has the same partition on every topic (as one partitioner with one partition count gives).
 */
function partitionsByKey(messages: readonly OutgoingMessage[], partitionOf: Map<string, number>): unknown[][] {
  const partitions: unknown[][] = [];
  for (const message of messages) {
    if (!partitionOf.has(message.key)) partitionOf.set(message.key, partitionOf.size);
    const p = partitionOf.get(message.key) ?? 0;
    (partitions[p] ??= []).push(message.value);
  }
  return partitions;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('the wash-trade rule across partitions', () => {
  let db: TestDatabase;
  // One factory for the file: offsets keep rising per partition across runs, as a real partition's would.
  const eventOf = partitionedEventFactory();

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
  });
  afterAll(async () => {
    await db.drop();
  });

  /**
   * Captures `legs` in order (one request each), then validates and persists them partition by partition in the
   * partitions' `order` (indexes into the groups by key); returns the trade ids booked.
   */
  async function runLegs(legs: readonly TradeEventV1[], order: (partitions: number) => number[]): Promise<string[]> {
    const publisher = new RecordingPublisher();
    const owners = new PgAccountOwners(db.pool);
    for (const leg of legs) await captureTrades([leg], publisher, owners);
    const validate = validateHandler({ pool: db.pool, publisher });
    const persist = persistHandler({ pool: db.pool, publisher });

    const partitionOf = new Map<string, number>();
    const captured = partitionsByKey(publisher.on(Topics.TRADES_CAPTURED), partitionOf);
    for (const p of order(partitionOf.size)) await validate(eventOf(Topics.TRADES_CAPTURED, captured[p] ?? [], p));
    const validated = partitionsByKey(publisher.on(Topics.TRADES_VALIDATED), partitionOf);
    for (const p of order(partitionOf.size)) await persist(eventOf(Topics.TRADES_VALIDATED, validated[p] ?? [], p));

    const { rows } = await db.pool.query<{ trade_id: string }>(
      'SELECT trade_id FROM trades WHERE trade_id = ANY($1::text[]) ORDER BY trade_id',
      [legs.map((leg) => leg.tradeId)],
    );
    return rows.map((row) => row.trade_id);
  }

  it('two legs of one owner on two accounts: the first captured is booked, whatever partition goes first', async () => {
    // Arrange: ACC-001 buys, then ACC-002 (the same owner, ALPHA-GROWTH-FUND) sells the same 100 at 170.00 20 s
    // later; every order of the partitions, each run an hour after the last so that runs cannot wash each other
    const orders = permutations([0, 1]);
    const outcomes: string[][] = [];

    // Act
    for (const [run, order] of orders.entries()) {
      const at = `2024-04-02T${14 + run}:30`;
      const buy = seedTrade({ execId: `WO-${run}-B`, tradeId: `WO-${run}-T1`, tradeTime: `${at}:00.000Z` });
      const sell = seedTrade({
        execId: `WO-${run}-S`,
        tradeId: `WO-${run}-T2`,
        account: 'ACC-002',
        side: 'SELL',
        tradeTime: `${at}:20.000Z`,
      });
      // Two legs make at most two partitions: with one, every order is that one.
      const booked = await runLegs([buy, sell], (partitions) => order.filter((p) => p < partitions));
      outcomes.push(booked.map((id) => id.replace(`WO-${run}-`, '')));
    }

    // Assert: the buy (captured first) booked and the sell refused, in every order
    expect(outcomes).toEqual(orders.map(() => ['T1']));
    const { rows } = await db.pool.query<{ exec_id: string; codes: string[] }>(
      `SELECT exec_id, array(SELECT r->>'code' FROM jsonb_array_elements(reasons) r) AS codes
       FROM trade_rejections WHERE exec_id LIKE 'WO-%' ORDER BY exec_id`,
    );
    expect(rows).toEqual(orders.map((_, run) => ({ exec_id: `WO-${run}-S`, codes: ['WASH_TRADE'] })));
  });

  it("keys a trade by its account's owner, an unknown account by its id, and trusts a cached owner for a while", async () => {
    // Arrange
    let now = 1_000_000;
    const owners = new PgAccountOwners(db.pool, () => now);
    const publisher = new RecordingPublisher();
    const keys = async (): Promise<string[]> => {
      publisher.messages.length = 0;
      await captureTrades(
        [
          seedTrade(),
          seedTrade({ account: 'ACC-002' }),
          seedTrade({ account: 'ACC-003' }),
          seedTrade({ account: 'NOPE' }),
        ],
        publisher,
        owners,
      );
      return publisher.messages.map((message) => message.key);
    };

    // Act: read, ACC-003 changes owner, read within the cache time, then after it
    const first = await keys();
    await db.pool.query(`UPDATE accounts SET beneficial_owner = 'ALPHA-GROWTH-FUND' WHERE id = 'ACC-003'`);
    now += OWNER_CACHE_MS - 1;
    const cached = await keys();
    now += 1;
    const refreshed = await keys();
    await db.pool.query(`UPDATE accounts SET beneficial_owner = 'BETA-PENSION-SCHEME' WHERE id = 'ACC-003'`);

    // Assert
    expect(first).toEqual(['ALPHA-GROWTH-FUND', 'ALPHA-GROWTH-FUND', 'BETA-PENSION-SCHEME', 'NOPE']);
    expect(cached).toEqual(first);
    expect(refreshed).toEqual(['ALPHA-GROWTH-FUND', 'ALPHA-GROWTH-FUND', 'ALPHA-GROWTH-FUND', 'NOPE']);
  });
});
