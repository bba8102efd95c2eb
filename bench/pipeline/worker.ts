/**
 * The handler process of the pipeline benchmark: every Kafka-triggered function of serverless.yml behind the
 * in-process event-source runner, with serverless.yml's batch sizes, windows and pollers (or the overrides the
 * benchmark asks for), each function on its own pool as a container would be. Started by bench/pipeline.ts with
 * `fork`; it measures itself (time in each stage, summaries, latency samples, peak RSS) and reports over IPC, so
 * that the figures of this process are not mixed with the generator's or the publisher's.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import type { Pool } from 'pg';

import { PgDeadLetterStore } from '../../lib/db/dead-letter-store';
import { createPool } from '../../lib/db/pool';
import type { KafkaEvent } from '../../lib/kafka/decode';
import { createKafkaProducer, KafkaPublisher } from '../../lib/kafka/producer';
import { persistHandler, validateHandler } from '../../lib/pipeline/handlers';
import { publishPositionChanges } from '../../lib/positions/change-outbox';
import { positionsFromBookedTrades } from '../../lib/positions/on-booked-trades';
import { PgPositionStore } from '../../lib/positions/store';
import { reconcileHandler } from '../../lib/recon/handlers';
import { riskPositionsHandler } from '../../lib/risk/handlers';
import { settlementStatusHandler, settleTradesHandler } from '../../lib/settlement/handlers';
import {
  parseEventSourceMappings,
  startEventSourceRunner,
  type EventSourceMapping,
  type EventSourceRunner,
  type KafkaHandler,
} from '../../localstack/esm';
import { readServerlessYml } from '../../localstack/topics';
import type { StageStats, WorkerReport, WorkerRequest, WorkerStart } from './protocol';

const ROOT = path.resolve(__dirname, '..', '..');

/** Epoch milliseconds with sub-millisecond precision: comparable with the parent's clock on the same machine. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/**
 * serverless.yml as osls would resolve it for the local stage: `${param:x}` from params.default (numbers stay
 * numbers), `${sls:stage}` as `local`. Only whole-value references are resolved; the mappings need no more.
 */
function resolveLocalStage(config: unknown): unknown {
  const params = (config as { params?: { default?: Record<string, unknown> } }).params?.default ?? {};
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const whole = /^\$\{param:([A-Za-z0-9_]+)\}$/.exec(value);
      if (whole?.[1] !== undefined && params[whole[1]] !== undefined) return params[whole[1]];
      return value.replace(/\$\{sls:stage\}/g, 'local');
    }
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return walk(config);
}

/** The Kafka mappings of serverless.yml at the local stage, with the benchmark's overrides applied. */
export async function benchMappings(overrides: WorkerStart['overrides']): Promise<EventSourceMapping[]> {
  const config = resolveLocalStage(await readServerlessYml(path.join(ROOT, 'serverless.yml')));
  const parsed = parseEventSourceMappings(config);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.value.map((mapping) => ({
    ...mapping,
    startingPosition: 'TRIM_HORIZON',
    ...(overrides.batchSize === undefined ? {} : { batchSize: overrides.batchSize }),
    ...(overrides.pollers === undefined ? {} : { maximumPollers: overrides.pollers }),
  }));
}

const numericSums = (into: Record<string, number>, summary: unknown): void => {
  if (typeof summary !== 'object' || summary === null) return;
  for (const [key, value] of Object.entries(summary)) {
    if (typeof value === 'number') into[key] = (into[key] ?? 0) + value;
    else if (Array.isArray(value)) into[key] = (into[key] ?? 0) + value.length;
  }
};

function recordsOf(event: KafkaEvent): KafkaEvent['records'][string] {
  return Object.values(event.records).flat();
}

class Measured {
  readonly stages = new Map<string, StageStats>();
  /** Capture timestamp (the trades.captured record's) by ExecID, while latency is tracked. */
  readonly capturedAt = new Map<string, number>();
  readonly latencies: number[] = [];

  constructor(private readonly trackLatency: boolean) {}

  wrap(name: string, handler: KafkaHandler): KafkaHandler {
    const stats: StageStats = {
      invocations: 0,
      records: 0,
      busyMs: 0,
      firstStartMs: undefined,
      lastEndMs: undefined,
      summary: {},
    };
    this.stages.set(name, stats);
    return async (event, context) => {
      const records = recordsOf(event);
      if (this.trackLatency && name === 'validateTrades') {
        for (const record of records) {
          const execId = execIdOf(record.value, false);
          if (execId !== undefined) this.capturedAt.set(execId, record.timestamp);
        }
      }
      const start = epochMs();
      stats.firstStartMs ??= start;
      const result = await handler(event, context);
      const end = epochMs();
      stats.invocations += 1;
      stats.records += records.length;
      stats.busyMs += end - start;
      stats.lastEndMs = end;
      numericSums(stats.summary, result);
      if (this.trackLatency && name === 'positions') {
        for (const record of records) {
          const execId = execIdOf(record.value, true);
          const at = execId === undefined ? undefined : this.capturedAt.get(execId);
          if (at !== undefined) this.latencies.push(end - at);
        }
      }
      return result;
    };
  }

  /** Records handled so far by every stage together. */
  records(): number {
    return [...this.stages.values()].reduce((sum, stage) => sum + stage.records, 0);
  }

  invocations(): number {
    return [...this.stages.values()].reduce((sum, stage) => sum + stage.invocations, 0);
  }
}

/** The ExecID of a captured trade event (or of the trade inside a booked event), undefined when not decodable. */
function execIdOf(base64: string | null | undefined, booked: boolean): string | undefined {
  if (base64 === null || base64 === undefined) return undefined;
  try {
    const json = JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as {
      execId?: unknown;
      trade?: { execId?: unknown };
    };
    const execId = booked ? json.trade?.execId : json.execId;
    return typeof execId === 'string' ? execId : undefined;
  } catch {
    return undefined;
  }
}

async function start(
  request: WorkerStart,
): Promise<{ runner: EventSourceRunner; measured: Measured; pools: Pool[]; publisher: KafkaPublisher }> {
  const mappings = await benchMappings(request.overrides);
  const measured = new Measured(request.trackLatency);
  const pools: Pool[] = [];
  // One pool per function, sized for the invocations its mapping runs at once (a container holds two).
  const poolFor = (functionName: string): Pool => {
    const mapping = mappings.find((m) => m.functionName === functionName);
    const pool = createPool({
      url: request.databaseUrl,
      poolMax: 2 * Math.max(1, mapping?.maximumPollers ?? 1),
      applicationName: `bench-${functionName}`,
      statementTimeoutMs: 120_000,
    });
    pools.push(pool);
    return pool;
  };
  const publisher = new KafkaPublisher(createKafkaProducer({ brokers: request.brokers, clientId: 'bench-worker' }));
  const positionsPool = poolFor('positions');
  const positionsDeps = {
    store: new PgPositionStore(positionsPool),
    deadLetters: new PgDeadLetterStore(positionsPool),
    publisher,
    publishChanges: () => publishPositionChanges(positionsPool, publisher),
  };
  const handlers: Record<string, KafkaHandler> = {
    validateTrades: validateHandler({ pool: poolFor('validateTrades'), publisher }),
    persistTrades: persistHandler({ pool: poolFor('persistTrades'), publisher }),
    settleTrades: settleTradesHandler({ pool: poolFor('settleTrades'), publisher }),
    settlementStatus: settlementStatusHandler({ pool: poolFor('settlementStatus'), publisher }),
    reconcile: reconcileHandler({ pool: poolFor('reconcile'), publisher }),
    positions: (event) => positionsFromBookedTrades(event, positionsDeps),
    riskPositions: riskPositionsHandler({ pool: poolFor('riskPositions'), publisher }),
  };
  const known = new Set(Object.keys(handlers));
  const used = mappings.filter((m) => known.has(m.functionName));
  const runner = await startEventSourceRunner({
    brokers: request.brokers,
    mappings: used,
    handlers: Object.fromEntries(
      used.map((m) => [m.functionName, measured.wrap(m.functionName, handlers[m.functionName] as KafkaHandler)]),
    ),
    retryBackoff: { initialMs: 100, maxMs: 2_000 },
    clientId: 'bench-esm',
  });
  return { runner, measured, pools, publisher };
}

/** Waits until a whole pass of idle() sees no invocation: every hop downstream has drained too. */
async function drain(runner: EventSourceRunner, measured: Measured): Promise<void> {
  for (;;) {
    const before = measured.invocations();
    await runner.idle();
    if (measured.invocations() === before) return;
  }
}

function report(message: WorkerReport): void {
  process.send?.(message);
}

if (require.main === module) {
  let running: Awaited<ReturnType<typeof start>> | undefined;
  process.on('message', (message: WorkerRequest) => {
    void (async () => {
      try {
        if (message.type === 'start') {
          running = await start(message);
          report({ type: 'ready' });
        } else if (message.type === 'drain' && running !== undefined) {
          const measured = running.measured;
          const from = measured.records();
          const ticking = setInterval(() => report({ type: 'progress', records: measured.records() - from }), 500);
          try {
            await drain(running.runner, measured);
          } finally {
            clearInterval(ticking);
          }
          report({
            type: 'drained',
            stages: Object.fromEntries(running.measured.stages),
            latencies: running.measured.latencies,
            maxRssMb: process.resourceUsage().maxRSS / 1024,
          });
        } else if (message.type === 'stop') {
          if (running !== undefined) {
            await running.runner.stop();
            await running.publisher.disconnect();
            await Promise.all(running.pools.map((pool) => pool.end()));
          }
          report({ type: 'stopped', maxRssMb: process.resourceUsage().maxRSS / 1024 });
          process.disconnect();
        }
      } catch (error) {
        report({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
}
