/**
 * The `posttrade` runner in process: every command and group answers --help with its options and an example (exit
 * 0), and an unknown option, a bad value or a missing required option prints the usage on stderr (exit 2). The
 * commands are walked from the program itself, so a command added later is held to the same.
 */
import type { Command } from 'commander';

import { COMMAND_SPECS } from '../../../lib/cli/commands';
import { ExitCode } from '../../../lib/cli/errors';
import { buildProgram, runCli } from '../../../lib/cli/program';

function capture(): { text: string; write(chunk: string): boolean } {
  return {
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = capture();
  const stderr = capture();
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Every command of the tree, as the words that name it (groups included, the implicit `help` left out). */
function commandPaths(): string[][] {
  const program = buildProgram({ stdout: capture(), stderr: capture(), env: {} }, { code: ExitCode.OK });
  const paths: string[][] = [];
  const walk = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      const words = [...path, sub.name()];
      paths.push(words);
      walk(sub, words);
    }
  };
  walk(program, []);
  return paths;
}

const ALL = commandPaths();

describe('posttrade commands', () => {
  it('has every command the README lists', () => {
    expect(ALL.map((words) => words.join(' '))).toEqual(
      expect.arrayContaining([
        'submit',
        'produce',
        'custodian',
        'refdata',
        'refdata load',
        'recon',
        'recon report',
        'recon import',
        'report',
        'report daily',
        'report positions',
        'risk',
        'risk eod',
        'smoke',
        'demo',
        'migrate',
        'config',
        'status',
        'schemas',
        'trace',
      ]),
    );
    expect(ALL).toHaveLength(20);
  });

  it.each(ALL.map((words) => [words.join(' '), words]))(
    '%s --help: options and an example, exit 0',
    async (_, words) => {
      const { code, stdout, stderr } = await run([...words, '--help']);

      expect(code).toBe(ExitCode.OK);
      expect(stderr).toBe('');
      expect(stdout).toContain(`Usage: posttrade ${words.join(' ')}`);
      expect(stdout).toContain('Options:');
      expect(stdout).toMatch(/Examples:\n {2}\$ posttrade /);
    },
  );

  /** A valid command line for `words`: its first example's (required options given), or the words alone. */
  const validLine = (words: string[]): string[] => {
    const spec = COMMAND_SPECS.find((candidate) => candidate.path.join(' ') === words.join(' '));
    return spec === undefined ? words : (spec.examples[0] ?? '').split(' ').slice(1);
  };

  it.each(ALL.map((words) => [words.join(' '), words]))(
    '%s with an unknown option: the usage on stderr, exit 2',
    async (_, words) => {
      const { code, stdout, stderr } = await run([...validLine(words), '--no-such-option']);

      expect(code).toBe(ExitCode.USAGE);
      expect(stdout).toBe('');
      expect(stderr).toContain("unknown option '--no-such-option'");
      expect(stderr).toContain(`Usage: posttrade ${words.join(' ')}`);
    },
  );

  it('has an example in every spec that names its own command', () => {
    for (const spec of COMMAND_SPECS) {
      expect(spec.examples.length).toBeGreaterThan(0);
      for (const example of spec.examples) expect(example).toContain(`posttrade ${spec.path.join(' ')}`);
    }
  });

  it('answers a bad value, a missing required option, a group alone and an unknown command with exit 2', async () => {
    const badCount = await run(['produce', '--count', 'many']);
    const badDate = await run(['recon', 'report', '--date', '2024-02-30']);
    const missing = await run(['submit']);
    // `risk` holds `risk eod`, which does not take --account: it is demanded of `risk` alone.
    const noAccount = await run(['risk', '--format', 'json']);
    const group = await run(['recon']);
    const unknown = await run(['frobnicate']);
    const badChoice = await run(['report', 'daily', '--format', 'pdf']);

    expect(badCount).toMatchObject({ code: ExitCode.USAGE });
    expect(badCount.stderr).toContain("option '--count <n>' argument 'many' is invalid");
    expect(badDate.stderr).toContain("expected a date YYYY-MM-DD, got '2024-02-30'");
    expect(missing.stderr).toContain("required option '--file <path>' not specified");
    expect(noAccount.stderr).toContain("required option '--account <id>' not specified");
    expect(badChoice.stderr).toContain('Allowed choices are json, csv, html');
    for (const result of [badDate, missing, noAccount, group, unknown, badChoice])
      expect(result.code).toBe(ExitCode.USAGE);
    expect(group.stderr).toContain('Usage: posttrade recon <command> [options]');
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it('prints the overview with no arguments, exit 0', async () => {
    const { code, stdout } = await run([]);

    expect(code).toBe(ExitCode.OK);
    expect(stdout).toContain('Usage: posttrade <command> [options]');
    expect(stdout).toContain('Exit codes: 0 done, 1 failed, 2 usage');
  });

  it('reports an invalid setting as a usage error naming the variable', async () => {
    const { code, stderr } = await run(['config'], { KAFKA_PORT: 'ninety' });

    expect(code).toBe(ExitCode.USAGE);
    expect(stderr).toContain('posttrade config: Invalid configuration: KAFKA_PORT');
  });

  it('refuses an unknown break class before dialling anything', async () => {
    const { code, stderr } = await run(['custodian', '--break-classes', 'quantity,weather'], {
      KAFKA_BROKERS: '127.0.0.1:1',
    });

    expect(code).toBe(ExitCode.USAGE);
    expect(stderr).toContain('unknown weather; known quantity,');
    expect(stderr).not.toContain('cannot reach');
  });

  it('fails (exit 1) naming the address when the broker does not answer, before reading the file', async () => {
    const { code, stderr } = await run(['submit', '--file', '/nonexistent/trades.csv'], {
      KAFKA_BROKERS: '127.0.0.1:1',
    });

    expect(code).toBe(ExitCode.FAILURE);
    expect(stderr).toContain(
      'posttrade submit: cannot reach the Kafka broker at 127.0.0.1:1 (from KAFKA_BROKERS in the environment): ' +
        'connection refused.',
    );
    expect(stderr).toContain('`npm start`');
  });
});
