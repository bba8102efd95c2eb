import { ESM_LIMITS, mappingUuid, parseEventSourceMappings, type EventSourceMapping } from '../../../../localstack/esm';

const MSK_ARN = 'arn:aws:kafka:eu-west-1:111122223333:cluster/posttrade/abc-123';

function only(result: ReturnType<typeof parseEventSourceMappings>): EventSourceMapping {
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const [m] = result.value;
  if (m === undefined || result.value.length !== 1) throw new Error(`expected one mapping, got ${result.value.length}`);
  return m;
}

function errorsOf(result: ReturnType<typeof parseEventSourceMappings>): string[] {
  if (result.ok) throw new Error('expected errors');
  return result.errors;
}

describe('parseEventSourceMappings', () => {
  it('applies Lambda defaults to a bare msk event', () => {
    // Arrange
    const sls = { functions: { capture: { handler: 'x', events: [{ msk: { arn: MSK_ARN, topic: 'trades.raw' } }] } } };

    // Act
    const m = only(parseEventSourceMappings(sls));

    // Assert
    expect(m).toMatchObject({
      functionName: 'capture',
      kind: 'msk',
      eventSourceArn: MSK_ARN,
      topic: 'trades.raw',
      batchSize: 100,
      maximumBatchingWindowMs: 500,
      startingPosition: 'TRIM_HORIZON',
      enabled: true,
      provisioned: false,
      reportBatchItemFailures: false,
      bisectBatchOnFunctionError: false,
      maximumRetryAttempts: -1,
      maximumRecordAgeSeconds: -1,
      onFailure: undefined,
      logicalId: 'CaptureEventSourceMappingMSKPosttradeTradesraw',
    });
    expect(m.consumerGroupId).toBe(m.uuid);
    expect(m.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps a group id holding an unresolved variable as it is (serverless.yml read without osls resolving it)', () => {
    const msk = { arn: MSK_ARN, topic: 'trades.raw', consumerGroupId: 'posttrade-${sls:stage}-capture' };

    const m = only(parseEventSourceMappings({ functions: { capture: { handler: 'x', events: [{ msk }] } } }));

    expect(m.consumerGroupId).toBe('posttrade-${sls:stage}-capture');
  });

  it('reads a number still holding an unresolved variable as unset, its default, not as an error', () => {
    const msk = { arn: MSK_ARN, topic: 'trades.raw', maximumBatchingWindow: '${param:settlementBatchingWindow}' };

    const m = only(parseEventSourceMappings({ functions: { capture: { handler: 'x', events: [{ msk }] } } }));

    expect(m.maximumBatchingWindowMs).toBe(500);
  });

  it('gives the same uuid on every parse and a different one per function or topic', () => {
    // Arrange / Act
    const a = mappingUuid('capture', MSK_ARN, 'trades.raw');
    const b = mappingUuid('capture', MSK_ARN, 'trades.raw');
    const c = mappingUuid('validate', MSK_ARN, 'trades.raw');
    const d = mappingUuid('capture', MSK_ARN, 'trades.validated');

    // Assert
    expect(a).toBe(b);
    expect(new Set([a, c, d]).size).toBe(3);
  });

  it('reads the self-managed kafka event and its logical id', () => {
    // Arrange
    const sls = {
      functions: {
        'settle-trades': {
          events: [
            {
              kafka: {
                accessConfigurations: { saslScram512Auth: ['arn:aws:secretsmanager:x'] },
                bootstrapServers: ['b-1:9092', 'b-2:9092'],
                topic: 'trades.validated',
                batchSize: 500,
                maximumBatchingWindow: 2,
                startingPosition: 'LATEST',
                consumerGroupId: 'settlement',
                enabled: false,
              },
            },
          ],
        },
      },
    };

    // Act
    const m = only(parseEventSourceMappings(sls));

    // Assert
    expect(m).toMatchObject({
      kind: 'kafka',
      eventSourceArn: undefined,
      bootstrapServers: ['b-1:9092', 'b-2:9092'],
      batchSize: 500,
      maximumBatchingWindowMs: 2000,
      startingPosition: 'LATEST',
      consumerGroupId: 'settlement',
      enabled: false,
      logicalId: 'SettleDashtradesEventSourceMappingKafkaTradesvalidated',
    });
  });

  it('takes provisioned-mode controls from resources.extensions and caps infinite retries at 10 with a destination', () => {
    // Arrange
    const sls = {
      functions: {
        capture: {
          events: [
            {
              msk: {
                arn: MSK_ARN,
                topic: 'trades.raw',
                provisionedPollerConfig: { minimumPollers: 1, maximumPollers: 3 },
              },
            },
          ],
        },
      },
      resources: {
        extensions: {
          CaptureEventSourceMappingMSKPosttradeTradesraw: {
            Properties: {
              FunctionResponseTypes: ['ReportBatchItemFailures'],
              BisectBatchOnFunctionError: true,
              MaximumRetryAttempts: -1,
              DestinationConfig: { OnFailure: { Destination: 'kafka://trades.raw.failed' } },
            },
          },
        },
      },
    };

    // Act
    const m = only(parseEventSourceMappings(sls));

    // Assert
    expect(m).toMatchObject({
      provisioned: true,
      maximumPollers: 3,
      reportBatchItemFailures: true,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: ESM_LIMITS.retriesCappedWithDestination,
      onFailure: { destination: 'kafka://trades.raw.failed', topic: 'trades.raw.failed' },
    });
  });

  it('compiles filter patterns given as osls objects and as { pattern: json }', () => {
    // Arrange
    const sls = {
      functions: {
        capture: {
          events: [
            {
              msk: {
                arn: MSK_ARN,
                topic: 't',
                filterPatterns: [{ value: { type: ['TRADE'] } }, { pattern: '{"value":{"type":["AMEND"]}}' }],
              },
            },
          ],
        },
      },
    };

    // Act
    const m = only(parseEventSourceMappings(sls));

    // Assert
    expect(m.filters.map((f) => f.source)).toEqual(['{"value":{"type":["TRADE"]}}', '{"value":{"type":["AMEND"]}}']);
  });

  it('reports every invalid value with its path', () => {
    // Arrange
    const sls = {
      functions: {
        capture: {
          events: [
            {
              msk: {
                arn: MSK_ARN,
                topic: 't',
                batchSize: 10_001,
                maximumBatchingWindow: 301,
                startingPosition: 'AT_TIMESTAMP',
                consumerGroupId: 'bad group!',
                filterPatterns: [{ value: { type: 'TRADE' } }],
              },
            },
          ],
        },
      },
    };

    // Act
    const errors = errorsOf(parseEventSourceMappings(sls));

    // Assert
    expect(errors).toEqual([
      'functions.capture.events[0].msk.batchSize: must be an integer from 1 to 10000 (got 10001)',
      'functions.capture.events[0].msk.maximumBatchingWindow: must be an integer from 0 to 300 (got 301)',
      'functions.capture.events[0].msk.startingPositionTimestamp: is required when startingPosition is AT_TIMESTAMP',
      'functions.capture.events[0].msk.consumerGroupId: must be 1-200 characters of [a-zA-Z0-9-/*:_+=.@] (got "bad group!")',
      'functions.capture.events[0].msk.filterPatterns[0].value.type: leaf values must be arrays of matchers, e.g. ["value"], got "TRADE"',
    ]);
  });

  it('refuses error-handling controls outside provisioned mode, non-Kafka destinations and a loop to the source topic', () => {
    // Arrange
    const ext = (props: object) => ({
      functions: { capture: { events: [{ msk: { arn: MSK_ARN, topic: 'trades.raw' } }] } },
      resources: { extensions: { CaptureEventSourceMappingMSKPosttradeTradesraw: { Properties: props } } },
    });

    // Act
    const notProvisioned = errorsOf(parseEventSourceMappings(ext({ MaximumRetryAttempts: 3 })));
    const sqs = errorsOf(
      parseEventSourceMappings(ext({ DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:x' } } })),
    );
    const loop = errorsOf(
      parseEventSourceMappings(ext({ DestinationConfig: { OnFailure: { Destination: 'kafka://trades.raw' } } })),
    );
    const retries = errorsOf(parseEventSourceMappings(ext({ MaximumRetryAttempts: 10_001 })));

    // Assert
    expect(notProvisioned).toEqual([
      'resources.extensions.CaptureEventSourceMappingMSKPosttradeTradesraw.Properties.MaximumRetryAttempts: needs provisioned mode for a Kafka mapping: set provisionedPollerConfig on the event or ProvisionedPollerConfig in the extension',
    ]);
    expect(sqs[0]).toContain('only Kafka topic destinations');
    expect(loop[0]).toContain('cannot be the source topic "trades.raw"');
    expect(retries[0]).toContain('must be an integer from 0 to 10000 or -1 (got 10001)');
  });

  it('selects one function and reports an unknown one', () => {
    // Arrange
    const sls = {
      functions: {
        capture: { events: [{ msk: { arn: MSK_ARN, topic: 'a' } }] },
        settle: { events: [{ msk: { arn: MSK_ARN, topic: 'b' } }, { http: { path: '/' } }] },
      },
    };

    // Act
    const settle = only(parseEventSourceMappings(sls, 'settle'));
    const unknown = errorsOf(parseEventSourceMappings(sls, 'nope'));

    // Assert
    expect(settle.topic).toBe('b');
    expect(unknown).toEqual(['functions.nope: no such function']);
  });
});
