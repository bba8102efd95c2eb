import { PgTradeStore, TradeStatus, type TradeHistory, type TradeRejection } from '../../../lib/db/trade-store';
import { Dec } from '../../../lib/domain/money';
import { Side, Trade, TradeLifecycle } from '../../../lib/domain/trade';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const GOLDMAN_LEI = 'W22LROWP2IHZNBB6K528';

function trade(overrides: Partial<Trade> & Pick<Trade, 'execId' | 'tradeId'>): Trade {
  return {
    version: 1,
    lifecycle: TradeLifecycle.NEW,
    account: 'ACC-001',
    counterpartyLei: GOLDMAN_LEI,
    isin: 'US0378331005',
    mic: 'XNYS',
    side: Side.BUY,
    quantity: new Dec('100'),
    price: new Dec('189.87'),
    currency: 'USD',
    tradeDate: '2024-05-28',
    tradeTime: '2024-05-28T14:30:00.000Z',
    commission: new Dec('1.5'),
    fees: new Dec('0.0123'),
    ...overrides,
  };
}

/** NEW v1 → AMEND v2 (quantity and price corrected) → CANCEL v3 of one trade. */
function lifecycleOf(tradeId: string): { create: Trade; amend: Trade; cancel: Trade } {
  const create = trade({ execId: `${tradeId}-E1`, tradeId });
  const amend = trade({
    execId: `${tradeId}-E2`,
    tradeId,
    version: 2,
    lifecycle: TradeLifecycle.AMEND,
    quantity: new Dec('150'),
    price: new Dec('189.91'),
    tradeTime: '2024-05-28T14:35:00.000Z',
  });
  const cancel = { ...amend, execId: `${tradeId}-E3`, version: 3, lifecycle: TradeLifecycle.CANCEL };
  return { create, amend, cancel };
}

/** What a trade's history says, without arrival timestamps (which differ by construction between orders). */
function finalState(history: TradeHistory | undefined): unknown {
  return (
    history && {
      status: history.status,
      currentVersion: history.currentVersion,
      versions: history.versions.map((version) => plain(version.trade)),
      pending: history.pending.map(plain),
    }
  );
}

/** Decimals as strings, so that `toEqual` compares values and not Decimal internals. */
function plain(value: Trade): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [key, field instanceof Dec ? field.toFixed() : field]),
  );
}

function execIds(trades: readonly { execId: string }[] | readonly { trade: { execId: string } }[]): string[] {
  return trades.map((item) => ('trade' in item ? item.trade.execId : item.execId));
}

describe('PgTradeStore', () => {
  let db: TestDatabase;
  let store: PgTradeStore;
  beforeAll(async () => {
    db = await createTestDatabase();
    store = new PgTradeStore(db.pool);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('books NEW, AMEND and CANCEL in order as three versions; the cancel ends the trade', async () => {
    const { create, amend, cancel } = lifecycleOf('T-INORDER');

    const first = await store.bookTrades([create]);
    const second = await store.bookTrades([amend]);
    const third = await store.bookTrades([cancel]);
    const history = await store.getTrade('T-INORDER');

    expect(first.booked).toEqual([
      { trade: create, source: undefined, appliedFromPending: false, current: true, tradeStatus: TradeStatus.LIVE },
    ]);
    expect(execIds(second.booked)).toEqual(['T-INORDER-E2']);
    expect(second.booked[0]?.tradeStatus).toBe(TradeStatus.LIVE);
    expect(execIds(third.booked)).toEqual(['T-INORDER-E3']);
    expect(third.booked[0]?.tradeStatus).toBe(TradeStatus.CANCELLED);
    expect(finalState(history)).toEqual({
      status: TradeStatus.CANCELLED,
      currentVersion: 3,
      versions: [plain(create), plain(amend), plain(cancel)],
      pending: [],
    });
  });

  const arrivals: [string, (t: ReturnType<typeof lifecycleOf>) => Trade[][]][] = [
    ['cancel, then amend, then new (three batches)', (t) => [[t.cancel], [t.amend], [t.create]]],
    ['amend, then new, then cancel', (t) => [[t.amend], [t.create], [t.cancel]]],
    ['cancel and amend held, new last', (t) => [[t.cancel, t.amend], [t.create]]],
    ['all three reversed in one batch', (t) => [[t.cancel, t.amend, t.create]]],
    ['new last of one batch after the cancel', (t) => [[t.amend], [t.cancel, t.create]]],
  ];
  it.each(arrivals)('out of order — %s — ends in the same state as in order', async (_, plan) => {
    const tradeId = `T-OOO-${arrivals.findIndex(([name]) => name === _)}`;
    const lifecycle = lifecycleOf(tradeId);

    const results = [];
    for (const batch of plan(lifecycle)) results.push(await store.bookTrades(batch));
    const history = await store.getTrade(tradeId);

    expect(finalState(history)).toEqual({
      status: TradeStatus.CANCELLED,
      currentVersion: 3,
      versions: [plain(lifecycle.create), plain(lifecycle.amend), plain(lifecycle.cancel)],
      pending: [],
    });
    // Every version is booked exactly once over all the batches.
    expect(results.flatMap((result) => execIds(result.booked)).sort()).toEqual([
      `${tradeId}-E1`,
      `${tradeId}-E2`,
      `${tradeId}-E3`,
    ]);
    expect(results.flatMap((result) => result.duplicates)).toEqual([]);
  });

  it('holds an amend whose trade is unknown and applies it, in version order, when the trade arrives', async () => {
    const { create, amend, cancel } = lifecycleOf('T-HELD');

    const early = await store.bookTrades([cancel, amend]);
    const whileHeld = await store.getTrade('T-HELD');
    const arrival = await store.bookTrades([create]);

    expect(early.booked).toEqual([]);
    expect(execIds(early.held)).toEqual(['T-HELD-E3', 'T-HELD-E2']);
    expect(whileHeld?.status).toBeUndefined();
    expect(whileHeld?.pending.map(plain)).toEqual([plain(amend), plain(cancel)]);
    expect(
      arrival.booked.map((version) => [version.trade.execId, version.appliedFromPending, version.current]),
    ).toEqual([
      ['T-HELD-E1', false, false],
      ['T-HELD-E2', true, false],
      ['T-HELD-E3', true, true],
    ]);
    expect(arrival.booked.every((version) => version.tradeStatus === TradeStatus.CANCELLED)).toBe(true);
  });

  it('an amend without a cancel leaves the trade live at the amended version', async () => {
    const { create, amend } = lifecycleOf('T-AMENDED');

    await store.bookTrades([amend, create]);
    const current = await db.pool.query<{ version: number; status: string; quantity: string; price: string }>(
      `SELECT version, status, quantity, price FROM trades WHERE trade_id = 'T-AMENDED'`,
    );

    expect(current.rows).toEqual([{ version: 2, status: 'LIVE', quantity: '150', price: '189.91' }]);
  });

  it('redelivery of a whole batch changes nothing and reports every event as a duplicate', async () => {
    const a = lifecycleOf('T-REDELIVER-A');
    const b = lifecycleOf('T-REDELIVER-B');
    const orphan = lifecycleOf('T-REDELIVER-ORPHAN').amend;
    const batch = [a.create, b.create, a.amend, orphan];
    const sources = batch.map((_, index) => ({ topic: 'trades.captured', partition: 3, offset: String(1000 + index) }));
    const dump = (): Promise<unknown> =>
      db.pool
        .query<Record<'versions' | 'trades' | 'pending', unknown>>(
          `SELECT (SELECT json_agg(v ORDER BY v.trade_id, v.version) FROM trade_versions v
                   WHERE v.trade_id LIKE 'T-REDELIVER-%') AS versions,
                  (SELECT json_agg(t ORDER BY t.trade_id) FROM trades t WHERE t.trade_id LIKE 'T-REDELIVER-%') AS trades,
                  (SELECT json_agg(p ORDER BY p.exec_id) FROM pending_trade_events p
                   WHERE p.trade_id LIKE 'T-REDELIVER-%') AS pending`,
        )
        .then((result) => result.rows[0]);
    const first = await store.bookTrades(batch, sources);
    const before = await dump();

    const again = await store.bookTrades(batch, sources);
    const after = await dump();

    expect(execIds(first.booked)).toEqual(['T-REDELIVER-A-E1', 'T-REDELIVER-A-E2', 'T-REDELIVER-B-E1']);
    expect(first.booked[0]?.source).toEqual({ topic: 'trades.captured', partition: 3, offset: '1000' });
    expect(execIds(first.held)).toEqual(['T-REDELIVER-ORPHAN-E2']);
    expect(again).toEqual({ booked: [], held: [], duplicates: batch, conflicts: [], rejected: [] });
    expect(after).toEqual(before);
  });

  it('an ExecID repeated within one batch is booked once', async () => {
    const { create } = lifecycleOf('T-TWICE');

    const result = await store.bookTrades([create, create]);

    expect(execIds(result.booked)).toEqual(['T-TWICE-E1']);
    expect(result.duplicates).toEqual([create]);
  });

  it('a second ExecID claiming a booked version is a conflict, not a new version', async () => {
    const { create } = lifecycleOf('T-CONFLICT');
    const rival = { ...create, execId: 'T-CONFLICT-RIVAL', quantity: new Dec('999') };

    await store.bookTrades([create]);
    const result = await store.bookTrades([rival]);
    const history = await store.getTrade('T-CONFLICT');

    expect(result).toEqual({ booked: [], held: [], duplicates: [], conflicts: [rival], rejected: [] });
    expect(history?.versions.map((version) => version.trade.execId)).toEqual(['T-CONFLICT-E1']);
  });

  it('a NEW and its AMEND booked at the same time by two callers never leave the amend held', async () => {
    const { create, amend } = lifecycleOf('T-RACE');

    await Promise.all([store.bookTrades([amend]), store.bookTrades([create])]);
    const history = await store.getTrade('T-RACE');

    expect(history?.pending).toEqual([]);
    expect(history?.versions.map((version) => version.trade.version)).toEqual([1, 2]);
  });

  describe('an ExecID names one execution', () => {
    it('the same execution again, however it is spelled, is a duplicate and changes nothing', async () => {
      // Arrange: booked; then the same values with other decimals and the time in another offset, at a new offset
      const { create } = lifecycleOf('T-RESEND');
      const source = { topic: 'trades.validated', partition: 0, offset: 10 };
      await store.bookTrades([{ ...create, settlementDate: '2024-05-29' }], [source]);
      const resent = {
        ...create,
        settlementDate: '2024-05-29',
        quantity: new Dec('100.00'),
        commission: new Dec('1.50'),
        tradeTime: '2024-05-28T16:30:00.000+02:00',
      };

      // Act
      const result = await store.bookTrades([resent], [{ ...source, partition: 1, offset: 7 }]);

      // Assert
      expect(result).toEqual({ booked: [], held: [], duplicates: [resent], conflicts: [], rejected: [] });
      const history = await store.getTrade('T-RESEND');
      expect(history?.versions.map((version) => version.source?.offset)).toEqual(['10']);
    });

    it.each([
      ['another trade', { tradeId: 'T-REUSE-OTHER' }],
      ['another price', { price: new Dec('189.88') }],
      ['another settlement date', { settlementDate: '2024-05-30' }],
      ['another beneficial owner', { beneficialOwner: 'SOMEONE-ELSE' }],
    ])('a booked ExecID reused with %s is rejected as DUPLICATE_EXEC_ID, not booked', async (_, change) => {
      // Arrange
      const tradeId = `T-REUSE-${Object.keys(change).join()}`;
      const create = trade({ execId: `${tradeId}-E1`, tradeId, settlementDate: '2024-05-29' });
      await store.bookTrades([create]);
      const reuse: Trade = { ...create, ...change };
      const source = { topic: 'trades.validated', partition: 2, offset: 5 };

      // Act
      const result = await store.bookTrades([reuse], [source]);

      // Assert
      expect(result).toMatchObject({ booked: [], held: [], duplicates: [], conflicts: [] });
      expect(result.rejected).toEqual([
        {
          trade: reuse,
          source,
          reasons: [
            {
              code: 'DUPLICATE_EXEC_ID',
              message: `ExecID ${tradeId}-E1 is already booked for another execution (trade ${tradeId} version 1): not booked`,
            },
          ],
        },
      ]);
      const versions = await db.pool.query(`SELECT 1 FROM trade_versions WHERE exec_id = $1`, [create.execId]);
      expect(versions.rowCount).toBe(1);
    });

    it('a held ExecID reused by another execution is rejected, and the held event stays held', async () => {
      // Arrange
      const { amend } = lifecycleOf('T-REUSE-HELD');
      await store.bookTrades([amend]);
      const other = { ...amend, tradeId: 'T-REUSE-HELD-OTHER' };

      // Act
      const result = await store.bookTrades([other]);

      // Assert
      expect(result.rejected.map((r) => r.reasons.map((reason) => reason.message))).toEqual([
        ['ExecID T-REUSE-HELD-E2 is already held for another execution (trade T-REUSE-HELD version 2): not booked'],
      ]);
      expect((await store.getTrade('T-REUSE-HELD'))?.pending).toEqual([amend]);
      expect(await store.getTrade('T-REUSE-HELD-OTHER')).toBeUndefined();
    });

    it('within one batch the first execution of an ExecID is booked, an identical repeat is a duplicate, another is rejected', async () => {
      // Arrange
      const { create } = lifecycleOf('T-REUSE-BATCH');
      const other = { ...create, tradeId: 'T-REUSE-BATCH-OTHER', side: Side.SELL };

      // Act
      const result = await store.bookTrades([create, other, create]);

      // Assert
      expect(execIds(result.booked)).toEqual(['T-REUSE-BATCH-E1']);
      expect(result.duplicates).toEqual([create]);
      expect(result.rejected.map((r) => [r.trade, r.reasons[0]?.message])).toEqual([
        [
          other,
          'ExecID T-REUSE-BATCH-E1 came earlier in this batch for another execution (trade T-REUSE-BATCH version 1): not booked',
        ],
      ]);
    });

    it('two executions sharing an ExecID booked at the same time: one is booked, the other rejected, never a conflict', async () => {
      // Arrange: ten pairs, each booked by two callers at once, so that some pairs really overlap
      const pairs = Array.from({ length: 10 }, (_, index) => {
        const first = trade({ execId: `T-SHARED-${index}`, tradeId: `T-SHARED-${index}-A` });
        return [first, { ...first, tradeId: `T-SHARED-${index}-B`, account: 'ACC-003' }] as const;
      });

      // Act
      const results = await Promise.all(
        pairs.map(([first, second]) => Promise.all([store.bookTrades([first]), store.bookTrades([second])])),
      );

      // Assert
      for (const pair of results) {
        const outcomes = pair.map((result) => ({
          booked: result.booked.length,
          rejected: result.rejected.map((r) => r.reasons.map((reason) => reason.code)),
          conflicts: result.conflicts.length,
        }));
        expect(outcomes).toEqual(
          expect.arrayContaining([
            { booked: 1, rejected: [], conflicts: 0 },
            { booked: 0, rejected: [['DUPLICATE_EXEC_ID']], conflicts: 0 },
          ]),
        );
      }
    });
  });

  describe('wash trades at booking (recheckWashTrades)', () => {
    const owner = 'T-WASH-OWNER';
    const buy = trade({ execId: 'T-WASH-BUY-E1', tradeId: 'T-WASH-BUY', beneficialOwner: owner });
    // The mirror: the same owner through another account, 45 s later, same price and quantity
    const sell = trade({
      execId: 'T-WASH-SELL-E1',
      tradeId: 'T-WASH-SELL',
      account: 'ACC-003',
      side: Side.SELL,
      beneficialOwner: owner,
      tradeTime: '2024-05-28T14:30:45.000Z',
    });

    it('refuses a NEW that mirrors a live booked trade of the same owner, and only when asked to', async () => {
      // Arrange
      await store.bookTrades([buy]);

      // Act
      const checked = await store.bookTrades([sell], [], { recheckWashTrades: true });

      // Assert
      expect(checked.booked).toEqual([]);
      expect(checked.rejected).toEqual([
        {
          trade: sell,
          source: undefined,
          reasons: [
            {
              code: 'WASH_TRADE',
              message:
                'beneficial owner T-WASH-OWNER was on the other side of US0378331005 at the same price and quantity ' +
                'in ExecID T-WASH-BUY-E1 (2024-05-28T14:30:00.000Z), within 60s',
            },
          ],
        },
      ]);
      // Without the option the store books it (bookings that are not validated trades, e.g. fixtures)
      const unchecked = await store.bookTrades([{ ...sell, execId: 'T-WASH-SELL-E2', tradeId: 'T-WASH-SELL-2' }]);
      expect(execIds(unchecked.booked)).toEqual(['T-WASH-SELL-E2']);
    });

    it('within one batch the later leg is refused; a leg outside the window is not', async () => {
      // Arrange
      const leg = (id: string, change: Partial<Trade>): Trade => ({
        ...buy,
        execId: `${id}-E1`,
        tradeId: id,
        ...change,
      });
      const first = leg('T-WASHB-1', { beneficialOwner: 'T-WASHB-OWNER' });
      const mirror = leg('T-WASHB-2', { beneficialOwner: 'T-WASHB-OWNER', side: Side.SELL, account: 'ACC-003' });
      const late = leg('T-WASHB-3', {
        beneficialOwner: 'T-WASHB-OWNER',
        side: Side.SELL,
        tradeTime: '2024-05-28T14:31:01.000Z',
      });

      // Act
      const result = await store.bookTrades([first, mirror, late], [], { recheckWashTrades: true });

      // Assert: 61 s later is outside the 60 s window
      expect(execIds(result.booked)).toEqual(['T-WASHB-1-E1', 'T-WASHB-3-E1']);
      expect(result.rejected.map((r) => [r.trade.execId, r.reasons[0]?.code])).toEqual([
        ['T-WASHB-2-E1', 'WASH_TRADE'],
      ]);
    });
  });

  it('NUMERIC values round-trip exactly, digit for digit', async () => {
    const precise = trade({
      execId: 'T-NUMERIC-E1',
      tradeId: 'T-NUMERIC',
      quantity: new Dec('123456789012345678.000000000001'),
      price: new Dec('98765.43210987654321098765432109876543'),
      commission: new Dec('0.1'),
      fees: new Dec('0.2'),
    });

    await store.bookTrades([precise]);
    const history = await store.getTrade('T-NUMERIC');
    const sum = await db.pool.query<{ charges: string; exact: boolean }>(
      `SELECT commission + fees AS charges, commission + fees = 0.3 AS exact FROM trade_versions
       WHERE exec_id = 'T-NUMERIC-E1'`,
    );

    expect(history?.versions[0]?.trade.quantity.toFixed()).toBe('123456789012345678.000000000001');
    expect(history?.versions[0]?.trade.price.toFixed()).toBe('98765.43210987654321098765432109876543');
    expect(sum.rows).toEqual([{ charges: '0.3', exact: true }]);
  });

  describe('rejections', () => {
    const rejected = trade({ execId: 'T-REJ-E1', tradeId: 'T-REJ', price: new Dec('1899.87') });
    const reasons = [
      { code: 'PRICE_TOLERANCE', message: 'price 1899.87 is 1000.6% from the reference price 189.80' },
      { code: 'NOTIONAL_LIMIT', message: 'notional 189987.00 USD exceeds the limit' },
      { code: 'WASH_TRADE', message: 'beneficial owner ALPHA-GROWTH-FUND was on the other side' },
    ];
    const rejections: TradeRejection[] = [
      {
        execId: rejected.execId,
        tradeId: rejected.tradeId,
        event: { schemaVersion: 1, execId: rejected.execId, price: '1899.87' },
        reasons,
        rejectedAt: '2024-05-28T14:30:01.000Z',
        source: { topic: 'trades.captured', partition: 0, offset: 42 },
      },
      {
        event: 'not json at all',
        reasons: [{ code: 'SCHEMA_INVALID', message: 'record is not JSON' }],
        rejectedAt: '2024-05-28T14:30:02.000Z',
        source: { topic: 'trades.captured', partition: 0, offset: 43 },
      },
    ];

    it('are stored once, with every reason, however often they are redelivered', async () => {
      const first = await store.recordRejections(rejections);
      const again = await store.recordRejections(rejections);
      const history = await store.getTrade('T-REJ');
      const count = await db.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM trade_rejections WHERE source_topic = 'trades.captured' AND source_offset IN (42, 43)`,
      );

      expect(first).toEqual({ recorded: ['kafka:trades.captured:0:42', 'kafka:trades.captured:0:43'], duplicates: [] });
      expect(again).toEqual({ recorded: [], duplicates: ['kafka:trades.captured:0:42', 'kafka:trades.captured:0:43'] });
      expect(count.rows).toEqual([{ n: '2' }]);
      expect(history?.versions).toEqual([]);
      expect(history?.rejections).toEqual([
        {
          key: 'kafka:trades.captured:0:42',
          execId: 'T-REJ-E1',
          event: { schemaVersion: 1, execId: 'T-REJ-E1', price: '1899.87' },
          reasons,
          rejectedAt: '2024-05-28T14:30:01.000Z',
          source: { topic: 'trades.captured', partition: 0, offset: '42' },
        },
      ]);
    });

    it('without a source record are keyed by ExecID, and need one of the two', async () => {
      const noSource: TradeRejection = {
        execId: 'T-REJ-NOSOURCE',
        tradeId: 'T-REJ-NOSOURCE',
        event: { execId: 'T-REJ-NOSOURCE' },
        reasons,
        rejectedAt: '2024-05-28T14:30:03.000Z',
      };
      const anonymous: TradeRejection = { event: {}, reasons, rejectedAt: '2024-05-28T14:30:03.000Z' };

      const first = await store.recordRejections([noSource]);
      const again = await store.recordRejections([noSource]);

      expect(first.recorded).toEqual(['exec:T-REJ-NOSOURCE']);
      expect(again.duplicates).toEqual(['exec:T-REJ-NOSOURCE']);
      await expect(store.recordRejections([anonymous])).rejects.toThrow(/source record or an ExecID/);
    });

    it('and bookings of one batch commit together', async () => {
      const accepted = trade({ execId: 'T-BATCH-E1', tradeId: 'T-BATCH' });
      const refused: TradeRejection = {
        execId: 'T-BATCH-E2',
        tradeId: 'T-BATCH-2',
        event: {},
        reasons: [{ code: 'LOT_SIZE', message: 'quantity 7 is not a multiple of 10' }],
        rejectedAt: '2024-05-28T14:31:00.000Z',
      };

      const result = await store.recordBatch({ trades: [accepted], rejections: [refused] });
      const replay = await store.recordBatch({ trades: [accepted], rejections: [refused] });

      expect(execIds(result.booking.booked)).toEqual(['T-BATCH-E1']);
      expect(result.rejections.recorded).toEqual(['exec:T-BATCH-E2']);
      expect(replay.booking.duplicates).toEqual([accepted]);
      expect(replay.rejections.duplicates).toEqual(['exec:T-BATCH-E2']);
    });
  });
});
