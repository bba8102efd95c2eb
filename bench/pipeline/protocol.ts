/** Messages between bench/pipeline.ts and its handler process (bench/pipeline/worker.ts). */

export interface WorkerStart {
  readonly type: 'start';
  readonly brokers: string[];
  readonly databaseUrl: string;
  /** Replace serverless.yml's batch size / pollers of every mapping (the naive reference, the scaling curve). */
  readonly overrides: { readonly batchSize?: number; readonly pollers?: number };
  /** Keep capture timestamps and time each trade to its position update. */
  readonly trackLatency: boolean;
}

export type WorkerRequest = WorkerStart | { readonly type: 'drain' } | { readonly type: 'stop' };

/** One function's work in a run: invocations, records, time inside the handler, and its summaries summed. */
export interface StageStats {
  invocations: number;
  records: number;
  busyMs: number;
  firstStartMs: number | undefined;
  lastEndMs: number | undefined;
  /** Every numeric field of the handler's summaries, summed (lists by their length). */
  summary: Record<string, number>;
}

export type WorkerReport =
  | { readonly type: 'ready' }
  /** Sent while draining, twice a second: records every stage together has handled in this drain so far (for progress only). */
  | { readonly type: 'progress'; readonly records: number }
  | {
      readonly type: 'drained';
      readonly stages: Record<string, StageStats>;
      /** Capture → position update, ms, one per trade version that reached positions (when tracked). */
      readonly latencies: number[];
      readonly maxRssMb: number;
    }
  | { readonly type: 'stopped'; readonly maxRssMb: number }
  | { readonly type: 'error'; readonly message: string };
