/** The Kafka settings: which brokers (listed, or looked up from an MSK cluster), how to authenticate, TLS. */
import { KafkaAuth, type Vars } from './environment';
import type { ConfigProblem } from './errors';

export interface KafkaSettings {
  /** The brokers to dial; the local default when neither KAFKA_BROKERS nor a cluster ARN is set. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Set when the brokers are to be looked up from this MSK cluster (KAFKA_BROKERS unset). */
  readonly mskClusterArn: string | undefined;
  readonly auth:
    | { readonly mechanism: typeof KafkaAuth.NONE }
    | { readonly mechanism: typeof KafkaAuth.AWS_IAM; readonly region: string }
    | {
        readonly mechanism: typeof KafkaAuth.SCRAM_SHA_512 | typeof KafkaAuth.SCRAM_SHA_256;
        readonly secretArn: string;
      };
  readonly tls: boolean;
}

/** The region in an ARN (`arn:aws:kafka:eu-west-1:...`). */
export function regionOfArn(arn: string): string | undefined {
  return arn.split(':')[3] || undefined;
}

/** The KAFKA_* settings, checked as a whole; what is wrong goes to `problems`. */
export function kafkaSettings(vars: Vars, problems: ConfigProblem[]): KafkaSettings {
  const fromCluster = vars.KAFKA_BROKERS === undefined ? vars.KAFKA_MSK_CLUSTER_ARN : undefined;
  const tls = vars.KAFKA_TLS ?? vars.KAFKA_AUTH !== KafkaAuth.NONE;
  const base = {
    brokers: vars.KAFKA_BROKERS ?? ['127.0.0.1:9092'],
    clientId: vars.KAFKA_CLIENT_ID,
    mskClusterArn: fromCluster,
    tls,
  };
  if (fromCluster !== undefined && vars.KAFKA_AUTH === KafkaAuth.NONE) {
    problems.push({
      variable: 'KAFKA_AUTH',
      message: 'brokers looked up from KAFKA_MSK_CLUSTER_ARN need an authentication (aws-iam or scram-sha-512)',
    });
  }
  switch (vars.KAFKA_AUTH) {
    case KafkaAuth.NONE:
      if (vars.KAFKA_SASL_SECRET_ARN !== undefined) {
        problems.push({
          variable: 'KAFKA_SASL_SECRET_ARN',
          message: 'needs KAFKA_AUTH=scram-sha-512 or scram-sha-256',
        });
      }
      return { ...base, auth: { mechanism: KafkaAuth.NONE } };
    case KafkaAuth.AWS_IAM: {
      const region =
        (vars.KAFKA_MSK_CLUSTER_ARN === undefined ? undefined : regionOfArn(vars.KAFKA_MSK_CLUSTER_ARN)) ??
        vars.AWS_REGION;
      if (region === undefined) {
        problems.push({
          variable: 'AWS_REGION',
          message: 'required to sign MSK IAM tokens (or set KAFKA_MSK_CLUSTER_ARN)',
        });
      }
      return { ...base, auth: { mechanism: KafkaAuth.AWS_IAM, region: region ?? '' } };
    }
    case KafkaAuth.SCRAM_SHA_512:
    case KafkaAuth.SCRAM_SHA_256:
      if (vars.KAFKA_SASL_SECRET_ARN === undefined) {
        problems.push({ variable: 'KAFKA_SASL_SECRET_ARN', message: `required with KAFKA_AUTH=${vars.KAFKA_AUTH}` });
      }
      return { ...base, auth: { mechanism: vars.KAFKA_AUTH, secretArn: vars.KAFKA_SASL_SECRET_ARN ?? '' } };
  }
}
