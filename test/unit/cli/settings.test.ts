/**
 * The command line's settings (lib/config `loadCliConfig`): the environment first, then the running stack's
 * file in POSTTRADE_DATA_DIR, then the defaults, which are the ones scripts/lib.sh starts the stack with.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { LOCAL_STACK_DEFAULTS, loadCliConfig, localDatabaseUrl } from '../../../lib/config';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

describe('loadCliConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-settings-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const writeStackFile = (lines: string) => {
    fs.mkdirSync(path.join(dataDir, 'run'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'run', 'stack.env'), lines);
  };

  it('falls back to the local defaults when nothing runs and nothing is set', () => {
    const config = loadCliConfig({ POSTTRADE_DATA_DIR: dataDir });

    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.database.url).toBe('postgres://posttrade:posttrade@127.0.0.1:5433/posttrade');
    expect(config.local).toMatchObject({ httpUrl: 'http://localhost:3000', lambdaPort: 3002, stackRunning: false });
    expect(config.sources).toEqual({
      kafka: { kind: 'default' },
      database: { kind: 'default' },
      httpUrl: { kind: 'default' },
    });
  });

  it("takes the running stack's addresses from its file", () => {
    writeStackFile(
      'DATABASE_URL=postgres://posttrade:posttrade@127.0.0.1:19302/posttrade\nKAFKA_BROKERS=127.0.0.1:19301\n' +
        'HTTP_URL=http://localhost:19303\nEXTERNAL_DATABASE=\n',
    );

    const config = loadCliConfig({ POSTTRADE_DATA_DIR: dataDir });

    const file = path.join(dataDir, 'run', 'stack.env');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19301']);
    expect(config.database.url).toBe('postgres://posttrade:posttrade@127.0.0.1:19302/posttrade');
    expect(config.local).toMatchObject({ httpUrl: 'http://localhost:19303', stackRunning: true });
    expect(config.sources.kafka).toEqual({ kind: 'stack', file });
    expect(config.sources.database).toEqual({ kind: 'stack', file });
  });

  it('lets the environment win over the stack file: ports, then whole addresses', () => {
    writeStackFile('DATABASE_URL=postgres://a:b@127.0.0.1:1111/x\nKAFKA_BROKERS=127.0.0.1:2222\n');

    const byPort = loadCliConfig({
      POSTTRADE_DATA_DIR: dataDir,
      KAFKA_PORT: '19301',
      PG_PORT: '19302',
      HTTP_PORT: '19303',
    });
    const byAddress = loadCliConfig({
      POSTTRADE_DATA_DIR: dataDir,
      KAFKA_PORT: '19301',
      PG_PORT: '19302',
      KAFKA_BROKERS: 'kafka.internal:9094',
      DATABASE_URL: 'postgres://app:secret@db.internal:5432/posttrade',
    });

    expect(byPort.kafka.brokers).toEqual(['127.0.0.1:19301']);
    expect(byPort.database.url).toBe(localDatabaseUrl(19302));
    expect(byPort.local.httpUrl).toBe('http://localhost:19303');
    expect(byPort.sources).toEqual({
      kafka: { kind: 'environment', variable: 'KAFKA_PORT' },
      database: { kind: 'environment', variable: 'PG_PORT' },
      httpUrl: { kind: 'environment', variable: 'HTTP_PORT' },
    });
    expect(byAddress.kafka.brokers).toEqual(['kafka.internal:9094']);
    expect(byAddress.database.url).toBe('postgres://app:secret@db.internal:5432/posttrade');
    expect(byAddress.sources.kafka).toEqual({ kind: 'environment', variable: 'KAFKA_BROKERS' });
  });

  it('resolves a relative data directory against the package root, as the scripts do', () => {
    expect(loadCliConfig({}).local.paths.dataDir).toBe(path.join(REPO_ROOT, '.local'));
    expect(loadCliConfig({ POSTTRADE_DATA_DIR: 'tmp/x' }).local.paths.stackEnv).toBe(
      path.join(REPO_ROOT, 'tmp', 'x', 'run', 'stack.env'),
    );
  });

  it('names a bad port', () => {
    expect(() => loadCliConfig({ PG_PORT: '70000' })).toThrow('PG_PORT');
  });

  it('has the defaults scripts/lib.sh starts the stack with', () => {
    const lib = fs.readFileSync(path.join(REPO_ROOT, 'scripts', 'lib.sh'), 'utf8');
    const shellDefault = (name: string) => new RegExp(`^${name}=\\$\\{${name}:-([^}]+)\\}`, 'm').exec(lib)?.[1];

    expect(shellDefault('KAFKA_PORT')).toBe(String(LOCAL_STACK_DEFAULTS.kafkaPort));
    expect(shellDefault('PG_PORT')).toBe(String(LOCAL_STACK_DEFAULTS.pgPort));
    expect(shellDefault('HTTP_PORT')).toBe(String(LOCAL_STACK_DEFAULTS.httpPort));
    expect(shellDefault('LAMBDA_PORT')).toBe(String(LOCAL_STACK_DEFAULTS.lambdaPort));
    expect(/^DATA_DIR=\$\{POSTTRADE_DATA_DIR:-([^}]+)\}/m.exec(lib)?.[1]).toBe(LOCAL_STACK_DEFAULTS.dataDir);
  });
});
