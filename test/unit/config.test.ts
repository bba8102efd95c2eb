import { ConfigError, loadConfig } from '../../lib/config';

describe('loadConfig', () => {
  it('fills in the local defaults when nothing is set', () => {
    const config = loadConfig({});

    expect(config).toEqual({
      stage: 'local',
      logLevel: 'INFO',
      database: { url: undefined, poolMax: 2, statementTimeoutMs: 10_000 },
      kafka: { brokers: ['127.0.0.1:9092'], clientId: 'posttrade' },
    });
  });

  it('reads every variable, splitting the broker list and normalising the log level', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://app:secret@db.internal:5432/posttrade',
      DB_POOL_MAX: '3',
      DB_STATEMENT_TIMEOUT_MS: '2500',
      KAFKA_BROKERS: 'b-1.msk.example:9098, b-2.msk.example:9098',
      KAFKA_CLIENT_ID: 'posttrade-capture',
      LOG_LEVEL: 'debug',
      STAGE: 'prod',
    });

    expect(config).toEqual({
      stage: 'prod',
      logLevel: 'DEBUG',
      database: { url: 'postgresql://app:secret@db.internal:5432/posttrade', poolMax: 3, statementTimeoutMs: 2500 },
      kafka: { brokers: ['b-1.msk.example:9098', 'b-2.msk.example:9098'], clientId: 'posttrade-capture' },
    });
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig({ KAFKA_BROKERS: '', DATABASE_URL: '' });

    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.database.url).toBeUndefined();
  });

  it('fails naming every bad variable', () => {
    const env = { DATABASE_URL: 'mysql://nope', KAFKA_BROKERS: 'broker-without-port', LOG_LEVEL: 'chatty' };

    let thrown: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variables).toEqual(['DATABASE_URL', 'KAFKA_BROKERS', 'LOG_LEVEL']);
    expect((thrown as ConfigError).message).toMatch(/DATABASE_URL: expected a postgres:\/\/ connection URL/);
  });
});
