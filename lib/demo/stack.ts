/**
 * The local stack as the demo uses it: scripts/status.sh to see whether one runs, scripts/start.sh in the
 * background (its readiness is the run/stack.env file it writes once offline polls), scripts/stop.sh to end it.
 * Same settings as the scripts: POSTTRADE_DATA_DIR (relative to the repository), KAFKA_PORT, PG_PORT, HTTP_PORT,
 * LAMBDA_PORT.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { packageRoot, readStackFile, stackPaths, type StackPaths } from '../config';

export const ROOT = packageRoot();

export { stackPaths, type StackPaths };

export const StackState = { RUNNING: 'RUNNING', STOPPED: 'STOPPED', PARTIAL: 'PARTIAL' } as const;
export type StackState = (typeof StackState)[keyof typeof StackState];

/** status.sh's verdict: 0 all running, 3 none, anything else some. */
export function stackState(): { state: StackState; output: string } {
  const r = spawnSync(path.join(ROOT, 'scripts', 'status.sh'), [], { cwd: ROOT, encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status === 0) return { state: StackState.RUNNING, output };
  if (r.status === 3) return { state: StackState.STOPPED, output };
  return { state: StackState.PARTIAL, output };
}

/** The values start.sh records for other processes: DATABASE_URL, KAFKA_BROKERS, HTTP_URL. */
export function readStackEnv(paths: StackPaths): Record<string, string> {
  return readStackFile(paths.stackEnv);
}

export class StackError extends Error {
  override readonly name: string = 'StackError';
}

/** A stack this process started: the start.sh supervisor, its output in `log`. */
export interface StartedStack {
  readonly supervisor: ChildProcess;
  readonly log: string;
  readonly exited: Promise<number | null>;
}

function lastLines(file: string, count: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts scripts/start.sh in a process group of its own (a Ctrl-C in the terminal reaches only the demo, which
 * then stops the stack in order), output to `<logs>/demo-stack.log`, and resolves once stack.env exists.
 * `onWait` is called about once a second with the seconds waited so far.
 */
export async function startStack(
  paths: StackPaths,
  timeoutMs: number,
  onWait: (elapsedMs: number) => void,
): Promise<StartedStack> {
  fs.mkdirSync(paths.logDir, { recursive: true });
  const log = path.join(paths.logDir, 'demo-stack.log');
  const out = fs.openSync(log, 'w');
  const supervisor = spawn(path.join(ROOT, 'scripts', 'start.sh'), [], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    supervisor.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const started = Date.now();
  for (;;) {
    if (fs.existsSync(paths.stackEnv)) return { supervisor, log, exited };
    if (exitCode !== undefined) {
      throw new StackError(
        `the stack did not start (exit ${String(exitCode)}); last lines of ${log}:\n${lastLines(log, 20)}`,
      );
    }
    if (Date.now() - started > timeoutMs) {
      supervisor.kill('SIGTERM');
      await exited;
      throw new StackError(`the stack was not ready after ${timeoutMs / 1000} s; see ${log}`);
    }
    onWait(Date.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** scripts/stop.sh (offline first, then the broker, then PostgreSQL), then waits for our supervisor to exit. */
export async function stopStack(started: StartedStack | undefined): Promise<void> {
  const stop = spawn(path.join(ROOT, 'scripts', 'stop.sh'), [], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => stop.once('exit', resolve));
  if (started !== undefined) await started.exited;
  if (code !== 0) throw new StackError(`npm run stop exited with ${String(code)}`);
}
