/**
 * The platform's configuration: read once from the environment, validated, typed.
 *
 * This module is the only place that reads `process.env`; the modules beside it take the environment as an
 * argument, one per area: `environment.ts` (every variable, its schema and default), `database.ts`, `kafka.ts`,
 * `api.ts` (the settings each builds and checks), `load.ts` (the whole `Config`), `local-stack.ts` and `cli.ts`
 * (the command line, which fills in the local stack). To add a setting, add its variable to `environment.ts`
 * (with a default when there is a safe one) and map it in the module of its area; a missing or malformed variable
 * then fails the container's cold start with a message that names it, instead of failing a trade later.
 */
import { cliConfigFrom, type CliConfig } from './cli';
import { configFrom, type Config } from './load';
import { stackPathsIn, type StackPaths } from './local-stack';

export type { ApiSettings, LargeResponseSettings } from './api';
export type { CliConfig } from './cli';
export type { DatabaseServer, DatabaseSettings } from './database';
export { DbSslMode, KafkaAuth, type LogLevel } from './environment';
export { ConfigError } from './errors';
export { regionOfArn, type KafkaSettings } from './kafka';
export type { Config, StatusThresholds } from './load';
export {
  describeSource,
  LOCAL_STACK_DEFAULTS,
  localDatabaseUrl,
  packageRoot,
  readStackFile,
  redactUrl,
  type SettingSource,
  type StackPaths,
} from './local-stack';

/**
 * Validates `env` and returns the typed configuration; throws `ConfigError` naming each bad variable.
 * Empty strings count as unset, so that `FOO=` in a `.env` file means "use the default".
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return configFrom(env);
}

/**
 * The configuration of a command-line process: `loadConfig` over the environment, with the brokers and the database
 * filled in, in this order, from KAFKA_BROKERS / DATABASE_URL (or DB_HOST), KAFKA_PORT / PG_PORT, the running
 * stack's file in POSTTRADE_DATA_DIR, and the local defaults. Throws `ConfigError` like `loadConfig`.
 */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  return cliConfigFrom(env);
}

/** Where the scripts keep the stack (a relative POSTTRADE_DATA_DIR is resolved against the package root). */
export function stackPaths(env: NodeJS.ProcessEnv = process.env): StackPaths {
  return stackPathsIn(env);
}

let loaded: Config | undefined;

/** The configuration of this process, read from `process.env` on first use and kept for the container's life. */
export function config(): Config {
  loaded ??= loadConfig();
  return loaded;
}

/**
 * Makes `config` a command-line configuration for the rest of this process (the stores and publishers created by
 * `getPool` and `getPublisher` then reach the same stack). Called once by the command runner before any command.
 */
export function useCliConfig(cli: CliConfig): void {
  loaded = cli;
}
