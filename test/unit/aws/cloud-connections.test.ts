/**
 * How cloud containers reach MSK and PostgreSQL: the KafkaJS configuration per authentication, the bootstrap broker
 * lookup, the signed MSK IAM and RDS IAM tokens (signed locally with throwaway credentials: no network), and the
 * per-container secret cache.
 */
import { CachedSecretSource, SecretError } from '../../../lib/aws/secrets';
import { ConfigError, loadConfig, type DatabaseServer } from '../../../lib/config';
import {
  awsCredentialDeps,
  connectionTarget,
  passwordProvider,
  SECRET_MAX_AGE_MS,
  sslOptions,
} from '../../../lib/db/credentials';
import {
  awsConnectionDeps,
  BootstrapBrokersError,
  kafkaClientConfig,
  type BootstrapBrokerStrings,
  type ConnectionDeps,
} from '../../../lib/kafka/connection';

const CLUSTER = 'arn:aws:kafka:eu-west-1:123456789012:cluster/posttrade/0f3c2a1e-1111-2222-3333-444455556666-3';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:posttrade/prod/kafka-AbCdEf';

const BROKERS: BootstrapBrokerStrings = {
  BootstrapBrokerStringTls: 'b-1.tls.example:9094,b-2.tls.example:9094',
  BootstrapBrokerStringSaslIam: 'b-1.iam.example:9098,b-2.iam.example:9098',
  BootstrapBrokerStringSaslScram: 'b-1.scram.example:9096',
};

function secretsOf(values: Record<string, Record<string, unknown>>) {
  const calls: string[] = [];
  const source = new CachedSecretSource((arn) => {
    calls.push(arn);
    const value = values[arn];
    if (value === undefined) {
      const error = new Error('no such secret');
      error.name = 'ResourceNotFoundException';
      return Promise.reject(error);
    }
    return Promise.resolve(JSON.stringify(value));
  });
  return { source, calls };
}

function deps(overrides: Partial<ConnectionDeps> = {}): ConnectionDeps & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    getBootstrapBrokers: (arn) => {
      lookups.push(arn);
      return Promise.resolve(BROKERS);
    },
    signIamToken: (region) => Promise.resolve(`token-for-${region}`),
    secrets: secretsOf({ [SECRET]: { username: 'posttrade', password: 's3cr3t' } }).source,
    ...overrides,
  };
}

/** Runs `work` with throwaway static credentials in the environment, as the SDK's default chain reads them. */
async function withFakeCredentials<T>(work: () => Promise<T>): Promise<T> {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  try {
    return await work();
  } finally {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.key === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.key;
  }
}

describe('kafkaClientConfig', () => {
  it('connects to the local broker in plaintext with no SASL and no AWS call', async () => {
    const d = deps();

    const config = await kafkaClientConfig(loadConfig({}).kafka, d);

    expect(config).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'posttrade' });
    expect(d.lookups).toEqual([]);
  });

  it('looks up the IAM listener of the cluster and signs a token per connection, over TLS', async () => {
    const d = deps();
    const settings = loadConfig({ KAFKA_MSK_CLUSTER_ARN: CLUSTER, KAFKA_AUTH: 'aws-iam' }).kafka;

    const config = await kafkaClientConfig(settings, d);

    expect(config.brokers).toEqual(['b-1.iam.example:9098', 'b-2.iam.example:9098']);
    expect(config.ssl).toBe(true);
    expect(config.sasl?.mechanism).toBe('oauthbearer');
    const sasl = config.sasl as { oauthBearerProvider: () => Promise<{ value: string }> };
    await expect(sasl.oauthBearerProvider()).resolves.toEqual({ value: 'token-for-eu-west-1' });
    expect(d.lookups).toEqual([CLUSTER]);
  });

  it('reads SCRAM credentials from their secret and uses the SCRAM listener', async () => {
    const settings = loadConfig({
      KAFKA_MSK_CLUSTER_ARN: CLUSTER,
      KAFKA_AUTH: 'scram-sha-512',
      KAFKA_SASL_SECRET_ARN: SECRET,
    }).kafka;

    const config = await kafkaClientConfig(settings, deps());

    expect(config).toMatchObject({
      brokers: ['b-1.scram.example:9096'],
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'posttrade', password: 's3cr3t' },
    });
  });

  it('says which listener is missing when the cluster has that authentication off', async () => {
    const settings = loadConfig({ KAFKA_MSK_CLUSTER_ARN: CLUSTER, KAFKA_AUTH: 'aws-iam' }).kafka;
    const d = deps({ getBootstrapBrokers: () => Promise.resolve({ BootstrapBrokerStringTls: 'b-1:9094' }) });

    const failure = kafkaClientConfig(settings, d);

    await expect(failure).rejects.toThrow(BootstrapBrokersError);
    await expect(failure).rejects.toMatchObject({ retriable: false, message: /no BootstrapBrokerStringSaslIam/ });
  });

  it('signs a real MSK IAM token: a SigV4 presigned kafka-cluster:Connect URL for the region', async () => {
    const sign = awsConnectionDeps(secretsOf({}).source).signIamToken;

    const token = await withFakeCredentials(() => sign('eu-west-1'));

    const url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
    expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\//,
    );
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('database credentials', () => {
  const DB_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:posttrade/prod/db-AbCdEf';
  const server = (overrides: Partial<DatabaseServer> = {}): DatabaseServer => ({
    host: 'posttrade.proxy-abc.eu-west-1.rds.amazonaws.com',
    port: 5432,
    database: 'posttrade',
    user: 'posttrade_app',
    credentials: { kind: 'secret', secretArn: DB_SECRET },
    ssl: { mode: 'verify-full', caFile: undefined },
    ...overrides,
  });

  it('reads the password once and serves new connections from the cache until it is old', async () => {
    const { source, calls } = secretsOf({ [DB_SECRET]: { username: 'posttrade_app', password: 'pw-1' } });
    let clock = 1_000_000;
    const password = passwordProvider(server(), {
      secrets: source,
      signDbToken: () => Promise.reject(new Error('not IAM')),
      now: () => clock,
    });

    const first = await password();
    clock += 60_000;
    const second = await password();
    clock += SECRET_MAX_AGE_MS;
    await password();

    expect([first, second]).toEqual(['pw-1', 'pw-1']);
    expect(calls).toEqual([DB_SECRET, DB_SECRET]);
  });

  it('refuses a secret for another user than DB_USER, naming both and not the password', async () => {
    const { source } = secretsOf({ [DB_SECRET]: { username: 'admin', password: 'pw-1' } });
    const password = passwordProvider(server(), { secrets: source, signDbToken: () => Promise.resolve('') });

    const failure = password();

    await expect(failure).rejects.toThrow(/is for user admin, but DB_USER is posttrade_app/);
    await expect(failure).rejects.not.toThrow(/pw-1/);
  });

  it('passes a failed read on as retriable, a missing secret as permanent, and does not cache the failure', async () => {
    let attempt = 0;
    const source = new CachedSecretSource(() => {
      attempt += 1;
      if (attempt === 1) return Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
      return Promise.resolve('{"password":"pw"}');
    });

    const first = source.json(DB_SECRET);
    await expect(first).rejects.toMatchObject({ name: 'SecretError', retriable: true });
    await expect(source.json(DB_SECRET)).resolves.toEqual({ password: 'pw' });
    await expect(secretsOf({}).source.json(DB_SECRET)).rejects.toEqual(
      expect.objectContaining({ retriable: false }) as SecretError,
    );
  });

  it('signs an RDS IAM token for the host, port and user when DB_IAM_AUTH is on', async () => {
    const iam = server({ credentials: { kind: 'iam', region: 'eu-west-1' } });
    const password = passwordProvider(iam, awsCredentialDeps(secretsOf({}).source));

    const token = await withFakeCredentials(() => password());

    const url = new URL(`https://${token}`);
    expect(url.host).toBe('posttrade.proxy-abc.eu-west-1.rds.amazonaws.com:5432');
    expect(url.searchParams.get('Action')).toBe('connect');
    expect(url.searchParams.get('DBUser')).toBe('posttrade_app');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/\/eu-west-1\/rds-db\/aws4_request$/);
  });

  it('checks the certificate and host name for verify-full, with an extra CA bundle when named', () => {
    expect(sslOptions(server())).toEqual({
      rejectUnauthorized: true,
      servername: 'posttrade.proxy-abc.eu-west-1.rds.amazonaws.com',
    });
    expect(
      sslOptions(
        server({ ssl: { mode: 'verify-full', caFile: '/opt/rds/global-bundle.pem' } }),
        (path) => `PEM ${path}`,
      ),
    ).toMatchObject({ rejectUnauthorized: true, ca: 'PEM /opt/rds/global-bundle.pem' });
    expect(sslOptions(server({ ssl: { mode: 'disable', caFile: undefined } }))).toBe(false);
  });

  it('gives the migrate function the server with its password and TLS, else DATABASE_URL, else a ConfigError', async () => {
    const { source } = secretsOf({ [DB_SECRET]: { username: 'posttrade_app', password: 'pw-1' } });
    const credentialDeps = awsCredentialDeps(source);
    const settings = { url: undefined, poolMax: 2, statementTimeoutMs: 1000 };

    const cloud = connectionTarget({ ...settings, server: server() }, credentialDeps);
    const url = connectionTarget({ ...settings, url: 'postgres://localhost:5432/posttrade' }, credentialDeps);

    expect(cloud).toMatchObject({ host: server().host, port: 5432, database: 'posttrade', user: 'posttrade_app' });
    expect(typeof cloud === 'string' ? undefined : cloud.ssl).toEqual(sslOptions(server()));
    const password = typeof cloud === 'string' ? undefined : cloud.password;
    await expect(typeof password === 'function' ? password() : password).resolves.toBe('pw-1');
    expect(url).toBe('postgres://localhost:5432/posttrade');
    expect(() => connectionTarget(settings, credentialDeps)).toThrow(ConfigError);
    expect(() => connectionTarget(settings, credentialDeps)).toThrow(/DB_HOST or DATABASE_URL/);
  });
});
