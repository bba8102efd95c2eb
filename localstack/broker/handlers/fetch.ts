import type { BrokerContext } from '../context';
import { Writer } from '../protocol/codec';
import { ErrorCode } from '../protocol/errors';
import type { Handler, Request } from '../types';

interface FetchPartition {
  readonly partition: number;
  readonly fetchOffset: number;
  readonly maxBytes: number;
}
interface FetchTopic {
  readonly topic: string;
  readonly partitions: FetchPartition[];
}
interface PartitionData {
  readonly partition: number;
  readonly error: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly records: Buffer | null;
}

function readFetch(req: Request) {
  const v = req.header.apiVersion;
  const r = req.body;
  r.int32(); // replica id
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  r.int8(); // isolation level: without transactions every record is committed
  if (v >= 7) {
    r.int32(); // session id: answered 0, so clients send full fetches (no incremental sessions)
    r.int32(); // session epoch
  }
  const topics: FetchTopic[] = r.array((t) => ({
    topic: t.string(),
    partitions: t.array((p) => {
      const partition = p.int32();
      if (v >= 9) p.int32(); // current leader epoch
      const fetchOffset = p.int64();
      if (v >= 5) p.int64(); // follower log start offset
      return { partition, fetchOffset, maxBytes: p.int32() };
    }),
  }));
  if (v >= 7) r.array((t) => [t.string(), t.array((p) => p.int32())]);
  if (v >= 11) r.string(); // rack id
  return { maxWaitMs, minBytes, maxBytes: maxBytes > 0 ? maxBytes : 0x7fffffff, topics };
}

function collect(ctx: BrokerContext, topics: FetchTopic[], maxBytes: number) {
  let total = 0;
  const out = topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): PartitionData => {
      const log = ctx.topics.partition(t.topic, p.partition);
      if (!log) {
        return {
          partition: p.partition,
          error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          highWatermark: -1,
          logStartOffset: -1,
          records: null,
        };
      }
      const hw = log.nextOffset;
      const base = { partition: p.partition, highWatermark: hw, logStartOffset: log.logStartOffset };
      if (p.fetchOffset < log.logStartOffset || p.fetchOffset > hw) {
        return { ...base, error: ErrorCode.OFFSET_OUT_OF_RANGE, records: null };
      }
      const budget = Math.min(p.maxBytes, maxBytes - total);
      const data = p.fetchOffset < hw && budget > 0 ? log.read(p.fetchOffset, budget, total === 0) : EMPTY;
      total += data.length;
      return { ...base, error: ErrorCode.NONE, records: data };
    }),
  }));
  return { out, total };
}

const EMPTY = Buffer.alloc(0);

/**
 * Fetch with long polling: answers at once when `minBytes` are there, else when records arrive or
 * `maxWaitMs` passes, whichever is first.
 */
export const handleFetch: (ctx: BrokerContext) => Handler = (ctx) => async (req) => {
  const v = req.header.apiVersion;
  const f = readFetch(req);
  let result = collect(ctx, f.topics, f.maxBytes);
  if (result.total < Math.max(f.minBytes, 1) && f.maxWaitMs > 0 && !hasError(result.out)) {
    await new Promise<void>((resolve) => {
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stop();
        resolve();
      };
      const timer = setTimeout(finish, f.maxWaitMs);
      const stop = ctx.appended.wait(() => {
        if (req.conn.closed) return finish();
        if (f.minBytes <= 1 ? hasNewRecords(ctx, f.topics) : collect(ctx, f.topics, f.maxBytes).total >= f.minBytes) {
          finish();
        }
      });
    });
    result = collect(ctx, f.topics, f.maxBytes);
  }
  const w = new Writer(256);
  w.int32(0); // throttle
  if (v >= 7) w.int16(ErrorCode.NONE).int32(0);
  w.array(result.out, (w1, t) => {
    w1.string(t.topic);
    w1.array(t.partitions, (w2, p) => {
      w2.int32(p.partition).int16(p.error).int64(p.highWatermark);
      w2.int64(p.highWatermark); // last stable offset
      if (v >= 5) w2.int64(p.logStartOffset);
      w2.int32(-1); // aborted transactions: null
      if (v >= 11) w2.int32(-1); // preferred read replica
      w2.nullableBytes(p.records);
    });
  });
  return w;
};

/** The common case (min bytes 1) needs no read: any partition that grew past its fetch offset will do. */
function hasNewRecords(ctx: BrokerContext, topics: FetchTopic[]): boolean {
  return topics.some((t) =>
    t.partitions.some((p) => (ctx.topics.partition(t.topic, p.partition)?.nextOffset ?? -1) > p.fetchOffset),
  );
}

function hasError(out: { partitions: PartitionData[] }[]): boolean {
  return out.some((t) => t.partitions.some((p) => p.error !== ErrorCode.NONE));
}
