/** The platform's typed configuration, built from a given environment (lib/config/index.ts passes `process.env`). */
import { apiSettings, type ApiSettings } from './api';
import { databaseSettings, type DatabaseSettings } from './database';
import { parseEnvironment, presentVariables, type LogLevel } from './environment';
import { ConfigError, type ConfigProblem } from './errors';
import { kafkaSettings, type KafkaSettings } from './kafka';

export interface Config {
  readonly stage: string;
  readonly logLevel: LogLevel;
  /** Whether the tracer may trace (TRACING_ENABLED, default true; off outside Lambda whatever this says). */
  readonly tracingEnabled: boolean;
  readonly database: DatabaseSettings;
  readonly kafka: KafkaSettings;
  readonly pipeline: { readonly pendingEventMaxWaitSeconds: number };
  /** The local event-source emulator's consumer groups (ESM_SESSION_TIMEOUT_MS, ESM_HEARTBEAT_INTERVAL_MS). */
  readonly localEventSources: { readonly sessionTimeoutMs: number; readonly heartbeatIntervalMs: number };
  readonly status: StatusThresholds;
  readonly aws: { readonly region: string | undefined };
  readonly api: ApiSettings;
}

/** When `posttrade status` and GET /health call the pipeline degraded (README "Settings"). */
export interface StatusThresholds {
  readonly lagMax: number;
  readonly deadLettersPerHourMax: number;
  readonly staleStageSeconds: number;
}

/**
 * Validates `env` and returns the typed configuration; throws `ConfigError` naming each bad variable: first those
 * that fail their own schema, else every one that does not fit with the others (database, Kafka, API together).
 */
export function configFrom(env: NodeJS.ProcessEnv): Config {
  const vars = parseEnvironment(presentVariables(env));
  const problems: ConfigProblem[] = [];
  const database = databaseSettings(vars, problems);
  const kafka = kafkaSettings(vars, problems);
  const api = apiSettings(vars, problems);
  if (problems.length > 0) throw ConfigError.of(problems);
  return {
    stage: vars.STAGE,
    logLevel: vars.LOG_LEVEL,
    tracingEnabled: vars.TRACING_ENABLED ?? true,
    database,
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
    api,
  };
}
