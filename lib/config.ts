/**
 * The platform's configuration: read once from the environment, validated, typed.
 *
 * This module is the only place that reads `process.env`. To add a setting, add its variable to `environment`
 * (with a default when there is a safe one) and map it in `loadConfig`; a missing or malformed variable then fails
 * the container's cold start with a message that names it, instead of failing a trade later.
 */
import { z } from 'zod';

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/** `host:port`, as Kafka clients and the MSK event's `bootstrapServers` write a broker. */
const brokerAddress = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'expected host:port');

const environment = z.object({
  /** Unset locally: scripts then start the embedded server (localstack/postgres.ts). Required in the cloud. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// connection URL' }).optional(),
  /** Pool size per container. A Lambda container serves one invocation at a time, so a couple suffice. */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(20).default(2),
  /** Server-side statement timeout; keep it below the function timeout so that a stuck query fails visibly. */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Comma-separated `host:port` list. */
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((list) =>
      list
        .split(',')
        .map((broker) => broker.trim())
        .filter((broker) => broker !== ''),
    )
    .pipe(z.array(brokerAddress).min(1, 'expected at least one broker')),
  KAFKA_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
    .default('posttrade'),
  /** Powertools logger levels; any case. */
  LOG_LEVEL: z
    .string()
    .default('INFO')
    .transform((level) => level.toUpperCase())
    .pipe(z.enum(LOG_LEVELS)),
  /** Deployment stage (`local`, `dev`, `prod`, ...): part of resource and topic names, hence the narrow alphabet. */
  STAGE: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and "-", starting with a letter')
    .default('local'),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly stage: string;
  readonly logLevel: LogLevel;
  readonly database: {
    /** Undefined only locally, where the embedded server fills in. */
    readonly url: string | undefined;
    readonly poolMax: number;
    readonly statementTimeoutMs: number;
  };
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
  };
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
}

/**
 * Validates `env` and returns the typed configuration; throws `ConfigError` naming each bad variable.
 * Empty strings count as unset, so that `FOO=` in a `.env` file means "use the default".
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environment.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? '(environment)'),
      message: issue.message,
    }));
    const variables = [...new Set(problems.map((problem) => problem.variable))];
    const detail = problems.map((problem) => `${problem.variable}: ${problem.message}`).join('; ');
    throw new ConfigError(variables, `Invalid configuration: ${detail}`);
  }
  const vars = parsed.data;
  return {
    stage: vars.STAGE,
    logLevel: vars.LOG_LEVEL,
    database: {
      url: vars.DATABASE_URL,
      poolMax: vars.DB_POOL_MAX,
      statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS,
    },
    kafka: { brokers: vars.KAFKA_BROKERS, clientId: vars.KAFKA_CLIENT_ID },
  };
}

let loaded: Config | undefined;

/** The configuration of this process, read from `process.env` on first use and kept for the container's life. */
export function config(): Config {
  loaded ??= loadConfig();
  return loaded;
}
