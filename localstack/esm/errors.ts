/** Base error of the event-source-mapping emulator; `retriable` says whether trying again can help. */
export class EsmError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'EsmError';
    this.retriable = options.retriable ?? false;
  }
}

/** The serverless.yml events or extensions describe a mapping Lambda would refuse to create. */
export class EsmConfigError extends EsmError {
  readonly errors: readonly string[];
  constructor(errors: readonly string[]) {
    super(`invalid Kafka event source mapping configuration:\n  - ${errors.join('\n  - ')}`);
    this.name = 'EsmConfigError';
    this.errors = errors;
  }
}

/**
 * One record alone is larger than Lambda's synchronous payload limit: Lambda cannot invoke the function with it,
 * so the engine treats the attempt as a failed invocation (retries, then the on-failure destination).
 */
export class PayloadTooLargeError extends EsmError {
  constructor(bytes: number, limit: number) {
    super(`invocation payload of ${bytes} bytes exceeds the ${limit}-byte limit`);
    this.name = 'PayloadTooLargeError';
  }
}

/** The function returned a partial batch response Lambda reads as a failure of the whole batch. */
export class InvalidBatchItemFailuresError extends EsmError {
  constructor(detail: string) {
    super(`invalid batchItemFailures response: ${detail}`, { retriable: true });
    this.name = 'InvalidBatchItemFailuresError';
  }
}

/** Reads a human message from anything thrown. */
export function describeError(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: 'Error', message: typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error)) };
}
