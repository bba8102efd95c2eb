/**
 * The platform's environment variables: each one's schema, default and meaning, in one zod object. The typed
 * settings are built from what this parses (lib/config/load.ts); nothing here reads `process.env`.
 */
import { z } from 'zod';

import { ConfigError, problemsOf } from './errors';

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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
  /**
   * The Powertools tracer (X-Ray): on by default, which in practice means in Lambda only (Powertools keeps it off
   * outside a Lambda execution environment, where there is no segment to add to); `false` turns it off there too.
   */
  TRACING_ENABLED: flag.optional(),
  /** Deployment stage (`local`, `dev`, `prod`, ...): part of resource and topic names, hence the narrow alphabet. */
  STAGE: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/, 'lower-case letters, digits and "-", starting with a letter')
    .default('local'),
});

/** The platform's variables, parsed: defaults filled in, switches and numbers typed. */
export type Vars = z.output<typeof environment>;

/** The variables that are set: empty strings count as unset, so that `FOO=` in a `.env` file means the default. */
export function presentVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

/** Parses the set variables against the schema; throws `ConfigError` naming every variable that fails it. */
export function parseEnvironment(present: Record<string, string>): Vars {
  const parsed = environment.safeParse(present);
  if (!parsed.success) throw ConfigError.of(problemsOf(parsed.error.issues));
  return parsed.data;
}
