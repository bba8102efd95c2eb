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

/**
 * One admin connection kept across calls (GET /health: one per container, as the pool is), connected on first use
 * and again after a failure; `discard` drops it after an error, so that the next call starts on a fresh connection.
 */
export class SharedAdmin {
  private connected: Promise<Admin> | undefined;
  /** How many connections it has opened: one, for as long as the broker keeps answering. */
  connections = 0;

  constructor(private readonly factory: () => Promise<Admin>) {}

  async get(): Promise<Admin> {
    this.connected ??= (async () => {
      const admin = await this.factory();
      this.connections += 1;
      await admin.connect();
      return admin;
    })();
    try {
      return await this.connected;
    } catch (error) {
      this.connected = undefined;
      throw error;
    }
  }

  async discard(): Promise<void> {
    const connected = this.connected;
    this.connected = undefined;
    const admin = await connected?.catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }
}
