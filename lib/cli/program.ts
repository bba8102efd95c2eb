/**
 * The `posttrade` runner: one commander program over every command spec (commands.ts), the same exit codes
 * everywhere (errors.ts), the configuration loaded once (lib/config `loadCliConfig`), and the services a command
 * needs checked before it starts (reach.ts). Implementations are imported when their command runs, so that
 * `--help` loads no client library.
 *
 * To add a command: a spec in commands.ts, an implementation exporting `(options, context) => Promise<ExitCode | void>`,
 * and a line in IMPLEMENTATIONS.
 */
import { inspect } from 'node:util';
import { Command, CommanderError } from 'commander';

import { ConfigError, loadCliConfig, useCliConfig, type CliConfig } from '../config';
import { COMMAND_SPECS, helpFooter, type CommandSpec } from './commands';
import { CliError, ExitCode, UsageError } from './errors';
import { requireKafka, requirePostgres } from './reach';

/** Where a command writes; `isTTY` decides between a live progress bar and plain lines. */
export interface OutputStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export interface CommandContext {
  readonly config: CliConfig;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
}

type Implementation = (options: never, context: CommandContext) => Promise<ExitCode | void>;

/** Command words → its implementation, loaded on use. */
const IMPLEMENTATIONS: Record<string, () => Promise<Implementation>> = {
  submit: async () => (await import('../import/cli')).submitCommand,
  produce: async () => (await import('../simulator/cli')).produceCommand,
  custodian: async () => (await import('../custodian/cli')).custodianCommand,
  'refdata load': async () => (await import('../refdata/cli')).refdataLoadCommand,
  'recon report': async () => (await import('../recon/report-cli')).reconReportCommand,
  'recon import': async () => (await import('../recon/import-cli')).reconImportCommand,
  'report daily': async () => (await import('../pnl/cli')).reportDailyCommand,
  'report positions': async () => (await import('../pnl/cli')).reportPositionsCommand,
  risk: async () => (await import('../risk/cli')).riskCommand,
  'risk eod': async () => (await import('../risk/cli')).riskEodCommand,
  smoke: async () => (await import('../smoke/cli')).smokeCommand,
  demo: async () => (await import('../demo/cli')).demoCommand,
  migrate: async () => (await import('../db/migrate-cli')).migrateCommand,
  config: async () => (await import('./config-command')).configCommand,
  status: async () => (await import('../status/cli')).statusCommand,
  schemas: async () => (await import('./schemas-command')).schemasCommand,
  trace: async () => (await import('../observability/trace-cli')).traceCommand,
};

/** Groups of subcommands and what they hold. */
const GROUPS: Record<string, { summary: string; example: string }> = {
  refdata: { summary: 'reference data', example: 'posttrade refdata load --help' },
  recon: { summary: 'reconciliation with the custodians', example: 'posttrade recon report --date 2024-05-28' },
  report: { summary: 'P&L and position reports', example: 'posttrade report daily --date 2024-05-28 --format csv' },
};

export interface RunIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: NodeJS.ProcessEnv;
}

function settle(command: Command, io: RunIo): Command {
  return command
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    });
}

/** The command tree, each leaf's action running its implementation and recording the exit code in `result`. */
export function buildProgram(io: RunIo, result: { code: ExitCode }): Command {
  const program = settle(new Command('posttrade'), io)
    .description('The post-trade platform from the command line: the local stack, or any stack its settings name.')
    .usage('<command> [options]')
    .enablePositionalOptions()
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 failed, 2 usage (a wrong option or setting).\n' +
        'Examples:\n  $ posttrade produce --count 1000\n  $ posttrade report daily --help\n' +
        '\nSettings: every command reads the environment, then the running stack (POSTTRADE_DATA_DIR), then defaults;\n' +
        '`posttrade config` shows them.',
    );
  // Groups and leaves by their words: a leaf may also hold subcommands (`risk --account A` and `risk eod`).
  const groups = new Map<string, Command>();
  for (const spec of COMMAND_SPECS) {
    let parent = program;
    for (const word of spec.path.slice(0, -1)) {
      let group = groups.get(word);
      if (group === undefined) {
        const about = GROUPS[word];
        group = settle(parent.command(word), io)
          .description(about?.summary ?? word)
          .usage('<command> [options]')
          .addHelpText('after', `\nExamples:\n  $ ${about?.example ?? `posttrade ${word} --help`}`);
        groups.set(word, group);
      }
      parent = group;
    }
    const leaf = settle(parent.command(spec.path.at(-1) ?? ''), io).description(spec.summary);
    // Its options before a subcommand's name are its own, after it the subcommand's (`risk eod --format json`).
    if (spec.path.length === 1) groups.set(spec.path[0] ?? '', leaf.enablePositionalOptions());
    spec.define(leaf).addHelpText('after', helpFooter(spec));
    // Positional arguments (`posttrade trace <id>`) join the options under their names.
    leaf.action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const positional = Object.fromEntries(
        command.registeredArguments.map((argument, index) => [argument.name(), command.processedArgs[index]]),
      );
      result.code = (await runSpec(spec, { ...command.opts(), ...positional }, io)) ?? ExitCode.OK;
    });
  }
  return program;
}

async function runSpec(spec: CommandSpec, options: Record<string, unknown>, io: RunIo): Promise<ExitCode | void> {
  let config: CliConfig;
  try {
    config = loadCliConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  useCliConfig(config);
  for (const service of spec.needs) {
    if (service === 'kafka') await requireKafka(config);
    else await requirePostgres(config);
  }
  const load = IMPLEMENTATIONS[spec.path.join(' ')];
  if (load === undefined) throw new CliError(`no implementation for ${spec.path.join(' ')}`);
  const implementation = await load();
  return (implementation as (options: unknown, context: CommandContext) => Promise<ExitCode | void>)(options, {
    config,
    stdout: io.stdout,
    stderr: io.stderr,
  });
}

/** The words of the command `argv` names (for messages), as far as they match the tree. */
function commandWords(argv: readonly string[]): string {
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    const candidate = [...words, arg];
    if (!COMMAND_SPECS.some((spec) => candidate.every((word, index) => spec.path[index] === word))) break;
    words.push(arg);
  }
  return ['posttrade', ...words].join(' ');
}

/** Runs the command `argv` (without node and the script) names; resolves with its exit code. */
export async function runCli(argv: readonly string[], io: RunIo): Promise<ExitCode> {
  const result: { code: ExitCode } = { code: ExitCode.OK };
  const program = buildProgram(io, result);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.OK;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (error) {
    // commander has written its message and the usage already; --help and --version end this way with exit 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    const name = commandWords(argv);
    if (error instanceof CliError) {
      io.stderr.write(`${name}: ${error.message}\n`);
      if (error.exitCode === ExitCode.USAGE) io.stderr.write(`(run ${name} --help for the options and an example)\n`);
      return error.exitCode;
    }
    io.stderr.write(`${name}: ${describeFailure(error)}\n`);
    return ExitCode.FAILURE;
  }
}

/** An unexpected error's message with those of its causes (`migration failed: relation ... does not exist`). */
export function describeFailure(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error; current !== undefined && messages.length < 5;) {
    // A thrown non-Error is shown as itself (`{ code: 'X' }`), not as `[object Object]`.
    const message =
      current instanceof Error ? current.message : typeof current === 'string' ? current : inspect(current);
    if (message !== '' && !messages.some((seen) => seen.includes(message))) messages.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return messages.join(': ');
}
