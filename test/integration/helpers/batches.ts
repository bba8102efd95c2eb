import { crc32c } from '../../../localstack/broker/crc32c';
import { BATCH, writeInt64 } from '../../../localstack/broker/record-batch';

function varint(n: number): Buffer {
  let z = (n << 1) ^ (n >> 31);
  const out: number[] = [];
  while ((z & ~0x7f) !== 0) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return Buffer.from(out);
}

export interface BatchSpec {
  readonly values: string[];
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
  readonly attributes?: number;
  readonly timestamp?: number;
}

/** Builds a record batch v2 by hand, with a correct CRC-32C unless the test corrupts it afterwards. */
export function buildBatch(spec: BatchSpec): Buffer {
  const ts = spec.timestamp ?? Date.now();
  const records = spec.values.map((v, i) => {
    const value = Buffer.from(v);
    const body = Buffer.concat([
      Buffer.from([0]), // attributes
      varint(0), // timestamp delta
      varint(i), // offset delta
      varint(-1), // null key
      varint(value.length),
      value,
      varint(0), // headers
    ]);
    return Buffer.concat([varint(body.length), body]);
  });
  const header = Buffer.alloc(BATCH.HEADER_SIZE);
  const recordBytes = Buffer.concat(records);
  writeInt64(header, BATCH.BASE_OFFSET, 0);
  header.writeInt32BE(BATCH.HEADER_SIZE - BATCH.LOG_OVERHEAD + recordBytes.length, BATCH.LENGTH);
  header.writeInt32BE(0, BATCH.LEADER_EPOCH);
  header.writeInt8(2, BATCH.MAGIC);
  header.writeInt16BE(spec.attributes ?? 0, BATCH.ATTRIBUTES);
  header.writeInt32BE(spec.values.length - 1, BATCH.LAST_OFFSET_DELTA);
  writeInt64(header, BATCH.BASE_TIMESTAMP, ts);
  writeInt64(header, BATCH.MAX_TIMESTAMP, ts);
  writeInt64(header, BATCH.PRODUCER_ID, spec.producerId ?? -1);
  header.writeInt16BE(spec.producerEpoch ?? -1, BATCH.PRODUCER_EPOCH);
  header.writeInt32BE(spec.baseSequence ?? -1, BATCH.BASE_SEQUENCE);
  header.writeInt32BE(spec.values.length, BATCH.RECORD_COUNT);
  const batch = Buffer.concat([header, recordBytes]);
  batch.writeUInt32BE(crc32c(batch, BATCH.ATTRIBUTES), BATCH.CRC);
  return batch;
}
