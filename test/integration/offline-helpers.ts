import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const OSLS = path.join(ROOT, 'node_modules/osls/bin/serverless.js');

/** Environment for osls child processes: quiet, quick, and without AWS credentials or a real home. */
export function slsEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return {
    ...env,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

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

/**
 * A throwaway service directory: `files` written into it, the repository's node_modules linked in, and the Kafka
 * plugin linked as ./kafka-plugin (osls accepts only relative local plugin paths).
 */
export function makeServiceDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offline-kafka-'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  fs.symlinkSync(path.join(ROOT, 'localstack/serverless-offline-kafka'), path.join(dir, 'kafka-plugin'));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

export interface RunningCommand {
  readonly child: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves when the combined output contains `text`; rejects if the process exits first. */
  waitForOutput(text: string, timeoutMs: number): Promise<void>;
  exited: Promise<number | null>;
}

export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): RunningCommand {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer): void => {
    out += b.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitForOutput: (text, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!out.includes(text)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for "${text}"; output:\n${out}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          cleanup();
          reject(new Error(`exited with ${String(code)} before "${text}"; output:\n${out}`));
        });
        check();
      }),
  };
}

/** Polls `probe` (external state: a file, a consumer group's offsets) until it returns a value. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
