/**
 * A KafkaJS admin client on the platform's connection settings (lib/kafka/connection.ts: the local broker in
 * plaintext, MSK with IAM or SCRAM over TLS), for reading group offsets and end offsets (`posttrade status`,
 * GET /health). Short timeouts and a single retry: a monitor must say "unreachable" within seconds, not after
 * KafkaJS's default half a minute of retries.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';

import { getSecretSource } from '../aws/secrets';
import { KafkaAuth, type KafkaSettings } from '../config';
import { awsConnectionDeps, kafkaClientConfig } from './connection';

export interface AdminTimeouts {
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export const MONITOR_TIMEOUTS: AdminTimeouts = { connectionTimeoutMs: 3_000, requestTimeoutMs: 5_000 };

/** A connected-on-demand admin for `settings`; the caller connects and disconnects it. */
export async function createKafkaAdmin(
  settings: KafkaSettings,
  timeouts: AdminTimeouts = MONITOR_TIMEOUTS,
): Promise<Admin> {
  const local = settings.auth.mechanism === KafkaAuth.NONE && settings.mskClusterArn === undefined && !settings.tls;
  const client = local
    ? { brokers: [...settings.brokers], clientId: settings.clientId }
    : await kafkaClientConfig(settings, awsConnectionDeps(getSecretSource()));
  const kafka = new Kafka({
    ...client,
    connectionTimeout: timeouts.connectionTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  });
  return kafka.admin();
}
