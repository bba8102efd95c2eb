import { requiredTokenTable } from '../../../lib/api/auth';
import { ConfigError, loadConfig } from '../../../lib/config';

describe('loadConfig', () => {
  it('fills in the local defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(loadConfig({ TRACING_ENABLED: 'false' }).tracingEnabled).toBe(false);

    expect(config).toEqual({
      stage: 'local',
      logLevel: 'INFO',
      tracingEnabled: true,
      database: { url: undefined, poolMax: 2, statementTimeoutMs: 10_000 },
      kafka: {
        brokers: ['127.0.0.1:9092'],
        clientId: 'posttrade',
        mskClusterArn: undefined,
        auth: { mechanism: 'none' },
        tls: false,
      },
      pipeline: { pendingEventMaxWaitSeconds: 3_600 },
      localEventSources: { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 },
      status: { lagMax: 1_000, deadLettersPerHourMax: 10, staleStageSeconds: 300 },
      aws: { region: undefined },
      api: {
        largeResponses: { store: 'inline', inlineMaxBytes: 6_000_000, urlTtlSeconds: 900 },
        jwtAccountsClaim: 'custom:accounts',
        tokens: new Map([['dev-token', { all: true }]]),
      },
    });
  });

  it('reads how long a held amend or cancel may wait for its trade, and refuses a wait of none', () => {
    expect(loadConfig({ PENDING_EVENT_MAX_WAIT_SECONDS: '600' }).pipeline.pendingEventMaxWaitSeconds).toBe(600);
    expect(() => loadConfig({ PENDING_EVENT_MAX_WAIT_SECONDS: '0' })).toThrow(/PENDING_EVENT_MAX_WAIT_SECONDS/);
  });

  it("reads the local event sources' consumer session (10 s, heartbeat 1 s, by default) and refuses one too short", () => {
    expect(loadConfig({}).localEventSources).toEqual({ sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 });
    expect(loadConfig({ ESM_SESSION_TIMEOUT_MS: '6000', ESM_HEARTBEAT_INTERVAL_MS: '2000' }).localEventSources).toEqual(
      { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 2_000 },
    );
    expect(() => loadConfig({ ESM_SESSION_TIMEOUT_MS: '500' })).toThrow(/ESM_SESSION_TIMEOUT_MS/);
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

    expect(config).toMatchObject({
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

  describe('the cloud settings', () => {
    const CLUSTER = 'arn:aws:kafka:eu-west-1:123456789012:cluster/posttrade/0f3c2a1e-1111-2222-3333-444455556666-3';
    const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:posttrade/prod/db-AbCdEf';

    it('resolves brokers from the MSK cluster with IAM auth over TLS, signing in the cluster region', () => {
      const config = loadConfig({ KAFKA_MSK_CLUSTER_ARN: CLUSTER, KAFKA_AUTH: 'aws-iam', AWS_REGION: 'us-east-1' });

      expect(config.kafka).toMatchObject({
        mskClusterArn: CLUSTER,
        auth: { mechanism: 'aws-iam', region: 'eu-west-1' },
        tls: true,
      });
    });

    it('keeps an explicit broker list over the cluster lookup', () => {
      const config = loadConfig({
        KAFKA_MSK_CLUSTER_ARN: CLUSTER,
        KAFKA_BROKERS: 'b-1.example:9098',
        KAFKA_AUTH: 'aws-iam',
      });

      expect(config.kafka.mskClusterArn).toBeUndefined();
      expect(config.kafka.brokers).toEqual(['b-1.example:9098']);
    });

    it('reads SCRAM credentials from a named secret and needs one', () => {
      expect(
        loadConfig({ KAFKA_AUTH: 'scram-sha-512', KAFKA_SASL_SECRET_ARN: SECRET, KAFKA_BROKERS: 'k.example:9096' })
          .kafka,
      ).toMatchObject({ auth: { mechanism: 'scram-sha-512', secretArn: SECRET }, tls: true });
      expect(() => loadConfig({ KAFKA_AUTH: 'scram-sha-512' })).toThrow(/KAFKA_SASL_SECRET_ARN: required/);
    });

    it('refuses a cluster lookup without authentication', () => {
      expect(() => loadConfig({ KAFKA_MSK_CLUSTER_ARN: CLUSTER })).toThrow(/KAFKA_AUTH: brokers looked up/);
    });

    it('builds the database server form with its secret and verify-full TLS by default', () => {
      const config = loadConfig({
        DB_HOST: 'posttrade.proxy-abc.eu-west-1.rds.amazonaws.com',
        DB_NAME: 'posttrade',
        DB_USER: 'posttrade_app',
        DB_SECRET_ARN: SECRET,
      });

      expect(config.database.url).toBeUndefined();
      expect(config.database.server).toEqual({
        host: 'posttrade.proxy-abc.eu-west-1.rds.amazonaws.com',
        port: 5432,
        database: 'posttrade',
        user: 'posttrade_app',
        credentials: { kind: 'secret', secretArn: SECRET },
        ssl: { mode: 'verify-full', caFile: undefined },
      });
    });

    it('takes IAM database authentication instead of a secret, never both', () => {
      const base = { DB_HOST: 'db.example', DB_NAME: 'posttrade', DB_USER: 'app', AWS_REGION: 'eu-west-1' };

      expect(loadConfig({ ...base, DB_IAM_AUTH: 'true' }).database.server?.credentials).toEqual({
        kind: 'iam',
        region: 'eu-west-1',
      });
      expect(() => loadConfig({ ...base, DB_IAM_AUTH: 'true', DB_SECRET_ARN: SECRET })).toThrow(
        /exactly one of DB_SECRET_ARN/,
      );
      expect(() => loadConfig({ ...base })).toThrow(/exactly one of DB_SECRET_ARN/);
    });

    it('names every variable of an incomplete server form at once', () => {
      let thrown: unknown;
      try {
        loadConfig({ DB_HOST: 'db.example', DATABASE_URL: 'postgres://x@y/z' });
      } catch (error) {
        thrown = error;
      }

      expect((thrown as ConfigError).variables).toEqual(['DATABASE_URL', 'DB_NAME', 'DB_USER', 'DB_SECRET_ARN']);
    });

    it('reads the API tokens, the development token only on the local stage, and names a malformed list', () => {
      expect(loadConfig({ API_TOKENS: 'ops=*,desk7=ACC-001|ACC-002', STAGE: 'prod' }).api.tokens).toEqual(
        new Map([
          ['ops', { all: true }],
          ['desk7', { all: false, accounts: new Set(['ACC-001', 'ACC-002']) }],
        ]),
      );
      expect(loadConfig({ STAGE: 'prod' }).api.tokens).toBeUndefined();
      expect(() => requiredTokenTable(loadConfig({ STAGE: 'prod' }))).toThrow(/API_TOKENS: required outside/);
      expect(requiredTokenTable(loadConfig({})).get('dev-token')).toEqual({ all: true });
      let error: unknown;
      try {
        loadConfig({ API_TOKENS: 'ops=*,broken', STAGE: 'prod' });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).variables).toEqual(['API_TOKENS']);
      expect((error as ConfigError).message).toMatch(/API_TOKENS: entry "brok…" is not token=scope/);
    });

    it('picks where large responses go: a bucket, else a directory, else inline', () => {
      expect(loadConfig({ REPORTS_BUCKET: 'posttrade-prod-reports' }).api.largeResponses).toMatchObject({
        store: 's3',
        bucket: 'posttrade-prod-reports',
      });
      expect(loadConfig({ REPORTS_DIR: '/tmp/reports' }).api.largeResponses).toMatchObject({
        store: 'directory',
        directory: '/tmp/reports',
      });
    });
  });
});
