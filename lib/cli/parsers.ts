/**
 * Option value parsers for the commander definitions (lib/cli/commands.ts): each turns the text into the typed
 * value or throws commander's InvalidArgumentError, which the runner reports with the usage (exit 2).
 */
import { InvalidArgumentError } from 'commander';

import { isIsoDate } from '../domain/calendar';

/** A whole number within [min, max]. */
export function integer(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      const range =
        min === Number.MIN_SAFE_INTEGER
          ? 'a whole number'
          : max === Number.MAX_SAFE_INTEGER
            ? `a whole number from ${min}`
            : `a whole number from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected ${range}, got '${text}'`);
    }
    return value;
  };
}

/** A number greater than zero. */
export function positive(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value > 0) || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`expected a number greater than 0, got '${text}'`);
  }
  return value;
}

/** A number zero or more. */
export function nonNegative(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value >= 0) || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`expected a number of 0 or more, got '${text}'`);
  }
  return value;
}

/** A share between 0 and 1 (a rate of the simulators). */
export function share(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError(`expected a share between 0 and 1, got '${text}'`);
  }
  return value;
}

/** A calendar date written YYYY-MM-DD that exists (2024-02-30 does not). */
export function isoDate(text: string): string {
  if (!isIsoDate(text)) throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got '${text}'`);
  return text;
}

/** A comma-separated list, blanks dropped. */
export function list(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Each use of a repeatable option adds to the list. */
export function collect(text: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), text];
}
