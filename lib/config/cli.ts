/**
 * The command line's configuration: the platform's, with the brokers and the database filled in from the local
 * stack when the environment does not name them (lib/config/local-stack.ts says in which order).
 */
import { presentVariables } from './environment';
import { configFrom, type Config } from './load';
import {
  LOCAL_STACK_DEFAULTS,
  localDatabaseUrl,
  parseLocalEnvironment,
  readStackFile,
  stackPathsIn,
  type SettingSource,
  type StackPaths,
} from './local-stack';

export interface CliConfig extends Config {
  readonly local: {
    readonly paths: StackPaths;
    readonly httpPort: number;
    readonly lambdaPort: number;
    /** The API's base URL: the running stack's, else http://localhost:HTTP_PORT. */
    readonly httpUrl: string;
    /** True when the data directory holds the file of a running stack. */
    readonly stackRunning: boolean;
  };
  readonly sources: {
    readonly database: SettingSource;
    readonly kafka: SettingSource;
    readonly httpUrl: SettingSource;
  };
}

/**
 * The configuration of a command-line process: `configFrom` over `env`, with the brokers and the database filled
 * in, in this order, from KAFKA_BROKERS / DATABASE_URL (or DB_HOST), KAFKA_PORT / PG_PORT, the running stack's file
 * in POSTTRADE_DATA_DIR, and the local defaults. Throws `ConfigError` like `configFrom`.
 */
export function cliConfigFrom(env: NodeJS.ProcessEnv): CliConfig {
  const present = presentVariables(env);
  const local = parseLocalEnvironment(present);
  const paths = stackPathsIn(present);
  const stack = readStackFile(paths.stackEnv);
  const fromStack: SettingSource = { kind: 'stack', file: paths.stackEnv };
  const filled: NodeJS.ProcessEnv = { ...present };
  let kafka: SettingSource;
  if (present.KAFKA_BROKERS !== undefined || present.KAFKA_MSK_CLUSTER_ARN !== undefined) {
    kafka = {
      kind: 'environment',
      variable: present.KAFKA_BROKERS !== undefined ? 'KAFKA_BROKERS' : 'KAFKA_MSK_CLUSTER_ARN',
    };
  } else if (local.KAFKA_PORT !== undefined) {
    filled.KAFKA_BROKERS = `127.0.0.1:${local.KAFKA_PORT}`;
    kafka = { kind: 'environment', variable: 'KAFKA_PORT' };
  } else if (stack.KAFKA_BROKERS !== undefined) {
    filled.KAFKA_BROKERS = stack.KAFKA_BROKERS;
    kafka = fromStack;
  } else {
    filled.KAFKA_BROKERS = `127.0.0.1:${LOCAL_STACK_DEFAULTS.kafkaPort}`;
    kafka = { kind: 'default' };
  }
  let database: SettingSource;
  if (present.DATABASE_URL !== undefined || present.DB_HOST !== undefined) {
    database = { kind: 'environment', variable: present.DATABASE_URL !== undefined ? 'DATABASE_URL' : 'DB_HOST' };
  } else if (local.PG_PORT !== undefined) {
    filled.DATABASE_URL = localDatabaseUrl(local.PG_PORT);
    database = { kind: 'environment', variable: 'PG_PORT' };
  } else if (stack.DATABASE_URL !== undefined) {
    filled.DATABASE_URL = stack.DATABASE_URL;
    database = fromStack;
  } else {
    filled.DATABASE_URL = localDatabaseUrl(LOCAL_STACK_DEFAULTS.pgPort);
    database = { kind: 'default' };
  }
  const httpFromEnv = present.HTTP_PORT !== undefined;
  const httpUrl = !httpFromEnv && stack.HTTP_URL !== undefined ? stack.HTTP_URL : `http://localhost:${local.HTTP_PORT}`;
  return {
    ...configFrom(filled),
    local: {
      paths,
      httpPort: local.HTTP_PORT,
      lambdaPort: local.LAMBDA_PORT,
      httpUrl,
      stackRunning: Object.keys(stack).length > 0,
    },
    sources: {
      database,
      kafka,
      httpUrl: httpFromEnv
        ? { kind: 'environment', variable: 'HTTP_PORT' }
        : stack.HTTP_URL !== undefined
          ? fromStack
          : { kind: 'default' },
    },
  };
}
