/**
 * The platform's tracer: Powertools' (AWS X-Ray). Every Kafka-triggered function creates it (`getTracer`, through
 * kafkaFunction) and has `captureLambdaHandler` in its middy chain; inside, each step gets a subsegment: the stage's
 * handler (`traced`, once per run: a batch the failure policy splits shows each part), every PostgreSQL round trip
 * (`postgres`, from lib/observability/db-time.ts, with the SQL text and no values) and every Kafka publish
 * (`kafka.publish`, lib/kafka/producer.ts, annotated with its topics and message count).
 *
 * Quiet locally: Powertools traces only in a Lambda execution environment (not under `sls invoke local`, SAM or
 * plain Node), and TRACING_ENABLED=false turns it off there too. Code that never built the tracer (scripts, the
 * CLI, tests) never traces and never reads the configuration for it.
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type * as Powertools from '@aws-lambda-powertools/tracer';

import { config } from '../config';

let containerTracer: Tracer | undefined;

/** This container's tracer, created on first use from the configuration. */
export function getTracer(): Tracer {
  containerTracer ??= (() => {
    const settings = config();
    // Required here, not imported at the top: Powertools loads the X-Ray SDK, whose automatic mode enables an
    // async hook (cls-hooked) on every promise of the process once loaded. lib/db/pool.ts reaches this module
    // (db-time.ts), so a process that never builds a tracer (the daily report, scripts, the CLI) paid for it too.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Tracer } = require('@aws-lambda-powertools/tracer') as typeof Powertools;
    return new Tracer({ serviceName: `posttrade-${settings.stage}`, enabled: settings.tracingEnabled });
  })();
  return containerTracer;
}

/** For tests: the tracer `traced` and `startSubsegment` use (undefined: none, as outside a function). */
export function useTracer(tracer: Tracer | undefined): void {
  containerTracer = tracer;
}

function activeTracer(): Tracer | undefined {
  return containerTracer?.isTracingEnabled() === true ? containerTracer : undefined;
}

/** An open subsegment: `end` closes it, recording the error it ended with, if any. */
export interface OpenSubsegment {
  annotate(key: string, value: string | number | boolean): void;
  sql(query: string): void;
  end(error?: unknown): void;
}

/**
 * A subsegment of the current segment for a call that does not need a context of its own (a query, a publish), or
 * undefined when nothing is being traced.
 */
export function startSubsegment(name: string): OpenSubsegment | undefined {
  const parent = activeTracer()?.getSegment();
  if (parent === undefined) return undefined;
  const subsegment = parent.addNewSubsegment(name);
  return {
    annotate: (key, value) => subsegment.addAnnotation(key, value),
    sql: (query) => subsegment.addSqlData({ database_type: 'PostgreSQL', sanitized_query: query.slice(0, 1000) }),
    end: (error) => {
      if (error instanceof Error) subsegment.addError(error);
      subsegment.close();
    },
  };
}

/** Runs `work` in a subsegment named `name`, the current one for what it calls; just runs it when not tracing. */
export async function traced<R>(name: string, work: () => Promise<R>): Promise<R> {
  const tracer = activeTracer();
  if (tracer === undefined || tracer.getSegment() === undefined) return work();
  return (await tracer.provider.captureAsyncFunc(name, async (subsegment) => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof Error) subsegment?.addError(error);
      throw error;
    } finally {
      subsegment?.close();
    }
  })) as R;
}
