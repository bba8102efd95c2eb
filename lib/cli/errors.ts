/**
 * How a command ends, the same for every `posttrade` command: 0 done, 1 failed (a service, a file, a check), 2 the
 * command line (or the environment it reads) is wrong and the usage says why.
 */
export const ExitCode = { OK: 0, FAILURE: 1, USAGE: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error a command reports as one line, without a stack trace, ending the process with `exitCode`. */
export class CliError extends Error {
  override readonly name: string = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.FAILURE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An option's value cannot be used: the runner prints the message and the command's usage, exit 2. */
export class UsageError extends CliError {
  override readonly name: string = 'UsageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.USAGE, options);
  }
}

/** A service of the stack (the broker, PostgreSQL, the API) did not answer at the address the settings give. */
export class UnreachableError extends CliError {
  override readonly name: string = 'UnreachableError';
}
