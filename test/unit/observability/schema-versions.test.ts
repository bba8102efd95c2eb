/**
 * Schema versions (lib/kafka/schemas/versioning.ts): the checked-in JSON Schemas match the code or differ only as the
 * rules allow; per topic, a producer of the current version against a consumer of the next (which reads the
 * previous one too) and the reverse; an unknown version or a header that disagrees with the body is refused as
 * UNSUPPORTED_SCHEMA_VERSION — the reason its dead letter carries — never dropped or guessed.
 */
import { z } from 'zod';

import { Stage, encodeDeadLetter } from '../../../lib/kafka/dead-letter';
import { UNSUPPORTED_SCHEMA_VERSION, decodeRecord, type ConsumedRecord } from '../../../lib/kafka/decode';
import { schemaState } from '../../../lib/cli/schemas-command';
import { incompatibilities, jsonSchemaOf } from '../../../lib/kafka/schemas/json-schema';
import { EVENT_SUBJECTS } from '../../../lib/kafka/schemas/registry';
import { decodeBookedTrade } from '../../../lib/kafka/schemas/booked-trade';
import { decodeCustodyStatement } from '../../../lib/kafka/schemas/custody-statement';
import { decodeEodPrice } from '../../../lib/kafka/schemas/eod-price';
import { decodePositionChanged } from '../../../lib/kafka/schemas/positions-changed';
import { decodeReconBreakEvent } from '../../../lib/kafka/schemas/recon-break';
import { RiskAlertEventV1Schema } from '../../../lib/kafka/schemas/risk-alert';
import { decodeSettlementInstructionMessage } from '../../../lib/kafka/schemas/settlement-instruction';
import { decodeSettlementStatus } from '../../../lib/kafka/schemas/settlement-status';
import {
  RejectedTradeEventV1Schema,
  decodeTradeEvent,
  type DecodeResult,
} from '../../../lib/kafka/schemas/trade-event';
import { SCHEMA_VERSION_HEADER, versionedDecoder } from '../../../lib/kafka/schemas/versioning';
import { Topics } from '../../../lib/kafka/topics';
import { decodeValidatedTrade } from '../../../lib/pipeline/handlers';
import { loadEvent } from '../../helpers/events';

type Json = Record<string, unknown>;

/** The first record's value of a sample Lambda event in test/events. */
function sample(name: string): Json {
  const event = loadEvent<{ records: Record<string, { value: string }[]> }>(name);
  const [first] = Object.values(event.records)[0] ?? [];
  return JSON.parse(Buffer.from(first?.value ?? '', 'base64').toString('utf8')) as Json;
}

const captured = sample('trades-captured');

/** Per topic: a version 1 message and the consumer that reads it today. */
const TOPICS: {
  topic: string;
  message: Json;
  consumer: ((json: unknown) => DecodeResult<unknown>) & { readonly versions?: readonly number[] };
}[] = [
  { topic: Topics.TRADES_CAPTURED, message: captured, consumer: decodeTradeEvent },
  { topic: Topics.TRADES_VALIDATED, message: sample('trades-validated'), consumer: decodeValidatedTrade },
  {
    topic: Topics.TRADES_REJECTED,
    message: {
      schemaVersion: 1,
      rejectedAt: '2024-04-02T14:30:06.000Z',
      trade: captured,
      reasons: [{ code: 'PRICE_TOLERANCE', message: 'price 170.10 is outside the band' }],
    },
    consumer: versionedDecoder({ version: 1, schema: RejectedTradeEventV1Schema }),
  },
  { topic: Topics.TRADES_BOOKED, message: sample('trades-booked'), consumer: decodeBookedTrade },
  {
    topic: Topics.SETTLEMENT_INSTRUCTIONS,
    message: {
      schemaVersion: 1,
      kind: 'CANCELLATION',
      cancellationId: 'CAN-1',
      cancelsInstructionId: 'SI-1',
      cancels: 'GROSS',
      account: 'ACC-001',
      sendToCustodian: true,
      reason: 'trade cancelled',
    },
    consumer: decodeSettlementInstructionMessage,
  },
  { topic: Topics.SETTLEMENT_STATUS, message: sample('settlement-status'), consumer: decodeSettlementStatus },
  { topic: Topics.CUSTODY_STATEMENTS, message: sample('custody-statements'), consumer: decodeCustodyStatement },
  {
    topic: Topics.RECON_BREAKS,
    message: {
      schemaVersion: 1,
      event: 'OPENED',
      statementId: 'IRVTUS3N-2024-05-29',
      breakKey: 'POSITION|ACC-001|US0378331005',
      breakClass: 'QUANTITY',
      scope: 'POSITION',
      account: 'ACC-001',
      isin: 'US0378331005',
      difference: '10',
      explainedBy: [],
      openedOn: '2024-05-29',
      lastSeenOn: '2024-05-29',
      ageBusinessDays: 0,
      ageingBucket: '0-2',
    },
    consumer: decodeReconBreakEvent,
  },
  { topic: Topics.PRICES_EOD, message: sample('prices-eod'), consumer: decodeEodPrice },
  { topic: Topics.POSITIONS_CHANGED, message: sample('positions-changed'), consumer: decodePositionChanged },
  {
    topic: Topics.RISK_ALERTS,
    message: {
      schemaVersion: 1,
      alertId: '7',
      transition: 'CLEARED',
      account: 'ACC-001',
      kind: 'MARGIN_CALL',
      subject: '',
      value: '300000',
      limit: '425000',
      raisedAt: '2024-07-01T20:15:00.000Z',
      clearedAt: '2024-07-02T20:15:00.000Z',
    },
    consumer: versionedDecoder({ version: 1, schema: RiskAlertEventV1Schema }),
  },
];

function record(topic: string, value: unknown, header?: string): ConsumedRecord {
  return {
    source: { topic, partition: 0, offset: 7 },
    timestamp: 0,
    key: 'ACC-001',
    keyBytes: Buffer.from('ACC-001'),
    value: Buffer.from(JSON.stringify(value)),
    valueIsNull: false,
    headers: header === undefined ? [] : [{ key: SCHEMA_VERSION_HEADER, value: Buffer.from(header) }],
  };
}

/** The subject's schema with `change` applied to each object (each member of a discriminated union). */
function changed(schema: z.ZodType, change: z.ZodRawShape): z.ZodType {
  if (schema instanceof z.ZodObject) return schema.extend(change);
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const options = (schema.options as z.ZodObject[]).map((option) => option.extend(change));
    return z.discriminatedUnion(schema.def.discriminator, options as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
  }
  throw new Error('not an object schema');
}

function subjectOf(topic: string) {
  const subject = EVENT_SUBJECTS.find((s) => s.topics.some((t) => t === topic));
  if (subject === undefined) throw new Error(`no subject for ${topic}`);
  return subject;
}

describe('the checked-in JSON Schemas (schemas/, npm run schemas)', () => {
  it.each(EVENT_SUBJECTS.map((s) => [s.subject, s] as const))(
    '%s: the file of the current version is what the code generates',
    (_name, subject) => {
      // When this fails: "incompatible" means bump the version; "compatible-change" or "missing": npm run schemas.
      expect(schemaState(subject)).toEqual({ state: 'current' });
    },
  );

  it('cover every topic the platform publishes, each in exactly one subject', () => {
    const topics = EVENT_SUBJECTS.flatMap((s) => s.topics);
    expect([...topics].sort()).toEqual(Object.values(Topics).sort());
  });
});

describe('npm run schemas against the checked-in files: an incompatible change needs a version bump', () => {
  it.each(EVENT_SUBJECTS.map((s) => [s.subject, s] as const))(
    '%s: a new required field under the same version is refused, an optional one is not, a bumped one is new',
    (_name, subject) => {
      const withRequired = { ...subject, schema: changed(subject.schema, { note: z.string() }) };
      const withOptional = { ...subject, schema: changed(subject.schema, { note: z.string().optional() }) };
      const bumped = {
        ...subject,
        version: subject.version + 1,
        schema: changed(subject.schema, { schemaVersion: z.literal(subject.version + 1), note: z.string() }),
      };

      expect(schemaState(withRequired)).toEqual({
        state: 'incompatible',
        problems: expect.arrayContaining([expect.stringMatching(/note became required/)]),
      });
      expect(schemaState(withOptional)).toEqual({ state: 'compatible-change' });
      expect(schemaState(bumped)).toEqual({ state: 'missing' });
    },
  );
});

describe('the compatibility rule', () => {
  it.each(EVENT_SUBJECTS.map((s) => [s.subject, s] as const))(
    '%s: an optional field is compatible; a required one, a removed one or a narrower type is not',
    (_name, subject) => {
      const current = jsonSchemaOf(subject);
      const withOptional = jsonSchemaOf({
        ...subject,
        schema: changed(subject.schema, { note: z.string().optional() }),
      });
      const withRequired = jsonSchemaOf({ ...subject, schema: changed(subject.schema, { note: z.string() }) });
      const narrower = jsonSchemaOf({
        ...subject,
        schema: changed(subject.schema, { schemaVersion: z.literal(subject.version + 1) }),
      });

      expect(incompatibilities(current, withOptional)).toEqual([]);
      expect(incompatibilities(current, withRequired)).toEqual(
        expect.arrayContaining([expect.stringMatching(/note became required/)]),
      );
      expect(incompatibilities(withOptional, current)).toEqual(
        expect.arrayContaining([expect.stringMatching(/properties\.note: removed/)]),
      );
      expect(incompatibilities(current, narrower)).toEqual(
        expect.arrayContaining([expect.stringMatching(/schemaVersion/)]),
      );
    },
  );
});

describe('the producer-consumer tests across versions', () => {
  it('cover every topic a consumer reads, positions.changed and risk.alerts included (dead letters: no consumer)', () => {
    const deadLetterTopics = subjectOf(Topics.TRADES_DEAD_LETTER).topics;
    const consumed = Object.values(Topics).filter((topic) => !deadLetterTopics.includes(topic));

    expect(TOPICS.map((t) => t.topic).sort()).toEqual([...consumed].sort());
    expect(consumed).toEqual(expect.arrayContaining([Topics.POSITIONS_CHANGED, Topics.RISK_ALERTS]));
  });
});

describe.each(TOPICS.map((t) => [t.topic, t] as const))('%s across versions', (topic, { message, consumer }) => {
  const subject = subjectOf(topic);
  // Version 2: a new required field, which the rules make a new version; its consumer reads version 1 upgraded.
  const v2Schema = changed(subject.schema, { schemaVersion: z.literal(2), desk: z.string() });
  const v1Schema = subject.schema as z.ZodType<Json>;
  const v2Consumer = versionedDecoder(
    { version: 2, schema: v2Schema as z.ZodType<Json> },
    { version: 1, schema: v1Schema, upgrade: (v1) => ({ ...v1, schemaVersion: 2, desk: 'UNASSIGNED' }) },
  );
  const v2Message = { ...message, schemaVersion: 2, desk: 'EQ-DELTA-ONE' };

  it('a version 1 producer against a version 2 consumer: read, upgraded', () => {
    const decoded = decodeRecord(record(topic, message, '1'), v2Consumer);

    expect(decoded).toMatchObject({ ok: true, value: { schemaVersion: 2, desk: 'UNASSIGNED' } });
  });

  it('a version 2 producer against a version 2 consumer: read as sent', () => {
    expect(decodeRecord(record(topic, v2Message, '2'), v2Consumer)).toMatchObject({ ok: true, value: v2Message });
  });

  it("a version 2 producer against today's version 1 consumer: refused with one clear reason, dead-lettered", () => {
    const decoded = decodeRecord(record(topic, v2Message, '2'), consumer);

    expect(decoded).toMatchObject({
      ok: false,
      errors: [
        {
          code: UNSUPPORTED_SCHEMA_VERSION,
          path: 'schemaVersion',
          message: 'version 2 is not one this consumer reads (1)',
        },
      ],
    });
    if (decoded.ok) return;
    const letter = encodeDeadLetter(decoded.record, Stage.VALIDATE_TRADES, decoded.errors, '2024-04-02T14:30:06.000Z');
    expect(letter.reasons).toEqual([
      {
        code: UNSUPPORTED_SCHEMA_VERSION,
        message: 'schemaVersion: version 2 is not one this consumer reads (1)',
      },
    ]);
    expect(letter.valueBase64).toBe(Buffer.from(JSON.stringify(v2Message)).toString('base64'));
  });

  it('a version 3 producer against the version 2 consumer: refused, naming the versions it reads', () => {
    expect(decodeRecord(record(topic, { ...v2Message, schemaVersion: 3 }), v2Consumer)).toMatchObject({
      ok: false,
      errors: [{ code: UNSUPPORTED_SCHEMA_VERSION, message: 'version 3 is not one this consumer reads (2 and 1)' }],
    });
  });

  it('a compatible change (an optional field) keeps the version: both ways read', () => {
    const withOptional = { ...message, desk: 'EQ-DELTA-ONE' };
    const newConsumer = versionedDecoder({
      version: 1,
      schema: changed(subject.schema, { desk: z.string().optional() }),
    });

    expect(decodeRecord(record(topic, withOptional, '1'), consumer).ok).toBe(true);
    expect(decodeRecord(record(topic, message, '1'), newConsumer).ok).toBe(true);
  });

  it("today's consumer is a versioned decoder: it reads version 1 only, and says so", () => {
    expect(consumer.versions).toEqual([1]);
  });

  it('a body without a version whose header names one the consumer does not read is refused', () => {
    const { schemaVersion: _version, ...unversioned } = message;
    const decoded = decodeRecord(record(topic, unversioned, '2'), consumer);

    expect(decoded).toMatchObject({
      ok: false,
      errors: [
        {
          code: UNSUPPORTED_SCHEMA_VERSION,
          message: `header ${SCHEMA_VERSION_HEADER}: version "2" is not one this consumer reads (1)`,
        },
      ],
    });
  });

  it('a schema-version header that disagrees with the body is refused, not guessed', () => {
    expect(decodeRecord(record(topic, message, '2'), consumer)).toMatchObject({
      ok: false,
      errors: [
        {
          code: UNSUPPORTED_SCHEMA_VERSION,
          message: `header ${SCHEMA_VERSION_HEADER} "2" disagrees with the body's schemaVersion 1`,
        },
      ],
    });
  });
});
