/**
 * The runner's conventions for the long-running tools outside the `posttrade` tree (`npm run broker`, `npm run
 * db:start`): `--help` prints the usage and exits 0, a wrong option prints the message and the usage and exits 2.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';

import { ExitCode } from './errors';

export type Parsed<O> = { readonly ok: true; readonly options: O } | { readonly ok: false; readonly code: ExitCode };

/** Parses `argv` (after node and the script) with `command`; the caller exits with `code` when not `ok`. */
export function parseStandalone<O>(command: Command, argv: readonly string[]): Parsed<O> {
  command.exitOverride().showHelpAfterError();
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    // commander has written the help or the message and usage already.
    if (error instanceof CommanderError)
      return { ok: false, code: error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE };
    throw error;
  }
  return { ok: true, options: command.opts<O & Record<string, unknown>>() };
}

/** An option's argument as an integer in [min, max], or a usage error naming the range. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`not an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export { Command, InvalidArgumentError };
