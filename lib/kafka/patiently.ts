/**
 * For the simulators' own reads of the broker (end offsets while waiting for the pipeline): on a starved machine one
 * request can time out while the broker is fine, and a demo that dies of it says nothing about the platform. So a
 * read is tried again while it fails, until its failures have lasted `forMs`; then the last error is thrown.
 * Not for the platform's handlers: their failures go to the failure policy (lib/lambda/kafka-failures.ts).
 */
export interface PatienceOptions {
  /** How long consecutive failures may last before the last one is thrown. */
  readonly forMs: number;
  /** Pause between attempts (default 500 ms). */
  readonly pauseMs?: number;
  /** Told of each failure that is tried again. */
  readonly onRetry?: (error: unknown) => void;
  readonly now?: () => number;
}

export async function patiently<T>(read: () => Promise<T>, options: PatienceOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const started = now();
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (now() - started >= options.forMs) throw error;
      options.onRetry?.(error);
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 500));
    }
  }
}
