/**
 * The file watcher `sls offline start` runs: serverless-esbuild's own watch(), with serverless.yml's esbuild
 * settings, from the repository root. With the default pattern (./**\/*.(js|ts)) chokidar followed every folder,
 * the stack's PostgreSQL and broker data under .local and .git included, and re-read a folder on every write there:
 * the offline process grew past its heap within minutes of `npm start`. What chokidar watches is measured here.
 */
import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import { readServerlessYml } from '../../../../localstack/topics';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface EsbuildPlugin {
  init(): void;
  watch(): void;
}
type EsbuildPluginClass = new (serverless: unknown, options: unknown, logging: unknown) => EsbuildPlugin;

/** serverless-esbuild constructed on serverless.yml as osls would, with nothing but what watch() reads. */
async function esbuildPlugin(): Promise<EsbuildPlugin> {
  const config = await readServerlessYml(path.join(ROOT, 'serverless.yml'));
  if (!isObj(config) || !isObj(config.provider) || !isObj(config.functions)) throw new Error('serverless.yml');
  const functions = config.functions;
  const serverless = {
    config: { serviceDir: ROOT, servicePath: ROOT },
    configSchemaHandler: { defineFunctionProperties: () => {} },
    service: {
      provider: { name: 'aws', runtime: config.provider.runtime },
      custom: config.custom,
      package: { patterns: [] },
      functions,
      getFunction: (key: string): unknown => functions[key],
    },
  };
  const silent = { verbose: () => {}, error: () => {}, warning: () => {}, notice: () => {}, debug: () => {} };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- serverless-esbuild is CommonJS without types for its class
  const mod = require('serverless-esbuild') as { default?: EsbuildPluginClass } | EsbuildPluginClass;
  const Plugin = typeof mod === 'function' ? mod : mod.default;
  if (Plugin === undefined) throw new Error('serverless-esbuild exports no plugin class');
  const plugin = new Plugin(serverless, {}, { log: silent });
  plugin.init();
  return plugin;
}

describe('the file watcher of sls offline start', () => {
  let watcher: FSWatcher | undefined;
  afterEach(async () => {
    jest.restoreAllMocks();
    await watcher?.close();
  });

  it('watches the handlers and lib sources only, never the data directories or .git', async () => {
    // Arrange: serverless-esbuild calls chokidar.watch itself; the spy keeps the real watcher it returns.
    const watch = jest.spyOn(chokidar, 'watch');
    const plugin = await esbuildPlugin();

    // Act
    plugin.watch();
    const started = watch.mock.results[0];
    if (started === undefined || started.type !== 'return') throw new Error('serverless-esbuild started no watcher');
    watcher = started.value;
    const w = watcher;
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
    const watched = w.getWatched();
    const folders = Object.keys(watched).map((dir) => path.relative(ROOT, dir));

    // Assert: the root itself is listed (one folder, not recursive), but only for its source folders: functions/,
    // lib/, and migrations/ (serverless-esbuild also watches what a function packages: `migrate` ships the SQL).
    const sources = ['functions', 'lib', 'migrations'];
    const outside = folders.filter((f) => f !== '' && !sources.includes(f.split(path.sep)[0]?.split('/')[0] ?? ''));
    expect(outside).toEqual([]);
    expect([...(watched[ROOT] ?? [])].sort()).toEqual(sources);
    expect(folders).toEqual(expect.arrayContaining(['functions', 'lib', path.join('lib', 'domain')]));
    expect(watched[path.join(ROOT, 'functions')]).toEqual(expect.arrayContaining(['validate-trades.ts']));
  });
});
