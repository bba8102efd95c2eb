import { crc32c } from '../../../../localstack/broker/crc32c';
import { ProtocolError, Reader, Writer } from '../../../../localstack/broker/protocol/codec';
import { readBatchHeader, readRecords, splitBatches } from '../../../../localstack/broker/record-batch';
import { buildBatch } from '../../../integration/helpers/batches';

describe('CRC-32C', () => {
  it('matches the standard check value and agrees across the fast and slow paths', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
    const bytewise = (buf: Buffer) => {
      let c = 0xffffffff;
      for (const b of buf) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    for (const len of [0, 1, 7, 8, 9, 63, 1000])
      expect(crc32c(data.subarray(0, len))).toBe(bytewise(data.subarray(0, len)));
  });
});

describe('wire codec', () => {
  it('round-trips every primitive', () => {
    const big = Buffer.alloc(10_000, 7);
    const w = new Writer()
      .int8(-3)
      .int16(-300)
      .int32(-70000)
      .int64(2 ** 40 + 5)
      .int64(-1)
      .string('héllo')
      .nullableString(null)
      .nullableBytes(big)
      .nullableBytes(null)
      .array([1, 2, 3], (x, v) => x.int32(v));
    const r = new Reader(w.toBuffer());
    expect([r.int8(), r.int16(), r.int32(), r.int64(), r.int64()]).toEqual([-3, -300, -70000, 2 ** 40 + 5, -1]);
    expect(r.string()).toBe('héllo');
    expect(r.nullableString()).toBeNull();
    expect(r.nullableBytes()?.equals(big)).toBe(true);
    expect(r.nullableBytes()).toBeNull();
    expect(r.array((x) => x.int32())).toEqual([1, 2, 3]);
    expect(r.remaining).toBe(0);
  });

  it('keeps large payloads as separate chunks instead of copying them', () => {
    const big = Buffer.alloc(100_000);
    const w = new Writer().int32(1).raw(big).int32(2);
    const chunks = w.toChunks();
    expect(chunks).toContain(big);
    expect(w.length).toBe(100_008);
  });

  it('refuses to read past the end or an array longer than the request', () => {
    expect(() => new Reader(Buffer.from([0, 5, 65])).string()).toThrow(ProtocolError);
    expect(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).array((r) => r.int8())).toThrow(ProtocolError);
  });
});

describe('record batches', () => {
  it('splits concatenated batches, reads headers and records', () => {
    const a = buildBatch({ values: ['x', 'yy'], timestamp: 1000 });
    const b = buildBatch({ values: ['zzz'], producerId: 7, producerEpoch: 0, baseSequence: 0 });
    const { batches, problem } = splitBatches(Buffer.concat([a, b]), 1024 * 1024);
    expect(problem).toBeUndefined();
    expect(batches).toHaveLength(2);
    const h = readBatchHeader(batches[1] as Buffer);
    expect([h.producerId, h.baseSequence, h.recordCount]).toEqual([7, 0, 1]);
    expect(readRecords(a).map((r) => [r.offset, r.timestamp, r.value?.toString()])).toEqual([
      [0, 1000, 'x'],
      [1, 1000, 'yy'],
    ]);
  });

  it('names each problem: CRC, codec, size, truncation', () => {
    const corrupt = buildBatch({ values: ['x'] });
    corrupt.writeUInt8(corrupt.readUInt8(corrupt.length - 1) ^ 0xff, corrupt.length - 1);
    expect(splitBatches(corrupt, 1 << 20).problem?.kind).toBe('corrupt');
    expect(splitBatches(buildBatch({ values: ['x'], attributes: 3 }), 1 << 20).problem?.kind).toBe(
      'unsupported-compression',
    );
    expect(splitBatches(buildBatch({ values: ['x'.repeat(2000)] }), 1000).problem?.kind).toBe('too-large');
    expect(splitBatches(buildBatch({ values: ['xyz'] }).subarray(0, 65), 1 << 20).problem?.kind).toBe('corrupt');
  });
});
