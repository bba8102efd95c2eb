/**
 * `posttrade smoke` against a stack assembled in this process from the real pieces — the capture and query handlers
 * behind an HTTP server speaking API Gateway's payload 2.0, the token authorizer, the validation, persistence and
 * positions handlers driven by the event-source runner on the test broker, the test database — as it runs against a
 * deployed API: a trade posted, booked, seen in its position, cancelled, and the position back where it was.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { Kafka, logLevel, type Admin } from 'kafkajs';

import { parseApiTokens } from '../../../lib/api/auth';
import { queryApiHandler } from '../../../lib/api/query/router';
import { PgQueryService } from '../../../lib/api/query/service';
import { createKafkaProducer, KafkaPublisher } from '../../../lib/kafka/producer';
import { Topics, topicSpecs } from '../../../lib/kafka/topics';
import { authorizerHandler, captureHandler, persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { publishPositionChanges } from '../../../lib/positions/change-outbox';
import { positionsFromBookedTrades } from '../../../lib/positions/on-booked-trades';
import { PgDeadLetterStore } from '../../../lib/db/dead-letter-store';
import { PgPositionStore } from '../../../lib/positions/store';
import { loadReferenceData } from '../../../lib/refdata/load';
import { smoke, SmokeFailure, type SmokeOptions } from '../../../lib/smoke/smoke';
import { parseEventSourceMappings, startEventSourceRunner } from '../../../localstack/esm';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { PgAccountOwners } from '../../../lib/db/account-owners';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');
const ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/posttrade/smoke';

describe('posttrade smoke', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let admin: Admin;
  let publisher: KafkaPublisher;
  let runner: Awaited<ReturnType<typeof startEventSourceRunner>>;
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
    broker = await startTestBroker();
    admin = new Kafka({ brokers: [broker.address], clientId: 'smoke-it', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: topicSpecs() });
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'smoke-it' }));

    const msk = (topic: string) => ({ events: [{ msk: { arn: ARN, topic, startingPosition: 'TRIM_HORIZON' } }] });
    const parsed = parseEventSourceMappings({
      functions: {
        validateTrades: msk(Topics.TRADES_CAPTURED),
        persistTrades: msk(Topics.TRADES_VALIDATED),
        positions: msk(Topics.TRADES_BOOKED),
      },
    });
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const deps = { pool: db.pool, publisher };
    const positions = {
      store: new PgPositionStore(db.pool),
      deadLetters: new PgDeadLetterStore(db.pool),
      publisher,
      publishChanges: () => publishPositionChanges(db.pool, publisher),
    };
    runner = await startEventSourceRunner({
      brokers: broker.address,
      mappings: parsed.value,
      handlers: {
        validateTrades: validateHandler(deps),
        persistTrades: persistHandler(deps),
        positions: (event) => positionsFromBookedTrades(event, positions),
      },
    });

    const tokens = parseApiTokens('smoke-token=ACC-001');
    if (!tokens.ok) throw new Error(tokens.errors.join('; '));
    const authorize = authorizerHandler(tokens.value);
    const capture = captureHandler(publisher, new PgAccountOwners(db.pool));
    const query = queryApiHandler({ service: new PgQueryService(db.pool) });
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void (async () => {
          const target = new URL(req.url ?? '/', 'http://localhost');
          const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
          const verdict = await authorize({ headers });
          const authorizer = verdict.isAuthorized ? { lambda: verdict.context } : null;
          const method = req.method ?? 'GET';
          const base = {
            version: '2.0',
            routeKey: '$default',
            rawPath: target.pathname,
            rawQueryString: target.search.slice(1),
            headers,
            queryStringParameters: Object.fromEntries(target.searchParams),
            requestContext: { http: { method }, authorizer },
          };
          const answer =
            method === 'POST' && target.pathname === '/trades'
              ? verdict.isAuthorized
                ? await capture({
                    ...base,
                    body: Buffer.concat(chunks).toString('utf8'),
                    isBase64Encoded: false,
                  } as unknown as Parameters<typeof capture>[0])
                : { statusCode: 401, body: '{}' }
              : await query(base);
          res.writeHead(answer.statusCode ?? 200, { 'content-type': 'application/json' });
          res.end(answer.body ?? '');
        })().catch((error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 120_000);

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await runner.stop();
    await publisher.disconnect();
    await admin.disconnect();
    await broker.destroy();
    await db.drop();
  });

  const options = (overrides: Partial<SmokeOptions> = {}): SmokeOptions => ({
    url,
    token: 'smoke-token',
    account: 'ACC-001',
    counterpartyLei: 'W22LROWP2IHZNBB6K528',
    isin: 'US0378331005',
    mic: 'XNYS',
    currency: 'USD',
    price: '170.00',
    quantity: '7',
    tradeDate: '2024-04-02',
    keep: false,
    timeoutMs: 60_000,
    pollMs: 100,
    ...overrides,
  });

  it('posts a trade, follows it to its position, cancels it and sees the position return', async () => {
    const lines: string[] = [];

    const result = await smoke(options({ log: (line) => lines.push(line) }));

    expect(result).toMatchObject({ positionBefore: '0', positionBooked: '7', cancelled: true });
    expect(result.tradeId).toMatch(/^SMOKE-\d{14}-[0-9a-f]{8}$/);
    const stored = await db.pool.query<{ lifecycle: string }>(
      'SELECT lifecycle FROM trade_versions WHERE trade_id = $1 ORDER BY version',
      [result.tradeId],
    );
    expect(stored.rows.map((row) => row.lifecycle)).toEqual(['NEW', 'CANCEL']);
    expect(lines.some((line) => line.includes('position 0 → 7'))).toBe(true);
  }, 120_000);

  it('fails naming the reasons when the trade is rejected', async () => {
    const rejected = smoke(options({ price: '17000.00' }));

    await expect(rejected).rejects.toThrow(SmokeFailure);
    await expect(rejected).rejects.toThrow(/was rejected: .*PRICE_TOLERANCE/);
  }, 120_000);

  it('fails on the first step when the token is refused', async () => {
    await expect(smoke(options({ token: 'wrong' }))).rejects.toThrow(/GET \/positions answered 401/);
  });
});
