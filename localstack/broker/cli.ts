import { Command, integerIn, InvalidArgumentError, parseStandalone } from '../../lib/cli/standalone';
import { startBroker } from './index';
import { consoleLogger } from './types';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

interface BrokerCliOptions {
  readonly port: number;
  readonly host: string;
  readonly advertisedPort?: number;
  readonly dataDir: string;
  readonly partitions: number;
  readonly autoCreate: boolean;
  readonly maxMessageBytes?: number;
  readonly retentionBytes?: number;
  readonly retentionMs?: number;
  readonly logLevel: LogLevel;
}

const logLevel = (value: string): LogLevel => {
  const level = LOG_LEVELS.find((l) => l === value);
  if (level === undefined) throw new InvalidArgumentError(`must be ${LOG_LEVELS.join(', ')}`);
  return level;
};

const command = new Command('npm run broker --')
  .description('Runs the Kafka-compatible development broker in the foreground until Ctrl-C.')
  .option('--port <n>', 'port to listen on (0 picks a free one)', integerIn(0, 65_535), 9092)
  .option('--host <h>', 'interface to listen on', '127.0.0.1')
  .option(
    '--advertised-port <n>',
    'port clients are told to connect to (default: the one it listens on)',
    integerIn(1, 65_535),
  )
  .option('--data-dir <dir>', 'where partition logs and offsets live', '.local/kafka')
  .option('--partitions <n>', 'partitions of auto-created topics', integerIn(1, 10_000), 1)
  .option('--no-auto-create', 'refuse unknown topics instead of creating them')
  .option('--max-message-bytes <n>', 'largest record batch accepted (default 1048576)', integerIn(1, 2 ** 31 - 1))
  .option(
    '--retention-bytes <n>',
    'per-partition size limit (default -1: keep everything)',
    integerIn(-1, Number.MAX_SAFE_INTEGER),
  )
  .option('--retention-ms <n>', 'age limit (default -1: keep everything)', integerIn(-1, Number.MAX_SAFE_INTEGER))
  .option('--log-level <level>', LOG_LEVELS.join('|'), logLevel, 'info' as LogLevel)
  .addHelpText(
    'after',
    '\nExit codes: 0 done, 1 failed, 2 usage.\nExamples:\n  $ npm run broker -- --port 19092 --data-dir .local/kafka-mine',
  );

async function main(): Promise<void> {
  const parsed = parseStandalone<BrokerCliOptions>(command, process.argv.slice(2));
  if (!parsed.ok) process.exit(parsed.code);
  const options = parsed.options;
  const broker = await startBroker({
    port: options.port,
    host: options.host,
    advertisedPort: options.advertisedPort,
    dataDir: options.dataDir,
    defaultPartitions: options.partitions,
    autoCreateTopics: options.autoCreate,
    maxMessageBytes: options.maxMessageBytes,
    retentionBytes: options.retentionBytes,
    retentionMs: options.retentionMs,
    logger: consoleLogger(options.logLevel),
  });
  // Printed whatever the log level: scripts wait for this line to know clients can connect.
  console.log(`broker listening on ${broker.address} (data ${options.dataDir})`);
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
