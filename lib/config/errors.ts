/** The error every part of the configuration throws, naming each bad variable at once. */

/** One thing wrong with one variable, collected so that a single error can name them all. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/** The environment is invalid. `variables` names every offending variable; the message says what is wrong. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
  /** Configuration does not fix itself: retrying the invocation cannot help. */
  readonly retriable = false;
  constructor(
    readonly variables: readonly string[],
    message: string,
  ) {
    super(message);
  }

  /** One error for all of `problems`: each variable named once, every message kept. */
  static of(problems: readonly ConfigProblem[]): ConfigError {
    return new ConfigError(
      [...new Set(problems.map((problem) => problem.variable))],
      `Invalid configuration: ${problems.map((problem) => `${problem.variable}: ${problem.message}`).join('; ')}`,
    );
  }
}

/**
 * The problems of a failed zod parse of the environment, one per issue, named by the variable at its path.
 * Takes the issues only, so that both environment schemas (the platform's and the local stack's) share it.
 */
export function problemsOf(
  issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[],
): ConfigProblem[] {
  return issues.map((issue) => ({ variable: String(issue.path[0] ?? '(environment)'), message: issue.message }));
}
