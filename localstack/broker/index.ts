import fs from 'node:fs';
import path from 'node:path';
import { resolveConfig, type BrokerConfig, type BrokerOptions } from './config';
import { AppendSignal, type BrokerContext } from './context';
import {
  handleCreatePartitions,
  handleCreateTopics,
  handleDeleteTopics,
  handleDescribeConfigs,
  handleInitProducerId,
} from './handlers/admin';
import { handleFetch } from './handlers/fetch';
import { createGroupService } from './handlers/groups';
import { handleApiVersions, handleListOffsets, handleMetadata } from './handlers/metadata';
import { handleProduce } from './handlers/produce';
import { ApiKey } from './protocol/api';
import { listen } from './server';
import { TopicRegistry } from './topics';
import { consoleLogger, type Handler } from './types';

export type { BrokerOptions } from './config';

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  /** host:port, for KAFKA_BROKERS and clients' `brokers` lists. */
  readonly address: string;
  readonly config: BrokerConfig;
  stop(): Promise<void>;
}

/** Reads the cluster id kept in the data directory, creating it on first start. */
function clusterIdFor(dataDir: string): string | undefined {
  const file = path.join(dataDir, '__meta', 'cluster-id');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
}

/** Hands out producer ids from a counter kept on disk, so ids are never reused across restarts. */
function producerIds(dataDir: string): () => number {
  const file = path.join(dataDir, '__meta', 'producer-id');
  let next = fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8')) : 1000;
  return () => {
    const id = next++;
    fs.writeFileSync(`${file}.tmp`, String(next));
    fs.renameSync(`${file}.tmp`, file);
    return id;
  };
}

/**
 * Starts the development broker: a single Kafka node on one machine, speaking the wire protocol to KafkaJS and
 * librdkafka, persisting to `dataDir`. Resolves once clients can connect.
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const logger = options.logger ?? consoleLogger();
  fs.mkdirSync(path.join(options.dataDir, '__meta'), { recursive: true });
  const config = resolveConfig(options, clusterIdFor(options.dataDir));
  fs.writeFileSync(path.join(config.dataDir, '__meta', 'cluster-id'), config.clusterId);

  const started = Date.now();
  const topics = new TopicRegistry(config.dataDir, config, logger);
  let boundPort = config.port;
  const ctx: BrokerContext = {
    config,
    topics,
    logger,
    appended: new AppendSignal(),
    advertisedPort: () => config.advertisedPort ?? boundPort,
    nextProducerId: producerIds(config.dataDir),
  };
  const groups = createGroupService({
    config,
    logger,
    partitionCount: (t) => topics.get(t)?.partitions.length,
    advertisedPort: () => config.advertisedPort ?? boundPort,
  });

  const handlers = new Map<number, Handler>([
    [ApiKey.ApiVersions, handleApiVersions],
    [ApiKey.Metadata, handleMetadata(ctx)],
    [ApiKey.Produce, handleProduce(ctx)],
    [ApiKey.Fetch, handleFetch(ctx)],
    [ApiKey.ListOffsets, handleListOffsets(ctx)],
    [ApiKey.CreateTopics, handleCreateTopics(ctx)],
    [ApiKey.DeleteTopics, handleDeleteTopics(ctx)],
    [ApiKey.CreatePartitions, handleCreatePartitions(ctx)],
    [ApiKey.DescribeConfigs, handleDescribeConfigs(ctx)],
    [ApiKey.InitProducerId, handleInitProducerId(ctx)],
    ...groups.handlers,
  ]);

  const server = await listen({
    host: config.host,
    port: config.port,
    maxRequestBytes: config.maxRequestBytes,
    handlers,
    logger,
  });
  boundPort = server.port;
  const retention =
    config.retentionBytes >= 0 || config.retentionMs >= 0
      ? setInterval(() => topics.applyRetention(), 30_000).unref()
      : undefined;
  logger.info(
    `broker up on ${config.host}:${server.port} (data ${config.dataDir}, ${topics.all().length} topics, recovered in ${Date.now() - started} ms)`,
  );

  let stopping: Promise<void> | undefined;
  return {
    host: config.host,
    port: server.port,
    address: `${config.host}:${server.port}`,
    config: { ...config, port: server.port },
    stop: () =>
      (stopping ??= (async () => {
        if (retention) clearInterval(retention);
        await server.close();
        await groups.close();
        topics.close();
        logger.info('stopped');
      })()),
  };
}
