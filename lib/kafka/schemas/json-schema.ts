/**
 * The JSON Schema of an event version, generated from its zod schema (zod 4's `z.toJSONSchema`, draft 2020-12), and
 * the compatibility rule of versioning.ts in JSON Schema terms. The schema is the input side (what a consumer
 * accepts: a field with a default is optional); refinements that JSON Schema cannot say (check digits, calendar
 * dates, storable text) are not in it — the zod schema stays the one that decides.
 */
import { z } from 'zod';

import type { EventSubject } from './registry';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The checked-in document of `subject`'s current version. */
export function jsonSchemaOf(subject: EventSubject): Record<string, Json> {
  const generated = z.toJSONSchema(subject.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, Json>;
  return {
    ...generated,
    $id: `https://posttrade.invalid/schemas/${subject.subject}/v${subject.version}.json`,
    title: `${subject.subject} version ${subject.version}`,
  };
}

/** Where the file of a version lives, relative to the package root. */
export function schemaFile(subject: string, version: number): string {
  return `schemas/${subject}/v${version}.json`;
}

/** Keys that document rather than constrain: a change to them is always compatible. */
const ANNOTATIONS = new Set(['description', 'title', '$id', '$schema', 'examples']);

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every way `next` is not a compatible change of `previous` (empty when it is): only new optional properties and
 * changed annotations are allowed, anywhere in the document (a nested object may gain optional fields too).
 */
export function incompatibilities(previous: Json, next: Json, path = '$'): string[] {
  if (Array.isArray(previous) || Array.isArray(next)) {
    if (!Array.isArray(previous) || !Array.isArray(next)) return [`${path}: changed between a list and a value`];
    if (path.endsWith('.required')) return requiredChanges(previous, next, path);
    if (previous.length !== next.length) return [`${path}: ${previous.length} entries became ${next.length}`];
    return previous.flatMap((entry, i) => incompatibilities(entry, next[i] ?? null, `${path}[${i}]`));
  }
  if (isObject(previous) && isObject(next)) {
    const problems: string[] = [];
    const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
    for (const key of keys) {
      if (ANNOTATIONS.has(key)) continue;
      const before = previous[key];
      const after = next[key];
      if (key === 'properties' && isObject(before) && isObject(after)) {
        for (const name of Object.keys(before)) {
          const field = after[name];
          if (field === undefined) problems.push(`${path}.properties.${name}: removed`);
          else problems.push(...incompatibilities(before[name] ?? null, field, `${path}.properties.${name}`));
        }
        // A new property must be optional; `required` is compared on its own.
        continue;
      }
      if (key === 'required') {
        problems.push(...requiredChanges(list(before), list(after), `${path}.required`));
        continue;
      }
      if (before === undefined) problems.push(`${path}.${key}: added`);
      else if (after === undefined) problems.push(`${path}.${key}: removed`);
      else problems.push(...incompatibilities(before, after, `${path}.${key}`));
    }
    return problems;
  }
  return JSON.stringify(previous) === JSON.stringify(next)
    ? []
    : [`${path}: ${JSON.stringify(previous)} became ${JSON.stringify(next)}`];
}

function list(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

function requiredChanges(previous: readonly Json[], next: readonly Json[], path: string): string[] {
  const before = new Set(previous.map(String));
  const after = new Set(next.map(String));
  return [
    ...[...after].filter((name) => !before.has(name)).map((name) => `${path}: ${name} became required`),
    ...[...before].filter((name) => !after.has(name)).map((name) => `${path}: ${name} is no longer required`),
  ];
}
