/**
 * JSON read the strict way, for every door data comes in by (the HTTP API, Kafka records, trade files): the bytes
 * must be UTF-8, the text one JSON value, no object may name a key twice, and no string (value or key) may hold
 * text PostgreSQL cannot store. `JSON.parse` alone would replace bad UTF-8 with U+FFFD (the HTTP body) or keep the
 * last of two equal keys — both silently change what the sender said — and it lets through U+0000 and unpaired
 * surrogates, which a `text` or `jsonb` column then refuses with an error that fails the whole batch
 * (`invalid byte sequence for encoding "UTF8": 0x00`) instead of the one record.
 */

/** Why a document was refused; stable codes, also used as dead-letter reason codes. */
export const JsonErrorCode = {
  EMPTY: 'EMPTY',
  NOT_UTF8: 'NOT_UTF8',
  NOT_JSON: 'NOT_JSON',
  DUPLICATE_KEY: 'DUPLICATE_KEY',
  UNSTORABLE_TEXT: 'UNSTORABLE_TEXT',
} as const;
export type JsonErrorCode = (typeof JsonErrorCode)[keyof typeof JsonErrorCode];

export interface JsonError {
  readonly code: JsonErrorCode;
  /** Dotted path of the offending member ('trades.0.execId'); '' for the document itself. */
  readonly path: string;
  readonly message: string;
}

export type StrictJsonResult =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly errors: readonly JsonError[] };

/** Most errors reported for one document: enough to fix it, not a second copy of a hostile one. */
const MAX_ERRORS = 20;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why PostgreSQL could not store `text`, or undefined when it can: U+0000 (no `text` or `jsonb` value may hold it)
 * or an unpaired UTF-16 surrogate (not a Unicode character: it has no UTF-8 form, so the driver would write U+FFFD
 * instead and `jsonb` refuses its `\u` escape).
 */
export function unstorableTextReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains U+0000 (NUL), which PostgreSQL text cannot hold';
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate, which is not a Unicode character';
  return undefined;
}

/** `text` with U+0000 and unpaired surrogates replaced by U+FFFD: for messages that quote what they refused. */
export function storableCopy(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}

/**
 * Every string of a parsed JSON value, keys included, that PostgreSQL cannot store. Iterative, one shared path:
 * a document nested 100,000 deep costs its size, not its depth squared, and no stack.
 */
export function unstorableStrings(value: unknown, path: readonly string[] = []): JsonError[] {
  const errors: JsonError[] = [];
  // Each entry: a node to visit and the path segments to it (only the segment is stored; the full path is built
  // from the parents' chain when an error is reported).
  interface Visit {
    readonly node: unknown;
    readonly segment: string | undefined;
    readonly parent: Visit | undefined;
  }
  const pathOf = (visit: Visit | undefined): string => {
    const segments: string[] = [];
    for (let at = visit; at !== undefined; at = at.parent) if (at.segment !== undefined) segments.push(at.segment);
    return [...path, ...segments.reverse()].join('.');
  };
  const pending: Visit[] = [{ node: value, segment: undefined, parent: undefined }];
  while (pending.length > 0 && errors.length < MAX_ERRORS) {
    const visit = pending.pop();
    if (visit === undefined) break;
    const { node } = visit;
    if (typeof node === 'string') {
      const reason = unstorableTextReason(node);
      if (reason !== undefined)
        errors.push({ code: JsonErrorCode.UNSTORABLE_TEXT, path: pathOf(visit), message: reason });
    } else if (Array.isArray(node)) {
      for (let index = node.length - 1; index >= 0; index -= 1) {
        pending.push({ node: node[index] as unknown, segment: String(index), parent: visit });
      }
    } else if (typeof node === 'object' && node !== null) {
      const entries = Object.entries(node as Record<string, unknown>);
      for (let index = entries.length - 1; index >= 0; index -= 1) {
        const [key, item] = entries[index] ?? ['', undefined];
        const reason = unstorableTextReason(key);
        // The key itself cannot be named safely in a path: say where it sits and why.
        if (reason !== undefined) {
          errors.push({ code: JsonErrorCode.UNSTORABLE_TEXT, path: pathOf(visit), message: `a key ${reason}` });
        } else pending.push({ node: item, segment: key, parent: visit });
      }
    }
  }
  return errors;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isJsonWhitespace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
/** `-`, a digit, or the first letter of true, false, null. */
const startsScalar = (c: number): boolean => c === 0x2d || isDigit(c) || c === 0x74 || c === 0x66 || c === 0x6e;
/** What may follow inside a number or literal: [-+0-9.eE] and the letters of true, false, null. */
const continuesScalar = (c: number): boolean => isDigit(c) || 'eE+-.trufalsn'.includes(String.fromCharCode(c));

/**
 * Keys named twice in one object, with their paths; JSON.parse would silently keep the last one. `text` must be
 * valid JSON (parse it first): the scan then only has to follow strings, keys and nesting. Keys are compared as
 * JSON.parse reads them, escapes decoded (`"a\u0062"` and `"ab"` are the same key). Hand-written because the one
 * kept library with a visitor for it (jsonc-parser) ships a UMD build that the functions' esbuild bundles cannot
 * load.
 */
export function duplicateKeys(text: string): JsonError[] {
  const errors: JsonError[] = [];
  // One frame per open object or array: the keys seen (objects) or the next index (arrays), and the segment of
  // the path that leads to it; the full path is only built for an error.
  const frames: { keys: Set<string> | undefined; index: number; segment: string | undefined }[] = [];
  let pendingKey: string | undefined;
  const segmentOfChild = (): string | undefined => {
    const top = frames[frames.length - 1];
    if (top === undefined) return undefined;
    return top.keys === undefined ? String(top.index) : (pendingKey ?? '');
  };
  const pathTo = (key: string): string =>
    [...frames.flatMap((frame) => (frame.segment === undefined ? [] : [frame.segment])), key].join('.');
  const valueDone = (): void => {
    const top = frames[frames.length - 1];
    if (top !== undefined && top.keys === undefined) top.index += 1;
  };
  // Char codes rather than one-character strings and regular expressions: every record of every stage is scanned.
  const length = text.length;
  for (let i = 0; i < length; i += 1) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      const start = i;
      let escaped = false;
      for (i += 1; i < length; i += 1) {
        const c = text.charCodeAt(i);
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          escaped = true;
          i += 1;
        }
      }
      const top = frames[frames.length - 1];
      // A string followed by ':' in an object is a key; any other string is a value.
      let next = i + 1;
      while (next < length && isJsonWhitespace(text.charCodeAt(next))) next += 1;
      if (top?.keys !== undefined && text.charCodeAt(next) === COLON) {
        const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
        if (top.keys.has(key) && errors.length < MAX_ERRORS) {
          errors.push({
            code: JsonErrorCode.DUPLICATE_KEY,
            path: pathTo(key),
            message: 'the key appears more than once in its object',
          });
        }
        top.keys.add(key);
        pendingKey = key;
      } else valueDone();
    } else if (ch === OPEN_BRACE || ch === OPEN_BRACKET) {
      frames.push({ keys: ch === OPEN_BRACE ? new Set() : undefined, index: 0, segment: segmentOfChild() });
    } else if (ch === CLOSE_BRACE || ch === CLOSE_BRACKET) {
      frames.pop();
      valueDone();
    } else if (startsScalar(ch)) {
      // A number or literal: skip to its end.
      while (i + 1 < length && continuesScalar(text.charCodeAt(i + 1))) i += 1;
      valueDone();
    }
  }
  return errors;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses `bytes` (UTF-8; a leading byte-order mark is allowed and dropped) as one JSON value and checks it for
 * duplicate keys and unstorable text. Every failure is returned, none thrown.
 */
export function parseStrictJson(bytes: Uint8Array): StrictJsonResult {
  if (bytes.length === 0) return { ok: false, errors: [{ code: JsonErrorCode.EMPTY, path: '', message: 'empty' }] };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return {
      ok: false,
      errors: [{ code: JsonErrorCode.NOT_UTF8, path: '', message: 'not valid UTF-8' }],
    };
  }
  return parseStrictJsonText(text);
}

/** The bytes as UTF-8 text (a leading byte-order mark dropped), or undefined when they are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A file's lines as text, each decoded as UTF-8 on its own, so that one line of bad bytes is reported (and left
 * out) without losing the others: `undefined` for a line that is not valid UTF-8. Lines end at `\n`, a `\r`
 * before it is dropped; a leading byte-order mark is dropped.
 */
export function utf8Lines(bytes: Uint8Array): (string | undefined)[] {
  const lines: (string | undefined)[] = [];
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (let i = start; i <= bytes.length; i += 1) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    const end = i > start && bytes[i - 1] === 0x0d ? i - 1 : i;
    try {
      lines.push(decoder.decode(bytes.subarray(start, end)));
    } catch {
      lines.push(undefined);
    }
    start = i + 1;
  }
  return lines;
}

/**
 * Whether a string parsed from this JSON text could hold U+0000 or an unpaired surrogate. Without a `\u` escape
 * every string of the value is a piece of the text as it stands (JSON.parse refuses a raw U+0000), and a piece of
 * text with no unpaired surrogate has none: so only such a text needs the walk over the parsed value.
 */
function mayHoldUnstorableText(text: string): boolean {
  return text.includes('\\u') || LONE_SURROGATE.test(text);
}

/** {@link parseStrictJson} for text already decoded (a line of a file read as UTF-8). */
export function parseStrictJsonText(text: string): StrictJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof SyntaxError ? `: ${error.message}` : '';
    return { ok: false, errors: [{ code: JsonErrorCode.NOT_JSON, path: '', message: `not valid JSON${detail}` }] };
  }
  // Only objects can repeat a key; scanning a plain string or number would be wasted work.
  const duplicates = typeof value === 'object' && value !== null ? duplicateKeys(text) : [];
  const errors = [...duplicates, ...(mayHoldUnstorableText(text) ? unstorableStrings(value) : [])];
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}
