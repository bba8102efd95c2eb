import type { BrokerContext } from '../context';
import { SUPPORTED_VERSIONS } from '../protocol/api';
import { Reader, Writer } from '../protocol/codec';
import { ErrorCode } from '../protocol/errors';
import { topicNameProblem } from '../topics';
import type { Handler } from '../types';
import { ensureTopic } from './topic-access';

/**
 * ApiVersions. v3 is the one flexible version this broker speaks: librdkafka opens with it, and answering it
 * saves a round trip and a parse error on the client's side. Its request header carries tagged fields, and its
 * response header stays v0 (KIP-511).
 */
export const handleApiVersions: Handler = (req) => {
  const ranges = [...SUPPORTED_VERSIONS];
  if (req.header.apiVersion >= 3) {
    const r = req.body;
    skipTaggedFields(r); // request header v2
    r.offset += Math.max(0, r.uvarint() - 1); // client software name (compact string)
    r.offset += Math.max(0, r.uvarint() - 1); // client software version
    const w = new Writer(512).int16(ErrorCode.NONE);
    w.uvarint(ranges.length + 1);
    for (const [key, range] of ranges) w.int16(key).int16(range.min).int16(range.max).uvarint(0);
    return w.int32(0).uvarint(0);
  }
  const w = new Writer(512).int16(ErrorCode.NONE);
  w.array(ranges, (w1, [key, range]) => w1.int16(key).int16(range.min).int16(range.max));
  if (req.header.apiVersion >= 1) w.int32(0);
  return w;
};

function skipTaggedFields(r: Reader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint(); // tag
    r.offset += r.uvarint(); // size, then the data
  }
}

/** Metadata: this node is every partition's leader and the controller, so clients route everything here. */
export const handleMetadata: (ctx: BrokerContext) => Handler = (ctx) => (req) => {
  const v = req.header.apiVersion;
  const r = req.body;
  const requested = r.nullableArray((t) => t.string());
  const allowAutoCreate = v >= 4 ? r.bool() : true;
  const names = requested === null || (v === 0 && requested.length === 0) ? null : requested;
  const { nodeId } = ctx.config;
  const topics = (names ?? ctx.topics.all().map((t) => t.name)).map((name) => {
    const topic = ensureTopic(ctx, name, allowAutoCreate);
    const error = topic
      ? ErrorCode.NONE
      : topicNameProblem(name)
        ? ErrorCode.INVALID_TOPIC_EXCEPTION
        : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return { name, error, partitions: topic ? topic.partitions.length : 0 };
  });
  const w = new Writer(256 + topics.length * 64);
  if (v >= 3) w.int32(0);
  w.array([nodeId], (w1, id) => {
    w1.int32(id).string(ctx.config.advertisedHost).int32(ctx.advertisedPort());
    if (v >= 1) w1.nullableString(null);
  });
  if (v >= 2) w.nullableString(ctx.config.clusterId);
  if (v >= 1) w.int32(nodeId);
  w.array(topics, (w1, t) => {
    w1.int16(t.error).string(t.name);
    if (v >= 1) w1.bool(false);
    w1.int32(t.partitions);
    for (let p = 0; p < t.partitions; p++) {
      w1.int16(ErrorCode.NONE).int32(p).int32(nodeId);
      w1.int32(1).int32(nodeId); // replicas
      w1.int32(1).int32(nodeId); // in-sync replicas
      if (v >= 5) w1.int32(0); // offline replicas
    }
  });
  return w;
};

/** ListOffsets: earliest (-2), latest (-1) or the first offset at or after a timestamp. */
export const handleListOffsets: (ctx: BrokerContext) => Handler = (ctx) => (req) => {
  const v = req.header.apiVersion;
  const r = req.body;
  r.int32(); // replica id
  if (v >= 2) r.int8(); // isolation level
  const topics = r.array((t) => ({
    name: t.string(),
    partitions: t.array((p) => ({ partition: p.int32(), timestamp: p.int64() })),
  }));
  const w = new Writer(128);
  if (v >= 2) w.int32(0);
  w.array(topics, (w1, t) => {
    w1.string(t.name);
    w1.array(t.partitions, (w2, p) => {
      const log = ctx.topics.partition(t.name, p.partition);
      w2.int32(p.partition);
      if (!log) {
        w2.int16(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).int64(-1).int64(-1);
        return;
      }
      if (p.timestamp === -1) w2.int16(ErrorCode.NONE).int64(-1).int64(log.nextOffset);
      else if (p.timestamp === -2) w2.int16(ErrorCode.NONE).int64(-1).int64(log.logStartOffset);
      else {
        const found = log.offsetForTimestamp(p.timestamp);
        w2.int16(ErrorCode.NONE)
          .int64(found ? found.timestamp : -1)
          .int64(found ? found.offset : -1);
      }
    });
  });
  return w;
};
