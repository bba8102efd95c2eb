/** POST /trades and its authorizer: 202 with ids, 400 listing each field error, 413 over the limit, 401 without a token. */
import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';

import { parseApiTokens } from '../../lib/api/auth';
import { MAX_BODY_BYTES } from '../../lib/api/http';
import type { EventPublisher, OutgoingMessage } from '../../lib/kafka/producer';
import { Topics } from '../../lib/kafka/topics';
import { authorizerHandler, captureHandler, type AuthorizerContext } from '../../lib/pipeline/handlers';
import { seedTrade } from '../helpers/trades';

const trade = seedTrade();

function request(body: string, scope = '*'): APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext> {
  return {
    body,
    isBase64Encoded: false,
    requestContext: { authorizer: { lambda: { scope } } },
  } as unknown as APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;
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
  it('returns 202 with the ids and publishes each trade to trades.captured keyed by account', async () => {
    // Arrange
    const publisher = recorder();
    const batch = [trade, { ...trade, execId: 'E-2', tradeId: 'T-2', account: 'ACC-003' }];

    // Act
    const response = await captureHandler(publisher)(request(JSON.stringify({ trades: batch })));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body ?? '')).toEqual({
      accepted: 2,
      trades: [
        { execId: 'E-1', tradeId: 'T-1' },
        { execId: 'E-2', tradeId: 'T-2' },
      ],
    });
    expect(publisher.messages.map((m) => [m.topic, m.key])).toEqual([
      [Topics.TRADES_CAPTURED, 'ACC-001'],
      [Topics.TRADES_CAPTURED, 'ACC-003'],
    ]);
  });

  it('returns 400 listing every field error of every trade, and publishes nothing', async () => {
    // Arrange
    const publisher = recorder();
    const batch = [trade, { ...trade, price: 170.5, isin: 'US0378331006' }];

    // Act
    const response = await captureHandler(publisher)(request(JSON.stringify(batch)));

    // Assert
    expect(response.statusCode).toBe(400);
    const fields = (JSON.parse(response.body ?? '') as { error: { fields: { path: string }[] } }).error.fields;
    expect(fields.map((field) => field.path).sort()).toEqual(['1.isin', '1.price']);
    expect(publisher.messages).toHaveLength(0);
  });

  it('returns 400 for a body that is not JSON', async () => {
    const response = await captureHandler(recorder())(request('{"trades": ['));
    expect(response.statusCode).toBe(400);
  });

  it('returns 413 for a body one byte over the limit', async () => {
    const response = await captureHandler(recorder())(request(' '.repeat(MAX_BODY_BYTES + 1)));
    expect(response.statusCode).toBe(413);
  });

  it('returns 403 for an account outside the token scope', async () => {
    const response = await captureHandler(recorder())(request(JSON.stringify(trade), 'ACC-002|ACC-003'));
    expect(response.statusCode).toBe(403);
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
