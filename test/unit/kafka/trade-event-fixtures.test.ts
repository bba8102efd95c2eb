/**
 * The sample Lambda events in test/events decode as the handlers will see them: an MSK batch on trades.captured with
 * a good trade, a trade that decodes but breaks rules, and an undecodable record; an MSK batch on trades.validated;
 * and an HTTP API (v2) POST /trades that the capture handler accepts.
 */
import type { APIGatewayProxyEventV2WithLambdaAuthorizer } from 'aws-lambda';

import { decodeRecords, type KafkaEvent } from '../../../lib/kafka/decode';
import type { EventPublisher, OutgoingMessage } from '../../../lib/kafka/producer';
import { ValidatedTradeEventV1Schema, decodeTradeEvent } from '../../../lib/kafka/schemas/trade-event';
import { Topics } from '../../../lib/kafka/topics';
import { captureHandler, type AuthorizerContext } from '../../../lib/pipeline/handlers';
import { loadEvent } from '../../helpers/events';
import { seedAccountOwners } from '../../helpers/seed-reference-data';

describe('sample trade events', () => {
  it('trades-captured.json: a good trade, a rule-breaking one (decodes) and an undecodable record', () => {
    // Arrange
    const event = loadEvent<KafkaEvent>('trades-captured');

    // Act
    const records = decodeRecords(event, decodeTradeEvent);

    // Assert
    expect(records.map((record) => [record.record.source.offset, record.record.key, record.ok])).toEqual([
      [40, 'ACC-001', true],
      [41, 'ACC-008', true],
      [42, 'ACC-001', false],
    ]);
    const [good, bad, broken] = records;
    expect(good?.ok && [good.value.execId, good.value.price.toFixed(2), good.value.quantity.toFixed()]).toEqual([
      'EX-20240402-0001',
      '170.10',
      '100',
    ]);
    expect(bad?.ok && [bad.value.account, bad.value.mic, bad.value.currency]).toEqual(['ACC-008', 'XETR', 'EUR']);
    expect(broken?.ok === false && broken.errors).toEqual([
      { code: 'NOT_JSON', path: '', message: 'not valid JSON: Unexpected end of JSON input' },
    ]);
    expect(new Set(records.map((record) => record.record.source.topic))).toEqual(new Set([Topics.TRADES_CAPTURED]));
  });

  it('trades-validated.json: a validated trade with its resolved settlement date (T+2 before 2024-05-28)', () => {
    // Arrange
    const event = loadEvent<KafkaEvent>('trades-validated');

    // Act
    const records = decodeRecords(event, (json) => {
      const parsed = ValidatedTradeEventV1Schema.safeParse(json);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: [] };
    });

    // Assert
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record?.ok && [record.record.source.topic, record.value.tradeDate, record.value.settlementDate]).toEqual([
      Topics.TRADES_VALIDATED,
      '2024-04-02',
      '2024-04-04',
    ]);
  });

  it('http-post-trades.json: POST /trades with the development token is accepted by the capture handler', async () => {
    // Arrange
    const event = loadEvent<APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>>('http-post-trades');
    const published: OutgoingMessage[] = [];
    const publisher: EventPublisher = {
      publish: (messages) => {
        published.push(...messages);
        return Promise.resolve();
      },
    };

    // Act
    const response = await captureHandler(publisher, seedAccountOwners())(event);

    // Assert
    expect(event.headers.authorization).toBe('Bearer dev-token');
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body ?? '{}')).toEqual({
      accepted: 1,
      correlationId: expect.any(String) as unknown,
      trades: [{ execId: 'EX-20240402-0001', tradeId: 'TR-20240402-0001' }],
    });
    expect(published.map((message) => [message.topic, message.key])).toEqual([
      [Topics.TRADES_CAPTURED, 'ALPHA-GROWTH-FUND'],
    ]);
  });
});
