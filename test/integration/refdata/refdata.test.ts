import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PgReferenceDataStore } from '../../../lib/db/reference-store';
import { PgTradeStore } from '../../../lib/db/trade-store';
import { Dec } from '../../../lib/domain/money';
import { Side, Trade, TradeLifecycle } from '../../../lib/domain/trade';
import { validateBatch } from '../../../lib/domain/validation';
import { fxRateKey, listingKey, positionKey, referencePriceKey } from '../../../lib/domain/validation/context';
import { loadReferenceData, REFERENCE_TABLES, ReferenceDataFileError } from '../../../lib/refdata/load';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED_DIR = path.resolve(__dirname, '..', '..', '..', 'migrations', 'seed');
const GOLDMAN_LEI = 'W22LROWP2IHZNBB6K528';
const APPLE = 'US0378331005';
const MICROSOFT = 'US5949181045';
const SAP = 'DE0007164600';
const BAYER = 'DE000BAY0017';

/** Every reference table's content and row versions (xmin): equal before and after means nothing was written. */
async function fingerprint(db: TestDatabase): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const { table } of REFERENCE_TABLES) {
    const { rows } = await db.pool.query(
      `SELECT count(*) AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS content,
              string_agg(t.xmin::text, ',' ORDER BY t::text) AS versions
       FROM ${table} t`,
    );
    result[table] = rows[0];
  }
  return result;
}

async function withSeedDir(files: Record<string, string>, work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'posttrade-seed-'));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
    await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('loadReferenceData', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('loads every seed file, and a second load changes nothing, not even a row version', async () => {
    const first = await loadReferenceData(db.pool, SEED_DIR);
    const afterFirst = await fingerprint(db);

    const second = await loadReferenceData(db.pool, SEED_DIR);
    const afterSecond = await fingerprint(db);

    expect(first.missingFiles).toEqual([]);
    expect(first.tables.map(({ table, rows, inserted, updated }) => [table, rows, inserted, updated])).toEqual([
      ['counterparties', 11, 11, 0],
      ['accounts', 20, 20, 0],
      ['instruments', 33, 33, 0],
      ['holidays', 101, 101, 0],
      ['settlement_cycles', 13, 13, 0],
      ['ssis', 61, 61, 0],
      ['reference_prices', 2069, 2069, 0],
      ['fx_rates', 390, 390, 0],
      ['restricted_list', 1, 1, 0],
      ['validation_thresholds', 3, 3, 0],
      ['instrument_sectors', 33, 33, 0],
      // The migration holds the DEFAULT rule already, as the seed has it.
      ['margin_rules', 3, 2, 0],
      ['risk_accounts', 20, 20, 0],
    ]);
    expect(second.tables.every((table) => table.inserted === 0 && table.updated === 0)).toBe(true);
    expect(afterSecond).toEqual(afterFirst);
  });

  it('updates only the rows that changed and leaves tables without a file alone', async () => {
    const files = { 'validation_thresholds.csv': 'key,value\nprice_tolerance_bps,250\nwash_trade_window_seconds,60\n' };

    await withSeedDir(files, async (dir) => {
      const load = await loadReferenceData(db.pool, dir);
      const { rows } = await db.pool.query(`SELECT key, value FROM validation_thresholds ORDER BY key`);

      expect(load.tables).toEqual([
        { table: 'validation_thresholds', file: 'validation_thresholds.csv', rows: 2, inserted: 0, updated: 1 },
      ]);
      expect(load.missingFiles).toHaveLength(REFERENCE_TABLES.length - 1);
      expect(rows).toEqual([
        { key: 'price_tolerance_bps', value: '250' },
        { key: 'require_reference_price', value: '0' },
        { key: 'wash_trade_window_seconds', value: '60' },
      ]);
    });
  });

  it('rejects a malformed file with its line, before writing anything', async () => {
    const files = {
      'validation_thresholds.csv': 'key,value\nprice_tolerance_bps,1\n',
      'restricted_list.csv': 'isin,from_date,to_date,reason\nDE000BAY0017,2024-02-30,,typo\n',
    };
    const before = await fingerprint(db);

    await withSeedDir(files, async (dir) => {
      const load = loadReferenceData(db.pool, dir);

      await expect(load).rejects.toThrow(ReferenceDataFileError);
      await expect(load).rejects.toThrow(/restricted_list\.csv line 2: from_date is not a date/);
    });
    expect(await fingerprint(db)).toEqual(before);
  });

  it('rolls every table back when the database refuses one row', async () => {
    const files = {
      'validation_thresholds.csv': 'key,value\nprice_tolerance_bps,1\n',
      'accounts.csv':
        'id,base_currency,cost_method,notional_limit,position_limit,beneficial_owner,active\n' +
        'ACC-900,USD,HIFO,1000,10,OWNER,true\n',
    };
    const before = await fingerprint(db);

    await withSeedDir(files, async (dir) => {
      await expect(loadReferenceData(db.pool, dir)).rejects.toThrow(/cost_method/);
    });
    expect(await fingerprint(db)).toEqual(before);
  });
});

function trade(overrides: Partial<Trade> & Pick<Trade, 'execId' | 'tradeId'>): Trade {
  return {
    version: 1,
    lifecycle: TradeLifecycle.NEW,
    account: 'ACC-001',
    counterpartyLei: GOLDMAN_LEI,
    isin: APPLE,
    mic: 'XNYS',
    side: Side.BUY,
    quantity: new Dec('100'),
    price: new Dec('158.00'),
    currency: 'USD',
    tradeDate: '2024-05-28',
    tradeTime: '2024-05-28T14:30:00.000Z',
    commission: new Dec('0'),
    fees: new Dec('0'),
    ...overrides,
  };
}

describe('PgReferenceDataStore.validationSnapshot', () => {
  let db: TestDatabase;
  let references: PgReferenceDataStore;

  // Booked before the batch. ACC-001 and ACC-002 share the beneficial owner ALPHA-GROWTH-FUND.
  const booked = {
    buy300: trade({ execId: 'B1', tradeId: 'SB-1', quantity: new Dec(300), tradeTime: '2024-05-28T14:29:30.000Z' }),
    sell100: trade({
      execId: 'B2',
      tradeId: 'SB-2',
      side: Side.SELL,
      tradeDate: '2024-05-24',
      tradeTime: '2024-05-24T15:00:00.000Z',
    }),
    otherAccountSell50: trade({
      execId: 'B3',
      tradeId: 'SB-3',
      account: 'ACC-002',
      side: Side.SELL,
      quantity: new Dec(50),
      price: new Dec('158.10'),
      tradeTime: '2024-05-28T14:30:20.000Z',
    }),
    cancelledBuy: trade({
      execId: 'B4',
      tradeId: 'SB-4',
      quantity: new Dec(40),
      tradeTime: '2024-05-28T14:30:10.000Z',
    }),
    microsoft: trade({
      execId: 'B5',
      tradeId: 'SB-5',
      account: 'ACC-003',
      isin: MICROSOFT,
      quantity: new Dec(10),
      price: new Dec('470.00'),
      tradeTime: '2024-05-28T14:00:00.000Z',
    }),
  };
  const cancel = { ...booked.cancelledBuy, execId: 'B4C', version: 2, lifecycle: TradeLifecycle.CANCEL };

  const batch = {
    washes: trade({ execId: 'N1', tradeId: 'SN-1', quantity: new Dec(50), price: new Dec('158.10') }),
    euroAccountInDollars: trade({
      execId: 'N2',
      tradeId: 'SN-2',
      account: 'ACC-004',
      isin: MICROSOFT,
      quantity: new Dec(10),
      price: new Dec('470.00'),
    }),
    ssiGap: trade({
      execId: 'N3',
      tradeId: 'SN-3',
      account: 'ACC-008',
      isin: SAP,
      mic: 'XETR',
      currency: 'EUR',
      quantity: new Dec(10),
      price: new Dec('165.00'),
    }),
    amend: trade({
      ...booked.microsoft,
      execId: 'B5A',
      version: 2,
      lifecycle: TradeLifecycle.AMEND,
      quantity: new Dec(20),
      tradeTime: '2024-05-28T14:00:30.000Z',
    }),
    restricted: trade({
      execId: 'N5',
      tradeId: 'SN-5',
      account: 'ACC-006',
      isin: BAYER,
      mic: 'XETR',
      currency: 'EUR',
      price: new Dec('26.200'),
    }),
    redelivered: booked.buy300,
    rejectedBefore: trade({
      execId: 'R1',
      tradeId: 'SN-7',
      quantity: new Dec(1),
      tradeTime: '2024-05-28T16:00:00.000Z',
    }),
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    references = new PgReferenceDataStore(db.pool);
    await loadReferenceData(db.pool, SEED_DIR);
    const trades = new PgTradeStore(db.pool);
    await trades.bookTrades([...Object.values(booked), cancel]);
    await trades.recordRejections([
      {
        execId: 'R1',
        tradeId: 'SN-7',
        event: {},
        reasons: [{ code: 'PRICE_TOLERANCE', message: 'too far' }],
        rejectedAt: '2024-05-28T15:59:00.000Z',
      },
    ]);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('compares each trade of a batch spanning days with its own previous close', async () => {
    const friday = trade({
      execId: 'D1',
      tradeId: 'SD-1',
      tradeDate: '2024-05-24',
      tradeTime: '2024-05-24T15:00:00.000Z',
    });
    const tuesday = trade({
      execId: 'D2',
      tradeId: 'SD-2',
      tradeDate: '2024-05-28',
      tradeTime: '2024-05-28T15:00:00.000Z',
    });

    const snapshot = await references.validationSnapshot([friday, tuesday]);

    const fridayRef = snapshot.referencePrices.get(referencePriceKey(friday.isin, '2024-05-24'));
    const tuesdayRef = snapshot.referencePrices.get(referencePriceKey(tuesday.isin, '2024-05-28'));
    expect(fridayRef?.date).toBe('2024-05-23');
    expect(tuesdayRef?.date).toBe('2024-05-24');
  });

  it('fills every part of the snapshot for the batch, and only for it', async () => {
    const snapshot = await references.validationSnapshot(Object.values(batch));

    expect([...snapshot.instruments.keys()].sort()).toEqual([
      listingKey(SAP, 'XETR'),
      listingKey(BAYER, 'XETR'),
      listingKey(APPLE, 'XNYS'),
      listingKey(MICROSOFT, 'XNYS'),
    ]);
    expect(snapshot.instruments.get(listingKey(APPLE, 'XNYS'))).toEqual({
      isin: APPLE,
      mic: 'XNYS',
      name: 'Apple Inc.',
      currency: 'USD',
      lotSize: new Dec(1),
      priceDecimals: 2,
      instrumentType: 'EQUITY',
      settlementMarket: 'XNYS',
      settlementCalendarMic: 'XNYS',
      active: true,
    });
    expect([...snapshot.accounts.keys()].sort()).toEqual(['ACC-001', 'ACC-003', 'ACC-004', 'ACC-006', 'ACC-008']);
    expect(snapshot.accounts.get('ACC-004')?.baseCurrency).toBe('EUR');
    expect([...snapshot.counterparties.keys()]).toEqual([GOLDMAN_LEI]);
    // 3 markets each, plus one counterparty-specific row for ACC-001 and ACC-004, minus ACC-008's XETR gap.
    expect(snapshot.ssis).toHaveLength(16);
    expect(snapshot.ssis.filter((ssi) => ssi.account === 'ACC-008').map((ssi) => ssi.id)).toEqual([
      'SSI-ACC-008-XLON-GBP',
      'SSI-ACC-008-XNYS-USD',
    ]);
    // Previous closes: XNYS was shut on Monday 2024-05-27 (Memorial Day), Xetra was open.
    expect(
      Object.fromEntries([...snapshot.referencePrices].map(([isin, p]) => [isin, [p.date, p.price.toFixed()]])),
    ).toEqual({
      [referencePriceKey(APPLE, '2024-05-28')]: ['2024-05-24', '160.78'],
      [referencePriceKey(MICROSOFT, '2024-05-28')]: ['2024-05-24', '475.12'],
      [referencePriceKey(SAP, '2024-05-28')]: ['2024-05-27', '165.3'],
      [referencePriceKey(BAYER, '2024-05-28')]: ['2024-05-27', '26.151'],
    });
    // EUR/USD 1.11604 is stored; a EUR account buying in USD needs its inverse.
    expect(Object.fromEntries([...snapshot.fxRates].map(([key, rate]) => [key, rate.toFixed()]))).toEqual({
      [fxRateKey('USD', 'EUR', '2024-05-28')]: new Dec(1).div(new Dec('1.11604')).toFixed(),
      [fxRateKey('EUR', 'USD', '2024-05-28')]: '1.11604',
      [fxRateKey('EUR', 'GBP', '2024-05-28')]: '0.87989',
    });
    // ACC-001 in Apple: +300 - 100; the cancelled buy of 40 counts for nothing. ACC-003's Microsoft trade is
    // being amended by the batch, so its position is left out.
    expect(Object.fromEntries([...snapshot.positions].map(([key, quantity]) => [key, quantity.toFixed()]))).toEqual({
      [positionKey('ACC-001', APPLE)]: '200',
    });
    expect(snapshot.restrictions).toEqual([
      {
        isin: BAYER,
        from: '2024-05-13',
        to: '2024-06-14',
        reason: 'Watch list: firm advising on a pending transaction (inside information)',
      },
    ]);
    expect([...snapshot.calendars.keys()].sort()).toEqual(['XETR', 'XNYS']);
    expect(snapshot.calendars.get('XNYS')?.isBusinessDay('2024-05-27')).toBe(false);
    expect(snapshot.settlementCycles).toHaveLength(13);
    expect(snapshot.settlementCycles).toContainEqual({
      market: 'XNYS',
      instrumentType: 'EQUITY',
      effectiveFrom: '2024-05-28',
      days: 1,
    });
    expect(snapshot.thresholds).toEqual({
      priceToleranceBps: new Dec(500),
      washTradeWindowSeconds: 60,
      requireReferencePrice: false,
    });
    expect([...snapshot.seenExecIds].sort()).toEqual(['B1', 'R1']);
    // Live executions of ALPHA in Apple within 60 s of 14:29:30/14:30:00 and of BETA in Microsoft near 14:00:30.
    expect(snapshot.recentExecutions.map((execution) => [execution.execId, execution.beneficialOwner])).toEqual([
      ['B5', 'BETA-PENSION-SCHEME'],
      ['B1', 'ALPHA-GROWTH-FUND'],
      ['B3', 'ALPHA-GROWTH-FUND'],
    ]);
  });

  it('gives validation what it needs to accept a good trade and name what is wrong with the others', async () => {
    const snapshot = await references.validationSnapshot(Object.values(batch));

    const results = validateBatch(Object.values(batch), snapshot);
    const codes = Object.fromEntries(
      results.map(({ trade: t, result }) => [
        t.execId,
        result.ok ? result.value.settlementDate : result.errors.map((e) => e.code),
      ]),
    );

    expect(codes).toEqual({
      N1: ['WASH_TRADE'],
      // T+1 on XNYS from 2024-05-28.
      N2: '2024-05-29',
      N3: ['SSI_MISSING'],
      B5A: '2024-05-29',
      N5: ['RESTRICTED_INSTRUMENT'],
      B1: ['DUPLICATE_EXEC_ID'],
      R1: ['DUPLICATE_EXEC_ID'],
    });
  });
});
