/**
 * Run parameters shared by the property tests (test/unit/*-properties.test.ts). A failing property prints
 * fast-check's `{ seed, path }`; these variables replay it or run more cases, without editing a test:
 *
 *   FC_SEED=<seed> FC_PATH=<path> npx jest test/unit/<file> -t '<test name>'   replays that counterexample
 *   FC_RUNS_FACTOR=20 npx jest test/unit/<file>                                 20 times the cases (a soak)
 */
import type fc from 'fast-check';

function numberFrom(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${JSON.stringify(text)}`);
  return value;
}

/** `fc.assert` parameters for a property of `numRuns` cases (times FC_RUNS_FACTOR), replaying FC_SEED/FC_PATH. */
export function propertyRuns<T>(numRuns: number): fc.Parameters<T> {
  const factor = numberFrom('FC_RUNS_FACTOR') ?? 1;
  const seed = numberFrom('FC_SEED');
  const path = process.env.FC_PATH;
  return {
    numRuns: Math.max(1, Math.round(numRuns * factor)),
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined || path === '' ? {} : { path, endOnFailure: true }),
  };
}
