/**
 * `npm run broker` and `npm run db:start` follow the runner's conventions (lib/cli/standalone.ts): --help answers
 * with the options and an example and exits 0; an unknown option or a bad value prints the message and the usage,
 * exits 2 and starts nothing.
 */
import { spawn } from 'node:child_process';

import { REPO_ROOT } from '../helpers/postgres';

const TOOLS = [
  ['broker', 'localstack/broker/cli.ts', '--no-auto-create'],
  ['db:start', 'localstack/postgres-cli.ts', '--data-dir <dir>'],
] as const;

function run(
  script: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(TOOLS)('npm run %s', (name, script, option) => {
  it('answers --help with its options and an example, exit 0', async () => {
    const result = await run(script, ['--help']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Usage: npm run ${name} -- [options]`);
    expect(result.stdout).toContain(option);
    expect(result.stdout).toContain(`Examples:\n  $ npm run ${name} -- --port`);
  });

  it('refuses an unknown option with the usage, exit 2', async () => {
    const result = await run(script, ['--prot', '9092']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("error: unknown option '--prot'");
    expect(result.stderr).toContain(`Usage: npm run ${name} -- [options]`);
    expect(result.stdout).toBe('');
  });

  it('refuses a port that is not one, exit 2', async () => {
    const result = await run(script, ['--port', '70000']);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--port <n>' argument '70000' is invalid\. not an integer from [01] to 65535/);
  });
});
