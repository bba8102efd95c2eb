/**
 * `posttrade` runs built JavaScript, with only the production dependencies installed: a copy of the package whose
 * node_modules holds exactly what `npm ci --omit=dev` installs (the packages `npm ls --omit=dev` lists, hard-linked
 * from this checkout's, since the test runs offline), no tsx and no TypeScript. npm's `prepare` (scripts/build.js)
 * builds dist/posttrade.js there, and the built command migrates and loads a real database from the copy's own
 * migrations/ and seed files.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { createTestDatabase, REPO_ROOT, type TestDatabase } from '../helpers/postgres';

const exec = promisify(execFile);
const SETTINGS = ['DATABASE_URL', 'KAFKA_BROKERS', 'KAFKA_PORT', 'PG_PORT', 'HTTP_PORT', 'POSTTRADE_DATA_DIR'];

describe('posttrade after a production install', () => {
  let copy: string;
  let db: TestDatabase;
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !SETTINGS.includes(name))),
    POSTTRADE_DATA_DIR: path.join(copy, '.local'),
    ...extra,
  });

  beforeAll(async () => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'posttrade-prod-'));
    const { stdout: files } = await exec('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const file of files.split('\0').filter((f) => f !== '' && fs.existsSync(path.join(REPO_ROOT, f)))) {
      fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      fs.copyFileSync(path.join(REPO_ROOT, file), path.join(copy, file));
    }
    const { stdout: packages } = await exec('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const modules = path.join(REPO_ROOT, 'node_modules');
    for (const dir of packages.split('\n').filter((line) => line.startsWith(`${modules}${path.sep}`))) {
      const target = path.join(copy, 'node_modules', path.relative(modules, dir));
      if (fs.existsSync(target)) continue; // inside a package copied already
      fs.mkdirSync(path.dirname(target), { recursive: true });
      await exec('cp', ['-al', dir, target]);
    }
    db = await createTestDatabase({ migrated: false });
  }, 120_000);
  afterAll(async () => {
    await db.drop();
    fs.rmSync(copy, { recursive: true, force: true });
  });

  it('has no development tools to fall back on', () => {
    for (const dev of ['tsx', 'typescript', 'jest', 'eslint']) {
      expect(fs.existsSync(path.join(copy, 'node_modules', dev))).toBe(false);
    }
    expect(fs.existsSync(path.join(copy, 'node_modules', 'esbuild'))).toBe(true);
    expect(fs.existsSync(path.join(copy, 'dist'))).toBe(false);
  });

  it('builds on prepare, answers npx posttrade --help, and migrates and loads a database', async () => {
    await exec('npm', ['run', 'prepare'], { cwd: copy, env: env() });
    const help = await exec('npx', ['--no', '--', 'posttrade', '--help'], { cwd: copy, env: env() });
    const reportHelp = await exec('npx', ['--no', '--', 'posttrade', 'report', 'daily', '--help'], {
      cwd: copy,
      env: env(),
    });
    const migrated = await exec('node', ['scripts/posttrade.js', 'migrate'], {
      cwd: copy,
      env: env({ DATABASE_URL: db.url }),
    });
    const loaded = await exec('node', ['scripts/posttrade.js', 'refdata', 'load'], {
      cwd: copy,
      env: env({ DATABASE_URL: db.url }),
    });

    expect(fs.existsSync(path.join(copy, 'dist', 'posttrade.js'))).toBe(true);
    expect(help.stdout).toContain('Usage: posttrade <command> [options]');
    expect(reportHelp.stdout).toContain('$ posttrade report daily --date 2024-05-28');
    expect(migrated.stdout).toMatch(/^migrations applied: /);
    expect(loaded.stdout).toContain(`reference data from ${path.join(copy, 'migrations', 'seed')}:`);
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM instruments');
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
  }, 120_000);
});
