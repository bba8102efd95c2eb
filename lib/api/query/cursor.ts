/**
 * Opaque page cursors for keyset pagination: the sort key of the last row served, plus a fingerprint of the
 * filters it was served under. Keyset rather than OFFSET so that a page costs the same however deep it is and a
 * row inserted meanwhile neither repeats nor skips a row the caller has not seen yet.
 *
 * Opaque is not secret: a caller can decode it, but a cursor reused with other filters, or tampered with, is
 * refused (400) instead of silently serving the wrong rows.
 */
import { createHash } from 'node:crypto';

import { z } from 'zod';

import { storableText } from '../../kafka/schemas/storable';

// The key's parts go into SQL as parameters: a tampered cursor must not carry text PostgreSQL refuses (a 500).
const CursorBody = z.object({ f: z.string(), k: z.array(storableText({ max: 256 })).min(1) });

/** A short, stable fingerprint of the filters a listing was asked with (also the caller's scope). */
export function filterFingerprint(filters: Readonly<Record<string, string | readonly string[] | undefined>>): string {
  const canonical = Object.keys(filters)
    .sort()
    .map((key) => [key, filters[key] ?? null]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 12);
}

export function encodeCursor(fingerprint: string, key: readonly string[]): string {
  return Buffer.from(JSON.stringify({ f: fingerprint, k: key }), 'utf8').toString('base64url');
}

export type CursorResult =
  | { readonly ok: true; readonly value: readonly string[] | undefined }
  | { readonly ok: false; readonly message: string };

/** The sort key a cursor continues after; undefined for the first page. `arity` is the key's column count. */
export function decodeCursor(cursor: string | undefined, fingerprint: string, arity: number): CursorResult {
  if (cursor === undefined) return { ok: true, value: undefined };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, message: 'not a cursor this API issued' };
  }
  const parsed = CursorBody.safeParse(json);
  if (!parsed.success || parsed.data.k.length !== arity) return { ok: false, message: 'not a cursor this API issued' };
  if (parsed.data.f !== fingerprint)
    return { ok: false, message: 'the cursor belongs to a listing with other filters' };
  return { ok: true, value: parsed.data.k };
}
