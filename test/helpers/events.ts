/**
 * Sample Lambda events kept as JSON fixtures in test/events. Each call reads and parses the file again, so every
 * test gets its own deep copy to change freely.
 */
import fs from 'node:fs';
import path from 'node:path';

const EVENTS_DIR = path.join(__dirname, '..', 'events');

/** Loads test/events/<name>.json as a fresh object. */
export function loadEvent<T = unknown>(name: string): T {
  const file = path.join(EVENTS_DIR, name.endsWith('.json') ? name : `${name}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
