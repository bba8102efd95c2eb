/**
 * Daily P&L report benchmark: `PgDailyReportService.generate` over 1,000,000 trades and 50,000 positions.
 *
 *   npm run bench:report [-- --runs 5 --accounts 2000 --instruments-per-account 25 --trades-per-position 20
 *                            --keep --reuse URL --steps --out bench/results/report.json]
 *
 * The data set is generated set-based in SQL (generate_series) straight into the real tables, in a fresh database
 * on the embedded test server (or on the server DATABASE_URL names): the seed reference data, synthetic accounts
 * (base currency and cost method cycling like the seed's) each holding a window of the seed instruments, trades
 * spread over the instruments' business days (those with a seed reference price) at ±1% of that day's price,
 * about 1% amended and 0.5% cancelled, booked shortly after execution and stored in booking order (the pipeline
 * appends trades as they are booked; in trade-id order a day's trades were spread over every page of the tables,
 * which no production table looks like). The previous day's report is generated
 * once OUTSIDE the timing, so the timed runs start from stored closes as the evening job does; then a few late
 * amends of earlier days are booked, so that those positions take the replay path as they would in production.
 *
 * Only `generate(REPORT_DATE)` is timed (each run replaces the same date's report): computing and storing the
 * report, in a fresh process (timeInFreshProcess), as building the data set runs in this one. Reading the stored
 * report back whole and writing it as JSON, CSV and HTML is measured once afterwards and reported apart
 * (`readBack`). When each step of each run ended is written too (`steps`), and printed with `--steps`; and what
 * each run cost in CPU, this process's and the database server's (`cpu`, from /proc when the server runs on this
 * machine), with the load average: on a shared machine the wall time says as much about the neighbours. `--keep`
 * leaves the database
 * (and the embedded server) running and prints its URL; `--reuse URL` times against such a database again, and
 * `--refresh-previous` with it first rebuilds the previous day's report with the current code (and books another
 * batch of late amends after it), for a database kept by an older version. The embedded test server's data
 * directory is removed by the next test run once this process has exited: to keep a data set across test runs,
 * point DATABASE_URL at a server of your own.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, type Pool } from 'pg';

import { createPool } from '../lib/db/pool';
import { CountProgress } from '../lib/cli/progress';
import { PgDailyReportService, REPORT_STEPS, type ReportStep } from '../lib/pnl/service';
import { writeReport } from '../lib/pnl/writers';
import { loadReferenceData } from '../lib/refdata/load';
import { databaseUrl, REPO_ROOT, startTestServer, stopTestServer } from '../test/integration/helpers/postgres';

const REPORT_DATE = '2024-06-28';
const PREVIOUS_DATE = '2024-06-27';
const LATE_AMENDS = 200;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    accounts: { type: 'string', default: '2000' },
    'instruments-per-account': { type: 'string', default: '25' },
    'trades-per-position': { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    'log-queries': { type: 'boolean', default: false },
    'refresh-previous': { type: 'boolean', default: false },
    steps: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/report.json' },
  },
});
const RUNS = Number(values.runs);
const ACCOUNTS = Number(values.accounts);
const PER_ACCOUNT = Number(values['instruments-per-account']);
const PER_POSITION = Number(values['trades-per-position']);

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  const result = await work();
  log(`  ${label}: ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
  return result;
}

/** A report's generation with its steps' progress on stderr (lib/cli/progress.ts), quiet for the first second. */
async function withStepProgress<T>(verb: string, work: (onStep: (step: ReportStep) => void) => Promise<T>): Promise<T> {
  const progress = new CountProgress(process.stderr, verb, REPORT_STEPS.length, { quietMs: 1_000 });
  let done = 0;
  try {
    return await work((step) => {
      done += 1;
      progress.update(done, step);
    });
  } finally {
    progress.end();
  }
}

/** Accounts, positions, trades (with amends and cancels) and the `trades` current-state rows, all in SQL. */
async function generateDataSet(pool: Pool): Promise<void> {
  await timed('reference data', () => loadReferenceData(pool, path.join(REPO_ROOT, 'migrations', 'seed')));
  await timed('accounts', () =>
    pool.query(
      `INSERT INTO accounts (id, base_currency, cost_method, beneficial_owner, active)
       SELECT format('BENCH-%s', lpad(g::text, 5, '0')), (ARRAY['USD', 'EUR', 'GBP'])[1 + g % 3],
              (ARRAY['FIFO', 'LIFO', 'AVERAGE', 'FIFO'])[1 + g % 4], format('BENCH-OWNER-%s', g), true
       FROM generate_series(1, $1::int) AS g`,
      [ACCOUNTS],
    ),
  );
  // Each account holds a window of PER_ACCOUNT consecutive seed instruments, shifted per account, so that every
  // instrument and every currency is held by many accounts.
  await timed('positions', () =>
    pool.query(
      `CREATE TABLE bench_positions AS
       WITH inst AS (
         SELECT isin, currency, mic, price_decimals, (row_number() OVER (ORDER BY isin) - 1)::int AS r,
                count(*) OVER ()::int AS n
         FROM instruments WHERE active)
       SELECT row_number() OVER (ORDER BY a.id, i.isin)::int AS pid, a.id AS account_id, i.isin, i.currency, i.mic,
              i.price_decimals
       FROM accounts a
       CROSS JOIN LATERAL (SELECT substr(a.id, 7)::int AS g) AS an
       JOIN inst i ON ((i.r - an.g) % i.n + i.n) % i.n < $1::int
       WHERE a.id LIKE 'BENCH-%'`,
      [PER_ACCOUNT],
    ),
  );
  await timed('trading days', () =>
    pool.query(
      `CREATE TABLE bench_days AS
       SELECT isin, price_date, price, (row_number() OVER (PARTITION BY isin ORDER BY price_date) - 1)::int AS idx,
              count(*) OVER (PARTITION BY isin)::int AS n
       FROM reference_prices WHERE price_date <= $1::date;
       CREATE INDEX ON bench_days (isin, idx)`.replace('$1::date', `'${REPORT_DATE}'::date`),
    ),
  );
  await timed('trade versions (NEW)', () =>
    pool.query(
      `INSERT INTO trade_versions (trade_id, version, exec_id, lifecycle, account_id, counterparty_lei, isin, mic, side,
         quantity, price, currency, trade_date, trade_time, settlement_date, commission, fees, capture_source,
         received_at, booked_at)
       SELECT t.trade_id, 1, t.trade_id || '-v1', 'NEW', t.account_id, t.lei, t.isin, t.mic, t.side, t.quantity,
              t.price, t.currency, t.price_date, t.trade_time, NULL,
              round(t.quantity * t.price * 0.0005, 2), 0, 'bench', t.trade_time + interval '1 minute',
              t.trade_time + interval '1 minute'
       FROM (
         SELECT format('BT-%s-%s', p.pid, k) AS trade_id, p.account_id, p.isin, p.mic, p.currency, d.price_date,
                CASE WHEN abs(hashtext(p.pid || ':' || k || ':s')) % 10 < 6 THEN 'BUY' ELSE 'SELL' END AS side,
                (10 * (1 + abs(hashtext(p.pid || ':' || k || ':q')) % 50))::numeric AS quantity,
                round(d.price * (1 + ((abs(hashtext(p.pid || ':' || k || ':p')) % 201) - 100) / 10000.0),
                      p.price_decimals) AS price,
                d.price_date + time '13:30' + make_interval(secs => abs(hashtext(p.pid || ':' || k || ':t')) % 23400)
                  AS trade_time,
                (SELECT lei FROM counterparties WHERE active ORDER BY lei
                 OFFSET abs(hashtext(p.pid || ':' || k || ':c')) % 8 LIMIT 1) AS lei
         FROM bench_positions p
         CROSS JOIN generate_series(1, $1::int) AS k
         JOIN bench_days d ON d.isin = p.isin AND d.idx = abs(hashtext(p.pid || ':' || k || ':d')) % d.n
       ) AS t
       -- In booking order, as the pipeline appends them: a day's trades lie together, not spread over the table.
       ORDER BY t.trade_time, t.trade_id`,
      [PER_POSITION],
    ),
  );
  // About 1% amended (quantity up 10, booked two hours later) and 0.5% cancelled, the same day.
  await timed('amends and cancels', () =>
    pool.query(
      `INSERT INTO trade_versions (trade_id, version, exec_id, lifecycle, account_id, counterparty_lei, isin, mic, side,
         quantity, price, currency, trade_date, trade_time, settlement_date, commission, fees, capture_source,
         received_at, booked_at)
       SELECT v.trade_id, 2, v.trade_id || '-v2', c.lifecycle, v.account_id, v.counterparty_lei, v.isin, v.mic, v.side,
              v.quantity + CASE WHEN c.lifecycle = 'AMEND' THEN 10 ELSE 0 END, v.price, v.currency, v.trade_date,
              v.trade_time, NULL, v.commission, v.fees, 'bench', v.booked_at + interval '2 hours',
              v.booked_at + interval '2 hours'
       FROM trade_versions v
       CROSS JOIN LATERAL (SELECT abs(hashtext(v.trade_id || ':x')) % 1000 AS h) AS x
       CROSS JOIN LATERAL (SELECT CASE WHEN x.h < 10 THEN 'AMEND' ELSE 'CANCEL' END AS lifecycle) AS c
       WHERE v.version = 1 AND x.h < 15
       ORDER BY v.booked_at, v.trade_id`,
    ),
  );
  await timed('trades (current state)', () =>
    pool.query(
      `INSERT INTO trades (trade_id, version, status, exec_id, lifecycle, account_id, counterparty_lei, isin, mic, side,
         quantity, price, currency, trade_date, trade_time, settlement_date, commission, fees, beneficial_owner,
         updated_at)
       SELECT trade_id, version, CASE WHEN lifecycle = 'CANCEL' THEN 'CANCELLED' ELSE 'LIVE' END,
              exec_id, lifecycle, account_id, counterparty_lei, isin, mic, side, quantity, price, currency, trade_date,
              trade_time, settlement_date, commission, fees, beneficial_owner, booked_at
       FROM (SELECT DISTINCT ON (trade_id) *, min(booked_at) OVER (PARTITION BY trade_id) AS first_booked
             FROM trade_versions ORDER BY trade_id, version DESC) AS latest
       -- A trade's row is written when it is first booked (amends update it): booking order, as in production.
       ORDER BY first_booked, trade_id`,
    ),
  );
  await pool.query('DROP TABLE bench_positions, bench_days');
  await timed('analyze', () => pool.query('ANALYZE'));
}

/**
 * What a day between two evening reports gives autovacuum and the checkpointer time to do: the previous report's
 * tables analysed and vacuumed, so that the timed runs are not planned on statistics of empty tables, and the data
 * set's pages written out, so that the checkpointer is not still writing gigabytes of them while the runs are
 * timed (untimed).
 */
async function settle(pool: Pool): Promise<void> {
  await timed('vacuum analyze (as autovacuum would between two evenings)', () =>
    pool.query('VACUUM ANALYZE daily_pnl_reports, daily_pnl_lines, daily_pnl_closes, trades, trade_versions'),
  );
  await timed('checkpoint (as the checkpointer would between two evenings)', () => pool.query('CHECKPOINT'));
}

/** Late amends of trades dated before the previous report, booked now: their positions must be replayed. */
async function bookLateAmends(pool: Pool): Promise<void> {
  await pool.query(
    `WITH late AS (
       SELECT t.* FROM trades t
       WHERE t.status = 'LIVE' AND t.version = 1 AND t.trade_date < $1::date AND t.account_id LIKE 'BENCH-%'
       ORDER BY hashtext(t.trade_id || ':late') LIMIT $2::int),
     versions AS (
       INSERT INTO trade_versions (trade_id, version, exec_id, lifecycle, account_id, counterparty_lei, isin, mic,
         side, quantity, price, currency, trade_date, trade_time, settlement_date, commission, fees, capture_source)
       SELECT trade_id, 2, trade_id || '-v2', 'AMEND', account_id, counterparty_lei, isin, mic, side, quantity + 10,
              price, currency, trade_date, trade_time, settlement_date, commission, fees, 'bench-late'
       FROM late RETURNING trade_id, quantity)
     UPDATE trades t SET version = 2, exec_id = t.trade_id || '-v2', lifecycle = 'AMEND', quantity = v.quantity,
       updated_at = now()
     FROM versions v WHERE v.trade_id = t.trade_id`,
    [PREVIOUS_DATE, LATE_AMENDS],
  );
}

async function counts(pool: Pool): Promise<{ trades: number; liveTrades: number; positions: number }> {
  const { rows } = await pool.query<{ trades: string; live: string; positions: string }>(
    `SELECT (SELECT count(*) FROM trades) AS trades, (SELECT count(*) FROM trades WHERE status = 'LIVE') AS live,
            (SELECT count(*) FROM (SELECT DISTINCT account_id, isin FROM trades WHERE status = 'LIVE') p) AS positions`,
  );
  const row = rows[0];
  return { trades: Number(row?.trades), liveTrades: Number(row?.live), positions: Number(row?.positions) };
}

/** Profiling aid: every statement over 20 ms with its duration, on stderr (patches pg's Client). */
function logSlowQueries(): void {
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]): unknown {
    const started = process.hrtime.bigint();
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
    const done = (): void => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (ms > 20) log(`    ${ms.toFixed(0)} ms  ${text.replace(/\s+/g, ' ').slice(0, 110)}`);
    };
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (...results: unknown[]): unknown => {
        done();
        return (last as (...r: unknown[]) => unknown)(...results);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    if (result instanceof Promise) void result.then(done, done);
    return result;
  };
}

/**
 * Runs the timed part in a new process against the data set just built (`--reuse url`, the other flags passed on).
 * Building it valued 50,000 positions from flat in this process; the evening's Lambda invocation shares no heap or
 * JIT state with such a job, and timing here measured that job's leftovers too (~0.3 s a run more on the same
 * database, its garbage and its code optimised for replays from flat).
 */
async function timeInFreshProcess(url: string): Promise<void> {
  const args = [...process.execArgv, process.argv[1] ?? '', '--reuse', url, '--runs', String(RUNS)];
  if (values.steps) args.push('--steps');
  if (values.out !== undefined) args.push('--out', values.out);
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`the timed runs failed (exit ${String(code)})`);
}

/**
 * CPU seconds (user + system) each of the database server's processes has used, by pid, from /proc: only when the
 * server runs on this machine (the embedded one does), else empty. On a loaded machine a run's wall time says more
 * about the neighbours than about the code; the CPU it cost, this process's and the server's, says less.
 */
async function serverCpu(pool: Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity');
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, in clock ticks.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // Another machine's server, or a process gone since: not counted.
    }
  }
  return cpu;
}

/** USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** What the server's processes used between two serverCpu readings (one started since counts from zero). */
function serverCpuBetween(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let seconds = 0;
  for (const [pid, used] of after) seconds += used - (before.get(pid) ?? 0);
  return seconds;
}

/** The machine's 1-, 5- and 15-minute load averages, as /proc/loadavg gives them (benchmarks here are shared). */
function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

async function main(): Promise<void> {
  if (values['log-queries']) logSlowQueries();
  const reused = values.reuse;
  // A fresh server (or DATABASE_URL's) with a freshly migrated database: the bench uses that database itself.
  const server = reused === undefined ? await startTestServer() : undefined;
  const url = reused ?? (server ? databaseUrl(server.serverUrl, server.template) : '');
  // No statement timeout: generating the data set and the first report from flat run longer than a request.
  const pool = createPool({ url, poolMax: 4, statementTimeoutMs: 0, applicationName: 'bench-report' });
  try {
    if (reused !== undefined && !values['refresh-previous']) {
      // Earlier runs against this database left their replaced reports behind as dead rows.
      await settle(pool);
    }
    if (reused !== undefined && values['refresh-previous']) {
      const previous = await timed(`previous report ${PREVIOUS_DATE} rebuilt (from flat, untimed)`, () =>
        new PgDailyReportService(pool).generate(PREVIOUS_DATE),
      );
      log(`  ${previous.lineCount} lines, ${previous.issues.length} issues`);
      await bookLateAmends(pool);
      log('timing in a fresh process (as --reuse):');
      await timeInFreshProcess(url);
      return;
    }
    if (reused === undefined) {
      log(`generating ${ACCOUNTS} accounts × ${PER_ACCOUNT} instruments × ${PER_POSITION} trades`);
      await generateDataSet(pool);
      const previous = await timed(`previous report ${PREVIOUS_DATE} (from flat, untimed)`, () =>
        withStepProgress(`previous report ${PREVIOUS_DATE}: steps`, (onStep) =>
          new PgDailyReportService(pool, { onStep }).generate(PREVIOUS_DATE),
        ),
      );
      log(`  ${previous.lineCount} lines, ${previous.issues.length} issues`);
      await bookLateAmends(pool);
      // The timed runs go to a fresh process, as below: settled there.
      log('timing in a fresh process (as --reuse):');
      await timeInFreshProcess(url);
      return;
    }
    const size = await counts(pool);
    log(`data set: ${size.trades} trades (${size.liveTrades} live), ${size.positions} positions`);

    // When each step of a run ended, in seconds from the run's start: where the time goes.
    let runStarted = process.hrtime.bigint();
    let steps: [ReportStep, number][] = [];
    // Each run's steps as they end, on stderr (lib/cli/progress.ts), ended before the run's line.
    let progress: CountProgress | undefined;
    const service = new PgDailyReportService(pool, {
      onStep: (step) => {
        steps.push([step, Number(process.hrtime.bigint() - runStarted) / 1e9]);
        progress?.update(steps.length, step);
      },
    });
    const seconds: number[] = [];
    // Per run: CPU seconds of this process and of the database server's processes (serverCpu).
    const cpu: { node: number; database: number | null }[] = [];
    const runSteps: Record<string, number>[] = [];
    let last: Awaited<ReturnType<PgDailyReportService['generate']>> | undefined;
    for (let run = 1; run <= RUNS; run += 1) {
      steps = [];
      const serverBefore = await serverCpu(pool);
      progress = new CountProgress(process.stderr, `run ${run}/${RUNS}: steps`, REPORT_STEPS.length, {
        quietMs: 1_000,
      });
      const nodeBefore = process.cpuUsage();
      runStarted = process.hrtime.bigint();
      try {
        last = await service.generate(REPORT_DATE);
      } finally {
        progress.end();
      }
      const elapsed = Number(process.hrtime.bigint() - runStarted) / 1e9;
      const nodeUsed = process.cpuUsage(nodeBefore);
      const serverAfter = await serverCpu(pool);
      const runCpu = {
        node: Number(((nodeUsed.user + nodeUsed.system) / 1e6).toFixed(2)),
        database: serverAfter.size === 0 ? null : Number(serverCpuBetween(serverBefore, serverAfter).toFixed(2)),
      };
      cpu.push(runCpu);
      seconds.push(elapsed);
      runSteps.push(Object.fromEntries(steps.map(([step, at]) => [step, Number(at.toFixed(3))])));
      log(
        `run ${run}: ${elapsed.toFixed(3)} s (${last.lineCount} lines, ${last.issues.length} issues; CPU: node ` +
          `${runCpu.node.toFixed(2)} s, database ${runCpu.database === null ? 'not measured' : `${runCpu.database.toFixed(2)} s`}; ` +
          `load ${loadAverage()})`,
      );
      if (values.steps) log(steps.map(([step, at]) => `    ${at.toFixed(3)} s  ${step}`).join('\n'));
    }
    // Not part of generating the report: reading the stored report back whole and writing it out (the CLI's work).
    const readBack: Record<string, number> = {};
    const readStarted = process.hrtime.bigint();
    const document = await service.get(REPORT_DATE);
    readBack.readSeconds = Number(process.hrtime.bigint() - readStarted) / 1e9;
    for (const format of ['json', 'csv', 'html'] as const) {
      const started = process.hrtime.bigint();
      if (document !== undefined) writeReport(document, format);
      readBack[`${format}Seconds`] = Number(process.hrtime.bigint() - started) / 1e9;
    }
    log(
      `read back ${document?.lines.length ?? 0} lines: ${readBack.readSeconds?.toFixed(3)} s; written as ` +
        (['json', 'csv', 'html'] as const).map((f) => `${f} ${readBack[`${f}Seconds`]?.toFixed(3)} s`).join(', '),
    );
    const sorted = [...seconds].sort((a, b) => a - b);
    const result = {
      benchmark: 'daily P&L report generation (PgDailyReportService.generate)',
      reportDate: REPORT_DATE,
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      dataSet: { ...size, accounts: ACCOUNTS, instrumentsPerAccount: PER_ACCOUNT, tradesPerPosition: PER_POSITION },
      report: {
        lines: last?.lineCount ?? 0,
        issues: last?.issues.length ?? 0,
        statistics: last?.statistics,
        overall: last?.overall.map((t) => ({ baseCurrency: t.baseCurrency, totalToday: t.totalToday })),
      },
      runs: seconds.map((s) => Number(s.toFixed(3))),
      // Per run: CPU seconds of this process and of the database server's processes (null: not on this machine).
      cpu,
      loadAverage: loadAverage(),
      // Per run: when each step of generate ended, seconds from the run's start.
      steps: runSteps,
      readBack: Object.fromEntries(Object.entries(readBack).map(([k, v]) => [k, Number(v.toFixed(3))])),
      minSeconds: Number((sorted[0] ?? NaN).toFixed(3)),
      medianSeconds: Number(median(sorted).toFixed(3)),
      goalSeconds: 2,
      measuredAt: new Date().toISOString(),
    };
    process.stdout.write(
      `daily report over ${size.trades} trades / ${result.report.lines} positions: ` +
        `min ${result.minSeconds.toFixed(3)} s, median ${result.medianSeconds.toFixed(3)} s ` +
        `(goal < ${result.goalSeconds} s, ${RUNS} runs)\n`,
    );
    const out = values.out ?? 'bench/results/report.json';
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${out}`);
  } finally {
    await pool.end();
    if (server !== undefined && !values.keep) await stopTestServer(server);
    else if (server !== undefined)
      log(`kept database: ${url}${server.dataDir === undefined ? '' : ` (server data dir ${server.dataDir})`}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:report failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
