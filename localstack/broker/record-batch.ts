import zlib from 'node:zlib';
import { crc32c } from './crc32c';
import { Reader } from './protocol/codec';

/** Offsets of the record batch v2 header fields (kafka.apache.org/documentation/#recordbatch). */
export const BATCH = {
  BASE_OFFSET: 0,
  LENGTH: 8,
  LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORD_COUNT: 57,
  HEADER_SIZE: 61,
  /** baseOffset + batchLength: the bytes before the length counts from. */
  LOG_OVERHEAD: 12,
} as const;

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;

export interface BatchHeader {
  readonly baseOffset: number;
  readonly size: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

export function writeInt64(buf: Buffer, at: number, v: number): void {
  const hi = Math.floor(v / 0x1_0000_0000);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(v - hi * 0x1_0000_0000, at + 4);
}

/** Reads the header of the batch starting at `at`; the caller has checked that the whole batch is present. */
export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  return {
    baseOffset: readInt64(buf, at + BATCH.BASE_OFFSET),
    size: BATCH.LOG_OVERHEAD + buf.readInt32BE(at + BATCH.LENGTH),
    magic: buf.readInt8(at + BATCH.MAGIC),
    crc: buf.readUInt32BE(at + BATCH.CRC),
    attributes: buf.readInt16BE(at + BATCH.ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(at + BATCH.LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(buf, at + BATCH.BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, at + BATCH.MAX_TIMESTAMP),
    producerId: readInt64(buf, at + BATCH.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(at + BATCH.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(at + BATCH.BASE_SEQUENCE),
    recordCount: buf.readInt32BE(at + BATCH.RECORD_COUNT),
  };
}

export const compressionOf = (attributes: number): number => attributes & 0x07;
export const isTransactional = (attributes: number): boolean => (attributes & 0x10) !== 0;
export const isControl = (attributes: number): boolean => (attributes & 0x20) !== 0;

/** True when the stored CRC-32C matches the bytes from the attributes field to the end of the batch. */
export function crcMatches(buf: Buffer, at: number, size: number): boolean {
  return crc32c(buf, at + BATCH.ATTRIBUTES, at + size) === buf.readUInt32BE(at + BATCH.CRC);
}

export type BatchProblem =
  | { readonly kind: 'corrupt'; readonly message: string }
  | { readonly kind: 'unsupported-compression'; readonly message: string }
  | { readonly kind: 'too-large'; readonly message: string };

export interface SplitBatches {
  readonly batches: Buffer[];
  readonly problem?: BatchProblem;
}

/**
 * Splits a Produce request's records into its v2 batches and checks each one (size, magic, CRC, codec)
 * without decoding the records: the broker stores and serves the producer's bytes as they are.
 */
export function splitBatches(records: Buffer, maxMessageBytes: number): SplitBatches {
  const batches: Buffer[] = [];
  let at = 0;
  while (at < records.length) {
    if (records.length - at < BATCH.HEADER_SIZE) {
      return { batches, problem: { kind: 'corrupt', message: 'truncated record batch header' } };
    }
    const size = BATCH.LOG_OVERHEAD + records.readInt32BE(at + BATCH.LENGTH);
    if (size < BATCH.HEADER_SIZE || at + size > records.length) {
      return { batches, problem: { kind: 'corrupt', message: `record batch length ${size} does not fit the request` } };
    }
    const magic = records.readInt8(at + BATCH.MAGIC);
    if (magic !== 2) {
      return { batches, problem: { kind: 'corrupt', message: `record batch magic ${magic}: only v2 is supported` } };
    }
    if (size > maxMessageBytes) {
      return {
        batches,
        problem: {
          kind: 'too-large',
          message: `record batch of ${size} bytes exceeds max.message.bytes ${maxMessageBytes}`,
        },
      };
    }
    if (!crcMatches(records, at, size)) {
      return { batches, problem: { kind: 'corrupt', message: 'record batch CRC-32C mismatch' } };
    }
    const codec = compressionOf(records.readInt16BE(at + BATCH.ATTRIBUTES));
    if (codec !== Compression.NONE && codec !== Compression.GZIP) {
      return {
        batches,
        problem: {
          kind: 'unsupported-compression',
          message: `compression codec ${codec} is not supported (none, gzip)`,
        },
      };
    }
    batches.push(records.subarray(at, at + size));
    at += size;
  }
  return { batches };
}

export interface RecordView {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** Decodes the records of one batch (for timestamp look-ups and control markers; not on the hot path). */
export function readRecords(batch: Buffer): RecordView[] {
  const h = readBatchHeader(batch, 0);
  let body = batch.subarray(BATCH.HEADER_SIZE, h.size);
  if (compressionOf(h.attributes) === Compression.GZIP) body = zlib.gunzipSync(body);
  const r = new Reader(body);
  const out: RecordView[] = [];
  for (let i = 0; i < h.recordCount && r.remaining > 0; i++) {
    const len = r.varint();
    const end = r.offset + len;
    r.int8(); // attributes
    const tsDelta = r.varint();
    const offDelta = r.varint();
    const keyLen = r.varint();
    const key = keyLen < 0 ? null : body.subarray(r.offset, (r.offset += keyLen));
    const valueLen = r.varint();
    const value = valueLen < 0 ? null : body.subarray(r.offset, (r.offset += valueLen));
    r.offset = end;
    out.push({ offset: h.baseOffset + offDelta, timestamp: h.baseTimestamp + tsDelta, key, value });
  }
  return out;
}
