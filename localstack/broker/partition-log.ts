import fs from 'node:fs';
import path from 'node:path';
import { BATCH, crcMatches, readBatchHeader, readRecords, writeInt64 } from './record-batch';
import type { Logger } from './types';

/** Growable columns of batch metadata: 32 bytes a batch, so a long-lived dev log stays small in memory. */
class BatchIndex {
  count = 0;
  base = new Float64Array(64);
  last = new Float64Array(64);
  pos = new Float64Array(64);
  maxTs = new Float64Array(64);

  push(base: number, last: number, pos: number, maxTs: number): void {
    if (this.count === this.base.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.base = grow(this.base);
      this.last = grow(this.last);
      this.pos = grow(this.pos);
      this.maxTs = grow(this.maxTs);
    }
    const i = this.count++;
    this.base[i] = base;
    this.last[i] = last;
    this.pos[i] = pos;
    this.maxTs[i] = maxTs;
  }

  /** First batch whose last offset is >= offset, or count. */
  findByOffset(offset: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.last[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface Segment {
  readonly baseOffset: number;
  readonly file: string;
  fd: number;
  size: number;
  nextOffset: number;
  readonly index: BatchIndex;
  lastWriteMs: number;
}

const segmentName = (baseOffset: number) => `${String(baseOffset).padStart(20, '0')}.log`;

export interface LogOptions {
  readonly segmentBytes: number;
  readonly retentionBytes: number;
  readonly retentionMs: number;
}

/** One producer's recent batches on one partition, for idempotent de-duplication (Kafka keeps five). */
export interface ProducerBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly baseOffset: number;
}
export interface ProducerState {
  epoch: number;
  batches: ProducerBatch[];
}

export interface ReadResult {
  /** Contiguous batches, as stored; empty when there is nothing at the offset yet. */
  readonly data: Buffer;
}

/**
 * An append-only partition log: segment files of record batches exactly as producers sent them, with the
 * base offset assigned. Writes go to the file before the producer is answered, so acknowledged records
 * survive a kill -9 of the broker; on open, the files are scanned, checked and a torn tail is cut off.
 */
export class PartitionLog {
  private segments: Segment[] = [];
  readonly producers = new Map<number, ProducerState>();
  logStartOffset = 0;

  private constructor(
    readonly dir: string,
    private readonly opts: LogOptions,
    private readonly logger: Logger,
  ) {}

  static open(dir: string, opts: LogOptions, logger: Logger): PartitionLog {
    fs.mkdirSync(dir, { recursive: true });
    const log = new PartitionLog(dir, opts, logger);
    log.recover();
    return log;
  }

  get nextOffset(): number {
    const last = this.segments[this.segments.length - 1];
    return last ? last.nextOffset : this.logStartOffset;
  }

  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  private recover(): void {
    const files = fs
      .readdirSync(this.dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .sort();
    let expected: number | undefined;
    for (let i = 0; i < files.length; i++) {
      const name = files[i] as string;
      const file = path.join(this.dir, name);
      const baseOffset = Number(name.slice(0, 20));
      const seg = this.scanSegment(file, baseOffset);
      if (expected !== undefined && seg.baseOffset !== expected && seg.index.count > 0) {
        this.logger.warn(`${this.dir}: segment ${name} starts at ${seg.baseOffset}, expected ${expected}`);
      }
      this.segments.push(seg);
      expected = seg.nextOffset;
      if (seg.truncated && i < files.length - 1) {
        // Anything after a damaged segment cannot be trusted to be contiguous: drop it, loudly.
        for (const later of files.slice(i + 1)) {
          this.logger.warn(`${this.dir}: removing segment ${later} that follows a damaged one`);
          fs.rmSync(path.join(this.dir, later));
        }
        break;
      }
    }
    const first = this.segments[0];
    this.logStartOffset = first ? first.baseOffset : 0;
    if (this.segments.length === 0) this.segments.push(this.createSegment(0));
  }

  private scanSegment(file: string, baseOffset: number): Segment & { truncated: boolean } {
    const buf = fs.readFileSync(file);
    const index = new BatchIndex();
    let pos = 0;
    let next = baseOffset;
    let truncated = false;
    while (pos < buf.length) {
      const avail = buf.length - pos;
      const size = avail >= BATCH.HEADER_SIZE ? BATCH.LOG_OVERHEAD + buf.readInt32BE(pos + BATCH.LENGTH) : -1;
      if (size < BATCH.HEADER_SIZE || size > avail || !crcMatches(buf, pos, size)) {
        this.logger.warn(
          `${file}: torn or corrupt batch at byte ${pos} (${avail} bytes left): truncating the log to ${pos} bytes`,
        );
        fs.truncateSync(file, pos);
        truncated = true;
        break;
      }
      const h = readBatchHeader(buf, pos);
      const last = h.baseOffset + h.lastOffsetDelta;
      index.push(h.baseOffset, last, pos, h.maxTimestamp);
      this.trackProducer(h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta, h.baseOffset);
      next = last + 1;
      pos += size;
    }
    const stat = fs.statSync(file);
    return {
      baseOffset,
      file,
      fd: fs.openSync(file, 'r+'),
      size: pos,
      nextOffset: next,
      index,
      lastWriteMs: stat.mtimeMs,
      truncated,
    };
  }

  private createSegment(baseOffset: number): Segment {
    const file = path.join(this.dir, segmentName(baseOffset));
    return {
      baseOffset,
      file,
      fd: fs.openSync(file, 'w+'),
      size: 0,
      nextOffset: baseOffset,
      index: new BatchIndex(),
      lastWriteMs: Date.now(),
    };
  }

  /** Remembers a producer's batch so that a retried batch is recognised as a duplicate. */
  trackProducer(producerId: number, epoch: number, baseSequence: number, lastOffsetDelta: number, baseOffset: number) {
    if (producerId < 0) return;
    let state = this.producers.get(producerId);
    if (!state || epoch > state.epoch) {
      state = { epoch, batches: [] };
      this.producers.set(producerId, state);
    }
    state.batches.push({ firstSeq: baseSequence, lastSeq: baseSequence + lastOffsetDelta, baseOffset });
    if (state.batches.length > 5) state.batches.shift();
  }

  /**
   * Appends validated batches, assigning consecutive offsets. Returns the base offset of the first.
   * Batches are rewritten in place (base offset only: it is outside the CRC) and written with one call.
   */
  append(batches: readonly Buffer[], now = Date.now()): number {
    let seg = this.activeSegment();
    const first = this.nextOffset;
    let offset = first;
    const toWrite: Buffer[] = [];
    let bytes = 0;
    for (const b of batches) {
      writeInt64(b, BATCH.BASE_OFFSET, offset);
      const lastDelta = b.readInt32BE(BATCH.LAST_OFFSET_DELTA);
      const maxTs = b.readInt32BE(BATCH.MAX_TIMESTAMP) * 0x1_0000_0000 + b.readUInt32BE(BATCH.MAX_TIMESTAMP + 4);
      seg.index.push(offset, offset + lastDelta, seg.size + bytes, maxTs);
      const pid = b.readInt32BE(BATCH.PRODUCER_ID) * 0x1_0000_0000 + b.readUInt32BE(BATCH.PRODUCER_ID + 4);
      if (pid >= 0) {
        this.trackProducer(
          pid,
          b.readInt16BE(BATCH.PRODUCER_EPOCH),
          b.readInt32BE(BATCH.BASE_SEQUENCE),
          lastDelta,
          offset,
        );
      }
      toWrite.push(b);
      bytes += b.length;
      offset += lastDelta + 1;
    }
    writeAll(seg.fd, toWrite, seg.size);
    seg.size += bytes;
    seg.nextOffset = offset;
    seg.lastWriteMs = now;
    if (seg.size >= this.opts.segmentBytes) {
      seg = this.createSegment(offset);
      this.segments.push(seg);
      this.applyRetention(now);
    }
    return first;
  }

  private activeSegment(): Segment {
    const seg = this.segments[this.segments.length - 1];
    if (!seg) throw new Error(`${this.dir}: log has no segment`);
    return seg;
  }

  /**
   * Reads whole batches from `offset`: at most `maxBytes`, but always the first batch when `atLeastOne`
   * (KIP-74: a batch larger than the limit must still make progress).
   */
  read(offset: number, maxBytes: number, atLeastOne: boolean): Buffer {
    const segIdx = this.findSegment(offset);
    const seg = this.segments[segIdx];
    if (!seg) return EMPTY;
    const { index } = seg;
    const i = index.findByOffset(offset);
    if (i >= index.count) {
      // The offset may be the start of the next segment.
      const nextSeg = this.segments[segIdx + 1];
      return nextSeg ? this.read(nextSeg.baseOffset, maxBytes, atLeastOne) : EMPTY;
    }
    const start = index.pos[i] as number;
    let end = i + 1 < index.count ? (index.pos[i + 1] as number) : seg.size;
    if (end - start > maxBytes && !atLeastOne) return EMPTY;
    for (let j = i + 1; j < index.count; j++) {
      const next = j + 1 < index.count ? (index.pos[j + 1] as number) : seg.size;
      if (next - start > maxBytes) break;
      end = next;
    }
    const out = Buffer.allocUnsafe(end - start);
    let done = 0;
    while (done < out.length) {
      const n = fs.readSync(seg.fd, out, done, out.length - done, start + done);
      if (n === 0) break;
      done += n;
    }
    return out.subarray(0, done);
  }

  private findSegment(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.segments[mid] as Segment).baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Offset of the first record whose timestamp is >= ts (ListOffsets by time), or undefined if none. */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | undefined {
    for (const seg of this.segments) {
      const { index } = seg;
      for (let i = 0; i < index.count; i++) {
        if ((index.maxTs[i] as number) < ts || (index.last[i] as number) < this.logStartOffset) continue;
        const batch = this.read(index.base[i] as number, 1, true);
        for (const rec of readRecords(batch)) {
          if (rec.timestamp >= ts && rec.offset >= this.logStartOffset) {
            return { offset: rec.offset, timestamp: rec.timestamp };
          }
        }
      }
    }
    return undefined;
  }

  /** Deletes whole old segments past the size or age limit; never the active one. */
  applyRetention(now = Date.now()): void {
    const { retentionBytes, retentionMs } = this.opts;
    if (retentionBytes < 0 && retentionMs < 0) return;
    let total = this.sizeBytes;
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment;
      const tooBig = retentionBytes >= 0 && total - oldest.size >= retentionBytes;
      const tooOld = retentionMs >= 0 && now - oldest.lastWriteMs > retentionMs;
      if (!tooBig && !tooOld) break;
      this.segments.shift();
      fs.closeSync(oldest.fd);
      fs.rmSync(oldest.file);
      total -= oldest.size;
      this.logStartOffset = (this.segments[0] as Segment).baseOffset;
      this.logger.info(
        `${this.dir}: retention (${tooBig ? 'size' : 'age'}) deleted segment ${path.basename(oldest.file)}; log now starts at ${this.logStartOffset}`,
      );
    }
  }

  close(): void {
    for (const s of this.segments) {
      try {
        fs.closeSync(s.fd);
      } catch {
        // already closed
      }
    }
    this.segments = [];
  }
}

const EMPTY = Buffer.alloc(0);

function writeAll(fd: number, bufs: readonly Buffer[], position: number): void {
  let pos = position;
  if (bufs.length === 1) {
    const b = bufs[0] as Buffer;
    let done = 0;
    while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done, pos + done);
    return;
  }
  for (const b of bufs) {
    let done = 0;
    while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done, pos + done);
    pos += b.length;
  }
}
