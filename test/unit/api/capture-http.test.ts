/**
 * POST /trades and its authorizer: 202 with ids, 400 listing each field error, 413 over the limit, 415 for a body
 * not sent as JSON, 401 without a token, and a 500 with a correlation id (never the error) when anything throws.
 */
import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';

import { parseApiTokens } from '../../../lib/api/auth';
import { MAX_BODY_BYTES, type ErrorLog } from '../../../lib/api/http';
import { KafkaPublishError } from '../../../lib/kafka/errors';
import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import { Topics } from '../../../lib/kafka/topics';
import { authorizerHandler, captureHandler, type AuthorizerContext } from '../../../lib/pipeline/handlers';
import { seedTrade } from '../../helpers/trades';
import { seedAccountOwners } from '../../helpers/seed-reference-data';

const trade = seedTrade();

function request(
  body: string | null | undefined,
  scope = '*',
  headers: Record<string, string> = { 'content-type': 'application/json' },
): APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext> {
  return {
    body,
    headers,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', authorizer: { lambda: { scope } } },
  } as unknown as APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;
}

function binaryRequest(bytes: Buffer): APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext> {
  return { ...request(''), body: bytes.toString('base64'), isBase64Encoded: true };
}

function errorOf(response: { body?: string }): { code: string; message: string; fields?: { path: string }[] } {
  return (JSON.parse(response.body ?? '') as { error: { code: string; message: string; fields?: { path: string }[] } })
    .error;
}

function logRecorder(): { log: () => ErrorLog; entries: { message: string; attributes: Record<string, unknown> }[] } {
  const entries: { message: string; attributes: Record<string, unknown> }[] = [];
  const logger: ErrorLog = { error: (message, attributes) => entries.push({ message, attributes }) };
  return { log: () => logger, entries };
}

function recorder(): EventPublisher & { messages: OutgoingMessage[] } {
  const messages: OutgoingMessage[] = [];
  return {
    messages,
    publish: (batch) => {
      messages.push(...batch);
      return Promise.resolve();
    },
  };
}

describe('POST /trades', () => {
  it('returns 202 with the ids and publishes each trade to trades.captured keyed by its account owner', async () => {
    // Arrange
    const publisher = recorder();
    const batch = [trade, { ...trade, execId: 'E-2', tradeId: 'T-2', account: 'ACC-003' }];

    // Act
    const response = await captureHandler(publisher, seedAccountOwners())(request(JSON.stringify({ trades: batch })));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body ?? '')).toEqual({
      accepted: 2,
      correlationId: expect.any(String) as unknown,
      trades: [
        { execId: 'E-1', tradeId: 'T-1' },
        { execId: 'E-2', tradeId: 'T-2' },
      ],
    });
    expect(publisher.messages.map((m) => [m.topic, m.key])).toEqual([
      [Topics.TRADES_CAPTURED, 'ALPHA-GROWTH-FUND'],
      [Topics.TRADES_CAPTURED, 'BETA-PENSION-SCHEME'],
    ]);
  });

  it('returns 400 listing every field error of every trade, and publishes nothing', async () => {
    // Arrange
    const publisher = recorder();
    const batch = [trade, { ...trade, price: 170.5, isin: 'US0378331006' }];

    // Act
    const response = await captureHandler(publisher, seedAccountOwners())(request(JSON.stringify(batch)));

    // Assert
    expect(response.statusCode).toBe(400);
    const fields = (JSON.parse(response.body ?? '') as { error: { fields: { path: string }[] } }).error.fields;
    expect(fields.map((field) => field.path).sort()).toEqual(['1.isin', '1.price']);
    expect(publisher.messages).toHaveLength(0);
  });

  it('returns 400 for a body that is not JSON', async () => {
    const response = await captureHandler(recorder(), seedAccountOwners())(request('{"trades": ['));
    expect(response.statusCode).toBe(400);
  });

  it('returns 413 for a body one byte over the limit', async () => {
    const response = await captureHandler(recorder(), seedAccountOwners())(request(' '.repeat(MAX_BODY_BYTES + 1)));
    expect(response.statusCode).toBe(413);
  });

  it('returns 403 for an account outside the token scope', async () => {
    const response = await captureHandler(
      recorder(),
      seedAccountOwners(),
    )(request(JSON.stringify(trade), 'ACC-002|ACC-003'));
    expect(response.statusCode).toBe(403);
  });
});

describe('POST /trades refuses bad input at the boundary', () => {
  it.each([
    ['no body at all (null)', null],
    ['an undefined body', undefined],
    ['an empty body', ''],
  ])('answers 400 for %s', async (_, body) => {
    const response = await captureHandler(recorder(), seedAccountOwners())(request(body));
    expect(response.statusCode).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'MALFORMED_REQUEST', message: 'empty body' });
  });

  it.each([['null'], ['42'], ['"a trade"'], ['[]']])(
    'answers 400 naming the problem for the JSON value %s',
    async (body) => {
      const publisher = recorder();
      const response = await captureHandler(publisher, seedAccountOwners())(request(body));
      expect(response.statusCode).toBe(400);
      expect(errorOf(response).fields?.length).toBeGreaterThan(0);
      expect(publisher.messages).toHaveLength(0);
    },
  );

  it.each([
    ['0', 0],
    ['false', false],
  ])(
    'answers 400 for the JSON value %s handed over already parsed (as serverless-offline does), not a 500',
    async (_, body) => {
      const publisher = recorder();
      const event = { ...request(''), body } as unknown as Parameters<ReturnType<typeof captureHandler>>[0];
      const response = await captureHandler(publisher, seedAccountOwners())(event);
      expect(response.statusCode).toBe(400);
      expect(errorOf(response).code).toBe('INVALID_TRADES');
      expect(publisher.messages).toHaveLength(0);
    },
  );

  it.each([
    ['text/plain', { 'content-type': 'text/plain' }],
    ['no content type', {}],
    ['form encoding (curl -d without -H)', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['JSON in another charset', { 'Content-Type': 'application/json; charset=latin1' }],
  ])('answers 415 for a body sent as %s, even when it is valid JSON', async (_, headers) => {
    const publisher = recorder();
    const response = await captureHandler(publisher, seedAccountOwners())(request(JSON.stringify(trade), '*', headers));
    expect(response.statusCode).toBe(415);
    expect(errorOf(response).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(publisher.messages).toHaveLength(0);
  });

  it.each([
    ['application/json; charset=UTF-8', { 'Content-Type': 'application/json; charset=UTF-8' }],
    ['a +json type', { 'content-type': 'application/vnd.posttrade.trade+json' }],
  ])('accepts %s', async (_, headers) => {
    const response = await captureHandler(
      recorder(),
      seedAccountOwners(),
    )(request(JSON.stringify(trade), '*', headers));
    expect(response.statusCode).toBe(202);
  });

  it('answers 400 for a body that names a key twice, naming the key, instead of reading the last one', async () => {
    const publisher = recorder();
    const body = JSON.stringify(trade).replace('"quantity":"100"', '"quantity":"100","quantity":"1000000"');

    const response = await captureHandler(publisher, seedAccountOwners())(request(body));

    expect(body).toContain('"quantity":"1000000"');
    expect(response.statusCode).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'MALFORMED_REQUEST', fields: [{ path: 'quantity' }] });
    expect(publisher.messages).toHaveLength(0);
  });

  it('answers 400 for bytes that are not UTF-8 instead of reading them as U+FFFD', async () => {
    const bytes = Buffer.concat([
      Buffer.from(JSON.stringify(trade).slice(0, -1)),
      Buffer.from(',"source":"\xff"}', 'latin1'),
    ]);
    const response = await captureHandler(recorder(), seedAccountOwners())(binaryRequest(bytes));
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).message).toBe('body is not valid UTF-8');
  });

  it.each([
    ['a NUL in the ExecID ("X\\u0000Y" on the wire)', { execId: 'X\u0000Y' }, 'trades.0.execId'],
    ['an unpaired surrogate in the account', { account: 'ACC-\ud800' }, 'trades.0.account'],
  ])('answers 400 for %s (text PostgreSQL cannot store), naming the field', async (_, change, path) => {
    const publisher = recorder();
    const body = JSON.stringify({ trades: [{ ...trade, ...change }] });

    const response = await captureHandler(publisher, seedAccountOwners())(request(body));

    expect(response.statusCode).toBe(400);
    expect(errorOf(response).fields).toEqual([expect.objectContaining({ path })]);
    expect(publisher.messages).toHaveLength(0);
  });

  it.each([
    ['a version beyond PostgreSQL integer', { version: 2 ** 31 }, '0.version'],
    ['a decimal longer than 40 characters', { price: `1${'0'.repeat(40)}.5` }, '0.price'],
    ['year 0000', { tradeDate: '0000-06-03' }, '0.tradeDate'],
    ['a trade time in year 0000', { tradeTime: '0000-06-03T10:00:00Z' }, '0.tradeTime'],
    ['a time-zone offset PostgreSQL refuses', { tradeTime: '2024-06-03T10:00:00+23:00' }, '0.tradeTime'],
    ['an ExecID over 64 characters', { execId: 'E'.repeat(65) }, '0.execId'],
  ])('answers 400 for %s', async (_, change, path) => {
    const response = await captureHandler(
      recorder(),
      seedAccountOwners(),
    )(request(JSON.stringify([{ ...trade, ...change }])));
    expect(response.statusCode).toBe(400);
    expect(errorOf(response).fields?.map((field) => field.path)).toEqual([path]);
  });

  it('answers 503 with a correlation id when the broker is unreachable, and logs the error under that id', async () => {
    const { log, entries } = logRecorder();
    const failing: EventPublisher = {
      publish: () =>
        Promise.reject(
          new KafkaPublishError('publishing 1 message(s) failed', { cause: new Error('ECONNREFUSED 10.0.0.1:9092') }),
        ),
    };

    const response = await captureHandler(failing, seedAccountOwners(), { log })(request(JSON.stringify(trade)));

    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'x-correlation-id': 'req-1', 'retry-after': '1' });
    expect(errorOf(response)).toMatchObject({ code: 'UNAVAILABLE', correlationId: 'req-1' });
    expect(response.body).not.toMatch(/ECONNREFUSED|10\.0\.0\.1|KafkaPublishError|at /);
    expect(entries).toEqual([
      expect.objectContaining({ attributes: expect.objectContaining({ correlationId: 'req-1', retriable: true }) }),
    ]);
    expect(JSON.stringify(entries[0]?.attributes)).toContain('ECONNREFUSED');
  });

  it('answers 500 with a correlation id and no internals for an unexpected error', async () => {
    const { log, entries } = logRecorder();
    const broken: EventPublisher = {
      publish: () => Promise.reject(new TypeError("Cannot read properties of null (reading 'send')")),
    };

    const response = await captureHandler(broken, seedAccountOwners(), { log })(request(JSON.stringify(trade)));

    expect(response.statusCode).toBe(500);
    expect(errorOf(response)).toEqual({
      code: 'INTERNAL_ERROR',
      message: 'an unexpected error occurred (correlation id req-1)',
      correlationId: 'req-1',
    });
    expect(entries[0]?.attributes).toMatchObject({ correlationId: 'req-1', error: { name: 'TypeError' } });
  });
});

describe('authorizer', () => {
  const parsed = parseApiTokens('dev-token=*,desk=ACC-001|ACC-002');
  if (!parsed.ok) throw new Error(parsed.errors.join());
  const authorizer = authorizerHandler(parsed.value);

  it.each([
    ['no header', undefined],
    ['an unknown token', 'Bearer nope'],
    ['a token without the Bearer scheme', 'dev-token'],
  ])('denies %s (API Gateway answers 401)', async (_, header) => {
    const result = await authorizer({ headers: header === undefined ? {} : { authorization: header } });
    expect(result.isAuthorized).toBe(false);
  });

  it('allows a known token and passes its scope on', async () => {
    const result = await authorizer({ headers: { authorization: 'Bearer desk' } });
    expect(result).toEqual({ isAuthorized: true, context: { scope: 'ACC-001|ACC-002' } });
  });
});
