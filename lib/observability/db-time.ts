/**
 * Database time per batch, and a trace subsegment per round trip (tracer.ts): how long a batch's PostgreSQL round trips took, summed, for the `DatabaseTime` metric
 * (metrics.ts). Every client of a pool made by `createPool` is instrumented once, when it connects
 * (`instrumentClient`); a query issued while a batch runs inside `measureDatabaseTime` adds its duration to that
 * batch's timer, found through AsyncLocalStorage, so no store or handler has to pass a timer along. Outside a
 * measured batch (scripts, the API) the wrapper only forwards.
 *
 * A query that waits for a connection (`pool.query` with every client checked out) is issued by pg-pool when another
 * caller releases one, in that caller's async context: `instrumentPool` binds the pool's connect callbacks to the
 * context they were asked in, so such a query counts towards the batch that issued it, not the one that freed the
 * connection (or none).
 *
 * Queries that overlap (two clients at once) are each counted in full: the figure is time spent waiting on the
 * database, which can exceed the batch's wall time. A COPY (a stream handed to `query`) counts until the stream ends.
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

import { startSubsegment } from './tracer';

/** What one measured batch spent on the database. */
export interface DatabaseTimer {
  /** Sum of the round trips' durations, in milliseconds. */
  ms: number;
  queries: number;
}

const current = new AsyncLocalStorage<DatabaseTimer>();

/** Runs `work` with a fresh timer and returns its result and what it spent on the database, even when it throws. */
export async function measureDatabaseTime<R>(
  work: () => Promise<R>,
  timer: DatabaseTimer = { ms: 0, queries: 0 },
): Promise<R> {
  return current.run(timer, work);
}

/** The SQL of a query's first argument (text, or a query config's `text`), to name its trace subsegment. */
function sqlText(first: unknown): string | undefined {
  if (typeof first === 'string') return first;
  const text = typeof first === 'object' && first !== null ? (first as { text?: unknown }).text : undefined;
  return typeof text === 'string' ? text : undefined;
}

const INSTRUMENTED = Symbol('posttrade.databaseTime');

type Query = (...args: unknown[]) => unknown;

interface Stream {
  once(event: string, listener: () => void): unknown;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function isStream(value: unknown): value is Stream {
  return typeof value === 'object' && value !== null && typeof (value as { once?: unknown }).once === 'function';
}

/** Wraps `client.query` so that a query issued inside a measured batch adds its duration to the batch's timer. */
export function instrumentClient(client: object): void {
  const target = client as { query: Query; [INSTRUMENTED]?: true };
  if (target[INSTRUMENTED] === true) return;
  target[INSTRUMENTED] = true;
  const query: Query = target.query.bind(client);
  target.query = (...args: unknown[]): unknown => {
    const timer = current.getStore();
    const subsegment = startSubsegment('postgres');
    if (timer === undefined && subsegment === undefined) return query(...args);
    const text = sqlText(args[0]);
    if (text !== undefined) subsegment?.sql(text);
    const started = performance.now();
    let counted = false;
    const count = (error?: unknown): void => {
      if (counted) return;
      counted = true;
      subsegment?.end(error);
      if (timer === undefined) return;
      timer.ms += performance.now() - started;
      timer.queries += 1;
    };
    // `pool.query` calls its client's query with a callback: counted when the callback is called.
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      const callback = last as (...results: unknown[]) => unknown;
      args[args.length - 1] = (...results: unknown[]): unknown => {
        count(results[0]);
        return callback(...results);
      };
    }
    const result = query(...args);
    if (isThenable(result)) {
      result.then(() => count(), count);
    } else if (isStream(result)) {
      for (const end of ['end', 'finish']) result.once(end, () => count());
      result.once('error', count);
    }
    return result;
  };
}

/**
 * Binds the callbacks of `pool.connect` (pg-pool's own, under `pool.query`, and a caller's) to the async context of
 * the call, so that a query issued once a connection is handed over is measured for whoever asked (see module TSDoc).
 * The promise form needs nothing: an `await` resumes in its own context.
 */
export function instrumentPool(pool: object): void {
  const target = pool as { connect: (callback?: (...results: unknown[]) => unknown) => unknown };
  const connect = target.connect.bind(pool);
  target.connect = (callback) => (callback === undefined ? connect() : connect(AsyncResource.bind(callback)));
}
