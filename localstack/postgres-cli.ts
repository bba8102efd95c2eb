/**
 * `npm run db:start [-- --data-dir DIR --port N]`: runs the embedded PostgreSQL in the foreground until Ctrl-C.
 * Server logs go to `<data-dir>/server.log`, not to this terminal.
 */
import { parseArgs } from 'node:util';

import { POSTGRES_DEFAULTS, runningPostmaster, SERVER_LOG_FILE, startPostgres } from './postgres';

/** How often to check that the server is still alive, so that a crash ends this process too. */
const WATCH_INTERVAL_MS = 2_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string', default: POSTGRES_DEFAULTS.dataDir },
      port: { type: 'string', default: String(POSTGRES_DEFAULTS.port) },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`--port: not a TCP port: ${values.port}`);

  const server = await startPostgres({ dataDir: values['data-dir'], port });
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
