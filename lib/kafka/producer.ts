/**
 * Publishing to Kafka: one KafkaJS producer per container, created by a factory on first use and reused across
 * invocations (Lambda keeps the container warm). Messages are JSON, keyed (trade topics by account so that one
 * account's events keep their order), written with acks=all. In the cloud the producer authenticates as
 * lib/kafka/connection.ts says (MSK IAM or SCRAM, TLS); locally it dials the development broker in plaintext.
 */
import { Kafka, logLevel, type KafkaConfig, type Producer } from 'kafkajs';

import { getSecretSource } from '../aws/secrets';
import { config, KafkaAuth } from '../config';
import { awsConnectionDeps, kafkaClientConfig } from './connection';
import { KafkaPublishError } from './errors';
import { startSubsegment } from '../observability/tracer';
import { schemaVersionHeader } from './schemas/versioning';

/**
 * A message to publish: `value` is serialised as JSON, except a Buffer, which is sent as its bytes (the simulator's
 * undecodable records; nothing else in the platform publishes anything but JSON).
 */
export interface OutgoingMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Where pipeline services publish; tests can hand in a recording one, handlers get {@link KafkaPublisher}. */
export interface EventPublisher {
  /** Publishes every message or throws {@link KafkaPublishError}; order is kept per topic and key. */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
}

export interface ProducerSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
}

/**
 * A KafkaJS producer, not yet connected. Idempotent, so that KafkaJS's own retries never duplicate a message.
 * Topics are created on first use only where the broker allows it (the local one); a cloud cluster's topics exist
 * before deployment and its producers hold no kafka-cluster:CreateTopic permission.
 */
export function createKafkaProducer(settings: ProducerSettings | KafkaConfig): Producer {
  const brokers = typeof settings.brokers === 'function' ? settings.brokers : [...settings.brokers];
  const kafka = new Kafka({ ...settings, brokers, logLevel: logLevel.ERROR });
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
}

/** {@link EventPublisher} over a KafkaJS producer, or over a factory that builds one on first publish. */
export class KafkaPublisher implements EventPublisher {
  private connected: Promise<void> | undefined;
  private producer: Producer | undefined;
  private creating: Promise<Producer> | undefined;

  constructor(producer: Producer | (() => Promise<Producer>)) {
    if (typeof producer === 'function') this.factory = producer;
    else this.producer = producer;
  }

  private readonly factory: (() => Promise<Producer>) | undefined;

  /** The producer, built once (a failed build is retried by the next publish). */
  private async ready(): Promise<Producer> {
    if (this.producer !== undefined) return this.producer;
    const factory = this.factory;
    if (factory === undefined) throw new KafkaPublishError('publisher has neither a producer nor a factory');
    this.creating ??= factory();
    try {
      this.producer = await this.creating;
      return this.producer;
    } finally {
      this.creating = undefined;
    }
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, { key: string; value: string | Buffer; headers?: Record<string, string> }[]>();
    for (const message of messages) {
      const list = byTopic.get(message.topic) ?? [];
      // The body's schema version, also as a header (lib/kafka/schemas/versioning.ts); a caller's own header wins.
      const headers = { ...schemaVersionHeader(message.value), ...message.headers };
      list.push({
        key: message.key,
        value: Buffer.isBuffer(message.value) ? message.value : JSON.stringify(message.value),
        ...(Object.keys(headers).length === 0 ? {} : { headers }),
      });
      byTopic.set(message.topic, list);
    }
    const subsegment = startSubsegment('kafka.publish');
    subsegment?.annotate('topics', [...byTopic.keys()].join(','));
    subsegment?.annotate('messages', messages.length);
    try {
      const producer = await this.ready();
      this.connected ??= producer.connect();
      await this.connected;
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })),
      });
      subsegment?.end();
    } catch (error) {
      subsegment?.end(error);
      // A failed connect must not be cached: the next invocation tries again.
      this.connected = undefined;
      throw new KafkaPublishError(`publishing ${messages.length} message(s) failed`, { cause: error });
    }
  }

  async disconnect(): Promise<void> {
    this.connected = undefined;
    await this.producer?.disconnect();
  }
}

let containerPublisher: KafkaPublisher | undefined;

/**
 * The publisher of this container, on `config().kafka`, created on first use and reused by every invocation the
 * container serves. Locally (no authentication, brokers listed) the producer is built at once; in the cloud on the
 * first publish, after the bootstrap brokers and any SCRAM secret are fetched, so that a cold start that never
 * publishes never calls AWS.
 */
export function getPublisher(): KafkaPublisher {
  containerPublisher ??= (() => {
    const settings = config().kafka;
    if (settings.auth.mechanism === KafkaAuth.NONE && settings.mskClusterArn === undefined && !settings.tls) {
      return new KafkaPublisher(createKafkaProducer({ brokers: settings.brokers, clientId: settings.clientId }));
    }
    return new KafkaPublisher(async () =>
      createKafkaProducer(await kafkaClientConfig(settings, awsConnectionDeps(getSecretSource()))),
    );
  })();
  return containerPublisher;
}

/** Disconnects the container's publisher, if one was created (local invocations, scripts). */
export async function releasePublisher(): Promise<void> {
  const publisher = containerPublisher;
  containerPublisher = undefined;
  await publisher?.disconnect();
}
