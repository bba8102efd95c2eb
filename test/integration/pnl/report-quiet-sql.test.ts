import fc from 'fast-check';

import {
  buildPosition,
  CostMethod,
  openCost,
  positionQuantity,
  TradeAction,
  type TradeEvent,
} from '../../../lib/domain/lots';
import { Dec, minorUnits } from '../../../lib/domain/money';
import { dailyPnlLine, type DailyPnlLine } from '../../../lib/domain/pnl';
import { QUIET_INPUTS, quietFiguresSql } from '../../../lib/pnl/quiet-sql';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * The P&L arithmetic exists twice: in TypeScript (dailyPnlLine, lib/domain/pnl.ts) for the positions valued in
 * code, and in SQL (quietFiguresSql, lib/pnl/quiet-sql.ts) for the quiet positions PostgreSQL values where they
 * are. On generated positions (every cost method, longs, shorts, flips, fees, partial reliefs whose costs run to
 * 40 digits), prices and FX rates (stored either way round, so 1 / rate as PostgreSQL divides it), and currencies of
 * 0, 2 and 3 minor units, the very SQL the report runs, in the real PostgreSQL, gives every figure of a quiet line
 * exactly as dailyPnlLine does, to the minor unit.
 */
const CURRENCIES = ['USD', 'EUR', 'JPY', 'BHD'] as const;

interface Case {
  readonly id: number;
  readonly line: DailyPnlLine;
  readonly inputs: Record<(typeof QUIET_INPUTS)[number], string | null>;
}

const decimal = (maxUnits: number, places: number) =>
  fc.integer({ min: 1, max: maxUnits * 10 ** places }).map((n) => new Dec(n).div(10 ** places));

const trades = fc.array(
  fc.record({
    buy: fc.boolean(),
    quantity: fc.integer({ min: 1, max: 500 }),
    price: fc.oneof(decimal(300, 2), decimal(20, 4), decimal(30_000, 0)),
    fees: fc.oneof(fc.constant(new Dec(0)), decimal(20, 2)),
    rate: fc.oneof(decimal(3, 5), decimal(200, 3)),
  }),
  { minLength: 1, maxLength: 8 },
);

/** A rate as fx_rate_to_base gives it: stored, or 1 / the stored rate the other way round (numeric division). */
const rate = fc.record({ value: fc.oneof(decimal(3, 5), decimal(200, 3)), inverted: fc.boolean() });

const scenario = fc.record({
  method: fc.constantFrom(CostMethod.FIFO, CostMethod.LIFO, CostMethod.AVERAGE),
  currency: fc.constantFrom(...CURRENCIES),
  baseCurrency: fc.constantFrom(...CURRENCIES),
  trades,
  p0: fc.oneof(decimal(300, 2), decimal(20, 4), decimal(30_000, 0)),
  p1: fc.oneof(decimal(300, 2), decimal(20, 4), decimal(30_000, 0)),
  x0: rate,
  x1: rate,
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

describe('quiet lines: the SQL the report runs agrees with dailyPnlLine to the minor unit', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  /** Rates as PostgreSQL computes them (1 / r is a numeric division there, to its own precision). */
  async function rates(values: readonly { value: Dec; inverted: boolean }[]): Promise<string[]> {
    const { rows } = await db.pool.query<{ r: string }>(
      `SELECT (CASE WHEN i THEN 1 / v ELSE v END)::text AS r FROM unnest($1::numeric[], $2::boolean[]) AS u(v, i)`,
      [values.map((v) => v.value.toFixed()), values.map((v) => v.inverted)],
    );
    return rows.map((row) => row.r);
  }

  async function cases(generated: readonly Scenario[]): Promise<Case[]> {
    const xs = await rates(generated.flatMap((g) => [g.x0, g.x1]));
    return generated.flatMap((g, i): Case[] => {
      const [x0, x1] = [new Dec(xs[2 * i] ?? ''), new Dec(xs[2 * i + 1] ?? '')];
      const events = g.trades.map((t, n): TradeEvent => ({
        kind: 'TRADE',
        tradeId: `T${n}`,
        version: 1,
        action: TradeAction.NEW,
        side: t.buy ? 'BUY' : 'SELL',
        quantity: new Dec(t.quantity),
        price: t.price,
        fees: t.fees,
        tradeDate: '2024-05-24',
        tradeTime: `2024-05-24T14:00:${String(n).padStart(2, '0')}Z`,
        currency: g.currency,
        fxRateToBase: g.currency === g.baseCurrency ? new Dec(1) : t.rate,
      }));
      const position = buildPosition(events, g.method);
      if (!position.ok) throw new Error(JSON.stringify(position.errors));
      const same = g.currency === g.baseCurrency;
      const previousMarket = { price: g.p0, fxRateToBase: same ? new Dec(1) : x0 };
      const market = { price: g.p1, fxRateToBase: same ? new Dec(1) : x1 };
      const line = dailyPnlLine({
        accountId: 'ACC',
        instrumentId: 'XX0000000000',
        businessDate: '2024-05-28',
        currency: g.currency,
        baseCurrency: g.baseCurrency,
        previousClose: position.value,
        previousMarket,
        events: [],
        market,
      });
      if (!line.ok) throw new Error(JSON.stringify(line.errors));
      const cost = openCost(position.value);
      const dl = minorUnits(g.currency);
      const db = minorUnits(g.baseCurrency);
      const flat = positionQuantity(position.value).isZero();
      return [
        {
          id: i,
          line: line.value,
          inputs: {
            q: positionQuantity(position.value).toFixed(),
            c: cost.local.toFixed(),
            b: cost.base.toFixed(),
            p0: previousMarket.price.toFixed(),
            x0: previousMarket.fxRateToBase.toFixed(),
            // A flat position may have no price at all: the SQL must not need one.
            p1: flat && i % 2 === 0 ? null : market.price.toFixed(),
            x1: flat && i % 2 === 0 ? null : market.fxRateToBase.toFixed(),
            dl: String(dl),
            db: String(db),
            hl: new Dec('0.5').div(10 ** dl).toFixed(),
            hb: new Dec('0.5').div(10 ** db).toFixed(),
            sl: String(10 ** dl),
            sb: String(10 ** db),
          },
        },
      ];
    });
  }

  it('on generated positions, prices and rates: every figure equal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(scenario, { minLength: 1, maxLength: 60 }), async (generated) => {
        const all = await cases(generated);
        const columns = ['id', ...QUIET_INPUTS];
        const { rows } = await db.pool.query<Record<string, string>>(
          // The unrealized at the previous close is the previous line's unrealized at close, which the same SQL
          // (or dailyPnlLine) computed at that line's price and rate: `previous` runs it there.
          `WITH q AS (
             SELECT * FROM json_to_recordset($1::json) AS r(id int, q numeric, c numeric, b numeric, p0 numeric,
               x0 numeric, p1 numeric, x1 numeric, dl int, db int, hl numeric, hb numeric, sl numeric, sb numeric)),
           o AS (SELECT id, q, c, b, p0, x0, p0 AS p1, x0 AS x1, dl, db, hl, hb, sl, sb FROM q),
           previous AS (SELECT o.id, v.closing, v.closing_base FROM o ${quietFiguresSql('o')})
           SELECT q.id, v.total::text, v.total_base::text, p.closing::text AS opening, p.closing_base::text AS opening_base,
                  v.closing::text, v.closing_base::text, v.fx_effect::text, v.price_effect::text
           FROM q ${quietFiguresSql('q')} JOIN previous p ON p.id = q.id ORDER BY q.id`,
          [
            JSON.stringify(
              all.map((c) =>
                Object.fromEntries(
                  columns.map((k) => [k, k === 'id' ? c.id : c.inputs[k as (typeof QUIET_INPUTS)[number]]]),
                ),
              ),
            ),
          ],
        );
        const fromSql = rows.map((row) => ({
          id: Number(row.id),
          figures: [
            row.total,
            row.total_base,
            row.opening,
            row.opening_base,
            row.closing,
            row.closing_base,
            row.fx_effect,
            row.price_effect,
          ].map((text) => new Dec(text ?? 'NaN').toFixed()),
        }));
        const fromCode = all.map(({ id, line }) => ({
          id,
          figures: [
            line.local.totalToday,
            line.base.totalToday,
            line.local.unrealizedAtPreviousClose,
            line.base.unrealizedAtPreviousClose,
            line.local.unrealizedAtClose,
            line.base.unrealizedAtClose,
            line.base.fxEffectToday,
            line.base.priceEffectToday,
          ].map((d) => d.toFixed()),
        }));
        expect(fromSql).toEqual(fromCode);
        // A quiet day realizes nothing: the day's change in unrealized is its total.
        for (const { line } of all) {
          expect([line.local.realizedToday.isZero(), line.base.unrealizedChangeToday.eq(line.base.totalToday)]).toEqual(
            [true, true],
          );
        }
      }),
      { numRuns: 40 },
    );
  });
});
