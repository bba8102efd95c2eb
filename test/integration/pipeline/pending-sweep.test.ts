/**
 * The scheduled sweep of held events (`sweepPendingEvents`, lib/pipeline/pending-events.ts scheduledPendingSweep),
 * against PostgreSQL with the seed reference data: an amend held on a partition where nothing else arrives ends
 * rejected PENDING_EXPIRED once its wait is over, with no persistence batch to sweep it; not before; once, however
 * many sweeps run, at the same moment or later.
 */
import path from 'node:path';

import type { KafkaEvent } from '../../../lib/kafka/decode';
import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import type { TradeEventV1 } from '../../../lib/kafka/schemas/trade-event';
import { Topics } from '../../../lib/kafka/topics';
import { persistHandler } from '../../../lib/pipeline/handlers';
import { scheduledPendingSweep } from '../../../lib/pipeline/pending-events';
import { loadReferenceData } from '../../../lib/refdata/load';
import { seedTrade } from '../../helpers/trades';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');
const WAIT_SECONDS = 600;

/** One trades.validated record at `offset` of partition 5, as validation publishes it. */
function validatedEvent(trade: TradeEventV1, offset: number): KafkaEvent {
  const value = { ...trade, settlementDate: '2024-04-04', validatedAt: '2024-04-02T14:31:00.000Z' };
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/test',
    bootstrapServers: 'localhost:9092',
    records: {
      [`${Topics.TRADES_VALIDATED}-5`]: [
        {
          topic: Topics.TRADES_VALIDATED,
          partition: 5,
          offset,
          timestamp: 1_712_068_200_000,
          timestampType: 'CREATE_TIME',
          key: Buffer.from(trade.account).toString('base64'),
          value: Buffer.from(JSON.stringify(value)).toString('base64'),
          headers: [],
        },
      ],
    },
  };
}

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
  rejectionsOf(execId: string): string[] {
    return this.messages
      .filter((m) => m.topic === Topics.TRADES_REJECTED)
      .map((m) => m.value as { trade: { execId: string }; reasons: { code: string }[] })
      .filter((v) => v.trade.execId === execId)
      .map((v) => v.reasons.map((r) => r.code).join(','));
  }
}

describe('the scheduled sweep of held amends and cancels', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
  });
  afterAll(async () => {
    await db.drop();
  });

  async function heldExecIds(): Promise<string[]> {
    const { rows } = await db.pool.query<{ exec_id: string }>('SELECT exec_id FROM pending_trade_events');
    return rows.map((r) => r.exec_id);
  }

  it('expires an amend held on a quiet partition once its wait is over, once, with no persistence batch', async () => {
    // Arrange: an amend of a trade that never arrives, held by the last batch its partition ever runs
    const publisher = new RecordingPublisher();
    const amend = seedTrade({ execId: 'SW-A2', tradeId: 'SW-T1', version: 2, lifecycle: 'AMEND', quantity: '150' });
    const holding = await persistHandler({ pool: db.pool, publisher })(validatedEvent(amend, 0));
    const at = (seconds: number) => () => new Date(Date.now() + seconds * 1000);
    const sweepAt = (seconds: number) =>
      scheduledPendingSweep({ pool: db.pool, publisher, now: at(seconds), pendingEventMaxWaitSeconds: WAIT_SECONDS });

    // Act: a sweep before the wait is over, two at the same moment after it, one more later
    const early = await sweepAt(WAIT_SECONDS / 2)();
    const heldEarly = await heldExecIds();
    const concurrent = await Promise.all([sweepAt(WAIT_SECONDS + 60)(), sweepAt(WAIT_SECONDS + 60)()]);
    const later = await sweepAt(WAIT_SECONDS * 3)();

    // Assert
    expect(holding).toMatchObject({ held: 1 });
    expect(early).toEqual({ tradeRejected: 0, expired: 0, published: 0 });
    expect(heldEarly).toEqual(['SW-A2']);
    expect(concurrent.map((s) => s.expired).sort()).toEqual([0, 1]);
    expect(later).toEqual({ tradeRejected: 0, expired: 0, published: 0 });
    expect(await heldExecIds()).toEqual([]);
    expect(publisher.rejectionsOf('SW-A2')).toEqual(['PENDING_EXPIRED']);
    const stored = await db.pool.query<{ codes: string[] }>(
      `SELECT array(SELECT r->>'code' FROM jsonb_array_elements(reasons) r) AS codes
       FROM trade_rejections WHERE exec_id = 'SW-A2'`,
    );
    expect(stored.rows).toEqual([{ codes: ['PENDING_EXPIRED'] }]);
    const ledger = await db.pool.query<{ outcome: string; published: boolean }>(
      `SELECT outcome, published_at IS NOT NULL AS published FROM trade_captures
       WHERE source_topic = $1 AND exec_id = 'SW-A2'`,
      [Topics.TRADES_VALIDATED],
    );
    expect(ledger.rows).toEqual([{ outcome: 'REJECTED', published: true }]);
  });
});
