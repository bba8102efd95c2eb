/**
 * Every Kafka-triggered stage reads its topic through a versioned decoder: a record of a schema version it does not
 * read is dead-lettered by that stage with the reason UNSUPPORTED_SCHEMA_VERSION naming the versions it reads, the
 * rest of the batch goes on — on the real PostgreSQL and broker, through the stages' own handler factories.
 */
import path from 'node:path';

import { Stage } from '../../../lib/kafka/dead-letter';
import { UNSUPPORTED_SCHEMA_VERSION, type KafkaEvent, type KafkaEventRecord } from '../../../lib/kafka/decode';
import { KafkaPublisher, createKafkaProducer } from '../../../lib/kafka/producer';
import { SCHEMA_VERSION_HEADER } from '../../../lib/kafka/schemas/versioning';
import { persistHandler, validateHandler } from '../../../lib/pipeline/handlers';
import { positionsHandler } from '../../../lib/positions/handlers';
import { eodPricesHandler } from '../../../lib/prices/handlers';
import { reconcileHandler } from '../../../lib/recon/handlers';
import { loadReferenceData } from '../../../lib/refdata/load';
import { riskPositionsHandler } from '../../../lib/risk/handlers';
import { settleTradesHandler, settlementStatusHandler } from '../../../lib/settlement/handlers';
import { loadEvent } from '../../helpers/events';
import { startTestBroker, type TestBroker } from '../helpers/broker';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED = path.join(__dirname, '..', '..', '..', 'migrations', 'seed');

/** The first record of a sample event in test/events, its value changed by `change`, with the given header. */
function eventWith(name: string, change: (value: Record<string, unknown>) => unknown, header: string): KafkaEvent {
  const sample = loadEvent<KafkaEvent>(name);
  const [first] = Object.values(sample.records)[0] ?? [];
  if (first === undefined) throw new Error(`${name} has no record`);
  const value = JSON.parse(Buffer.from(first.value ?? '', 'base64').toString('utf8')) as Record<string, unknown>;
  const record: KafkaEventRecord = {
    ...first,
    offset: 900,
    value: Buffer.from(JSON.stringify(change(value))).toString('base64'),
    headers: [{ [SCHEMA_VERSION_HEADER]: [...Buffer.from(header)] }],
  };
  return { ...sample, records: { [`${first.topic}-${first.partition}`]: [record] } };
}

const version2 = (value: Record<string, unknown>) => ({ ...value, schemaVersion: 2, desk: 'EQ-DELTA-ONE' });

describe('an unknown schema version, at every stage', () => {
  let db: TestDatabase;
  let broker: TestBroker;
  let publisher: KafkaPublisher;

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadReferenceData(db.pool, SEED);
    broker = await startTestBroker();
    publisher = new KafkaPublisher(createKafkaProducer({ brokers: [broker.address], clientId: 'schema-dlq-it' }));
  });
  afterAll(async () => {
    await publisher.disconnect();
    await broker.destroy();
    await db.drop();
  });

  const cases: [Stage, string, (deps: { pool: TestDatabase['pool']; publisher: KafkaPublisher }) => unknown][] = [
    [Stage.VALIDATE_TRADES, 'trades-captured', validateHandler],
    [Stage.PERSIST_TRADES, 'trades-validated', persistHandler],
    [Stage.SETTLE_TRADES, 'trades-booked', settleTradesHandler],
    [Stage.POSITIONS, 'trades-booked', (deps) => positionsHandler({ ...deps, logError: () => undefined })],
    [Stage.SETTLEMENT_STATUS, 'settlement-status', settlementStatusHandler],
    [Stage.RECONCILE, 'custody-statements', reconcileHandler],
    [Stage.EOD_PRICES, 'prices-eod', (deps) => eodPricesHandler({ ...deps, logError: () => undefined })],
    [Stage.RISK_POSITIONS, 'positions-changed', riskPositionsHandler],
  ];

  it('has a case for every stage that dead-letters', () => {
    expect(cases.map(([stage]) => stage).sort()).toEqual(Object.values(Stage).sort());
  });

  it.each(cases)('%s dead-letters a version 2 %s record, naming the version it reads', async (stage, sample, make) => {
    // Arrange
    const handler = make({ pool: db.pool, publisher }) as (event: KafkaEvent) => Promise<unknown>;

    // Act
    await handler(eventWith(sample, version2, '2'));

    // Assert
    const { rows } = await db.pool.query<{ reasons: { code: string; message: string }[]; published: boolean }>(
      // Validation and persistence keep their dead letters in the capture ledger, the other stages in dead_letters.
      `SELECT dead_letter -> 'reasons' AS reasons, published_at IS NOT NULL AS published
       FROM dead_letters WHERE stage = $1 AND source_offset = 900
       UNION ALL
       SELECT out_value -> 'reasons', published_at IS NOT NULL
       FROM trade_captures WHERE outcome = 'DEAD_LETTER' AND out_value ->> 'stage' = $1 AND source_offset = 900`,
      [stage],
    );
    expect(rows).toEqual([
      {
        reasons: [
          {
            code: UNSUPPORTED_SCHEMA_VERSION,
            message: 'schemaVersion: version 2 is not one this consumer reads (1)',
          },
        ],
        published: true,
      },
    ]);
  });

  it('refuses a body without a version when its header names one the stage does not read (prices.eod)', async () => {
    // Arrange: prices.eod's schema defaults a missing schemaVersion to 1; the header says 3
    const event = eventWith(
      'prices-eod',
      (value) => {
        const { schemaVersion: _v, ...rest } = value;
        return { ...rest, source: 'VENDOR-HDR' };
      },
      '3',
    );
    const record = Object.values(event.records)[0]?.[0];
    const shifted: KafkaEvent =
      record === undefined ? event : { ...event, records: { x: [{ ...record, offset: 901 }] } };

    // Act
    await eodPricesHandler({ pool: db.pool, publisher, logError: () => undefined })(shifted);

    // Assert
    const { rows } = await db.pool.query<{ reasons: { code: string; message: string }[] }>(
      `SELECT dead_letter -> 'reasons' AS reasons FROM dead_letters WHERE stage = $1 AND source_offset = 901`,
      [Stage.EOD_PRICES],
    );
    expect(rows).toEqual([
      {
        reasons: [
          {
            code: UNSUPPORTED_SCHEMA_VERSION,
            message: `schemaVersion: header ${SCHEMA_VERSION_HEADER}: version "3" is not one this consumer reads (1)`,
          },
        ],
      },
    ]);
  });
});
