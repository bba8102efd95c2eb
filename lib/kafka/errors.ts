/**
 * Errors of the Kafka layer. Each says whether retrying can help: a handler that throws a retriable error lets
 * Lambda's event source mapping redeliver the whole batch, which the pipeline's outboxes make safe.
 */
import { isNativeError } from 'node:util/types';

export class KafkaError extends Error {
  override readonly name: string = 'KafkaError';
  readonly retriable: boolean = false;
  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/** Publishing failed (broker unreachable, leader moved, timeout): the batch is retried and republishes. */
export class KafkaPublishError extends KafkaError {
  override readonly name: string = 'KafkaPublishError';
  override readonly retriable: boolean = true;
}

/** The event handed to a handler is not a Kafka event at all (wrong trigger wiring): retrying cannot help. */
export class KafkaEventShapeError extends KafkaError {
  override readonly name: string = 'KafkaEventShapeError';
}

/** The message of an unknown thrown value, for logs and dead-letter reasons. */
export function messageOf(error: unknown): string {
  if (isNativeError(error)) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
