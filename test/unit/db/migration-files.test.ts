/**
 * The migrations folder: node-pg-migrate orders migrations by the number that starts each file name, so two files
 * with one number (two branches that each took the next timestamp) would be applied in an ambiguous order.
 */
import fs from 'node:fs';
import path from 'node:path';

const DIR = path.join(__dirname, '..', '..', '..', 'migrations');

const files = fs.readdirSync(DIR).filter((name) => name.endsWith('.sql'));

describe('migration files', () => {
  it('each starts with its own number', () => {
    const numbers = files.map((name) => /^(\d+)_/.exec(name)?.[1]);
    expect(numbers).not.toContain(undefined);
    const seen = new Map<string, string[]>();
    files.forEach((name, i) => {
      const n = numbers[i] as string;
      seen.set(n, [...(seen.get(n) ?? []), name]);
    });
    expect([...seen.values()].filter((names) => names.length > 1)).toEqual([]);
  });

  it('are found (the folder holds the schema)', () => {
    expect(files.length).toBeGreaterThan(10);
  });
});
