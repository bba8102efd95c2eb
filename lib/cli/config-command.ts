/** `posttrade config`: the settings the commands use, and where each comes from. */
import { describeSource, redactUrl, type CliConfig } from '../config';
import type { ConfigOptions } from './commands';
import type { CommandContext } from './program';

interface Setting {
  readonly name: string;
  readonly value: string;
  /** Shown to people; the value itself when nothing in it is secret. */
  readonly shown: string;
  readonly from: string;
}

export function settingsOf(config: CliConfig): Setting[] {
  const database =
    config.database.url ??
    (config.database.server === undefined
      ? ''
      : `postgres://${config.database.server.user}@${config.database.server.host}:${config.database.server.port}/${config.database.server.database}`);
  const plain = (name: string, value: string, from: string): Setting => ({ name, value, shown: value, from });
  return [
    plain('POSTTRADE_DATA_DIR', config.local.paths.dataDir, ''),
    plain(
      'STACK_FILE',
      config.local.paths.stackEnv,
      config.local.stackRunning ? 'present: a stack runs on this data directory' : 'absent: no stack runs here',
    ),
    plain('KAFKA_BROKERS', config.kafka.brokers.join(','), describeSource(config.sources.kafka)),
    {
      name: 'DATABASE_URL',
      value: database,
      shown: redactUrl(database),
      from: describeSource(config.sources.database),
    },
    plain('HTTP_URL', config.local.httpUrl, describeSource(config.sources.httpUrl)),
    plain('LAMBDA_PORT', String(config.local.lambdaPort), ''),
    plain('STAGE', config.stage, ''),
    plain('LOG_LEVEL', config.logLevel, ''),
  ];
}

export async function configCommand(options: ConfigOptions, context: CommandContext): Promise<void> {
  const settings = settingsOf(context.config);
  await Promise.resolve();
  switch (options.format) {
    case 'env':
      for (const s of settings) context.stdout.write(`${s.name}=${s.value}\n`);
      return;
    case 'json':
      context.stdout.write(
        `${JSON.stringify(Object.fromEntries(settings.map((s) => [s.name, { value: s.shown, from: s.from }])), null, 2)}\n`,
      );
      return;
    case 'text':
      for (const s of settings) {
        context.stdout.write(`${s.name.padEnd(20)} ${s.shown}${s.from === '' ? '' : `  (${s.from})`}\n`);
      }
  }
}
