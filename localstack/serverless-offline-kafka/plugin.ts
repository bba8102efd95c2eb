/**
 * serverless-offline adapter of the Kafka event-source-mapping engine: `sls offline start` starts a mapping (a
 * consumer group) for every `msk`/`kafka` event in serverless.yml and invokes the function through
 * serverless-offline's own Lambda runtime — the same worker threads, environment, handler resolution, timeouts and
 * serverless-esbuild output its HTTP and schedule events use. Local brokers (KAFKA_BROKERS) stand in for MSK.
 *
 * Lifecycle: mappings start on `offline:start:init` (after serverless-offline's HTTP servers are up, as the plugin
 * is listed after it) and stop on `before:offline:start:end` — before serverless-offline's end hook, which calls
 * process.exit — so an in-flight batch finishes and is committed (or, past the grace period, is abandoned
 * uncommitted) and each consumer leaves its group.
 */
import path from 'node:path';

import type Lambda from 'serverless-offline/lambda';
import {
  EsmConfigError,
  parseEventSourceMappings,
  startEventSourceRunner,
  type EsmLogger,
  type EventSourceMapping,
  type EventSourceRunner,
  type KafkaHandler,
} from '../esm';
import { config } from '../../lib/config';
import { handlersBundleDir, keepBundle, useBundle } from './prebuilt';

export const PLUGIN_KEY = 'serverless-offline-kafka';
export const DEFAULT_BROKERS = '127.0.0.1:9092';

/**
 * serverless-offline's defaults for the options its Lambda runtime reads. Its `defaultOptions` module is not in the
 * package's exports, so the few that matter are repeated here; serverless.yml's custom.serverless-offline and the
 * command line override them exactly as serverless-offline merges them.
 */
const OFFLINE_RUNTIME_DEFAULTS = {
  host: 'localhost',
  lambdaPort: 3002,
  localEnvironment: false,
  noTimeout: false,
  reloadHandler: false,
  terminateIdleLambdaTime: 60,
  useDocker: false,
  useInProcess: false,
} as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** osls's plugin log (`utils.log`): notice is always shown, info only with --verbose. */
export interface PluginLog {
  notice(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

/** What the plugin reads from the Serverless instance. */
export interface ServerlessLike {
  readonly config?: { readonly serviceDir?: string };
  readonly service: {
    readonly custom?: unknown;
    readonly functions?: unknown;
    readonly resources?: unknown;
    getFunction(functionKey: string): unknown;
  };
}

export interface KafkaPluginSettings {
  readonly brokers: string[];
  /** Concurrent invocations per mapping that sets no MaximumPollers. */
  readonly pollers: number | undefined;
  readonly retryBackoff: { initialMs: number; maxMs: number } | undefined;
  /** On shutdown, how long a batch in flight may take to finish and be committed before it is abandoned. */
  readonly shutdownGraceMs: number;
}

/** Short enough that SIGTERM to exit stays within a few seconds, long enough for a typical batch to finish. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 3_000;

function positiveInt(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new EsmConfigError([`custom.${PLUGIN_KEY}.${path}: must be a positive integer (got ${JSON.stringify(v)})`]);
  }
  return n;
}

/**
 * custom.serverless-offline-kafka: `brokers` ("host:port,..." or a list; else KAFKA_BROKERS, else 127.0.0.1:9092),
 * `pollers`, `retryBackoffMs` / `maxRetryBackoffMs`, `shutdownGraceMs` (default 3000). (`handlersBundle`, the
 * handlers built once and reused: prebuilt.ts.)
 */
export function readSettings(custom: unknown, env: NodeJS.ProcessEnv): KafkaPluginSettings {
  const own = isObj(custom) && isObj(custom[PLUGIN_KEY]) ? custom[PLUGIN_KEY] : {};
  const raw = own.brokers ?? env.KAFKA_BROKERS ?? DEFAULT_BROKERS;
  if (typeof raw !== 'string' && !Array.isArray(raw)) {
    throw new EsmConfigError([`custom.${PLUGIN_KEY}.brokers: must be a list or a comma-separated string of host:port`]);
  }
  const list = (Array.isArray(raw) ? raw : raw.split(',')).map((b) => String(b).trim()).filter((b) => b !== '');
  if (list.length === 0) throw new EsmConfigError([`custom.${PLUGIN_KEY}.brokers: no broker address given`]);
  const initialMs = positiveInt(own.retryBackoffMs, 'retryBackoffMs');
  const maxMs = positiveInt(own.maxRetryBackoffMs, 'maxRetryBackoffMs');
  return {
    brokers: list,
    pollers: positiveInt(own.pollers, 'pollers'),
    shutdownGraceMs: positiveInt(own.shutdownGraceMs, 'shutdownGraceMs') ?? DEFAULT_SHUTDOWN_GRACE_MS,
    retryBackoff:
      initialMs === undefined && maxMs === undefined
        ? undefined
        : { initialMs: initialMs ?? 500, maxMs: Math.max(maxMs ?? 30_000, initialMs ?? 500) },
  };
}

/** The options serverless-offline's Lambda runtime gets: its defaults, custom.serverless-offline, then the CLI. */
export function offlineRuntimeOptions(custom: unknown, cliOptions: Obj): Record<string, unknown> {
  const fromYml = isObj(custom) && isObj(custom['serverless-offline']) ? custom['serverless-offline'] : {};
  return { ...OFFLINE_RUNTIME_DEFAULTS, ...fromYml, ...cliOptions };
}

/** The enabled Kafka mappings of the service; throws EsmConfigError listing every invalid setting. */
export function kafkaMappings(service: ServerlessLike['service']): EventSourceMapping[] {
  const parsed = parseEventSourceMappings({ functions: service.functions ?? {}, resources: service.resources });
  if (!parsed.ok) throw new EsmConfigError(parsed.errors);
  return parsed.value;
}

/** Invokes a function through serverless-offline's pool: an idle instance, or a new one while others are busy. */
export function offlineHandler(lambda: Pick<Lambda, 'get'>, functionKey: string): KafkaHandler {
  return (event) => {
    // get → setEvent → runHandler without an await in between: runHandler marks the instance busy synchronously,
    // so a concurrent partition never receives the same instance and never overwrites this event.
    const fn = lambda.get(functionKey);
    fn.setEvent(event);
    return fn.runHandler();
  };
}

function esmLogger(log: PluginLog): EsmLogger {
  return {
    info: (m) => log.info(m),
    warn: (m) => log.warning(m),
    error: (m) => log.error(m),
    debug: (m) => log.debug(m),
  };
}

const consoleLog: PluginLog = {
  notice: (m) => console.log(m),
  info: () => {},
  warning: (m) => console.warn(m),
  error: (m) => console.error(m),
  debug: () => {},
};

export class ServerlessOfflineKafka {
  readonly hooks: Record<string, () => Promise<void>>;
  private readonly log: PluginLog;
  private lambda: Lambda | undefined;
  private runner: EventSourceRunner | undefined;
  private shutdownGraceMs = DEFAULT_SHUTDOWN_GRACE_MS;
  /** Whether this process runs the handlers from a bundle an earlier one built (prebuilt.ts). */
  private bundleReused = false;

  constructor(
    private readonly serverless: ServerlessLike,
    private readonly cliOptions: Obj = {},
    utils?: { log?: PluginLog },
  ) {
    this.log = utils?.log ?? consoleLog;
    this.hooks = {
      // Before serverless-esbuild's offline hooks (they build): a complete bundle from an earlier start is used.
      initialize: () => {
        const dir = this.bundleDir();
        if (dir !== undefined && useBundle(this.serverless.service, dir)) {
          this.bundleReused = true;
          this.log.notice(`[${PLUGIN_KEY}] the handlers from the bundle in ${dir} (not built again)`);
        }
        return Promise.resolve();
      },
      // After serverless-esbuild's (this plugin is listed after it): the bundles it built, kept for later starts.
      'before:offline:start:init': () => {
        const dir = this.bundleDir();
        if (dir !== undefined && !this.bundleReused) {
          const root = this.serverless.config?.serviceDir ?? process.cwd();
          const { custom } = this.serverless.service;
          const offline = isObj(custom) && isObj(custom['serverless-offline']) ? custom['serverless-offline'] : {};
          const built = typeof offline.location === 'string' ? offline.location : '.esbuild/.build';
          keepBundle(path.resolve(root, built), dir, root);
          this.log.notice(`[${PLUGIN_KEY}] the handlers' bundle kept in ${dir} for later starts`);
        }
        return Promise.resolve();
      },
      'before:offline:start': () => {
        // Plain `sls offline` runs start, wait and exit inside one hook: there is no point to stop the mappings
        // gracefully before serverless-offline exits the process.
        this.log.warning(`[${PLUGIN_KEY}] Kafka events run with \`sls offline start\` only, not \`sls offline\``);
        return Promise.resolve();
      },
      'offline:start:init': () => this.start(),
      'before:offline:start:end': () => this.stop(),
      // serverless-esbuild rebuilt the handlers: later invocations must load the new code.
      'offline:functionsUpdated:cleanup': async () => {
        await this.lambda?.cleanup();
      },
    };
  }

  private bundleDir(): string | undefined {
    const { custom } = this.serverless.service;
    const own = isObj(custom) && isObj(custom[PLUGIN_KEY]) ? custom[PLUGIN_KEY] : {};
    return handlersBundleDir(own.handlersBundle, this.serverless.config?.serviceDir ?? process.cwd());
  }

  async start(): Promise<void> {
    const { service } = this.serverless;
    const mappings = kafkaMappings(service);
    const enabled = mappings.filter((m) => m.enabled);
    if (enabled.length === 0) return;
    const settings = readSettings(service.custom, process.env);
    this.shutdownGraceMs = settings.shutdownGraceMs;

    const functionKeys = [...new Set(enabled.map((m) => m.functionName))];
    // serverless-offline is an ES module; this file is loaded as CommonJS by osls.
    const { default: OfflineLambda } = await import('serverless-offline/lambda');
    const lambda = new OfflineLambda(this.serverless, offlineRuntimeOptions(service.custom, this.cliOptions));
    lambda.create(
      functionKeys.map((functionKey) => ({ functionKey, functionDefinition: service.getFunction(functionKey) })),
    );
    this.lambda = lambda;

    const handlers: Record<string, KafkaHandler> = {};
    for (const key of functionKeys) handlers[key] = offlineHandler(lambda, key);
    try {
      this.runner = await startEventSourceRunner({
        brokers: settings.brokers,
        mappings: enabled,
        handlers,
        logger: esmLogger(this.log),
        clientId: 'serverless-offline-kafka',
        // A killed handlers' process gives its partitions up after this session, not KafkaJS's 30 s.
        ...config().localEventSources,
        ...(settings.pollers === undefined ? {} : { pollers: settings.pollers }),
        ...(settings.retryBackoff === undefined ? {} : { retryBackoff: settings.retryBackoff }),
      });
    } catch (error) {
      await lambda.cleanup();
      this.lambda = undefined;
      const why = error instanceof Error ? error.message : String(error);
      throw new Error(
        `[${PLUGIN_KEY}] could not start the Kafka event sources on ${settings.brokers.join(',')}: ${why} ` +
          '(is the broker running and are the topics created? `npm start` does both)',
        { cause: error },
      );
    }
    for (const m of enabled) {
      this.log.notice(
        `[${PLUGIN_KEY}] ${m.functionName} <- ${m.topic} (batch ${m.batchSize}, window ${m.maximumBatchingWindowMs} ms, group ${m.consumerGroupId})`,
      );
    }
    for (const m of mappings.filter((x) => !x.enabled)) {
      this.log.notice(`[${PLUGIN_KEY}] ${m.functionName} <- ${m.topic}: disabled`);
    }
    this.log.notice(
      `[${PLUGIN_KEY}] polling ${enabled.length} Kafka event source mapping(s) on ${settings.brokers.join(',')}`,
    );
  }

  /**
   * On Ctrl-C or SIGTERM: stops polling, gives in-flight batches `shutdownGraceMs` to finish and be committed,
   * abandons the rest with their offsets uncommitted (the next start delivers them again), leaves the groups, then
   * ends the function workers, and with them their database pools and producers. serverless-offline exits 0 after.
   */
  async stop(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (runner !== undefined) {
      this.log.notice(`[${PLUGIN_KEY}] stopping: in-flight batches get ${this.shutdownGraceMs} ms to finish`);
      await runner.stop({ graceMs: this.shutdownGraceMs });
      this.log.notice(`[${PLUGIN_KEY}] stopped: offsets committed, consumer groups left`);
    }
    await this.lambda?.cleanup();
    this.lambda = undefined;
  }
}
