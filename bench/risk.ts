/**
 * Risk benchmark (issue 19): the end-of-day risk run — a full recomputation of exposure, margin, alerts and the
 * one-day 99 % historical VaR — for 2,000 accounts over 500 instruments after an end-of-day price load.
 *
 *   npm run bench:risk [-- --runs 3 --accounts 2000 --instruments 500 --per-account 25 --days 260
 *                          --out bench/results/risk.json]
 *
 * The data set is generated set-based in SQL straight into the real tables of a fresh database on the embedded test
 * server (or the server DATABASE_URL names): synthetic instruments (half USD on XNYS, half EUR on XETR, each with a
 * sector), accounts in USD with collateral and limits, `--per-account` positions each (one in ten short), `--days`
 * daily closes per instrument (a random walk of about 1.2 % a day) and EUR/USD rates, the last date's closes
 * loaded last as the evening's price load would. Only `riskEndOfDay(last date)` is timed, each run replacing the
 * date's figures (lib/risk/end-of-day.ts: the current evaluation with its alerts, then the date's exposure, margin
 * and VaR stored). The goal is under 5 s. Prints each run and writes the figures to `--out`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { createPool } from '../lib/db/pool';
import { riskEndOfDay, type RiskEndOfDaySummary } from '../lib/risk/end-of-day';
import { databaseUrl, REPO_ROOT, startTestServer, stopTestServer } from '../test/integration/helpers/postgres';

const GOAL_SECONDS = 5;
const LAST_DATE = '2025-09-30';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    accounts: { type: 'string', default: '2000' },
    instruments: { type: 'string', default: '500' },
    'per-account': { type: 'string', default: '25' },
    days: { type: 'string', default: '260' },
    out: { type: 'string', default: 'bench/results/risk.json' },
  },
});
const RUNS = Number(values.runs);
const ACCOUNTS = Number(values.accounts);
const INSTRUMENTS = Number(values.instruments);
const PER_ACCOUNT = Number(values['per-account']);
const DAYS = Number(values.days);

const log = (message: string): void => void process.stderr.write(`${message}\n`);
const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;

/** Instrument n's ISIN: XS, B, eight digits, a final digit (the schema checks the shape, not the check digit). */
const isinSql = (n: string) => `'XSB' || lpad((${n})::text, 8, '0') || '0'`;

async function main(): Promise<void> {
  const server = await startTestServer();
  const url = databaseUrl(server.serverUrl, server.template);
  const pool = createPool({ url, poolMax: 4, statementTimeoutMs: 0, applicationName: 'bench-risk' });
  try {
    const started = process.hrtime.bigint();
    log(`building ${ACCOUNTS} accounts × ${PER_ACCOUNT} positions over ${INSTRUMENTS} instruments, ${DAYS} days`);
    await pool.query(
      `INSERT INTO instruments (isin, mic, currency, lot_size, price_decimals, instrument_type, settlement_mic)
       SELECT ${isinSql('n')}, CASE WHEN n % 2 = 0 THEN 'XNYS' ELSE 'XETR' END,
         CASE WHEN n % 2 = 0 THEN 'USD' ELSE 'EUR' END, 1, 2, 'EQUITY', CASE WHEN n % 2 = 0 THEN 'XNYS' ELSE 'XETR' END
       FROM generate_series(1, $1::int) AS n`,
      [INSTRUMENTS],
    );
    await pool.query(
      `INSERT INTO instrument_sectors (isin, sector)
       SELECT ${isinSql('n')}, (ARRAY['INFORMATION_TECHNOLOGY','FINANCIALS','HEALTH_CARE','ENERGY','INDUSTRIALS',
         'CONSUMER_STAPLES','UTILITIES','MATERIALS'])[1 + n % 8]
       FROM generate_series(1, $1::int) AS n`,
      [INSTRUMENTS],
    );
    // A random walk per instrument: the product of daily factors 1 ± up to 2 % (about 1.2 % a day), from 20–200.
    // The last date goes in last, as the evening's price load.
    const walk = `
      WITH steps AS (
        SELECT n, d, ln(1 + (random() - 0.5) * 0.04) AS r
        FROM generate_series(1, $1::int) AS n,
             generate_series($2::date - ($3::int - 1), $2::date, interval '1 day') AS d),
      paths AS (
        SELECT n, d::date AS d, (20 + (n * 37) % 180) * exp(sum(r) OVER (PARTITION BY n ORDER BY d)) AS p FROM steps)
      INSERT INTO reference_prices (isin, price_date, price)
      SELECT ${isinSql('n')}, d, round(p::numeric, 2) FROM paths WHERE d %s $2::date`;
    await pool.query(walk.replace('%s', '<'), [INSTRUMENTS, LAST_DATE, DAYS]);
    await pool.query(
      `INSERT INTO fx_rates (base, quote, rate_date, rate)
       SELECT 'EUR', 'USD', d::date, round((1.08 + 0.03 * sin(extract(epoch FROM d) / 864000))::numeric, 5)
       FROM generate_series($1::date - ($2::int - 1), $1::date, interval '1 day') AS d
       ON CONFLICT DO NOTHING`,
      [LAST_DATE, DAYS],
    );
    await pool.query(
      `INSERT INTO accounts (id, base_currency, cost_method, beneficial_owner)
       SELECT 'RB-' || lpad(a::text, 5, '0'), 'USD', 'FIFO', 'BENCH-' || a FROM generate_series(1, $1::int) AS a`,
      [ACCOUNTS],
    );
    await pool.query(
      `INSERT INTO risk_accounts (account_id, collateral, gross_exposure_limit, net_exposure_limit,
         instrument_concentration_limit, sector_concentration_limit)
       SELECT 'RB-' || lpad(a::text, 5, '0'), 100000 + (a * 7919) % 5000000, 40000000, 30000000, 0.2, 0.4
       FROM generate_series(1, $1::int) AS a`,
      [ACCOUNTS],
    );
    await pool.query(
      `INSERT INTO positions (account_id, isin, cost_method, currency, base_currency, quantity, open_cost,
         open_cost_base, realized, realized_base, fees, fees_base, lots, live_trades, last_trade_date)
       SELECT 'RB-' || lpad(a::text, 5, '0'), i.isin, 'FIFO', i.currency, 'USD', q, q * 100, q * 100, 0, 0, 0, 0,
         '[]'::jsonb, 1, $4::date
       FROM generate_series(1, $1::int) AS a, generate_series(0, $2::int - 1) AS k,
         LATERAL (SELECT CASE WHEN (a + k) % 10 = 0 THEN -1 ELSE 1 END * (100 + (a * 31 + k * 17) % 9900) AS q) AS x,
         LATERAL (SELECT isin, currency FROM instruments WHERE isin = ${isinSql('1 + (a * 7 + k * 13) % $3::int')}) AS i
       ON CONFLICT DO NOTHING`,
      [ACCOUNTS, PER_ACCOUNT, INSTRUMENTS, LAST_DATE],
    );
    await pool.query(walk.replace('%s', '='), [INSTRUMENTS, LAST_DATE, DAYS]);
    await pool.query('ANALYZE');
    const { rows: counts } = await pool.query<{ positions: number; prices: number }>(
      `SELECT (SELECT count(*)::int FROM positions) AS positions, (SELECT count(*)::int FROM reference_prices) AS prices`,
    );
    log(
      `  data set: ${seconds(started).toFixed(1)} s (${counts[0]?.positions} positions, ${counts[0]?.prices} closes)`,
    );

    const runs: number[] = [];
    let summary: RiskEndOfDaySummary | undefined;
    for (let run = 1; run <= RUNS; run += 1) {
      const t = process.hrtime.bigint();
      summary = await riskEndOfDay(pool, LAST_DATE);
      runs.push(seconds(t));
      log(
        `  run ${run}: ${runs[run - 1]?.toFixed(2)} s — ${summary.accounts} accounts, VaR for ${summary.withVar}, ` +
          `${summary.scenarioDates} scenario dates, alerts raised ${summary.raised} cleared ${summary.cleared}`,
      );
    }
    const sorted = [...runs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
    const result = {
      benchmark: 'risk end of day (lib/risk/end-of-day.ts riskEndOfDay)',
      date: LAST_DATE,
      accounts: ACCOUNTS,
      instruments: INSTRUMENTS,
      positions: counts[0]?.positions,
      priceDates: DAYS,
      closes: counts[0]?.prices,
      runsSeconds: runs.map((r) => Number(r.toFixed(3))),
      medianSeconds: Number(median.toFixed(3)),
      goalSeconds: GOAL_SECONDS,
      withinGoal: median < GOAL_SECONDS,
      summary,
      machine: {
        cpus: os.cpus().length,
        loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
        node: process.version,
      },
      measuredAt: new Date().toISOString(),
    };
    const out = path.resolve(REPO_ROOT, values.out);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      `risk end of day, ${ACCOUNTS} accounts × ${PER_ACCOUNT} positions, ${INSTRUMENTS} instruments, ${DAYS} days: ` +
        `median ${median.toFixed(2)} s of ${RUNS} (goal < ${GOAL_SECONDS} s: ${median < GOAL_SECONDS ? 'met' : 'NOT met'}); ` +
        `load average ${result.machine.loadAverage.join(' ')}; written to ${path.relative(REPO_ROOT, out)}\n`,
    );
  } finally {
    await pool.end();
    await stopTestServer(server);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
