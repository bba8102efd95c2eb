/**
 * A bundle of the handlers built once and reused by later `sls offline start`s (custom.serverless-offline-kafka.
 * handlersBundle; the fault suite sets it through HANDLERS_BUNDLE_DIR). The first process whose directory holds no
 * complete bundle lets serverless-esbuild build as usual, then copies its output there; every later one (a restart
 * after kill -9, a second handlers' process, a second stack) marks every function `skipEsbuild` and points
 * serverless-offline's `location` at the copy: the same bundles, run by the same serverless-offline runtime and
 * event-source emulator, without the 15 builds. The bundles are what the sources were when the first process
 * built them: meant for one run of a suite, not for a developer editing the code (there, leave it unset).
 */
import fs from 'node:fs';
import path from 'node:path';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Written last, once the copy is whole: a directory without it is not a bundle (a copy cut short). */
export const BUNDLE_COMPLETE = '.bundle-complete';

export interface PrebuiltService {
  readonly functions?: unknown;
  custom?: unknown;
}

/** custom.serverless-offline-kafka.handlersBundle, resolved against the service directory; undefined when empty. */
export function handlersBundleDir(value: unknown, serviceDir: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new Error('custom.serverless-offline-kafka.handlersBundle: must be a directory path');
  }
  return path.resolve(serviceDir, value);
}

export function bundleComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, BUNDLE_COMPLETE));
}

/**
 * Before serverless-esbuild builds: when `dir` holds a complete bundle, every function is skipped by it and
 * serverless-offline loads the handlers from `dir` (serverless-esbuild sets `location` only when none is set).
 * Returns whether the bundle is used.
 */
export function useBundle(service: PrebuiltService, dir: string): boolean {
  if (!bundleComplete(dir)) return false;
  if (isObj(service.functions)) {
    for (const fn of Object.values(service.functions)) if (isObj(fn)) fn.skipEsbuild = true;
  }
  const custom: Obj = isObj(service.custom) ? service.custom : {};
  const offline: Obj = isObj(custom['serverless-offline']) ? custom['serverless-offline'] : {};
  custom['serverless-offline'] = { ...offline, location: dir };
  service.custom = custom;
  return true;
}

/**
 * After serverless-esbuild built into `builtDir` (its serverless-offline `location`): a copy of it as `dir`, made
 * under another name and renamed into place, so that a process starting meanwhile sees no bundle or a whole one.
 * `node_modules` in it links to the service's, where the bundles' externals (the AWS SDK locally) resolve from
 * wherever `dir` is. A process that lost the race to another leaves that one's copy.
 */
export function keepBundle(builtDir: string, dir: string, serviceDir: string): void {
  if (bundleComplete(dir)) return;
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.cpSync(builtDir, partial, { recursive: true });
  if (!fs.existsSync(path.join(partial, 'node_modules'))) {
    fs.symlinkSync(path.join(serviceDir, 'node_modules'), path.join(partial, 'node_modules'), 'dir');
  }
  fs.writeFileSync(path.join(partial, BUNDLE_COMPLETE), `${new Date().toISOString()} pid ${process.pid}\n`);
  try {
    fs.renameSync(partial, dir);
  } catch (error) {
    fs.rmSync(partial, { recursive: true, force: true });
    if (!bundleComplete(dir)) throw error;
  }
}
