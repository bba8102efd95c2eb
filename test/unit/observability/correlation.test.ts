/**
 * Correlation ids at capture: a client's well-formed X-Correlation-Id is kept, anything else is replaced by the
 * request id; every trade of the request carries it in the `correlation-id` header, with the capture time.
 */
import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';

import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import {
  CAPTURED_AT_HEADER,
  CORRELATION_HEADER,
  isWellFormedCorrelationId,
  traceContextOf,
} from '../../../lib/observability/correlation';
import { captureTrades } from '../../../lib/pipeline/capture';
import { captureHandler, type AuthorizerContext } from '../../../lib/pipeline/handlers';
import { seedTrade } from '../../helpers/trades';
import { seedAccountOwners } from '../../helpers/seed-reference-data';

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

function request(headers: Record<string, string>): APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext> {
  const second = { ...seedTrade(), execId: 'E-2', tradeId: 'T-2' };
  return {
    body: JSON.stringify([seedTrade(), second]),
    headers: { 'content-type': 'application/json', ...headers },
    isBase64Encoded: false,
    requestContext: { requestId: 'req-42', authorizer: { lambda: { scope: '*' } } },
  } as unknown as APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;
}

describe('correlation ids at capture', () => {
  it.each([
    ['a client id that is well formed is kept', { 'X-Correlation-Id': 'oms:order-17.fill-2' }, 'oms:order-17.fill-2'],
    ['a client id with a space is replaced by the request id', { 'x-correlation-id': 'bad id' }, 'req-42'],
    ['a client id over 128 characters is replaced', { 'x-correlation-id': 'a'.repeat(129) }, 'req-42'],
    ['without a client id the request id is used', {}, 'req-42'],
  ])('%s', async (_name, headers, expected) => {
    // Arrange
    const publisher = recorder();

    // Act
    const response = await captureHandler(publisher, seedAccountOwners())(request(headers));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(response.headers?.['x-correlation-id']).toBe(expected);
    expect((JSON.parse(response.body ?? '{}') as { correlationId: string }).correlationId).toBe(expected);
    expect(publisher.messages.map((message) => message.headers?.[CORRELATION_HEADER])).toEqual([expected, expected]);
    for (const message of publisher.messages) {
      expect(Number.isNaN(Date.parse(message.headers?.[CAPTURED_AT_HEADER] ?? ''))).toBe(false);
    }
  });

  it('gives each trade of a file or simulation its own id when no request id is given', async () => {
    // Arrange
    const publisher = recorder();

    // Act
    const ids = await captureTrades(
      [seedTrade(), { ...seedTrade(), execId: 'E-2' }],
      publisher,
      seedAccountOwners(),
      'file',
    );

    // Assert
    const [first, second] = ids.map((id) => id.correlationId);
    expect(first).not.toBe(second);
    expect(publisher.messages.map((message) => message.headers?.[CORRELATION_HEADER])).toEqual([first, second]);
  });

  it('accepts 1 to 128 characters of letters, digits and . _ : - only', () => {
    expect(['a', 'A-1_b.c:d', 'x'.repeat(128)].every(isWellFormedCorrelationId)).toBe(true);
    expect(['', 'x'.repeat(129), 'a b', 'é', 'a/b', 'a\n'].some(isWellFormedCorrelationId)).toBe(false);
  });

  it('derives a stable id for a captured record without one, and ignores a malformed header', () => {
    // Arrange
    const source = { topic: 'trades.captured', partition: 2, offset: 7 };
    const malformed = { key: CORRELATION_HEADER, value: Buffer.from('not ok!') };

    // Act
    const captured = traceContextOf({ headers: [malformed], source, timestamp: 0 }, { isCapture: true });
    const later = traceContextOf({ headers: [malformed], source, timestamp: 0 });

    // Assert
    expect(captured).toEqual({ correlationId: 'trades.captured:2:7', capturedAt: '1970-01-01T00:00:00.000Z' });
    expect(later).toBeUndefined();
  });
});
