/**
 * The tracer as close to AWS as a machine without an account gets: a real function (validateTrades, bundled by
 * esbuild as serverless-esbuild bundles it) run in a fresh Node process with the environment Lambda gives one with
 * active tracing — AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, _HANDLER, _X_AMZN_TRACE_ID and
 * AWS_XRAY_DAEMON_ADDRESS (and AWS_LAMBDA_INITIALIZATION_TYPE, so that the first run is a cold start) — on the real
 * PostgreSQL and broker. The X-Ray SDK then streams each closed subsegment as one UDP datagram
 * (`{"format":"json","version":1}` + newline + the document) to the daemon's address, where this test listens in its
 * place: the subsegments must be the handler's, the stage's, one per PostgreSQL round trip and one per Kafka publish,
 * nested as lib/observability/tracer.ts says, under the trace id Lambda handed over, and no datagram may carry a value
 * of the trade (SQL text only, never its parameters).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { build } from 'esbuild';

import type { KafkaEvent } from '../../../lib/kafka/decode';
import { Topics } from '../../../lib/kafka/topics';
import { loadReferenceData } from '../../../lib/refdata/load';
import { loadEvent } from '../../helpers/events';
import { seedTrade } from '../../helpers/trades';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, REPO_ROOT, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(REPO_ROOT, 'migrations', 'seed');
const HANDLER = 'functions/validate-trades.handler';
const TRACE_ROOT = '1-67a1b2c3-0123456789abcdef01234567';
const LAMBDA_PARENT = '53995c3f42cd8ad8';

/** One X-Ray document as the SDK sends it (a subsegment streamed on its own). */
interface XRayDocument {
  readonly name: string;
  readonly id: string;
  readonly trace_id?: string;
  readonly parent_id?: string;
  readonly type?: string;
  readonly annotations?: Record<string, unknown>;
  readonly sql?: { readonly sanitized_query?: string; readonly database_type?: string };
  readonly subsegments?: readonly XRayDocument[];
}

/** The daemon's side: every datagram received, raw, and parsed after the protocol header. */
class FakeDaemon {
  readonly raw: string[] = [];
  readonly documents: XRayDocument[] = [];
  private readonly socket = dgram.createSocket('udp4');
  private waiters: { readonly test: () => boolean; readonly resolve: () => void }[] = [];

  async start(): Promise<string> {
    this.socket.on('message', (message) => {
      const text = message.toString('utf8');
      this.raw.push(text);
      const newline = text.indexOf('\n');
      if (text.slice(0, newline) === '{"format":"json","version":1}') {
        this.documents.push(JSON.parse(text.slice(newline + 1)) as XRayDocument);
      }
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.test()) return true;
        waiter.resolve();
        return false;
      });
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${this.socket.address().port}`;
  }

  /** Resolves once a received document satisfies `test`. */
  until(test: (document: XRayDocument) => boolean): Promise<void> {
    const found = (): boolean => this.documents.some(test);
    if (found()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test: found, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** Every document and its nested subsegments (an SDK may send a parent with its children inline). */
function flatten(documents: readonly XRayDocument[], parent?: string): (XRayDocument & { parent?: string })[] {
  return documents.flatMap((document) => [
    { ...document, parent: document.parent_id ?? parent },
    ...flatten(document.subsegments ?? [], document.id),
  ]);
}

/** A trades.captured batch of one trade (the sample event's envelope). */
function capturedBatch(trade: object): KafkaEvent {
  const sample = loadEvent<KafkaEvent>('trades-captured');
  const [first] = Object.values(sample.records)[0] ?? [];
  if (first === undefined) throw new Error('trades-captured has no record');
  const record = { ...first, offset: 0, value: Buffer.from(JSON.stringify(trade)).toString('base64'), headers: [] };
  return { ...sample, records: { [`${Topics.TRADES_CAPTURED}-0`]: [record] } };
}

describe('the tracer in a Lambda-like process, against a UDP X-Ray daemon', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let dir: string;
  let bundle: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
    broker = await startTestBroker();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xray-daemon-'));
    bundle = path.join(dir, 'validate-trades.js');
    // As serverless-esbuild builds the function: its handler and what it imports, packages from node_modules.
    await build({
      entryPoints: [path.join(REPO_ROOT, 'functions', 'validate-trades.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      packages: 'external',
      outfile: bundle,
      logLevel: 'silent',
    });
  });
  afterAll(async () => {
    await broker.destroy();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('streams the handler, stage, postgres and kafka.publish subsegments under Lambda’s trace, without a value', async () => {
    // Arrange: a trade whose identifiers are in every query's parameters, and the daemon's socket
    const trade = seedTrade({ execId: 'XRAY-EXEC-7F3A9C', tradeId: 'XRAY-TRADE-7F3A9C' });
    const eventFile = path.join(dir, 'event.json');
    fs.writeFileSync(eventFile, JSON.stringify(capturedBatch(trade)));
    const daemon = new FakeDaemon();
    const address = await daemon.start();
    const runner = [
      `const { handler } = require(${JSON.stringify(bundle)});`,
      `const event = JSON.parse(require('node:fs').readFileSync(${JSON.stringify(eventFile)}, 'utf8'));`,
      `const context = { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST',`,
      `  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,`,
      `  memoryLimitInMB: '1024', awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',`,
      `  getRemainingTimeInMillis: () => 60000 };`,
      `handler(event, context).then((result) => process.stdout.write('invoked ' + JSON.stringify(result) + '\\n'),`,
      `  (error) => { console.error(error); process.exit(1); });`,
    ].join('\n');
    const { POSTTRADE_DATA_DIR: _dataDir, ...inherited } = process.env;
    let child: ChildProcess | undefined;
    let output = '';

    try {
      // Act
      child = spawn(process.execPath, ['-e', runner], {
        cwd: REPO_ROOT,
        env: {
          ...inherited,
          NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
          DATABASE_URL: db.url,
          KAFKA_BROKERS: broker.address,
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
          AWS_LAMBDA_FUNCTION_NAME: 'posttrade-test-validateTrades',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
          AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
          AWS_REGION: 'eu-west-1',
          LAMBDA_TASK_ROOT: dir,
          _HANDLER: HANDLER,
          _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=${LAMBDA_PARENT};Sampled=1`,
          AWS_XRAY_DAEMON_ADDRESS: address,
          AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
          POWERTOOLS_METRICS_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          LOG_LEVEL: 'ERROR',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const exited = new Promise<never>((_resolve, reject) =>
        child?.once('exit', (code) => reject(new Error(`the function's process exited ${String(code)}: ${output}`))),
      );
      const invoked = new Promise<void>((resolve) => {
        child?.stdout?.on('data', () => {
          if (output.includes('invoked ')) resolve();
        });
      });
      await Promise.race([Promise.all([invoked, daemon.until((d) => d.name === `## ${HANDLER}`)]), exited]);
    } finally {
      child?.kill();
      await daemon.close();
    }

    // Assert: the function did its work
    expect(output).toContain('"validated":1');
    const documents = flatten(daemon.documents);
    // Assert: every document belongs to the trace Lambda started, as a subsegment of its facade
    expect(documents.length).toBeGreaterThan(0);
    for (const document of daemon.documents) expect(document.trace_id).toBe(TRACE_ROOT);
    const named = (name: string) => documents.filter((d) => d.name === name);
    const [handlerSegment] = named(`## ${HANDLER}`);
    const [stage] = named('handle validateTrades');
    expect(handlerSegment?.parent).toBe(LAMBDA_PARENT);
    expect(handlerSegment?.annotations).toEqual({ ColdStart: true, Service: 'posttrade-local' });
    expect(stage?.parent).toBe(handlerSegment?.id);
    // The stage's own queries inside its subsegment; the failure policy's heartbeat, around the stage, beside it.
    const queries = named('postgres');
    for (const query of queries) {
      expect(query.sql).toEqual({ database_type: 'PostgreSQL', sanitized_query: expect.any(String) });
    }
    const sqlUnder = (parent: string | undefined) =>
      queries.filter((q) => q.parent === parent).map((q) => q.sql?.sanitized_query ?? '');
    expect(sqlUnder(stage?.id)).toEqual(
      expect.arrayContaining(['BEGIN', 'COMMIT', expect.stringMatching(/^\s*(WITH correlations AS|INSERT INTO)/)]),
    );
    expect(sqlUnder(handlerSegment?.id)).toEqual([expect.stringContaining('INSERT INTO stage_heartbeats')]);
    expect(queries.filter((q) => q.parent !== stage?.id && q.parent !== handlerSegment?.id)).toEqual([]);
    const publishes = named('kafka.publish');
    expect(publishes.map((p) => p.annotations)).toContainEqual({ topics: Topics.TRADES_VALIDATED, messages: 1 });
    for (const publish of publishes) expect(publish.parent).toBe(stage?.id);
    // Assert: the SQL went out as text with placeholders; none of the trade's values went anywhere
    for (const datagram of daemon.raw) {
      expect(datagram).not.toContain('XRAY-EXEC-7F3A9C');
      expect(datagram).not.toContain('XRAY-TRADE-7F3A9C');
      expect(datagram).not.toContain('W22LROWP2IHZNBB6K528');
    }
  });
});
