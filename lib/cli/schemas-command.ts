/**
 * `posttrade schemas` (`npm run schemas`): writes the JSON Schema of every event's current version under schemas/,
 * refusing a change the versioning rules call incompatible unless the version was bumped (a new file); `--check`
 * writes nothing and fails when a file is missing, stale or incompatible (what the unit test also holds).
 */
import fs from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../config';
import { incompatibilities, jsonSchemaOf, schemaFile } from '../kafka/schemas/json-schema';
import { EVENT_SUBJECTS, type EventSubject } from '../kafka/schemas/registry';
import type { SchemasOptions } from './commands';
import { ExitCode } from './errors';
import type { CommandContext } from './program';

export type SchemaState =
  | { readonly state: 'current' }
  | { readonly state: 'missing' }
  | { readonly state: 'compatible-change' }
  | { readonly state: 'incompatible'; readonly problems: readonly string[] };

/** How the checked-in file of `subject`'s current version stands against what the code generates. */
export function schemaState(subject: EventSubject, root: string = packageRoot()): SchemaState {
  const file = path.join(root, schemaFile(subject.subject, subject.version));
  if (!fs.existsSync(file)) return { state: 'missing' };
  const checkedIn = JSON.parse(fs.readFileSync(file, 'utf8')) as Parameters<typeof incompatibilities>[0];
  const generated = jsonSchemaOf(subject);
  if (JSON.stringify(checkedIn) === JSON.stringify(generated)) return { state: 'current' };
  const problems = incompatibilities(checkedIn, generated);
  return problems.length === 0 ? { state: 'compatible-change' } : { state: 'incompatible', problems };
}

export function schemasCommand(options: SchemasOptions, context: CommandContext): Promise<ExitCode> {
  const root = packageRoot();
  let failed = false;
  for (const subject of EVENT_SUBJECTS) {
    const name = schemaFile(subject.subject, subject.version);
    const state = schemaState(subject, root);
    if (state.state === 'incompatible') {
      failed = true;
      context.stderr.write(
        `${name}: an incompatible change without a new version; bump ${subject.subject}'s schemaVersion to ` +
          `${subject.version + 1} (and read ${subject.version} as the previous version) or undo it:\n` +
          state.problems.map((problem) => `  ${problem}\n`).join(''),
      );
      continue;
    }
    if (state.state === 'current') {
      context.stdout.write(`${name}: up to date\n`);
      continue;
    }
    if (options.check) {
      failed = true;
      context.stderr.write(`${name}: ${state.state === 'missing' ? 'missing' : 'out of date'}; run npm run schemas\n`);
      continue;
    }
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(jsonSchemaOf(subject), null, 2)}\n`);
    context.stdout.write(`${name}: ${state.state === 'missing' ? 'written' : 'updated (compatible)'}\n`);
  }
  return Promise.resolve(failed ? ExitCode.FAILURE : ExitCode.OK);
}
