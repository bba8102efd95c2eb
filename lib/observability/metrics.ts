/**
 * The platform's metrics, in CloudWatch's embedded metric format (Powertools metrics): one EMF document per batch on
 * stdout, which CloudWatch Logs turns into metrics in the cloud and which stays in the logs locally. The names live
 * here only, so that whatever reads them (dashboards, alarms, `posttrade status`) has one list.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import { config } from '../config';
import { consumedRecords, type KafkaEvent } from '../kafka/decode';
import { isIsolated } from '../lambda/kafka-failures';
import { capturedAtOf } from './correlation';
import { measureDatabaseTime, type DatabaseTimer } from './db-time';

export const METRICS_NAMESPACE = 'posttrade';

/** Every metric a handler emits, with its unit. */
export const MetricName = {
  /** Records in the batch the handler was given. */
  RECORDS_IN: 'RecordsIn',
  BATCH_SIZE: 'BatchSize',
  BATCH_DURATION: 'BatchDuration',
  /** Versions booked, trades rejected, records dead-lettered by this batch (from the stage's summary). */
  BOOKED: 'Booked',
  REJECTED: 'Rejected',
  DEAD_LETTERED: 'DeadLettered',
  /** From capture (the `captured-at` header) to the end of this stage's batch, the batch's slowest record. */
  END_TO_END_LATENCY: 'EndToEndLatency',
  /** Trades a rule rejected in this batch, one document per rule with the dimension `rule` (a trade may fail two). */
  REJECTED_BY_RULE: 'RejectedByRule',
  /** The batch's PostgreSQL round trips, summed (lib/observability/db-time.ts). */
  DATABASE_TIME: 'DatabaseTime',
  /** How many round trips that was. */
  DATABASE_QUERIES: 'DatabaseQueries',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export const METRIC_UNITS: Readonly<Record<MetricName, Unit>> = {
  RecordsIn: MetricUnit.Count,
  BatchSize: MetricUnit.Count,
  BatchDuration: MetricUnit.Milliseconds,
  Booked: MetricUnit.Count,
  Rejected: MetricUnit.Count,
  DeadLettered: MetricUnit.Count,
  EndToEndLatency: MetricUnit.Milliseconds,
  RejectedByRule: MetricUnit.Count,
  DatabaseTime: MetricUnit.Milliseconds,
  DatabaseQueries: MetricUnit.Count,
};

/** The dimension that tells the stages apart (the function's name in serverless.yml). */
export const STAGE_DIMENSION = 'stage';
/** The dimension of RejectedByRule: the rule's code (ValidationCode, DUPLICATE_EXEC_ID, WASH_TRADE, …). */
export const RULE_DIMENSION = 'rule';

/** How many trades each rule rejected, from each rejected trade's reasons (a rule counted once per trade). */
export function countByRule(rejections: readonly (readonly { readonly code: string }[])[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reasons of rejections) {
    for (const code of new Set(reasons.map((reason) => reason.code))) counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

let containerMetrics: Metrics | undefined;

export function getMetrics(): Metrics {
  containerMetrics ??= new Metrics({ namespace: METRICS_NAMESPACE, serviceName: `posttrade-${config().stage}` });
  return containerMetrics;
}

/** The counts a stage's summary reports under the names the metrics use (a field that is not a number counts 0). */
function countsOf(result: unknown): {
  booked: number;
  rejected: number;
  deadLettered: number;
  rejectedByRule: Record<string, number>;
} {
  const parts = isIsolated(result) ? result : undefined;
  const summaries: readonly unknown[] = parts === undefined ? [result] : parts.results;
  const field = (name: string): number =>
    summaries.reduce<number>((sum, summary) => {
      const value = typeof summary === 'object' && summary !== null ? (summary as Record<string, unknown>)[name] : 0;
      return sum + (typeof value === 'number' ? value : 0);
    }, 0);
  const rejectedByRule: Record<string, number> = {};
  for (const summary of summaries) {
    const byRule =
      typeof summary === 'object' && summary !== null ? (summary as Record<string, unknown>).rejectedByRule : undefined;
    if (typeof byRule !== 'object' || byRule === null) continue;
    for (const [rule, count] of Object.entries(byRule)) {
      if (typeof count === 'number') rejectedByRule[rule] = (rejectedByRule[rule] ?? 0) + count;
    }
  }
  return {
    booked: field('booked'),
    rejected: field('rejected'),
    deadLettered: field('deadLettered') + (parts?.deadLettered.filter((poison) => poison.firstRecorded).length ?? 0),
    rejectedByRule,
  };
}

/**
 * Wraps a Kafka batch handler so that each batch, succeeded or failed, emits one EMF document: records in, batch
 * size and duration, what the batch booked, rejected and dead-lettered, and the end-to-end latency from capture.
 */
export function withBatchMetrics<R>(
  stage: string,
  handler: (event: KafkaEvent) => Promise<R>,
  options: { readonly metrics?: () => Metrics; readonly now?: () => number } = {},
): (event: KafkaEvent) => Promise<R> {
  const now = options.now ?? Date.now;
  return async (event) => {
    const metrics = (options.metrics ?? getMetrics)();
    const started = now();
    const records = consumedRecords(event);
    const database: DatabaseTimer = { ms: 0, queries: 0 };
    try {
      const result = await measureDatabaseTime(() => handler(event), database);
      const counts = countsOf(result);
      metrics.addMetric(MetricName.BOOKED, METRIC_UNITS.Booked, counts.booked);
      metrics.addMetric(MetricName.REJECTED, METRIC_UNITS.Rejected, counts.rejected);
      metrics.addMetric(MetricName.DEAD_LETTERED, METRIC_UNITS.DeadLettered, counts.deadLettered);
      // One document per rule: the rule is a dimension, which the batch's shared document cannot vary.
      for (const [rule, count] of Object.entries(counts.rejectedByRule)) {
        const single = metrics.singleMetric();
        single.addDimension(STAGE_DIMENSION, stage);
        single.addDimension(RULE_DIMENSION, rule);
        single.addMetric(MetricName.REJECTED_BY_RULE, METRIC_UNITS.RejectedByRule, count);
      }
      return result;
    } finally {
      const ended = now();
      metrics.addDimension(STAGE_DIMENSION, stage);
      metrics.addMetric(MetricName.RECORDS_IN, METRIC_UNITS.RecordsIn, records.length);
      metrics.addMetric(MetricName.BATCH_SIZE, METRIC_UNITS.BatchSize, records.length);
      metrics.addMetric(MetricName.BATCH_DURATION, METRIC_UNITS.BatchDuration, ended - started);
      metrics.addMetric(MetricName.DATABASE_TIME, METRIC_UNITS.DatabaseTime, Math.round(database.ms * 1000) / 1000);
      metrics.addMetric(MetricName.DATABASE_QUERIES, METRIC_UNITS.DatabaseQueries, database.queries);
      const captured = records.flatMap((record) => {
        const at = capturedAtOf(record);
        return at === undefined ? [] : [at];
      });
      if (captured.length > 0) {
        metrics.addMetric(
          MetricName.END_TO_END_LATENCY,
          METRIC_UNITS.EndToEndLatency,
          Math.max(0, ended - Math.min(...captured)),
        );
      }
      metrics.publishStoredMetrics();
    }
  };
}
