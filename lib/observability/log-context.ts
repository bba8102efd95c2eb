/**
 * The correlation ids of a Kafka batch on every log line written while it runs: one id as Powertools' own
 * `correlation_id` (`setCorrelationId`) when the whole batch is about one trade or statement, else the ids as
 * `correlation_ids` (the first {@link MAX_LISTED_IDS}, with `correlation_id_count` saying how many there were), so
 * that a search for an id finds the lines of every batch that carried it. A line about one record (a dead letter)
 * sets its own `correlation_id`, which wins over the batch's. The keys are removed when the batch ends, so that the
 * next invocation of the container starts clean.
 */
import type { Logger } from '@aws-lambda-powertools/logger';

import { consumedRecords, type KafkaEvent } from '../kafka/decode';
import { Topics } from '../kafka/topics';
import { traceContextOf } from './correlation';
import { getLogger } from './logger';

/** How many of a batch's ids a line lists; a batch holds up to 10,000 records, a log line should not. */
export const MAX_LISTED_IDS = 20;

/** The log keys this module sets. */
export const LogKey = {
  CORRELATION_ID: 'correlation_id',
  CORRELATION_IDS: 'correlation_ids',
  CORRELATION_ID_COUNT: 'correlation_id_count',
} as const;

/** Topics whose records are the capture of what they carry: without a header, their coordinates name them. */
const CAPTURE_TOPICS: ReadonlySet<string> = new Set([Topics.TRADES_CAPTURED, Topics.CUSTODY_STATEMENTS]);

/** The distinct correlation ids of the batch's records, in delivery order (none for what is not a Kafka event). */
export function batchCorrelationIds(event: KafkaEvent): string[] {
  let records;
  try {
    records = consumedRecords(event);
  } catch {
    return []; // not a Kafka event: the failure policy reports it
  }
  const ids = new Set<string>();
  for (const record of records) {
    const context = traceContextOf(record, { isCapture: CAPTURE_TOPICS.has(record.source.topic) });
    if (context !== undefined) ids.add(context.correlationId);
  }
  return [...ids];
}

/** Wraps a Kafka batch handler so that the batch's correlation ids are on every line logged while it runs. */
export function withBatchLogContext<R>(
  handler: (event: KafkaEvent) => Promise<R>,
  options: { readonly logger?: () => Logger } = {},
): (event: KafkaEvent) => Promise<R> {
  return async (event) => {
    const logger = (options.logger ?? getLogger)();
    const ids = batchCorrelationIds(event);
    const [only] = ids;
    if (ids.length === 1 && only !== undefined) logger.setCorrelationId(only);
    else if (ids.length > 1) {
      logger.appendKeys({
        [LogKey.CORRELATION_IDS]: ids.slice(0, MAX_LISTED_IDS),
        [LogKey.CORRELATION_ID_COUNT]: ids.length,
      });
    }
    try {
      return await handler(event);
    } finally {
      logger.removeKeys(Object.values(LogKey));
    }
  };
}
