import { randomUUID } from 'node:crypto';
import type { Logger } from './types';

export interface BrokerOptions {
  /** Interface to listen on; 127.0.0.1 unless told otherwise (this broker is for one machine). */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Host clients are told to connect to (Metadata, FindCoordinator); defaults to `host`. */
  advertisedHost?: string;
  /**
   * Port clients are told to connect to; defaults to the bound port. Another one puts something between the
   * clients and the broker (the fault suite's TCP proxy) for every connection after the bootstrap one.
   */
  advertisedPort?: number;
  nodeId?: number;
  dataDir: string;
  autoCreateTopics?: boolean;
  defaultPartitions?: number;
  /** Largest record batch accepted (Kafka's message.max.bytes), 1 MiB by default. */
  maxMessageBytes?: number;
  /** Largest request frame accepted (socket.request.max.bytes); a larger one closes that connection. */
  maxRequestBytes?: number;
  segmentBytes?: number;
  /** Retention by size per partition; -1 (default) keeps everything. */
  retentionBytes?: number;
  /** Retention by age; -1 (default) keeps everything. */
  retentionMs?: number;
  /** How long a new group waits for more members before its first rebalance completes. */
  groupInitialRebalanceDelayMs?: number;
  groupMinSessionTimeoutMs?: number;
  groupMaxSessionTimeoutMs?: number;
  logger?: Logger;
}

export interface BrokerConfig {
  readonly host: string;
  readonly port: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number | undefined;
  readonly nodeId: number;
  readonly dataDir: string;
  readonly autoCreateTopics: boolean;
  readonly defaultPartitions: number;
  readonly maxMessageBytes: number;
  readonly maxRequestBytes: number;
  readonly segmentBytes: number;
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly clusterId: string;
}

export function resolveConfig(opts: BrokerOptions, clusterId: string = randomUUID()): BrokerConfig {
  const host = opts.host ?? '127.0.0.1';
  return {
    host,
    port: opts.port ?? 9092,
    advertisedHost: opts.advertisedHost ?? host,
    advertisedPort: opts.advertisedPort,
    nodeId: opts.nodeId ?? 1,
    dataDir: opts.dataDir,
    autoCreateTopics: opts.autoCreateTopics ?? true,
    defaultPartitions: opts.defaultPartitions ?? 1,
    maxMessageBytes: opts.maxMessageBytes ?? 1024 * 1024,
    maxRequestBytes: opts.maxRequestBytes ?? 100 * 1024 * 1024,
    segmentBytes: opts.segmentBytes ?? 64 * 1024 * 1024,
    retentionBytes: opts.retentionBytes ?? -1,
    retentionMs: opts.retentionMs ?? -1,
    groupInitialRebalanceDelayMs: opts.groupInitialRebalanceDelayMs ?? 0,
    groupMinSessionTimeoutMs: opts.groupMinSessionTimeoutMs ?? 1000,
    groupMaxSessionTimeoutMs: opts.groupMaxSessionTimeoutMs ?? 300_000,
    clusterId,
  };
}
