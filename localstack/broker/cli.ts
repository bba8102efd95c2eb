import { parseArgs } from 'node:util';
import { startBroker } from './index';
import { consoleLogger } from './types';

const usage = `Usage: npm run broker -- [options]
  --port N                  port to listen on (default 9092; 0 picks a free one)
  --host H                  interface to listen on (default 127.0.0.1)
  --advertised-port N       port clients are told to connect to (default: the one it listens on)
  --data-dir DIR            where partition logs and offsets live (default .local/kafka)
  --partitions N            partitions of auto-created topics (default 1)
  --no-auto-create          refuse unknown topics instead of creating them
  --max-message-bytes N     largest record batch accepted (default 1048576)
  --retention-bytes N       per-partition size limit (default -1: keep everything)
  --retention-ms N          age limit (default -1: keep everything)
  --log-level L             debug|info|warn|error (default info)`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '9092' },
      host: { type: 'string', default: '127.0.0.1' },
      'advertised-port': { type: 'string' },
      'data-dir': { type: 'string', default: '.local/kafka' },
      partitions: { type: 'string', default: '1' },
      'no-auto-create': { type: 'boolean', default: false },
      'max-message-bytes': { type: 'string' },
      'retention-bytes': { type: 'string' },
      'retention-ms': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got '${v}'`);
    return n;
  };
  const level = values['log-level'];
  if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') {
    throw new Error(`--log-level must be debug, info, warn or error, got '${level}'`);
  }
  const broker = await startBroker({
    port: int('port', values.port),
    host: values.host,
    advertisedPort: int('advertised-port', values['advertised-port']),
    dataDir: values['data-dir'],
    defaultPartitions: int('partitions', values.partitions),
    autoCreateTopics: !values['no-auto-create'],
    maxMessageBytes: int('max-message-bytes', values['max-message-bytes']),
    retentionBytes: int('retention-bytes', values['retention-bytes']),
    retentionMs: int('retention-ms', values['retention-ms']),
    logger: consoleLogger(level),
  });
  // Printed whatever the log level: scripts wait for this line to know clients can connect.
  console.log(`broker listening on ${broker.address} (data ${values['data-dir']})`);
  const shutdown = (signal: string) => {
    console.log(`${signal}: stopping the broker`);
    broker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
