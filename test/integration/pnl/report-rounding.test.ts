import { Dec, Rounding } from '../../../lib/domain/money';
import { halfEvenSql } from '../../../lib/pnl/half-even-sql';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * round_half_even (migration 1732407000000) and the expression the quiet report lines write out instead
 * (halfEvenSql) must round exactly as Dec does.
 */
const ROUNDINGS = [
  ['round_half_even', 'round_half_even(v, p)'],
  ['halfEvenSql', halfEvenSql('v', 'p', '(0.5 * power(10::numeric, -p))', 'power(10::numeric, p)')],
] as const;

describe.each(ROUNDINGS)('%s in PostgreSQL', (_name, rounded) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('rounds ties to the even neighbour, both signs, at 0, 2 and 3 places', async () => {
    const cases: [string, number, string][] = [
      ['2.5', 0, '2'],
      ['3.5', 0, '4'],
      ['-2.5', 0, '-2'],
      ['-3.5', 0, '-4'],
      ['0.125', 2, '0.12'],
      ['0.135', 2, '0.14'],
      ['-0.125', 2, '-0.12'],
      ['1.0005', 3, '1.000'],
      ['1.0015', 3, '1.002'],
      ['0.1250000000000000000000000000001', 2, '0.13'],
      ['-0.005', 2, '0.00'],
      ['7', 2, '7.00'],
    ];

    const { rows } = await db.pool.query<{ r: string }>(
      `SELECT (${rounded})::text AS r FROM unnest($1::numeric[], $2::int[]) WITH ORDINALITY AS t(v, p, n)
       ORDER BY n`,
      [cases.map((c) => c[0]), cases.map((c) => c[1])],
    );

    expect(rows.map((r) => r.r)).toEqual(cases.map((c) => c[2]));
  });

  it('agrees with Dec half-even on every thousandth and half-thousandth from −20 to 20', async () => {
    const values: string[] = [];
    for (let k = -40000; k <= 40000; k += 1) values.push(new Dec(k).dividedBy(2000).toFixed());
    const places = [0, 1, 2, 3];

    const { rows } = await db.pool.query<{ r: string }>(
      `SELECT (${rounded})::text AS r FROM unnest($1::numeric[]) WITH ORDINALITY AS t(v, n)
       CROSS JOIN unnest($2::int[]) WITH ORDINALITY AS q(p, m) ORDER BY n, m`,
      [values, places],
    );

    const expected = values.flatMap((v) =>
      places.map((p) => new Dec(v).toDecimalPlaces(p, Rounding.HALF_EVEN).toFixed(p)),
    );
    expect(rows.map((r) => r.r)).toEqual(expected);
  });
});
