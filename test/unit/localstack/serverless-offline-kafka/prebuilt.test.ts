/** The handlers' bundle built once and reused (localstack/serverless-offline-kafka/prebuilt.ts), on real files. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  BUNDLE_COMPLETE,
  bundleComplete,
  handlersBundleDir,
  keepBundle,
  useBundle,
} from '../../../../localstack/serverless-offline-kafka/prebuilt';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prebuilt-test-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What serverless-esbuild leaves in its build folder: a bundle and its source map per handler file. */
function built(): string {
  const dir = path.join(tmp, 'service', '.esbuild', '.build');
  fs.mkdirSync(path.join(dir, 'functions'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'functions', 'validate.js'), 'exports.handler = async () => 1;\n');
  fs.writeFileSync(path.join(dir, 'functions', 'validate.js.map'), '{}');
  fs.mkdirSync(path.join(tmp, 'service', 'node_modules'), { recursive: true });
  return dir;
}

test('handlersBundleDir: empty or unset is none; a path is resolved against the service directory', () => {
  expect(handlersBundleDir(undefined, '/srv')).toBeUndefined();
  expect(handlersBundleDir('', '/srv')).toBeUndefined();
  expect(handlersBundleDir('b', '/srv')).toBe('/srv/b');
  expect(handlersBundleDir('/tmp/b', '/srv')).toBe('/tmp/b');
  expect(() => handlersBundleDir(3, '/srv')).toThrow('handlersBundle: must be a directory path');
});

test('useBundle: no complete bundle, nothing changes (serverless-esbuild builds as usual)', () => {
  const service = { functions: { validate: { handler: 'functions/validate.handler' } }, custom: {} };
  fs.mkdirSync(path.join(tmp, 'half'));
  expect(useBundle(service, path.join(tmp, 'half'))).toBe(false);
  expect(service).toEqual({ functions: { validate: { handler: 'functions/validate.handler' } }, custom: {} });
});

test('keepBundle then useBundle: the copy is whole, links node_modules, and later starts skip the build', () => {
  const serviceDir = path.join(tmp, 'service');
  const dir = path.join(tmp, 'run', 'bundle');
  keepBundle(built(), dir, serviceDir);
  expect(bundleComplete(dir)).toBe(true);
  expect(fs.readFileSync(path.join(dir, 'functions', 'validate.js'), 'utf8')).toContain('exports.handler');
  expect(fs.existsSync(path.join(dir, 'functions', 'validate.js.map'))).toBe(true);
  expect(fs.realpathSync(path.join(dir, 'node_modules'))).toBe(fs.realpathSync(path.join(serviceDir, 'node_modules')));
  expect(fs.readdirSync(path.dirname(dir))).toEqual(['bundle']);

  const service = {
    functions: { validate: { handler: 'functions/validate.handler' }, book: { handler: 'functions/book.handler' } },
    custom: { 'serverless-offline': { httpPort: 3000 } },
  };
  expect(useBundle(service, dir)).toBe(true);
  expect(service.functions).toEqual({
    validate: { handler: 'functions/validate.handler', skipEsbuild: true },
    book: { handler: 'functions/book.handler', skipEsbuild: true },
  });
  expect(service.custom['serverless-offline']).toEqual({ httpPort: 3000, location: dir });
});

test('keepBundle: a second process finding a complete bundle leaves it as it is', () => {
  const serviceDir = path.join(tmp, 'service');
  const dir = path.join(tmp, 'bundle');
  keepBundle(built(), dir, serviceDir);
  const mark = fs.readFileSync(path.join(dir, BUNDLE_COMPLETE), 'utf8');
  fs.writeFileSync(path.join(tmp, 'service', '.esbuild', '.build', 'functions', 'validate.js'), 'changed');
  keepBundle(path.join(tmp, 'service', '.esbuild', '.build'), dir, serviceDir);
  expect(fs.readFileSync(path.join(dir, BUNDLE_COMPLETE), 'utf8')).toBe(mark);
  expect(fs.readFileSync(path.join(dir, 'functions', 'validate.js'), 'utf8')).toContain('exports.handler');
});
