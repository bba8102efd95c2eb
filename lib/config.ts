/**
 * The platform's configuration: read once from the environment, validated, typed.
 *
 * This module is the only place that reads `process.env`. To add a setting, add its variable to `environment`
 * (with a default when there is a safe one) and map it in `loadConfig`; a missing or malformed variable then fails
 * the container's cold start with a message that names it, instead of failing a trade later.
 */
import fs from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { DEV_TOKEN, parseApiTokens, type TokenTable } from './api/auth';

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;

/** `host:port`, as Kafka clients and the MSK event's `bootstrapServers` write a broker. */
const brokerAddress = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'expected host:port');

/** An ARN of the given service (`kafka`, `secretsmanager`), region and account filled in. */
const arnOf = (service: string, resource: string) =>
  z
    .string()
    .regex(
      new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource}`),
      `expected an ARN arn:aws:${service}:<region>:<account>:${resource}...`,
    );

/** `true`/`false` (also 1/0, yes/no), as environment variables write a switch. */
const flag = z
  .string()
  .transform((text) => text.trim().toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((text) => text === 'true' || text === '1' || text === 'yes');

export const KafkaAuth = {
  /** Plaintext, no authentication: the local development broker. */
  NONE: 'none',
  /** Amazon MSK IAM access control: SASL OAUTHBEARER with a SigV4-signed token (aws-msk-iam-sasl-signer-js). */
  AWS_IAM: 'aws-iam',
  /** SASL/SCRAM with a username and password from a Secrets Manager secret (MSK or self-managed Kafka). */
  SCRAM_SHA_512: 'scram-sha-512',
  SCRAM_SHA_256: 'scram-sha-256',
} as const;
export type KafkaAuth = (typeof KafkaAuth)[keyof typeof KafkaAuth];

export const DbSslMode = {
  DISABLE: 'disable',
  /** Encrypted, certificate not checked: only for a server whose CA you cannot install. */
  REQUIRE: 'require',
  /** Encrypted, certificate chain and host name checked (the RDS CA bundle, or Amazon's roots for RDS Proxy). */
  VERIFY_FULL: 'verify-full',
} as const;
export type DbSslMode = (typeof DbSslMode)[keyof typeof DbSslMode];

const environment = z.object({
  /** Unset locally: scripts then start the embedded server (localstack/postgres.ts). Required in the cloud. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// connection URL' }).optional(),
  /** Pool size per container. A Lambda container serves one invocation at a time, so a couple suffice. */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(20).default(2),
  /** Server-side statement timeout; keep it below the function timeout so that a stuck query fails visibly. */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * Cloud database, as RDS Proxy or an RDS/Aurora endpoint is reached: host, port, name and user are plain settings,
   * the password comes from Secrets Manager (`DB_SECRET_ARN`) or is an IAM token (`DB_IAM_AUTH`), never from here.
   * Set instead of DATABASE_URL.
   */
  DB_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, 'expected a host name')
    .optional(),
  DB_PORT: z.coerce.number().int().min(1).max(65_535).default(5432),
  DB_NAME: z.string().min(1).optional(),
  DB_USER: z.string().min(1).optional(),
  /** Secrets Manager secret whose JSON holds `password` (and `username`): the RDS-managed secret format. */
  DB_SECRET_ARN: arnOf('secretsmanager', 'secret:').optional(),
  /** Sign a 15-minute IAM authentication token per connection instead of reading a password. */
  DB_IAM_AUTH: flag.default(false),
  DB_SSL: z.enum(Object.values(DbSslMode) as [DbSslMode, ...DbSslMode[]]).optional(),
  /** PEM bundle to trust for `verify-full` besides Node's roots (e.g. RDS's global-bundle.pem). */
  DB_SSL_CA_FILE: z.string().min(1).optional(),
  /** Comma-separated `host:port` list. Unset with KAFKA_MSK_CLUSTER_ARN set: resolved from the cluster. */
  KAFKA_BROKERS: z
    .string()
    .optional()
    .transform((list) =>
      list === undefined
        ? undefined
        : list
            .split(',')
            .map((broker) => broker.trim())
            .filter((broker) => broker !== ''),
    )
    .pipe(z.array(brokerAddress).min(1, 'expected at least one broker').optional()),
  /** The MSK cluster; its bootstrap brokers for KAFKA_AUTH are looked up once per container when KAFKA_BROKERS is unset. */
  KAFKA_MSK_CLUSTER_ARN: arnOf('kafka', 'cluster/[^/]+/[^/]+').optional(),
  KAFKA_AUTH: z.enum(Object.values(KafkaAuth) as [KafkaAuth, ...KafkaAuth[]]).default(KafkaAuth.NONE),
  /** TLS to the brokers; default on whenever KAFKA_AUTH is not `none`. */
  KAFKA_TLS: flag.optional(),
  /** SCRAM credentials: a secret whose JSON holds `username` and `password` (MSK requires the AmazonMSK_ prefix). */
  KAFKA_SASL_SECRET_ARN: arnOf('secretsmanager', 'secret:').optional(),
  /** Set by Lambda; the region of the MSK signer and of the SDK clients when no ARN names one. */
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region such as eu-west-1')
    .optional(),
  /** The daily report's whole-document responses larger than API_INLINE_RESPONSE_MAX_BYTES go here (S3)... */
  REPORTS_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name')
    .optional(),
  /** ...or, without a bucket, to this local directory (the same code path, served as file:// URLs). */
  REPORTS_DIR: z.string().min(1).optional(),
  /**
   * Largest response a Lambda behind API Gateway returns inline. Lambda's limit is 6 MB for the whole JSON-encoded
   * response (headers and escaped body included), which is what is measured against this.
   */
  API_INLINE_RESPONSE_MAX_BYTES: z.coerce.number().int().min(1024).max(6_291_456).default(6_000_000),
  /** How long a pre-signed report URL stays valid. */
  REPORT_URL_TTL_SECONDS: z.coerce.number().int().min(60).max(604_800).default(900),
  /** Bearer tokens of the capture API's local authorizer: `token=scope,...` (lib/api/auth.ts). */
  API_TOKENS: z.string().optional(),
  /** JWT claim holding the accounts a caller may see (`*`, or accounts separated by `|`, `,` or spaces). */
  API_JWT_ACCOUNTS_CLAIM: z.string().min(1).default('custom:accounts'),
  KAFKA_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
    .default('posttrade'),
  /**
   * How long an amend or cancel held for its trade may wait for the trade's NEW before it is rejected
   * `PENDING_EXPIRED` (lib/pipeline/pending-events.ts). Out-of-order delivery takes seconds; a NEW an hour late
   * is not coming.
   */
  PENDING_EVENT_MAX_WAIT_SECONDS: z.coerce.number().int().min(1).default(3_600),
  /**
   * The local event-source emulator's consumer session and heartbeat (localstack/esm; MSK's mappings are AWS's and
   * ignore these). A handlers' process killed without leaving its groups holds its partitions until its session
   * expires: KafkaJS's 30 s made each `kill -9` of the local handlers cost half a minute; 10 s is enough for a
   * process that heartbeats every second (the emulator's fetch loop does, even while an invocation runs).
   */
  ESM_SESSION_TIMEOUT_MS: z.coerce.number().int().min(3_000).max(300_000).default(10_000),
  ESM_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(100_000).default(1_000),
  /**
   * `posttrade status` and GET /health say "degraded" when a stage's consumer group is more than this many records
   * behind the end of its topic (summed over the partitions).
   */
  STATUS_LAG_MAX: z.coerce.number().int().min(0).default(1_000),
  /** ...when more records than this were dead-lettered in the last hour (every stage together)... */
  STATUS_DEAD_LETTERS_PER_HOUR_MAX: z.coerce.number().int().min(0).default(10),
  /** ...and when a stage has records waiting but its last batch ended longer ago than this (or it never ran). */
  STATUS_STALE_STAGE_SECONDS: z.coerce.number().int().min(1).default(300),
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
    /** Undefined locally (the embedded server fills in) and when `server` is set. */
    readonly url: string | undefined;
    /** The cloud form: a server reached with a secret's password or an IAM token, over TLS. */
    readonly server?: DatabaseServer;
    readonly poolMax: number;
    readonly statementTimeoutMs: number;
  };
  readonly kafka: KafkaSettings;
  readonly pipeline: { readonly pendingEventMaxWaitSeconds: number };
  /** The local event-source emulator's consumer groups (ESM_SESSION_TIMEOUT_MS, ESM_HEARTBEAT_INTERVAL_MS). */
  readonly localEventSources: { readonly sessionTimeoutMs: number; readonly heartbeatIntervalMs: number };
  readonly status: StatusThresholds;
  readonly aws: { readonly region: string | undefined };
  readonly api: {
    readonly largeResponses: LargeResponseSettings;
    readonly jwtAccountsClaim: string;
    /**
     * The bearer tokens API_TOKENS lists; unset, the development token alone on the `local` stage, and undefined
     * on any other (the authorizer then refuses to start: requiredTokenTable).
     */
    readonly tokens: TokenTable | undefined;
  };
}

/** When `posttrade status` and GET /health call the pipeline degraded (README "Settings"). */
export interface StatusThresholds {
  readonly lagMax: number;
  readonly deadLettersPerHourMax: number;
  readonly staleStageSeconds: number;
}

export interface DatabaseServer {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly credentials:
    { readonly kind: 'secret'; readonly secretArn: string } | { readonly kind: 'iam'; readonly region: string };
  readonly ssl: { readonly mode: DbSslMode; readonly caFile: string | undefined };
}

export interface KafkaSettings {
  /** The brokers to dial; the local default when neither KAFKA_BROKERS nor a cluster ARN is set. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Set when the brokers are to be looked up from this MSK cluster (KAFKA_BROKERS unset). */
  readonly mskClusterArn: string | undefined;
  readonly auth:
    | { readonly mechanism: typeof KafkaAuth.NONE }
    | { readonly mechanism: typeof KafkaAuth.AWS_IAM; readonly region: string }
    | {
        readonly mechanism: typeof KafkaAuth.SCRAM_SHA_512 | typeof KafkaAuth.SCRAM_SHA_256;
        readonly secretArn: string;
      };
  readonly tls: boolean;
}

export type LargeResponseSettings = {
  readonly inlineMaxBytes: number;
  readonly urlTtlSeconds: number;
} & (
  | { readonly store: 'inline' }
  | { readonly store: 's3'; readonly bucket: string }
  | { readonly store: 'directory'; readonly directory: string }
);

/** The region in an ARN (`arn:aws:kafka:eu-west-1:...`). */
export function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
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
  const problems: { variable: string; message: string }[] = [];
  const database = databaseServer(vars, problems);
  const kafka = kafkaSettings(vars, problems);
  const tokens = apiTokens(vars, problems);
  if (problems.length > 0) {
    throw new ConfigError(
      [...new Set(problems.map((problem) => problem.variable))],
      `Invalid configuration: ${problems.map((problem) => `${problem.variable}: ${problem.message}`).join('; ')}`,
    );
  }
  return {
    stage: vars.STAGE,
    logLevel: vars.LOG_LEVEL,
    database: {
      url: vars.DATABASE_URL,
      ...(database === undefined ? {} : { server: database }),
      poolMax: vars.DB_POOL_MAX,
      statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS,
    },
    kafka,
    pipeline: { pendingEventMaxWaitSeconds: vars.PENDING_EVENT_MAX_WAIT_SECONDS },
    localEventSources: {
      sessionTimeoutMs: vars.ESM_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: vars.ESM_HEARTBEAT_INTERVAL_MS,
    },
    status: {
      lagMax: vars.STATUS_LAG_MAX,
      deadLettersPerHourMax: vars.STATUS_DEAD_LETTERS_PER_HOUR_MAX,
      staleStageSeconds: vars.STATUS_STALE_STAGE_SECONDS,
    },
    aws: { region: vars.AWS_REGION },
    api: {
      largeResponses: {
        inlineMaxBytes: vars.API_INLINE_RESPONSE_MAX_BYTES,
        urlTtlSeconds: vars.REPORT_URL_TTL_SECONDS,
        ...(vars.REPORTS_BUCKET !== undefined
          ? { store: 's3' as const, bucket: vars.REPORTS_BUCKET }
          : vars.REPORTS_DIR !== undefined
            ? { store: 'directory' as const, directory: vars.REPORTS_DIR }
            : { store: 'inline' as const }),
      },
      jwtAccountsClaim: vars.API_JWT_ACCOUNTS_CLAIM,
      tokens,
    },
  };
}

type Vars = z.output<typeof environment>;
type Problems = { variable: string; message: string }[];

/** The DB_* server form, checked as a whole: which variables go together and which exclude each other. */
function databaseServer(vars: Vars, problems: Problems): DatabaseServer | undefined {
  if (vars.DB_HOST === undefined) {
    for (const name of ['DB_NAME', 'DB_USER', 'DB_SECRET_ARN', 'DB_SSL_CA_FILE'] as const) {
      if (vars[name] !== undefined) problems.push({ variable: name, message: 'needs DB_HOST' });
    }
    if (vars.DB_IAM_AUTH) problems.push({ variable: 'DB_IAM_AUTH', message: 'needs DB_HOST' });
    return undefined;
  }
  if (vars.DATABASE_URL !== undefined) {
    problems.push({ variable: 'DATABASE_URL', message: 'set either DATABASE_URL or DB_HOST, not both' });
  }
  if (vars.DB_NAME === undefined) problems.push({ variable: 'DB_NAME', message: 'required with DB_HOST' });
  if (vars.DB_USER === undefined) problems.push({ variable: 'DB_USER', message: 'required with DB_HOST' });
  if (vars.DB_IAM_AUTH === (vars.DB_SECRET_ARN !== undefined)) {
    problems.push({
      variable: 'DB_SECRET_ARN',
      message: 'with DB_HOST, set exactly one of DB_SECRET_ARN (password from Secrets Manager) or DB_IAM_AUTH=true',
    });
  }
  const region = vars.AWS_REGION;
  if (vars.DB_IAM_AUTH && region === undefined) {
    problems.push({ variable: 'AWS_REGION', message: 'required to sign IAM database tokens' });
  }
  if (vars.DB_NAME === undefined || vars.DB_USER === undefined) return undefined;
  const credentials =
    vars.DB_SECRET_ARN !== undefined
      ? { kind: 'secret' as const, secretArn: vars.DB_SECRET_ARN }
      : { kind: 'iam' as const, region: region ?? '' };
  return {
    host: vars.DB_HOST,
    port: vars.DB_PORT,
    database: vars.DB_NAME,
    user: vars.DB_USER,
    credentials,
    // A cloud database is reached over TLS with its certificate checked unless someone says otherwise.
    ssl: { mode: vars.DB_SSL ?? DbSslMode.VERIFY_FULL, caFile: vars.DB_SSL_CA_FILE },
  };
}

/** API_TOKENS parsed, or the development token when it is unset on the local stage (never on another). */
function apiTokens(vars: Vars, problems: Problems): TokenTable | undefined {
  if (vars.API_TOKENS === undefined || vars.API_TOKENS.trim() === '') {
    return vars.STAGE === 'local' ? new Map([[DEV_TOKEN, { all: true }]]) : undefined;
  }
  const parsed = parseApiTokens(vars.API_TOKENS);
  if (parsed.ok) return parsed.value;
  // parseApiTokens names the variable in each message already.
  for (const error of parsed.errors)
    problems.push({ variable: 'API_TOKENS', message: error.replace(/^API_TOKENS: /, '') });
  return undefined;
}

function kafkaSettings(vars: Vars, problems: Problems): KafkaSettings {
  const fromCluster = vars.KAFKA_BROKERS === undefined ? vars.KAFKA_MSK_CLUSTER_ARN : undefined;
  const tls = vars.KAFKA_TLS ?? vars.KAFKA_AUTH !== KafkaAuth.NONE;
  const base = {
    brokers: vars.KAFKA_BROKERS ?? ['127.0.0.1:9092'],
    clientId: vars.KAFKA_CLIENT_ID,
    mskClusterArn: fromCluster,
    tls,
  };
  if (fromCluster !== undefined && vars.KAFKA_AUTH === KafkaAuth.NONE) {
    problems.push({
      variable: 'KAFKA_AUTH',
      message: 'brokers looked up from KAFKA_MSK_CLUSTER_ARN need an authentication (aws-iam or scram-sha-512)',
    });
  }
  switch (vars.KAFKA_AUTH) {
    case KafkaAuth.NONE:
      if (vars.KAFKA_SASL_SECRET_ARN !== undefined) {
        problems.push({
          variable: 'KAFKA_SASL_SECRET_ARN',
          message: 'needs KAFKA_AUTH=scram-sha-512 or scram-sha-256',
        });
      }
      return { ...base, auth: { mechanism: KafkaAuth.NONE } };
    case KafkaAuth.AWS_IAM: {
      const region =
        (vars.KAFKA_MSK_CLUSTER_ARN === undefined ? undefined : regionOfArn(vars.KAFKA_MSK_CLUSTER_ARN)) ??
        vars.AWS_REGION;
      if (region === undefined) {
        problems.push({
          variable: 'AWS_REGION',
          message: 'required to sign MSK IAM tokens (or set KAFKA_MSK_CLUSTER_ARN)',
        });
      }
      return { ...base, auth: { mechanism: KafkaAuth.AWS_IAM, region: region ?? '' } };
    }
    case KafkaAuth.SCRAM_SHA_512:
    case KafkaAuth.SCRAM_SHA_256:
      if (vars.KAFKA_SASL_SECRET_ARN === undefined) {
        problems.push({ variable: 'KAFKA_SASL_SECRET_ARN', message: `required with KAFKA_AUTH=${vars.KAFKA_AUTH}` });
      }
      return { ...base, auth: { mechanism: vars.KAFKA_AUTH, secretArn: vars.KAFKA_SASL_SECRET_ARN ?? '' } };
  }
}

let loaded: Config | undefined;

/** The configuration of this process, read from `process.env` on first use and kept for the container's life. */
export function config(): Config {
  loaded ??= loadConfig();
  return loaded;
}

// ---------------------------------------------------------------------------------------------------------------
// The local stack and the command line
//
// `npm start` (scripts/start.sh) runs the stack on KAFKA_PORT, PG_PORT, HTTP_PORT and LAMBDA_PORT with its state in
// POSTTRADE_DATA_DIR, and once it is ready records what it listens on in `<data dir>/run/stack.env`. The command
// line reaches that same stack: each setting is taken from the environment first, then from the running stack's
// file, then from the defaults below (the same ones scripts/lib.sh uses; a unit test keeps them equal).

/** The local stack's defaults. The PostgreSQL role and database are those the embedded server is initialised with. */
export const LOCAL_STACK_DEFAULTS = {
  dataDir: '.local',
  kafkaPort: 9092,
  pgPort: 5433,
  httpPort: 3000,
  lambdaPort: 3002,
  pgUser: 'posttrade',
  pgPassword: 'posttrade',
  pgDatabase: 'posttrade',
} as const;

const port = z.coerce.number().int().min(1).max(65_535);
const localEnvironment = z.object({
  /** Where the local stack keeps its data, logs and run files; relative paths are taken from the package root. */
  POSTTRADE_DATA_DIR: z.string().min(1).default(LOCAL_STACK_DEFAULTS.dataDir),
  KAFKA_PORT: port.optional(),
  PG_PORT: port.optional(),
  HTTP_PORT: port.default(LOCAL_STACK_DEFAULTS.httpPort),
  LAMBDA_PORT: port.default(LOCAL_STACK_DEFAULTS.lambdaPort),
});

/** The package's root: the nearest directory above this module (or the bundle built from it) with package.json. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

export interface StackPaths {
  readonly dataDir: string;
  readonly runDir: string;
  readonly logDir: string;
  /** Written by `npm start` once the stack is ready, removed when it stops: DATABASE_URL, KAFKA_BROKERS, HTTP_URL. */
  readonly stackEnv: string;
}

/** Where the scripts keep the stack (a relative POSTTRADE_DATA_DIR is resolved against the package root). */
export function stackPaths(env: NodeJS.ProcessEnv = process.env): StackPaths {
  const dataDir = path.resolve(packageRoot(), env.POSTTRADE_DATA_DIR || LOCAL_STACK_DEFAULTS.dataDir);
  const runDir = path.join(dataDir, 'run');
  return { dataDir, runDir, logDir: path.join(dataDir, 'logs'), stackEnv: path.join(runDir, 'stack.env') };
}

/** The `NAME=value` lines of a stack file; empty when there is none (no stack running on that data directory). */
export function readStackFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const entries = text.split('\n').flatMap((line) => {
    const at = line.indexOf('=');
    return at > 0 && line.slice(at + 1) !== '' ? [[line.slice(0, at), line.slice(at + 1)] as const] : [];
  });
  return Object.fromEntries(entries);
}

/** The local PostgreSQL URL on `port`, as the embedded server is reached. */
export function localDatabaseUrl(pgPort: number): string {
  const url = new URL('postgres://127.0.0.1');
  url.username = encodeURIComponent(LOCAL_STACK_DEFAULTS.pgUser);
  url.password = encodeURIComponent(LOCAL_STACK_DEFAULTS.pgPassword);
  url.port = String(pgPort);
  url.pathname = `/${encodeURIComponent(LOCAL_STACK_DEFAULTS.pgDatabase)}`;
  return url.toString();
}

/** Hides the password of a connection URL for printing. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Where a setting's value came from, as `posttrade config` and the unreachable-service messages say it. */
export type SettingSource =
  | { readonly kind: 'environment'; readonly variable: string }
  | { readonly kind: 'stack'; readonly file: string }
  | { readonly kind: 'default' };

export function describeSource(source: SettingSource): string {
  switch (source.kind) {
    case 'environment':
      return `${source.variable} in the environment`;
    case 'stack':
      return `the running stack's ${source.file}`;
    case 'default':
      return 'the default';
  }
}

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
 * The configuration of a command-line process: `loadConfig` over the environment, with the brokers and the database
 * filled in, in this order, from KAFKA_BROKERS / DATABASE_URL (or DB_HOST), KAFKA_PORT / PG_PORT, the running
 * stack's file in POSTTRADE_DATA_DIR, and the local defaults. Throws `ConfigError` like `loadConfig`.
 */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = localEnvironment.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    throw new ConfigError(
      [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))],
      `Invalid configuration: ${problems.join('; ')}`,
    );
  }
  const local = parsed.data;
  const paths = stackPaths(present);
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
    ...loadConfig(filled),
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

/**
 * Makes `config` a command-line configuration for the rest of this process (the stores and publishers created by
 * `getPool` and `getPublisher` then reach the same stack). Called once by the command runner before any command.
 */
export function useCliConfig(cli: CliConfig): void {
  loaded = cli;
}
