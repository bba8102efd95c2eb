import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly address: string;
  readonly port: number;
  output(): string;
  /** Resolves with the exit code or signal once the process is gone. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

/** Runs the broker CLI as its own process, so a test can kill -9 it like a crash would. */
export async function spawnBroker(args: string[]): Promise<BrokerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'localstack/broker/cli.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  const address = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /listening on (\S+:\d+)/.exec(out);
      if (m?.[1]) {
        child.stdout?.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => reject(new Error(`broker exited (${String(code)}) before listening:\n${out}`)));
  });
  return { child, address, port: Number(address.split(':')[1]), output: () => out, exited };
}
