/**
 * Every amend and cancel gets an outcome (lib/pipeline/pending-events.ts), through the real persistence (and
 * validation) handlers against PostgreSQL with the seed reference data: one held for a trade whose NEW is then
 * refused at booking — as a duplicate ExecID or as a wash trade — or rejected at validation ends rejected
 * TRADE_REJECTED; one whose trade never arrives ends rejected PENDING_EXPIRED after the wait. Each rejection is
 * stored and published once, nothing stays in pending_trade_events, and a redelivery changes nothing.
 */
import path from 'node:path';

import type { KafkaEvent } from '../../../lib/kafka/decode';
import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import { Topics } from '../../../lib/kafka/topics';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { PgStoredReports } from '../../../lib/pnl/stored-reports';
import { loadReferenceData } from '../../../lib/refdata/load';
import { partitionedEventFactory, validatedTrade } from '../../helpers/kafka-events';
import { seedTrade } from '../../helpers/trades';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

const validated = validatedTrade;
const eventOf = partitionedEventFactory();

class RecordingPublisher implements EventPublisher {
  readonly messages: OutgoingMessage[] = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.messages.push(...messages);
    return Promise.resolve();
  }
  rejected(execId: string): { code: string; message: string }[][] {
    return this.messages
      .filter((m) => m.topic === Topics.TRADES_REJECTED)
      .map((m) => m.value as { trade: { execId: string }; reasons: { code: string; message: string }[] })
      .filter((v) => v.trade.execId === execId)
      .map((v) => v.reasons);
  }
}

describe('held amends and cancels that can never be booked', () => {
  let db: TestDatabase;
  let publisher: RecordingPublisher;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
  });
  beforeEach(() => {
    publisher = new RecordingPublisher();
  });
  afterAll(async () => {
    await db.drop();
  });

  const persist = (event: KafkaEvent, now?: () => Date) =>
    persistHandler({ pool: db.pool, publisher, ...(now === undefined ? {} : { now }) })(event);

  async function held(tradeId: string): Promise<string[]> {
    const { rows } = await db.pool.query<{ exec_id: string }>(
      'SELECT exec_id FROM pending_trade_events WHERE trade_id = $1 ORDER BY exec_id',
      [tradeId],
    );
    return rows.map((r) => r.exec_id);
  }

  async function storedCodes(execId: string): Promise<string[][]> {
    const { rows } = await db.pool.query<{ codes: string[] }>(
      `SELECT array(SELECT r->>'code' FROM jsonb_array_elements(reasons) r) AS codes
       FROM trade_rejections WHERE exec_id = $1 ORDER BY rejection_key`,
      [execId],
    );
    return rows.map((r) => r.codes);
  }

  it('rejects the held amend of a trade whose NEW is refused at booking as a duplicate ExecID', async () => {
    // Arrange: trade PD-T1 booked under ExecID PD-1; the amend of PD-T2 held; then PD-T2's NEW reuses PD-1
    // (another execution, validated on another partition before PD-1 was booked)
    await persist(eventOf(Topics.TRADES_VALIDATED, [validated(seedTrade({ execId: 'PD-1', tradeId: 'PD-T1' }))], 0));
    const amend = seedTrade({ execId: 'PD-A2', tradeId: 'PD-T2', version: 2, lifecycle: 'AMEND', quantity: '150' });
    const holding = await persist(eventOf(Topics.TRADES_VALIDATED, [validated(amend)], 1));
    const reused = seedTrade({ execId: 'PD-1', tradeId: 'PD-T2', quantity: '120' });
    const newRecord = eventOf(Topics.TRADES_VALIDATED, [validated(reused)], 1);

    // Act
    const refused = await persist(newRecord);
    const redelivered = await persist(newRecord);

    // Assert
    expect(holding).toMatchObject({ held: 1, unresolvable: { tradeRejected: 0, expired: 0 } });
    expect(refused).toMatchObject({ rejected: 1, unresolvable: { tradeRejected: 1, expired: 0 } });
    expect(redelivered).toMatchObject({ booked: 0, rejected: 0, unresolvable: { tradeRejected: 0, expired: 0 } });
    expect(await held('PD-T2')).toEqual([]);
    expect(await storedCodes('PD-A2')).toEqual([['TRADE_REJECTED']]);
    const [reasons] = publisher.rejected('PD-A2');
    expect(publisher.rejected('PD-A2')).toHaveLength(1);
    expect(reasons?.[0]?.message).toContain('DUPLICATE_EXEC_ID');
  });

  it('rejects the held cancel of a trade whose NEW is refused at booking as a wash trade', async () => {
    // Arrange: ACC-001 buys; ACC-002 (the same owner) sells the same 100 at 170.00 20 s later, validated before the
    // buy was booked; the sell's cancel arrived first and is held
    const buy = seedTrade({ execId: 'PW-1', tradeId: 'PW-T1', tradeTime: '2024-04-02T16:30:00.000Z' });
    const sell = seedTrade({
      execId: 'PW-2',
      tradeId: 'PW-T2',
      account: 'ACC-002',
      side: 'SELL',
      tradeTime: '2024-04-02T16:30:20.000Z',
    });
    const cancel = { ...sell, execId: 'PW-C2', version: 2, lifecycle: 'CANCEL' as const };
    await persist(eventOf(Topics.TRADES_VALIDATED, [validated(cancel)], 2));
    await persist(eventOf(Topics.TRADES_VALIDATED, [validated(buy)], 0));

    // Act
    const summary = await persist(eventOf(Topics.TRADES_VALIDATED, [validated(sell)], 2));

    // Assert
    expect(summary).toMatchObject({ rejected: 1, unresolvable: { tradeRejected: 1, expired: 0 } });
    expect(await storedCodes('PW-2')).toEqual([['WASH_TRADE']]);
    expect(await storedCodes('PW-C2')).toEqual([['TRADE_REJECTED']]);
    expect(await held('PW-T2')).toEqual([]);
    expect(publisher.rejected('PW-C2')).toHaveLength(1);
  });

  it('rejects an amend that arrives after its NEW was rejected at validation, in the batch that would hold it', async () => {
    // Arrange: the NEW fails validation (quantity 0); its amend is valid
    const validate = validateHandler({ pool: db.pool, publisher });
    await validate(
      eventOf(Topics.TRADES_CAPTURED, [seedTrade({ execId: 'PV-1', tradeId: 'PV-T1', quantity: '0' })], 0),
    );
    const amend = seedTrade({ execId: 'PV-A2', tradeId: 'PV-T1', version: 2, lifecycle: 'AMEND' });

    // Act
    const summary = await persist(eventOf(Topics.TRADES_VALIDATED, [validated(amend)], 0));

    // Assert
    expect(summary).toMatchObject({ held: 1, unresolvable: { tradeRejected: 1 } });
    expect(await held('PV-T1')).toEqual([]);
    expect(await storedCodes('PV-A2')).toEqual([['TRADE_REJECTED']]);
  });

  it('rejects an amend whose trade does not arrive within the wait, and books nothing when the trade comes later', async () => {
    // Arrange: an amend held now; the next batch (any trade) runs two hours later
    const amend = seedTrade({ execId: 'PE-A2', tradeId: 'PE-T1', version: 2, lifecycle: 'AMEND' });
    await persist(eventOf(Topics.TRADES_VALIDATED, [validated(amend)], 3));
    const later = () => new Date(Date.now() + 2 * 3_600_000);

    // Act
    const summary = await persist(
      eventOf(Topics.TRADES_VALIDATED, [validated(seedTrade({ execId: 'PE-X', tradeId: 'PE-TX' }))], 3),
      later,
    );

    // Assert
    expect(summary).toMatchObject({ booked: 1, unresolvable: { tradeRejected: 0, expired: 1 } });
    expect(await held('PE-T1')).toEqual([]);
    expect(await storedCodes('PE-A2')).toEqual([['PENDING_EXPIRED']]);
    const [reasons] = publisher.rejected('PE-A2');
    expect(reasons?.[0]?.message).toMatch(/did not arrive within 3600 s/);

    // Act 2 / Assert 2: the NEW arrives after all; the rejected amend stays rejected, the trade is at version 1
    const arrived = await persist(
      eventOf(Topics.TRADES_VALIDATED, [validated(seedTrade({ execId: 'PE-1', tradeId: 'PE-T1' }))], 3),
    );
    expect(arrived).toMatchObject({ booked: 1 });
    const trade = await db.pool.query('SELECT version, status FROM trades WHERE trade_id = $1', ['PE-T1']);
    expect(trade.rows).toEqual([{ version: 1, status: 'LIVE' }]);
  });

  it('lists every one of them among the exceptions of the report of its trade date’s day', async () => {
    // Act: the report of 2024-04-02 (the day after the 2024-04-01 close), and of the day after
    const service = new PgStoredReports(db.pool);
    const exceptions = await service.exceptions('2024-04-02', '2024-04-01');
    const nextDay = await service.exceptions('2024-04-03', '2024-04-02');

    // Assert
    expect(exceptions.map((e) => [e.execId, e.lifecycle, e.code])).toEqual([
      ['PD-A2', 'AMEND', 'TRADE_REJECTED'],
      ['PE-A2', 'AMEND', 'PENDING_EXPIRED'],
      ['PV-A2', 'AMEND', 'TRADE_REJECTED'],
      ['PW-C2', 'CANCEL', 'TRADE_REJECTED'],
    ]);
    expect(exceptions[0]).toMatchObject({
      tradeId: 'PD-T2',
      accountId: 'ACC-001',
      version: 2,
      tradeDate: '2024-04-02',
    });
    expect(nextDay).toEqual([]);
  });
});
