import type { BrokerContext } from '../context';
import type { PartitionLog } from '../partition-log';
import type { TopicInfo } from '../topics';
import { Writer } from '../protocol/codec';
import { ErrorCode } from '../protocol/errors';
import { BATCH, splitBatches } from '../record-batch';
import type { Handler } from '../types';
import { ensureTopic } from './topic-access';

interface PartitionResult {
  readonly index: number;
  readonly error: number;
  readonly baseOffset: number;
  readonly logStartOffset: number;
}

const SEQ_MAX = 0x7fffffff;

/**
 * Idempotent-producer checks (KIP-98): a retried batch already written gets its original offset back and is
 * not written again; a gap in sequence numbers or a stale epoch is refused.
 */
function checkSequence(log: PartitionLog, batch: Buffer): { error: number; duplicateOf?: number } {
  const pid = batch.readInt32BE(BATCH.PRODUCER_ID) * 0x1_0000_0000 + batch.readUInt32BE(BATCH.PRODUCER_ID + 4);
  if (pid < 0) return { error: ErrorCode.NONE };
  const epoch = batch.readInt16BE(BATCH.PRODUCER_EPOCH);
  const firstSeq = batch.readInt32BE(BATCH.BASE_SEQUENCE);
  const lastSeq = firstSeq + batch.readInt32BE(BATCH.LAST_OFFSET_DELTA);
  const state = log.producers.get(pid);
  if (!state) return { error: firstSeq === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_PRODUCER_ID };
  if (epoch < state.epoch) return { error: ErrorCode.INVALID_PRODUCER_EPOCH };
  if (epoch > state.epoch) return { error: firstSeq === 0 ? ErrorCode.NONE : ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
  const dup = state.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
  if (dup) return { error: ErrorCode.NONE, duplicateOf: dup.baseOffset };
  const last = state.batches[state.batches.length - 1];
  const expected = last ? (last.lastSeq === SEQ_MAX ? 0 : last.lastSeq + 1) : 0;
  return { error: firstSeq === expected ? ErrorCode.NONE : ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
}

function appendPartition(ctx: BrokerContext, log: PartitionLog, records: Buffer | null, topic: TopicInfo, p: number) {
  const result = (error: number, baseOffset = -1): PartitionResult => ({
    index: p,
    error,
    baseOffset,
    logStartOffset: log.logStartOffset,
  });
  if (!records || records.length === 0) return result(ErrorCode.CORRUPT_MESSAGE);
  const limit = Number(topic.configs['max.message.bytes'] ?? ctx.config.maxMessageBytes);
  const { batches, problem } = splitBatches(records, limit);
  if (problem) {
    ctx.logger.warn(`produce to ${topic.name}-${p} refused: ${problem.message}`);
    const code = {
      corrupt: ErrorCode.CORRUPT_MESSAGE,
      'unsupported-compression': ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      'too-large': ErrorCode.MESSAGE_TOO_LARGE,
    }[problem.kind];
    return result(code);
  }
  if (batches.length === 1) {
    const check = checkSequence(log, batches[0] as Buffer);
    if (check.error !== ErrorCode.NONE) return result(check.error);
    if (check.duplicateOf !== undefined) return result(ErrorCode.NONE, check.duplicateOf);
  } else if (batches.some((b) => b.readInt32BE(BATCH.PRODUCER_ID) >= 0 && checkSequence(log, b).error)) {
    return result(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  }
  if (batches.some((b) => (b.readInt16BE(BATCH.ATTRIBUTES) & 0x30) !== 0)) {
    // Transactional and control batches only come with transactions, which this broker refuses.
    return result(ErrorCode.INVALID_TXN_STATE);
  }
  return result(ErrorCode.NONE, log.append(batches));
}

export const handleProduce: (ctx: BrokerContext) => Handler = (ctx) => (req) => {
  const v = req.header.apiVersion;
  const r = req.body;
  r.nullableString(); // transactional id: transactions are refused at InitProducerId
  const acks = r.int16();
  r.int32(); // timeout: writes complete synchronously
  const topics = r.array((t) => ({
    name: t.string(),
    partitions: t.array((pr) => ({ index: pr.int32(), records: pr.nullableBytes() })),
  }));
  const validAcks = acks === 0 || acks === 1 || acks === -1;
  let appended = false;
  const responses = topics.map((t) => {
    const topic = validAcks ? ensureTopic(ctx, t.name, true) : undefined;
    return {
      name: t.name,
      partitions: t.partitions.map((pd): PartitionResult => {
        if (!validAcks)
          return { index: pd.index, error: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1, logStartOffset: -1 };
        const log = topic?.partitions[pd.index];
        if (!log) {
          return { index: pd.index, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, logStartOffset: -1 };
        }
        const res = appendPartition(ctx, log, pd.records, topic, pd.index);
        appended ||= res.error === ErrorCode.NONE;
        return res;
      }),
    };
  });
  if (appended) ctx.appended.notify();
  if (acks === 0) return null;
  const w = new Writer(64 + responses.length * 64);
  w.array(responses, (w1, t) => {
    w1.string(t.name);
    w1.array(t.partitions, (w2, p) => {
      w2.int32(p.index).int16(p.error).int64(p.baseOffset).int64(-1);
      if (v >= 5) w2.int64(p.logStartOffset);
    });
  });
  w.int32(0);
  return w;
};
