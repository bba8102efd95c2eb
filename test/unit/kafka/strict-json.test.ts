/**
 * The strict JSON reader every door uses (lib/kafka/strict-json.ts), the decoders behind it, and the simulator's
 * undecodable records: what is refused and with which code, and — generated — that no byte string makes a decoder
 * throw, that every record either decodes or carries a reason, and that whatever decodes holds only text
 * PostgreSQL can store.
 */
import fc from 'fast-check';

import { encodeDeadLetter, DeadLetterSchema, Stage } from '../../../lib/kafka/dead-letter';
import { decodeRecord, type ConsumedRecord } from '../../../lib/kafka/decode';
import { decodeBookedTrade } from '../../../lib/kafka/schemas/booked-trade';
import { decodeCustodyStatement } from '../../../lib/kafka/schemas/custody-statement';
import { decodeEodPrice } from '../../../lib/kafka/schemas/eod-price';
import { decodeSettlementStatus } from '../../../lib/kafka/schemas/settlement-status';
import { decodeTradeEvent, type DecodeResult } from '../../../lib/kafka/schemas/trade-event';
import {
  duplicateKeys,
  parseStrictJson,
  parseStrictJsonText,
  unstorableStrings,
  utf8Lines,
} from '../../../lib/kafka/strict-json';
import { undecodableRecord, UndecodableKind } from '../../../lib/simulator/undecodable';
import { seedTrade } from '../../helpers/trades';

const bytes = (text: string) => Buffer.from(text, 'utf8');

function record(value: Buffer): ConsumedRecord {
  return {
    source: { topic: 'trades.captured', partition: 0, offset: 7 },
    timestamp: 1,
    key: 'ACC-001',
    keyBytes: Buffer.from('ACC-001'),
    value,
    valueIsNull: false,
    headers: [],
  };
}

describe('strict JSON', () => {
  it('names every key given twice with its path, escapes decoded, nested objects and arrays included', () => {
    const text = '{"a":1,"a\\u0062":2,"ab":3,"x":{"k":1,"k":2},"y":[{"q":1},{"z":[0,{"q":1,"q":2}]}]}';

    expect(duplicateKeys(text).map((error) => error.path)).toEqual(['ab', 'x.k', 'y.1.z.1.q']);
  });

  it('finds U+0000 and unpaired surrogates in values and keys, but not a surrogate pair', () => {
    const value = { ok: '😀', nul: 'a\u0000', high: '\ud83d', low: ['\ude00'], 'k\u0000': 1 };

    expect(unstorableStrings(value).map((error) => [error.path, error.code])).toEqual([
      ['', 'UNSTORABLE_TEXT'], // the key, named at the object it sits in
      ['nul', 'UNSTORABLE_TEXT'],
      ['high', 'UNSTORABLE_TEXT'],
      ['low.0', 'UNSTORABLE_TEXT'],
    ]);
  });

  it.each([
    ['empty', Buffer.alloc(0), 'EMPTY'],
    ['not UTF-8', Buffer.from([0x22, 0xc3, 0x28, 0x22]), 'NOT_UTF8'],
    ['an overlong UTF-8 encoding of NUL', Buffer.from([0x22, 0xc0, 0x80, 0x22]), 'NOT_UTF8'],
    ['two values', bytes('{} {}'), 'NOT_JSON'],
    ['a comment', bytes('{"a":1 /* no */}'), 'NOT_JSON'],
    ['a trailing comma', bytes('{"a":1,}'), 'NOT_JSON'],
    ['a NUL byte escaped', bytes('{"execId":"X\\u0000Y"}'), 'UNSTORABLE_TEXT'],
  ])('refuses %s', (_, input, code) => {
    const parsed = parseStrictJson(input);
    expect(parsed.ok === false && parsed.errors.map((error) => error.code)).toEqual([code]);
  });

  it.each([
    ['an unpaired surrogate written as it is, in a value', '{"a":["x\ud800"]}', 'a.0'],
    ['an unpaired surrogate written as it is, in a key', '{"k\udc00":1}', ''],
    ['an escaped NUL after an escaped backslash', '{"a":"\\\\\\u0000"}', 'a'],
  ])('refuses text with %s (no escape to hint at it)', (_, text, path) => {
    const parsed = parseStrictJsonText(text);
    expect(parsed.ok === false && parsed.errors.map((error) => [error.code, error.path])).toEqual([
      ['UNSTORABLE_TEXT', path],
    ]);
  });

  it('keeps a byte-order mark out of the value and reads a file line by line, \\r\\n or \\n', () => {
    expect(parseStrictJson(Buffer.from('\ufeff{"a":"é"}'))).toEqual({ ok: true, value: { a: 'é' } });
    expect(utf8Lines(Buffer.concat([bytes('\ufeffa\r\nb\n'), Buffer.from([0xff]), bytes('\nc')]))).toEqual([
      'a',
      'b',
      undefined,
      'c',
    ]);
  });
});

describe('the simulator undecodable records', () => {
  it.each(Object.values(UndecodableKind).map((kind, n) => [kind, n] as const))(
    '%s is refused by decoding with its own reason code',
    (kind, n) => {
      const made = undecodableRecord(seedTrade(), n);

      const decoded = decodeRecord(record(made.value), decodeTradeEvent);

      expect(made.kind).toBe(kind);
      const expected = kind === UndecodableKind.TRUNCATED_JSON ? 'NOT_JSON' : kind;
      expect(decoded.ok === false && decoded.errors.map((error) => error.code)).toEqual([expected]);
    },
  );
});

const decoders: readonly [string, (json: unknown) => DecodeResult<unknown>][] = [
  ['trade event', decodeTradeEvent],
  ['booked trade', decodeBookedTrade],
  ['settlement status', decodeSettlementStatus],
  ['custody statement', decodeCustodyStatement],
  ['end-of-day price', decodeEodPrice],
];

/** Every string anywhere in a value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)]);
  }
  return [];
}

/** Trade events with one field replaced by an arbitrary string (full Unicode, lone surrogates and NUL included). */
const corruptedTrade = fc
  .record({
    field: fc.constantFrom('execId', 'tradeId', 'account', 'quantity', 'price', 'tradeDate', 'tradeTime', 'source'),
    text: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.string({ unit: fc.constantFrom('\u0000', '\ud800', '\udc00', 'a', '9', '.', '-') }),
    ),
  })
  .map(({ field, text }) => Buffer.from(JSON.stringify({ ...seedTrade(), [field]: text }), 'utf8'));

describe('documents nested 100,000 deep', () => {
  it('are scanned for duplicate keys and unstorable text without running out of stack or memory', () => {
    const deep = `${'[{"a":'.repeat(100_000)}"\\u0000"${'}]'.repeat(100_000)}`;
    const value: unknown = JSON.parse(deep);

    expect(duplicateKeys(deep)).toEqual([]);
    expect(unstorableStrings(value).map((error) => error.path.split('.').length)).toEqual([200_000]);
  });
});

describe('duplicate keys, generated', () => {
  it('finds none in any JSON a serializer writes, and finds the one key repeated into any object', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.string().filter((k) => k !== 'x'),
        (value, key) => {
          const text = JSON.stringify(value);
          expect(duplicateKeys(text)).toEqual([]);
          const repeated = `{${JSON.stringify(key)}:${text},"x":[1,{"y":null}],${JSON.stringify(key)} : true}`;
          expect(duplicateKeys(repeated).map((error) => error.path)).toEqual([key]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('decoders, generated', () => {
  it.each(decoders)('%s: any byte string decodes or is refused with a reason, never a throw', (_, decode) => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.json().map(bytes)), (input) => {
        const decoded = decodeRecord(record(Buffer.from(input)), decode);
        if (!decoded.ok) {
          expect(decoded.errors.length).toBeGreaterThan(0);
          // The wrapper of any refused record is valid and holds only storable text (it is stored as jsonb).
          const letter = encodeDeadLetter(
            decoded.record,
            Stage.VALIDATE_TRADES,
            decoded.errors,
            '2024-01-01T00:00:00Z',
          );
          expect(DeadLetterSchema.safeParse(letter).success).toBe(true);
          expect(unstorableStrings(letter)).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a trade event with any one field corrupted either decodes to storable text only, or is refused', () => {
    fc.assert(
      fc.property(corruptedTrade, (input) => {
        const decoded = decodeRecord(record(input), decodeTradeEvent);
        if (decoded.ok) expect(unstorableStrings(strings(decoded.value))).toEqual([]);
        else expect(decoded.errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('a valid trade stays valid, with the same content, whatever the order of its fields', () => {
    const trade = seedTrade();
    const expected = decodeTradeEvent(trade);
    fc.assert(
      fc.property(fc.shuffledSubarray(Object.keys(trade), { minLength: Object.keys(trade).length }), (keys) => {
        const reordered = Object.fromEntries(keys.map((key) => [key, trade[key as keyof typeof trade]]));
        const decoded = decodeRecord(record(bytes(JSON.stringify(reordered))), decodeTradeEvent);
        expect(decoded.ok && decoded.value).toEqual(expected.ok && expected.value);
      }),
      { numRuns: 200 },
    );
  });
});
