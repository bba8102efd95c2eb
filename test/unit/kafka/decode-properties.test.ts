/**
 * Property tests of the Kafka boundary (lib/kafka/decode.ts, lib/kafka/schemas/*): whatever bytes a record carries,
 * every decoder of every consumed topic returns a result for it, never an exception, and what does not decode
 * becomes a dead letter that keeps the exact raw bytes. Valid events stay valid whatever their JSON layout, and a
 * change to one field is reported at that field.
 *
 * A failure prints fast-check's seed and path; test/helpers/property.ts says how to replay it.
 */
import assert from 'node:assert/strict';

import fc from 'fast-check';

import { isValidIsin, isValidLei } from '../../../lib/domain/refdata';
import { DeadLetterSchema, Stage, encodeDeadLetter } from '../../../lib/kafka/dead-letter';
import {
  UNSUPPORTED_SCHEMA_VERSION,
  decodeRecords,
  type DecodedRecord,
  type KafkaEvent,
} from '../../../lib/kafka/decode';
import { JsonErrorCode } from '../../../lib/kafka/strict-json';
import { decodeBookedTrade } from '../../../lib/kafka/schemas/booked-trade';
import { decodeCustodyStatement } from '../../../lib/kafka/schemas/custody-statement';
import { decodeEodPrice } from '../../../lib/kafka/schemas/eod-price';
import { decodeReconBreakEvent } from '../../../lib/kafka/schemas/recon-break';
import { decodeSettlementInstructionMessage } from '../../../lib/kafka/schemas/settlement-instruction';
import { decodeSettlementStatus } from '../../../lib/kafka/schemas/settlement-status';
import {
  SCHEMA_INVALID,
  decodeTradeEvent,
  encodeTradeEvent,
  type DecodeResult,
} from '../../../lib/kafka/schemas/trade-event';
import { Topics } from '../../../lib/kafka/topics';
import { decodeValidatedTrade } from '../../../lib/pipeline/handlers';
import { deadLetterDecision, tradeContentHash } from '../../../lib/pipeline/validate';
import { eodPriceReasons } from '../../../lib/prices/rules';
import { grossMessage } from '../../../lib/settlement/messages';
import { planInstruction, planSettlement } from '../../../lib/settlement/plan';
import { isinArbitrary, isinCheckDigit, leiArbitrary, validSeedTradeArbitrary } from '../../helpers/arbitraries';
import { loadEvent } from '../../helpers/events';
import { rawKafkaEvent } from '../../helpers/kafka-events';
import { seedReferenceData, seedSettlementReference } from '../../helpers/seed-reference-data';
import { propertyRuns } from '../../helpers/property';

/** Runs of each property; their sum is this file's share of the suite's generated cases. */
const RUNS = { bytes: 1200, json: 600, batches: 200, mutations: 1000, layout: 200, wireFields: 400, identifiers: 300 };

/** Every consumed topic with the decoder its handler runs. */
const DECODERS: Readonly<Record<string, (json: unknown) => DecodeResult<unknown>>> = {
  [Topics.TRADES_CAPTURED]: decodeTradeEvent,
  [Topics.TRADES_VALIDATED]: decodeValidatedTrade,
  [Topics.TRADES_BOOKED]: decodeBookedTrade,
  [Topics.SETTLEMENT_INSTRUCTIONS]: decodeSettlementInstructionMessage,
  [Topics.SETTLEMENT_STATUS]: decodeSettlementStatus,
  [Topics.CUSTODY_STATEMENTS]: decodeCustodyStatement,
  [Topics.PRICES_EOD]: decodeEodPrice,
  [Topics.RECON_BREAKS]: decodeReconBreakEvent,
};
const topics = Object.keys(DECODERS);

const data = seedReferenceData();
const instruments = new Map(data.instruments.map((instrument) => [instrument.isin, instrument]));
const settlementReference = seedSettlementReference(data);
const AT = '2024-05-28T21:00:00.000Z';

/** Valid values of each topic: the fixtures' records that decode, and trades drawn from the seed. */
const fixtureValues: ReadonlyMap<string, readonly unknown[]> = (() => {
  const values = new Map<string, unknown[]>();
  for (const name of [
    'custody-statements',
    'prices-eod',
    'settlement-status',
    'trades-booked',
    'trades-captured',
    'trades-validated',
  ]) {
    const event = loadEvent<KafkaEvent>(name);
    const topic = Object.values(event.records)[0]?.[0]?.topic ?? '';
    const decode = DECODERS[topic];
    if (decode === undefined) continue;
    // Some fixtures carry deliberately bad records (a tombstone, a JSON number price): only valid ones are kept.
    for (const outcome of decodeRecords(event, decode)) {
      if (outcome.ok)
        values.set(topic, [...(values.get(topic) ?? []), JSON.parse(outcome.record.value.toString('utf8'))]);
    }
  }
  return values;
})();

const seedTrades = validSeedTradeArbitrary(data);
const bookedTrades = seedTrades.map((seed) => ({
  schemaVersion: 1 as const,
  trade: { ...seed.event, settlementDate: seed.expectedSettlementDate },
  status: 'LIVE' as const,
  bookedAt: AT,
  settlementDate: seed.expectedSettlementDate,
}));

/** A valid value of `topic` as JSON: a seed trade (as captured, validated or booked) or a fixture's record. */
function validValue(topic: string): fc.Arbitrary<unknown> {
  // Recon breaks have neither a fixture nor a generator: they get random bytes and JSON only.
  const fixtures = fixtureValues.get(topic) ?? [];
  switch (topic) {
    case Topics.TRADES_CAPTURED:
      return seedTrades.map((seed) => seed.event);
    case Topics.TRADES_VALIDATED:
      return seedTrades.map((seed) => ({
        ...seed.event,
        settlementDate: seed.expectedSettlementDate,
        validatedAt: AT,
      }));
    case Topics.TRADES_BOOKED:
      return bookedTrades;
    case Topics.SETTLEMENT_INSTRUCTIONS:
      return bookedTrades.map((booked) => grossMessage(planInstruction(booked, settlementReference)).payload);
    default:
      return fc.constantFrom(...fixtures);
  }
}

/** Topics with valid values to change (every consumed topic but recon.breaks). */
const withValidValues = topics.filter(
  (topic) => topic.startsWith('trades.') || topic === Topics.SETTLEMENT_INSTRUCTIONS || fixtureValues.has(topic),
);

/** The reason codes docs/dead-letters.md lists. */
const REASON_CODES = new Set<string>([...Object.values(JsonErrorCode), SCHEMA_INVALID, UNSUPPORTED_SCHEMA_VERSION]);

/** Checks what the handlers rely on of one decoded record, and runs the pure steps they take with it. */
function checkOutcome(topic: string, decoded: DecodedRecord<unknown>, bytes: Uint8Array | null): void {
  assert.deepEqual(decoded.record.source, { topic, partition: 0, offset: decoded.record.source.offset });
  assert.ok(Buffer.from(bytes ?? []).equals(decoded.record.value), 'the record keeps its raw bytes');
  if (decoded.ok) {
    if (topic === Topics.TRADES_CAPTURED) tradeContentHash(decoded.value as Parameters<typeof tradeContentHash>[0]);
    // Settlement plans every booked version it decodes; positions only read its keys.
    if (topic === Topics.TRADES_BOOKED) {
      planSettlement([decoded.value as Parameters<typeof planSettlement>[0][number]], new Map(), settlementReference);
    }
    if (topic === Topics.PRICES_EOD) {
      const price = decoded.value as Parameters<typeof eodPriceReasons>[0];
      eodPriceReasons(price, instruments.get(price.isin));
    }
    return;
  }
  assert.ok(decoded.errors.length > 0, 'a failure has a reason');
  for (const error of decoded.errors) assert.ok(error.message.length > 0, 'every reason says something');
  const letter = encodeDeadLetter(decoded.record, Stage.VALIDATE_TRADES, decoded.errors, AT);
  // What is published must parse as the documented dead letter, after the trip through JSON, with the exact bytes.
  const published = DeadLetterSchema.parse(JSON.parse(JSON.stringify(letter)));
  assert.ok(
    Buffer.from(published.valueBase64 ?? '', 'base64').equals(Buffer.from(bytes ?? [])),
    'the raw bytes survive',
  );
  assert.ok(
    published.reasons.every((reason) => REASON_CODES.has(reason.code)),
    'every reason has a documented code',
  );
  if (topic === Topics.TRADES_CAPTURED) {
    const decision = deadLetterDecision(decoded.record, Stage.VALIDATE_TRADES, decoded.errors, AT);
    assert.equal(decision.message?.topic, Topics.TRADES_DEAD_LETTER);
  }
}

/** Decodes the values as one event of `topic` and checks every outcome; returns the outcomes. */
function decodeAndCheck(topic: string, values: readonly (Uint8Array | null)[]): DecodedRecord<unknown>[] {
  const decode = DECODERS[topic];
  if (decode === undefined) throw new Error(`no decoder for ${topic}`);
  const decoded = decodeRecords(rawKafkaEvent(topic, values), decode);
  assert.equal(decoded.length, values.length, 'one outcome per record');
  decoded.forEach((outcome, index) => {
    assert.equal(outcome.record.source.offset, index, 'outcomes in offset order');
    checkOutcome(topic, outcome, values[index] ?? null);
  });
  return decoded;
}

/**
 * One character of any kind: ASCII (NUL and controls included), the rest of the BMP (lone surrogates included),
 * astral. Drawn as code points: fast-check's own 'binary' unit builds a map of all 1.1 million on first use.
 */
const anyCodeUnit: fc.Arbitrary<string> = fc
  .oneof(
    fc.integer({ min: 0, max: 0x7f }),
    fc.integer({ min: 0x80, max: 0xffff }),
    fc.integer({ min: 0x10000, max: 0x10ffff }),
  )
  .map((codePoint) => (codePoint <= 0xffff ? String.fromCharCode(codePoint) : String.fromCodePoint(codePoint)));

/** Bytes a broker may hand over: random bytes, text (with NUL, controls, lone surrogates), JSON, or nothing. */
const anyBytes: fc.Arbitrary<Uint8Array | null> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.string({ unit: anyCodeUnit, maxLength: 256 }).map((text) => Buffer.from(text, 'utf8')),
  fc.jsonValue({ maxDepth: 4 }).map((json) => Buffer.from(JSON.stringify(json) ?? 'null')),
  fc.constant(null),
  fc.constant(new Uint8Array()),
);

describe('any bytes as a record value decode or dead-letter, never throw', () => {
  it('on every consumed topic', () => {
    fc.assert(
      fc.property(fc.constantFrom(...topics), anyBytes, (topic, bytes) => {
        decodeAndCheck(topic, [bytes]);
      }),
      propertyRuns(RUNS.bytes),
    );
  });

  it('JSON values of every shape, and valid events with their bytes cut or flipped', () => {
    const damaged = fc.constantFrom(...withValidValues).chain((topic) =>
      fc.record({
        topic: fc.constant(topic),
        bytes: fc.oneof(
          fc
            .anything({ maxDepth: 3, withNullPrototype: true })
            .map((value) => Buffer.from(JSON.stringify(value) ?? '')),
          fc
            .tuple(validValue(topic), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
            .map(([value, at, byte, cut]) => {
              const bytes = Buffer.from(JSON.stringify(value));
              const index = at % bytes.length;
              if (cut) return bytes.subarray(0, index);
              bytes[index] = byte;
              return bytes;
            }),
        ),
      }),
    );
    fc.assert(
      fc.property(damaged, ({ topic, bytes }) => {
        decodeAndCheck(topic, [bytes]);
      }),
      propertyRuns(RUNS.json),
    );
  });

  it('in a batch of good and bad records, each good one decodes and each bad one dead-letters, in order', () => {
    const batches = fc.constantFrom(...withValidValues).chain((topic) =>
      fc.record({
        topic: fc.constant(topic),
        records: fc.array(
          fc.oneof(
            validValue(topic).map((value) => ({ good: true, bytes: Buffer.from(JSON.stringify(value)) })),
            fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({
              // A leading 0xff is never valid UTF-8, so these are bad whatever follows.
              good: false,
              bytes: Buffer.concat([Buffer.from([0xff]), bytes]),
            })),
          ),
          { minLength: 1, maxLength: 30 },
        ),
      }),
    );
    fc.assert(
      fc.property(batches, ({ topic, records }) => {
        const decoded = decodeAndCheck(
          topic,
          records.map((record) => record.bytes),
        );
        assert.deepEqual(
          decoded.map((outcome) => outcome.ok),
          records.map((record) => record.good),
        );
      }),
      propertyRuns(RUNS.batches),
    );
  });

  it('a record nested deeper than any parser recursion, or megabytes long, is one dead letter', () => {
    const deep = Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const long = Buffer.from(JSON.stringify({ schemaVersion: 1, execId: 'X'.repeat(1_000_000) }));
    for (const topic of topics) {
      const decoded = decodeAndCheck(topic, [deep, long]);
      expect(decoded.map((outcome) => outcome.ok)).toEqual([false, false]);
    }
  });
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Paths of the fields of a JSON value (object keys and array indexes), depth first. */
function fieldPaths(value: Json, prefix: readonly string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string, Json][] = Array.isArray(value)
    ? value.map((item, index) => [String(index), item])
    : Object.entries(value);
  return entries.flatMap(([key, item]) => [[...prefix, key], ...fieldPaths(item, [...prefix, key])]);
}

/** A deep copy of `value` with the field at `path` replaced (`undefined`: removed). */
function withField(value: Json, path: readonly string[], replacement: Json | undefined): Json {
  const [head, ...rest] = path;
  if (head === undefined || value === null || typeof value !== 'object') return replacement ?? null;
  if (Array.isArray(value)) {
    const index = Number(head);
    const copy = [...value];
    if (rest.length === 0 && replacement === undefined) copy.splice(index, 1);
    else copy[index] = withField(value[index] ?? null, rest, replacement);
    return copy;
  }
  const copy: { [key: string]: Json } = { ...value };
  if (rest.length === 0 && replacement === undefined) delete copy[head];
  else copy[head] = withField(value[head] ?? null, rest, replacement);
  return copy;
}

describe('a change to one field of a valid event', () => {
  it('is either still valid or reported at that field, and a trade that still decodes re-encodes to itself', () => {
    const mutations = fc.constantFrom(...withValidValues).chain((topic) =>
      validValue(topic).chain((value) => {
        const paths = fieldPaths(value as Json);
        return fc.record({
          topic: fc.constant(topic),
          value: fc.constant(value as Json),
          path: fc.constantFrom(...paths),
          replacement: fc.option(
            fc.oneof(
              fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
              fc.string({ unit: anyCodeUnit, maxLength: 70 }),
              fc.constantFrom('', '0', '-0', '1e3', '0x10', ' 1', '1.', '.5', '2024-02-30', 'NaN', 'Infinity'),
            ),
            { nil: undefined },
          ),
        });
      }),
    );
    fc.assert(
      fc.property(mutations, ({ topic, value, path, replacement }) => {
        const changed = withField(value, path, replacement);
        const [outcome] = decodeAndCheck(topic, [Buffer.from(JSON.stringify(changed))]);
        if (outcome === undefined) throw new Error('no outcome');
        const field = path.join('.');
        if (!outcome.ok) {
          // A union (the settlement instruction's kinds) may report at the record; otherwise at the field or within.
          const elsewhere = outcome.errors.filter(
            (error) =>
              !(error.path === field || error.path.startsWith(`${field}.`) || field.startsWith(`${error.path}.`)),
          );
          assert.deepEqual(elsewhere, [], `changing ${field} to ${JSON.stringify(replacement)}`);
          return;
        }
        if (topic === Topics.TRADES_CAPTURED) {
          const trade = outcome.value as Parameters<typeof encodeTradeEvent>[0];
          const again = decodeTradeEvent(JSON.parse(JSON.stringify(encodeTradeEvent(trade))));
          if (!again.ok) throw new Error(`re-encoded trade does not decode: ${JSON.stringify(again.errors)}`);
          assert.deepEqual(encodeTradeEvent(again.value), encodeTradeEvent(trade));
          assert.equal(tradeContentHash(again.value), tradeContentHash(trade));
        }
      }),
      propertyRuns(RUNS.mutations),
    );
  });

  it('of the trade event, breaking what the schema checks, dead-letters the record naming the field', () => {
    const breaks: readonly { field: string; to: (value: string) => fc.Arbitrary<unknown> }[] = [
      // One check digit off: ISO 6166's Luhn and ISO 7064's MOD 97-10 catch every single-digit change.
      {
        field: 'isin',
        to: (isin) => fc.integer({ min: 1, max: 9 }).map((d) => isin.slice(0, 11) + ((Number(isin[11]) + d) % 10)),
      },
      {
        field: 'counterpartyLei',
        to: (lei) => fc.integer({ min: 1, max: 9 }).map((d) => lei.slice(0, 19) + ((Number(lei[19]) + d) % 10)),
      },
      {
        field: 'tradeDate',
        to: () => fc.constantFrom('2024-02-30', '2024-13-01', '2024-6-3', '24-06-03', '2024-06-03T00:00:00Z'),
      },
      {
        field: 'quantity',
        to: (q) => fc.constantFrom(Number(q), `${q}e0`, ` ${q}`, `+${q}`, '', `0${q}`, '1'.repeat(41)),
      },
      { field: 'price', to: (p) => fc.constantFrom(Number(p), `${p}e0`, `${p} `, `$${p}`, '', 'NaN', `${p},00`) },
      { field: 'side', to: () => fc.constantFrom('B', 'buy', 'SHORT', 1) },
      { field: 'lifecycle', to: () => fc.constantFrom('REPLACE', 'new', 0) },
      { field: 'mic', to: () => fc.constantFrom('xnys', 'XNY', 'XNYSE', '') },
      { field: 'currency', to: () => fc.constantFrom('usd', 'US', 'USDX', '') },
      { field: 'version', to: () => fc.constantFrom(0, -1, 1.5, '1') },
      { field: 'execId', to: () => fc.constantFrom('', 'E'.repeat(65)) },
      { field: 'tradeTime', to: (t) => fc.constantFrom(t.slice(0, 19), t.replace('T', ' '), '2024-06-03') },
    ];
    const cases = fc
      .tuple(seedTrades, fc.constantFrom(...breaks))
      .chain(([seed, broken]) =>
        broken
          .to(String(seed.event[broken.field as keyof typeof seed.event]))
          .map((value) => ({ event: { ...seed.event, [broken.field]: value }, field: broken.field })),
      );
    fc.assert(
      fc.property(cases, ({ event, field }) => {
        const [outcome] = decodeAndCheck(Topics.TRADES_CAPTURED, [Buffer.from(JSON.stringify(event))]);
        if (outcome === undefined || outcome.ok) throw new Error(`${field}: ${JSON.stringify(event)} decoded`);
        assert.deepEqual([...new Set(outcome.errors.map((error) => error.path))], [field]);
      }),
      propertyRuns(RUNS.wireFields),
    );
  });

  it('of its JSON layout only (field order, white space) decodes to the same value', () => {
    const layouts = fc.constantFrom(...withValidValues).chain((topic) =>
      validValue(topic).chain((value) =>
        fc.record({
          topic: fc.constant(topic),
          value: fc.constant(value as Json),
          order: fc.shuffledSubarray(Object.keys(value as object), { minLength: Object.keys(value as object).length }),
          indent: fc.constantFrom(undefined, 2, '\t'),
        }),
      ),
    );
    fc.assert(
      fc.property(layouts, ({ topic, value, order, indent }) => {
        const fields = new Map(Object.entries(value as object));
        const reordered = Object.fromEntries(order.map((key) => [key, fields.get(key)]));
        const [a, b] = decodeAndCheck(topic, [
          Buffer.from(JSON.stringify(value)),
          Buffer.from(JSON.stringify(reordered, null, indent)),
        ]);
        if (!a?.ok || !b?.ok) throw new Error(`a valid ${topic} event did not decode`);
        assert.equal(JSON.stringify(b.value), JSON.stringify(a.value));
      }),
      propertyRuns(RUNS.layout),
    );
  });
});

describe('identifier check digits (the generators agree with lib/domain/refdata)', () => {
  it('generated ISINs and LEIs are valid; any other check digit is not', () => {
    fc.assert(
      fc.property(isinArbitrary(), leiArbitrary(), fc.integer({ min: 1, max: 9 }), (isin, lei, shift) => {
        assert.ok(isValidIsin(isin), isin);
        assert.ok(isValidLei(lei), lei);
        assert.equal(isValidIsin(isin.slice(0, 11) + ((Number(isin[11]) + shift) % 10)), false);
        assert.equal(isValidLei(lei.slice(0, 19) + ((Number(lei[19]) + shift) % 10)), false);
        assert.equal(isinCheckDigit(isin.slice(0, 11)), isin[11]);
      }),
      propertyRuns(RUNS.identifiers),
    );
    // The seed's own identifiers pass the same checks.
    expect(data.instruments.filter((instrument) => !isValidIsin(instrument.isin))).toEqual([]);
    expect(data.counterparties.filter((counterparty) => !isValidLei(counterparty.lei))).toEqual([]);
  });
});
