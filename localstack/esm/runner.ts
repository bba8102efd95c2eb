/**
 * The in-process event source runner for tests and benchmarks: Lambda's Kafka ESM in front of plain handler
 * functions, called directly with a Lambda-like context. The serverless-offline adapter builds on the same engine.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { Kafka, logLevel, type LogEntry, type Producer } from 'kafkajs';
import type { EventSourceMapping } from './config';
import type { InvocationOutcome } from './delivery';
import { MappingPoller, silentLogger, type EsmLogger } from './engine';
import { EsmConfigError } from './errors';
import type { KafkaLambdaEvent } from './event';

export type KafkaHandler = (event: KafkaLambdaEvent, context: Context) => Promise<unknown>;

export interface EventSourceRunnerOptions {
  /** Broker addresses, as a list or "host:port,host:port". */
  readonly brokers: readonly string[] | string;
  readonly mappings: readonly EventSourceMapping[];
  readonly handlers: Readonly<Record<string, KafkaHandler>>;
  readonly logger?: EsmLogger;
  /** Concurrent invocations per mapping when it sets no MaximumPollers (default 8). */
  readonly pollers?: number;
  /** Backoff between retries of a failed batch (default 500 ms doubling to 30 s). */
  readonly retryBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Function timeout reported by context.getRemainingTimeInMillis (default 14 min, Lambda's Kafka maximum). */
  readonly timeoutMs?: number;
  readonly maxWaitTimeInMs?: number;
  /** Consumer group session and heartbeat (defaults 30 s and 1 s, KafkaJS's; the local stack sets lib/config's). */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly clientId?: string;
}

export interface EventSourceRunner {
  /**
   * Stops polling, gives in-flight batches `graceMs` (default: as long as they take) to finish and be committed,
   * abandons the rest uncommitted (delivered again by the next start), leaves the groups.
   */
  stop(options?: { readonly graceMs?: number }): Promise<void>;
  /** Resolves when every record present in the mapped topics at call time has been processed. */
  idle(): Promise<void>;
}

function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const never = (): never => {
    throw new Error('callback-style completion is not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: never,
    fail: never,
    succeed: never,
  };
}

function kafkaLogCreator(logger: EsmLogger) {
  return () =>
    ({ level, log }: LogEntry): void => {
      const msg = `[kafkajs] ${log.message}`;
      if (level === logLevel.ERROR) logger.error(msg);
      else if (level === logLevel.WARN) logger.warn(msg);
    };
}

/**
 * Starts one consumer group per enabled mapping and invokes `handlers[mapping.functionName]` with Lambda's Kafka
 * events. Throws EsmConfigError when a mapping's function has no handler.
 */
export async function startEventSourceRunner(options: EventSourceRunnerOptions): Promise<EventSourceRunner> {
  const logger = options.logger ?? silentLogger;
  const brokers = typeof options.brokers === 'string' ? options.brokers.split(',') : [...options.brokers];
  const enabled = options.mappings.filter((m) => m.enabled);
  const missing = enabled.filter((m) => options.handlers[m.functionName] === undefined);
  if (missing.length > 0) {
    throw new EsmConfigError(missing.map((m) => `functions.${m.functionName}: no handler given to the runner`));
  }
  const timeoutMs = options.timeoutMs ?? 14 * 60 * 1000;
  const kafka = new Kafka({
    clientId: options.clientId ?? 'local-esm',
    brokers,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  });

  let producer: Promise<Producer> | undefined;
  const destinationProducer = (): Promise<Producer> => {
    producer ??= (async () => {
      const p = kafka.producer({ allowAutoTopicCreation: false });
      await p.connect();
      return p;
    })();
    return producer;
  };

  const pollers = enabled.map((mapping) => {
    const handler = options.handlers[mapping.functionName];
    const invoke = async (event: KafkaLambdaEvent): Promise<InvocationOutcome> => {
      if (handler === undefined) return { ok: false, error: new Error(`no handler for ${mapping.functionName}`) };
      try {
        return { ok: true, response: await handler(event, lambdaContext(mapping.functionName, timeoutMs)) };
      } catch (error) {
        return { ok: false, error };
      }
    };
    return new MappingPoller({
      kafka,
      mapping,
      bootstrapServers: brokers.join(','),
      invoke,
      destinationProducer,
      logger,
      pollers: mapping.maximumPollers ?? options.pollers ?? 8,
      backoff: options.retryBackoff ?? { initialMs: 500, maxMs: 30_000 },
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 500,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
    });
  });

  const stopAll = async (stopOptions: { readonly graceMs?: number } = {}): Promise<void> => {
    await Promise.all(pollers.map((p) => p.stop(stopOptions)));
    if (producer) await (await producer).disconnect();
  };
  try {
    await Promise.all(pollers.map((p) => p.start()));
  } catch (e) {
    await stopAll().catch(() => {});
    throw e;
  }
  return {
    stop: stopAll,
    idle: async () => {
      await Promise.all(pollers.map((p) => p.idle()));
    },
  };
}
