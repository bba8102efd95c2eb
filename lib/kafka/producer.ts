/**
 * Publishing to Kafka: one KafkaJS producer per container, created by a factory on first use and reused across
 * invocations (Lambda keeps the container warm). Messages are JSON, keyed (trade topics by account so that one
 * account's events keep their order), written with acks=all.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';

import { config } from '../config';
import { KafkaPublishError } from './errors';

/** A message to publish: `value` is serialised as JSON. */
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

/** A KafkaJS producer, not yet connected. Idempotent, so that KafkaJS's own retries never duplicate a message. */
export function createKafkaProducer(settings: ProducerSettings): Producer {
  const kafka = new Kafka({ brokers: [...settings.brokers], clientId: settings.clientId, logLevel: logLevel.ERROR });
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
}

/** {@link EventPublisher} over a KafkaJS producer. */
export class KafkaPublisher implements EventPublisher {
  private connected: Promise<void> | undefined;

  constructor(private readonly producer: Producer) {}

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, { key: string; value: string; headers?: Record<string, string> }[]>();
    for (const message of messages) {
      const list = byTopic.get(message.topic) ?? [];
      list.push({
        key: message.key,
        value: JSON.stringify(message.value),
        ...(message.headers === undefined ? {} : { headers: { ...message.headers } }),
      });
      byTopic.set(message.topic, list);
    }
    try {
      this.connected ??= this.producer.connect();
      await this.connected;
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, topicMessages]) => ({ topic, messages: topicMessages })),
      });
    } catch (error) {
      // A failed connect must not be cached: the next invocation tries again.
      this.connected = undefined;
      throw new KafkaPublishError(`publishing ${messages.length} message(s) failed`, { cause: error });
    }
  }

  async disconnect(): Promise<void> {
    this.connected = undefined;
    await this.producer.disconnect();
  }
}

let containerPublisher: KafkaPublisher | undefined;

/** The publisher of this container, on `config().kafka`, created on first use. */
export function getPublisher(): KafkaPublisher {
  containerPublisher ??= new KafkaPublisher(createKafkaProducer(config().kafka));
  return containerPublisher;
}

/** Disconnects the container's publisher, if one was created (local invocations, scripts). */
export async function releasePublisher(): Promise<void> {
  const publisher = containerPublisher;
  containerPublisher = undefined;
  await publisher?.disconnect();
}
