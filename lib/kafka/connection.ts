/**
 * How the platform's KafkaJS clients reach the cluster: the local broker in plaintext, Amazon MSK with IAM access
 * control (SASL OAUTHBEARER, a SigV4-signed token from aws-msk-iam-sasl-signer-js, over TLS), or MSK / self-managed
 * Kafka with SASL/SCRAM (credentials from a Secrets Manager secret, over TLS).
 *
 * Only the cluster ARN needs configuring in the cloud: the bootstrap brokers for the chosen authentication are looked
 * up with kafka:GetBootstrapBrokers once per container (lookupBootstrapBrokers), and the result kept.
 */
import { GetBootstrapBrokersCommand, KafkaClient as MskClient } from '@aws-sdk/client-kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { KafkaConfig, SASLOptions } from 'kafkajs';

import { KafkaAuth, regionOfArn, type KafkaSettings } from '../config';
import { secretField, type SecretSource } from '../aws/secrets';
import { KafkaError } from './errors';

/** The cluster does not offer brokers for the configured authentication (e.g. IAM access control is off). */
export class BootstrapBrokersError extends KafkaError {
  override readonly name: string = 'BootstrapBrokersError';
  /** A failed call may pass (throttling, a network blip); a cluster without the listener will not. */
  override readonly retriable: boolean;
  constructor(message: string, options: { readonly cause?: unknown; readonly retriable?: boolean } = {}) {
    super(message, options);
    this.retriable = options.retriable ?? true;
  }
}

/** GetBootstrapBrokers' answer: comma-separated `host:port` lists, one per listener the cluster has enabled. */
export interface BootstrapBrokerStrings {
  readonly BootstrapBrokerString?: string;
  readonly BootstrapBrokerStringTls?: string;
  readonly BootstrapBrokerStringSaslScram?: string;
  readonly BootstrapBrokerStringSaslIam?: string;
}

export interface ConnectionDeps {
  /** kafka:GetBootstrapBrokers for a cluster ARN. */
  readonly getBootstrapBrokers: (clusterArn: string) => Promise<BootstrapBrokerStrings>;
  /** A fresh MSK IAM token for the region (valid 15 minutes). */
  readonly signIamToken: (region: string) => Promise<string>;
  readonly secrets: SecretSource;
}

/** Which of the cluster's listeners serves an authentication, and the field GetBootstrapBrokers names it by. */
function listenerFor(settings: KafkaSettings): keyof BootstrapBrokerStrings {
  switch (settings.auth.mechanism) {
    case KafkaAuth.AWS_IAM:
      return 'BootstrapBrokerStringSaslIam';
    case KafkaAuth.SCRAM_SHA_512:
    case KafkaAuth.SCRAM_SHA_256:
      return 'BootstrapBrokerStringSaslScram';
    case KafkaAuth.NONE:
      return settings.tls ? 'BootstrapBrokerStringTls' : 'BootstrapBrokerString';
  }
}

/** The cluster's bootstrap brokers for `settings.auth`, or the configured list when no cluster ARN is to be used. */
export async function lookupBootstrapBrokers(settings: KafkaSettings, deps: ConnectionDeps): Promise<string[]> {
  if (settings.mskClusterArn === undefined) return [...settings.brokers];
  const listener = listenerFor(settings);
  let answer: BootstrapBrokerStrings;
  try {
    answer = await deps.getBootstrapBrokers(settings.mskClusterArn);
  } catch (error) {
    throw new BootstrapBrokersError(`GetBootstrapBrokers for ${settings.mskClusterArn} failed`, { cause: error });
  }
  const brokers = (answer[listener] ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  if (brokers.length === 0) {
    throw new BootstrapBrokersError(
      `cluster ${settings.mskClusterArn} has no ${listener} (is ${settings.auth.mechanism} enabled on it?)`,
      { retriable: false },
    );
  }
  return brokers;
}

async function saslOptions(settings: KafkaSettings, deps: ConnectionDeps): Promise<SASLOptions | undefined> {
  const auth = settings.auth;
  switch (auth.mechanism) {
    case KafkaAuth.NONE:
      return undefined;
    case KafkaAuth.AWS_IAM:
      // Called for every new connection (and re-authentication), so a token never outlives its 15 minutes.
      return {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => ({ value: await deps.signIamToken(auth.region) }),
      };
    case KafkaAuth.SCRAM_SHA_512:
    case KafkaAuth.SCRAM_SHA_256: {
      const secret = await deps.secrets.json(auth.secretArn);
      return {
        mechanism: auth.mechanism,
        username: secretField(secret, 'username', auth.secretArn),
        password: secretField(secret, 'password', auth.secretArn),
      };
    }
  }
}

/**
 * The KafkaJS client configuration for `settings`: brokers (looked up when only a cluster ARN is set), TLS and SASL.
 * Async because the brokers and SCRAM credentials may have to be fetched; call it once per container.
 */
export async function kafkaClientConfig(settings: KafkaSettings, deps: ConnectionDeps): Promise<KafkaConfig> {
  const [brokers, sasl] = await Promise.all([lookupBootstrapBrokers(settings, deps), saslOptions(settings, deps)]);
  return {
    brokers,
    clientId: settings.clientId,
    ...(settings.tls ? { ssl: true } : {}),
    ...(sasl === undefined ? {} : { sasl }),
  };
}

/** The AWS side of {@link ConnectionDeps}: the MSK control-plane client and the IAM token signer. */
export function awsConnectionDeps(secrets: SecretSource): ConnectionDeps {
  const clients = new Map<string, MskClient>();
  return {
    getBootstrapBrokers: async (clusterArn) => {
      const region = regionOfArn(clusterArn) ?? '';
      let client = clients.get(region);
      if (client === undefined) {
        client = new MskClient(region === '' ? {} : { region });
        clients.set(region, client);
      }
      return client.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    },
    signIamToken: async (region) => (await generateAuthToken({ region })).token,
    secrets,
  };
}
