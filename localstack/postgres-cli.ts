/**
 * `npm run db:start [-- --data-dir DIR --port N]`: runs the embedded PostgreSQL in the foreground until Ctrl-C.
 * Server logs go to `<data-dir>/server.log`, not to this terminal.
 */
import { Command, integerIn, parseStandalone } from '../lib/cli/standalone';
import { POSTGRES_DEFAULTS, runningPostmaster, SERVER_LOG_FILE, startPostgres } from './postgres';

/** How often to check that the server is still alive, so that a crash ends this process too. */
const WATCH_INTERVAL_MS = 2_000;

interface DbStartOptions {
  readonly dataDir: string;
  readonly port: number;
}

const command = new Command('npm run db:start --')
  .description('Runs the embedded PostgreSQL in the foreground until Ctrl-C (reuses one already running there).')
  .option('--data-dir <dir>', 'cluster directory', POSTGRES_DEFAULTS.dataDir)
  .option('--port <n>', 'port to listen on', integerIn(1, 65_535), POSTGRES_DEFAULTS.port)
  .addHelpText('after', '\nExit codes: 0 done, 1 failed, 2 usage.\nExamples:\n  $ npm run db:start -- --port 55432');

async function main(): Promise<void> {
  const parsed = parseStandalone<DbStartOptions>(command, process.argv.slice(2));
  if (!parsed.ok) {
    process.exitCode = parsed.code;
    return;
  }
  const { dataDir, port } = parsed.options;

  const server = await startPostgres({ dataDir, port });
  if (server.reused) {
    // Not ours to stop: report where it is and leave it alone.
    console.log(`postgres already running (pid ${server.pid}) at ${server.url}`);
    console.log(`data directory ${server.dataDir}; stop it with: kill -INT ${server.pid}`);
    return;
  }
  console.log(`postgres ready at ${server.url}`);
  console.log(`data directory ${server.dataDir}; server log ${SERVER_LOG_FILE} there; Ctrl-C stops it`);

  const watch = setInterval(() => {
    void runningPostmaster(server.dataDir).then((running) => {
      if (running === undefined) {
        console.error(`postgres exited unexpectedly; see ${server.dataDir}/${SERVER_LOG_FILE}`);
        process.exit(1);
      }
    });
  }, WATCH_INTERVAL_MS);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    console.log(`${signal}: stopping postgres`);
    server.stop().then(
      () => console.log('postgres stopped'),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
