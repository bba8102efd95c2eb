import type { BrokerContext } from '../context';
import { Writer } from '../protocol/codec';
import { ErrorCode } from '../protocol/errors';
import { topicConfigProblem, topicNameProblem } from '../topics';
import type { Handler } from '../types';

interface TopicResult {
  readonly name: string;
  readonly error: number;
  readonly message: string | null;
}

const ok = (name: string): TopicResult => ({ name, error: ErrorCode.NONE, message: null });

/** CreateTopics: one node, so a replication factor other than 1 (or -1, the default) is refused. */
export const handleCreateTopics: (ctx: BrokerContext) => Handler = (ctx) => (req) => {
  const v = req.header.apiVersion;
  const r = req.body;
  const topics = r.array((t) => ({
    name: t.string(),
    numPartitions: t.int32(),
    replicationFactor: t.int16(),
    assignments: t.array((a) => ({ partition: a.int32(), brokers: a.array((b) => b.int32()) })),
    configs: t.array((c) => ({ name: c.string(), value: c.nullableString() })),
  }));
  r.int32(); // timeout
  const validateOnly = v >= 1 ? r.bool() : false;
  const results = topics.map((t): TopicResult => {
    const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions;
    const nameProblem = topicNameProblem(t.name);
    if (nameProblem) return { name: t.name, error: ErrorCode.INVALID_TOPIC_EXCEPTION, message: nameProblem };
    if (ctx.topics.get(t.name)) {
      return { name: t.name, error: ErrorCode.TOPIC_ALREADY_EXISTS, message: `topic '${t.name}' already exists` };
    }
    const count = partitions === -1 ? ctx.config.defaultPartitions : partitions;
    if (count < 1 || count > 10_000) {
      return { name: t.name, error: ErrorCode.INVALID_PARTITIONS, message: `partition count ${partitions} is invalid` };
    }
    if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
      return {
        name: t.name,
        error: ErrorCode.INVALID_REPLICATION_FACTOR,
        message: `replication factor ${t.replicationFactor}: this development broker is a single node (use 1)`,
      };
    }
    const configs: Record<string, string> = {};
    for (const c of t.configs) {
      if (c.value === null) continue;
      const problem = topicConfigProblem(c.name, c.value);
      if (problem) return { name: t.name, error: ErrorCode.INVALID_CONFIG, message: problem };
      configs[c.name] = c.value;
    }
    if (!validateOnly) ctx.topics.create(t.name, count, configs);
    return ok(t.name);
  });
  const w = new Writer(128);
  if (v >= 2) w.int32(0);
  w.array(results, (w1, t) => {
    w1.string(t.name).int16(t.error);
    if (v >= 1) w1.nullableString(t.message);
  });
  return w;
};

export const handleDeleteTopics: (ctx: BrokerContext) => Handler = (ctx) => (req) => {
  const v = req.header.apiVersion;
  const names = req.body.array((t) => t.string());
  req.body.int32();
  const w = new Writer(128);
  if (v >= 1) w.int32(0);
  w.array(names, (w1, name) => {
    const exists = ctx.topics.get(name) !== undefined;
    if (exists) ctx.topics.delete(name);
    w1.string(name).int16(exists ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
  return w;
};

export const handleCreatePartitions: (ctx: BrokerContext) => Handler = (ctx) => (req) => {
  const r = req.body;
  const topics = r.array((t) => ({
    name: t.string(),
    count: t.int32(),
    assignments: t.nullableArray((a) => a.array((b) => b.int32())),
  }));
  r.int32();
  const validateOnly = r.bool();
  const results = topics.map((t): TopicResult => {
    const topic = ctx.topics.get(t.name);
    if (!topic) {
      return { name: t.name, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `unknown topic '${t.name}'` };
    }
    if (t.count <= topic.partitions.length) {
      return {
        name: t.name,
        error: ErrorCode.INVALID_PARTITIONS,
        message: `topic '${t.name}' has ${topic.partitions.length} partitions; the new count must be larger`,
      };
    }
    if (!validateOnly) ctx.topics.addPartitions(t.name, t.count);
    return ok(t.name);
  });
  const w = new Writer(128).int32(0);
  w.array(results, (w1, t) => w1.string(t.name).int16(t.error).nullableString(t.message));
  return w;
};

const ResourceType = { TOPIC: 2, BROKER: 4 } as const;
const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

function defaults(ctx: BrokerContext): Record<string, string> {
  const c = ctx.config;
  return {
    'cleanup.policy': 'delete',
    'compression.type': 'producer',
    'max.message.bytes': String(c.maxMessageBytes),
    'message.timestamp.type': 'CreateTime',
    'min.insync.replicas': '1',
    'retention.bytes': String(c.retentionBytes),
    'retention.ms': String(c.retentionMs),
    'segment.bytes': String(c.segmentBytes),
  };
}

/** DescribeConfigs for topics and this broker: the effective values, with overrides marked as such. */
export const handleDescribeConfigs: (ctx: BrokerContext) => Handler = (ctx) => (req) => {
  const v = req.header.apiVersion;
  const r = req.body;
  const resources = r.array((x) => ({ type: x.int8(), name: x.string(), keys: x.nullableArray((k) => k.string()) }));
  if (v >= 1) r.bool(); // include synonyms
  const w = new Writer(512).int32(0);
  w.array(resources, (w1, res) => {
    let error: number = ErrorCode.NONE;
    let message: string | null = null;
    let entries: { name: string; value: string; source: number }[] = [];
    if (res.type === ResourceType.TOPIC) {
      const topic = ctx.topics.get(res.name);
      if (!topic) {
        error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        message = `unknown topic '${res.name}'`;
      } else {
        const base = defaults(ctx);
        entries = Object.entries({ ...base, ...topic.configs }).map(([name, value]) => ({
          name,
          value,
          source: name in topic.configs ? ConfigSource.DYNAMIC_TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG,
        }));
      }
    } else if (res.type === ResourceType.BROKER) {
      entries = Object.entries({
        ...defaults(ctx),
        'auto.create.topics.enable': String(ctx.config.autoCreateTopics),
        'num.partitions': String(ctx.config.defaultPartitions),
        'broker.id': String(ctx.config.nodeId),
      }).map(([name, value]) => ({ name, value, source: ConfigSource.STATIC_BROKER_CONFIG }));
    } else {
      error = ErrorCode.INVALID_REQUEST;
      message = `resource type ${res.type} is not supported (topics and brokers are)`;
    }
    const wanted = res.keys;
    if (wanted) entries = entries.filter((e) => wanted.includes(e.name));
    w1.int16(error).nullableString(message).int8(res.type).string(res.name);
    w1.array(entries, (w2, e) => {
      w2.string(e.name).nullableString(e.value).bool(false);
      if (v === 0) w2.bool(e.source === ConfigSource.DEFAULT_CONFIG);
      else w2.int8(e.source);
      w2.bool(false);
      if (v >= 1) w2.int32(0);
    });
  });
  return w;
};

/**
 * InitProducerId for idempotent producers. Transactions are refused with a clear error instead of being
 * accepted and served wrong (a read_committed consumer would otherwise see aborted records).
 */
export const handleInitProducerId: (ctx: BrokerContext) => Handler = (ctx) => (req) => {
  const transactionalId = req.body.nullableString();
  req.body.int32();
  const w = new Writer(32).int32(0);
  if (transactionalId !== null) {
    ctx.logger.warn(`refused transactional producer '${transactionalId}': this broker does not support transactions`);
    return w.int16(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED).int64(-1).int16(-1);
  }
  return w.int16(ErrorCode.NONE).int64(ctx.nextProducerId()).int16(0);
};
