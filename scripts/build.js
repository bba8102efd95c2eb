/**
 * `npm run build` (also npm's `prepare`, so `npm ci`, with or without --omit=dev, leaves it built): bundles the
 * command line, lib/cli/main.ts and the modules it reaches, into dist/posttrade.js with esbuild (a dependency, not
 * a devDependency, for that reason). Packages stay external: they are required from node_modules at run time, and
 * each command's implementation is loaded only when that command runs.
 *
 * `isStale()` lets scripts/posttrade.js rebuild a checkout whose sources changed since the last build, so that a
 * developer never runs yesterday's bundle. The bundle is written beside its final name and renamed into place, so a
 * process starting meanwhile sees the old one or the new one, never half of one.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(ROOT, 'lib', 'cli', 'main.ts');
const BUNDLE = path.join(ROOT, 'dist', 'posttrade.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** True when there is no bundle, or (in a checkout with its sources) a source is newer than it. */
function isStale() {
  let built;
  try {
    built = fs.statSync(BUNDLE).mtimeMs;
  } catch {
    return true;
  }
  if (!fs.existsSync(ENTRY)) return false;
  return newestSource(path.join(ROOT, 'lib')) > built || fs.statSync(path.join(ROOT, 'package.json')).mtimeMs > built;
}

function build() {
  const esbuild = require('esbuild');
  fs.mkdirSync(path.dirname(BUNDLE), { recursive: true });
  const temporary = `${BUNDLE}.${process.pid}.tmp`;
  esbuild.buildSync({
    entryPoints: [ENTRY],
    outfile: temporary,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  });
  fs.renameSync(temporary, BUNDLE);
}

module.exports = { BUNDLE, build, isStale };

if (require.main === module) build();
