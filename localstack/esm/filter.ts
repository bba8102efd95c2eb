/**
 * Lambda event filtering (FilterCriteria) for Kafka records: the pattern language of EventBridge as Lambda applies
 * it to event source mappings. For Kafka, Lambda decodes `value` as JSON (when it is JSON) and matches patterns
 * against `{ topic, partition, offset, timestamp, timestampType, key, headers, value }`. Records that no filter
 * matches are dropped, and their offsets are committed as if processed.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type Matcher =
  | { readonly kind: 'equals'; readonly value: string | number | boolean | null }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'suffix'; readonly value: string }
  | { readonly kind: 'equalsIgnoreCase'; readonly value: string }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'numeric'; readonly bounds: readonly { op: NumericOp; value: number }[] }
  | { readonly kind: 'anythingBut'; readonly values: readonly (string | number)[] }
  | { readonly kind: 'anythingButPrefix'; readonly value: string };

const NUMERIC_OPS = ['=', '<', '<=', '>', '>='] as const;
type NumericOp = (typeof NUMERIC_OPS)[number];

export type FilterParseResult = { ok: true; value: CompiledFilter } | { ok: false; errors: string[] };

/** A pattern as Lambda stores it, kept compiled so records are matched without re-parsing. */
export interface CompiledFilter {
  readonly source: string;
  readonly root: CompiledNode;
}
type CompiledNode =
  | {
      readonly kind: 'object';
      readonly fields: readonly [string, CompiledNode][];
      readonly or: readonly CompiledNode[][];
    }
  | { readonly kind: 'leaf'; readonly matchers: readonly Matcher[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function compileMatcher(raw: unknown, path: string, errors: string[]): Matcher | undefined {
  if (raw === null || typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean') {
    return { kind: 'equals', value: raw };
  }
  if (!isRecord(raw)) {
    errors.push(`${path}: a matcher must be a value or an object, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const entries = Object.entries(raw);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) {
    errors.push(`${path}: a matcher object has exactly one operator, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const [op, arg] = entry;
  switch (op) {
    case 'prefix':
      if (typeof arg === 'string') return { kind: 'prefix', value: arg };
      break;
    case 'suffix':
      if (typeof arg === 'string') return { kind: 'suffix', value: arg };
      break;
    case 'equals-ignore-case':
      if (typeof arg === 'string') return { kind: 'equalsIgnoreCase', value: arg };
      break;
    case 'exists':
      if (typeof arg === 'boolean') return { kind: 'exists', value: arg };
      break;
    case 'numeric': {
      if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) break;
      const bounds: { op: NumericOp; value: number }[] = [];
      for (let i = 0; i < arg.length; i += 2) {
        const o: unknown = arg[i];
        const v: unknown = arg[i + 1];
        const known = NUMERIC_OPS.find((n) => n === o);
        if (known === undefined || typeof v !== 'number') {
          errors.push(`${path}: numeric takes [op, number] pairs with op in ${NUMERIC_OPS.join(' ')}`);
          return undefined;
        }
        bounds.push({ op: known, value: v });
      }
      return { kind: 'numeric', bounds };
    }
    case 'anything-but': {
      if (typeof arg === 'string' || typeof arg === 'number') return { kind: 'anythingBut', values: [arg] };
      if (
        Array.isArray(arg) &&
        arg.every((v): v is string | number => typeof v === 'string' || typeof v === 'number')
      ) {
        return { kind: 'anythingBut', values: arg };
      }
      if (isRecord(arg) && typeof arg.prefix === 'string') return { kind: 'anythingButPrefix', value: arg.prefix };
      break;
    }
    default:
      errors.push(`${path}: unknown filter operator "${op}"`);
      return undefined;
  }
  errors.push(`${path}: invalid argument for "${op}": ${JSON.stringify(arg)}`);
  return undefined;
}

function compileNode(raw: unknown, path: string, errors: string[]): CompiledNode | undefined {
  if (Array.isArray(raw)) {
    if (raw.length === 0) {
      errors.push(`${path}: an array of matchers cannot be empty`);
      return undefined;
    }
    const matchers = raw.map((m, i) => compileMatcher(m, `${path}[${i}]`, errors));
    return { kind: 'leaf', matchers: matchers.filter((m): m is Matcher => m !== undefined) };
  }
  if (!isRecord(raw)) {
    errors.push(`${path}: leaf values must be arrays of matchers, e.g. ["value"], got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const fields: [string, CompiledNode][] = [];
  const or: CompiledNode[][] = [];
  for (const [key, child] of Object.entries(raw)) {
    if (key === '$or') {
      if (!Array.isArray(child) || child.length < 2) {
        errors.push(`${path}.$or: must be an array of at least two patterns`);
        continue;
      }
      or.push(
        child
          .map((alt, i) => compileNode(alt, `${path}.$or[${i}]`, errors))
          .filter((n): n is CompiledNode => n !== undefined),
      );
      continue;
    }
    const node = compileNode(child, `${path}.${key}`, errors);
    if (node !== undefined) fields.push([key, node]);
  }
  return { kind: 'object', fields, or };
}

/**
 * Compiles one filter pattern (the JSON string Lambda keeps in FilterCriteria.Filters[].Pattern, or the object
 * serverless.yml lists under filterPatterns) into a matcher, or reports every problem with its path.
 */
export function compileFilterPattern(pattern: string | object, path = 'pattern'): FilterParseResult {
  let parsed: unknown = pattern;
  const source = typeof pattern === 'string' ? pattern : JSON.stringify(pattern);
  if (typeof pattern === 'string') {
    try {
      parsed = JSON.parse(pattern);
    } catch (e) {
      return { ok: false, errors: [`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`] };
    }
  }
  if (!isRecord(parsed)) return { ok: false, errors: [`${path}: a filter pattern must be a JSON object`] };
  const errors: string[] = [];
  const root = compileNode(parsed, path, errors);
  if (errors.length > 0 || root === undefined) return { ok: false, errors };
  return { ok: true, value: { source, root } };
}

function matchesValue(m: Matcher, present: boolean, v: unknown): boolean {
  if (m.kind === 'exists') return m.value === present;
  if (!present) return false;
  switch (m.kind) {
    case 'equals':
      return v === m.value;
    case 'prefix':
      return typeof v === 'string' && v.startsWith(m.value);
    case 'suffix':
      return typeof v === 'string' && v.endsWith(m.value);
    case 'equalsIgnoreCase':
      return typeof v === 'string' && v.toLowerCase() === m.value.toLowerCase();
    case 'numeric':
      return (
        typeof v === 'number' &&
        m.bounds.every(({ op, value }) =>
          op === '='
            ? v === value
            : op === '<'
              ? v < value
              : op === '<='
                ? v <= value
                : op === '>'
                  ? v > value
                  : v >= value,
        )
      );
    case 'anythingBut':
      return (typeof v === 'string' || typeof v === 'number') && !m.values.includes(v);
    case 'anythingButPrefix':
      return typeof v === 'string' && !v.startsWith(m.value);
  }
}

function matchesLeaf(matchers: readonly Matcher[], present: boolean, v: unknown): boolean {
  // An array in the event matches when any of its elements does (EventBridge semantics).
  if (present && Array.isArray(v)) {
    return matchers.some((m) => (m.kind === 'exists' ? m.value : v.some((el) => matchesValue(m, true, el))));
  }
  return matchers.some((m) => matchesValue(m, present, v));
}

function matchesNode(node: CompiledNode, present: boolean, v: unknown): boolean {
  if (node.kind === 'leaf') return matchesLeaf(node.matchers, present, v);
  // A nested pattern needs an object to look into; `exists: false` below it still matches absent fields.
  const obj = present && isRecord(v) ? v : undefined;
  const fieldOk = node.fields.every(([key, child]) => {
    const has = obj !== undefined && Object.prototype.hasOwnProperty.call(obj, key) && obj[key] !== undefined;
    return matchesNode(child, has, has ? obj[key] : undefined);
  });
  return fieldOk && node.or.every((alts) => alts.some((alt) => matchesNode(alt, present, v)));
}

/** True when `data` matches the compiled pattern. */
export function matchesFilter(filter: CompiledFilter, data: Readonly<Record<string, unknown>>): boolean {
  return matchesNode(filter.root, true, data);
}

/** Lambda keeps a record when ANY filter matches it; with no filters every record is kept. */
export function matchesAnyFilter(filters: readonly CompiledFilter[], data: Readonly<Record<string, unknown>>): boolean {
  return filters.length === 0 || filters.some((f) => matchesFilter(f, data));
}

/** Decodes a record's bytes as JSON the way Lambda does before filtering: not JSON means no `value` to match. */
export function filterableValue(value: Buffer | null): Json | undefined {
  if (value === null) return undefined;
  try {
    return JSON.parse(value.toString('utf8')) as Json;
  } catch {
    return undefined;
  }
}
