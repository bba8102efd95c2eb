import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../types';

/** An offset a group committed for one partition. */
export interface CommittedOffset {
  readonly offset: number;
  readonly metadata: string | null;
  readonly commitTimestamp: number;
}

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string | null;
}

/**
 * One line of the log. A commit of several partitions is one record, so a torn write loses the whole commit and
 * never half of it.
 */
type LogRecord =
  | {
      readonly op: 'commit';
      readonly group: string;
      readonly ts: number;
      readonly offsets: ReadonlyArray<readonly [string, number, number, string | null]>;
    }
  | { readonly op: 'group'; readonly group: string; readonly protocolType: string }
  | { readonly op: 'delete'; readonly group: string };

interface GroupOffsets {
  protocolType: string | null;
  readonly topics: Map<string, Map<number, CommittedOffset>>;
}

const LOG_FILE = 'offsets.log';

/** Past this many records appended since the last rewrite (and 10 per group), the log is compacted in place. */
const COMPACT_AFTER_RECORDS = 10_000;

/**
 * Committed offsets of every group, kept in memory and in an append-only log of JSON lines under
 * `<dataDir>/__consumer_offsets/`. Each change is written with a synchronous write before the caller answers the
 * client, so a committed offset survives `kill -9` of the broker (not a power cut: there is no fsync per commit,
 * as Kafka itself leaves flushing to the OS). On open the log is replayed (a torn last line is dropped with a
 * warning) and rewritten as a snapshot through a temp file and a rename, so it never grows without bound.
 */
export class OffsetStore {
  private readonly groups = new Map<string, GroupOffsets>();
  private fd: number;
  private recordsSinceCompaction = 0;

  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.replay();
    this.fd = this.rewrite();
  }

  /** Replays and compacts the log in `dir` (created if missing). */
  static open(dir: string, logger: Logger): OffsetStore {
    return new OffsetStore(dir, logger);
  }

  get logPath(): string {
    return path.join(this.dir, LOG_FILE);
  }

  /** Durably records the offsets, then makes them visible. */
  commit(groupId: string, offsets: readonly OffsetToCommit[], now = Date.now()): void {
    if (offsets.length === 0) return;
    this.append({
      op: 'commit',
      group: groupId,
      ts: now,
      offsets: offsets.map((o) => [o.topic, o.partition, o.offset, o.metadata] as const),
    });
    this.applyCommit(groupId, offsets, now);
  }

  /** Remembers the group's protocol type ("consumer") so an empty group lists the same way after a restart. */
  setProtocolType(groupId: string, protocolType: string): void {
    if (this.groups.get(groupId)?.protocolType === protocolType) return;
    this.append({ op: 'group', group: groupId, protocolType });
    this.entry(groupId).protocolType = protocolType;
  }

  /** Durably forgets the group and all its offsets. */
  deleteGroup(groupId: string): void {
    if (!this.groups.has(groupId)) return;
    this.append({ op: 'delete', group: groupId });
    this.groups.delete(groupId);
  }

  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  protocolType(groupId: string): string | null {
    return this.groups.get(groupId)?.protocolType ?? null;
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.topics.get(topic)?.get(partition);
  }

  /** All offsets of the group, by topic then partition. */
  offsetsOf(groupId: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> {
    return this.groups.get(groupId)?.topics ?? new Map<string, ReadonlyMap<number, CommittedOffset>>();
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  private entry(groupId: string): GroupOffsets {
    let g = this.groups.get(groupId);
    if (!g) {
      g = { protocolType: null, topics: new Map() };
      this.groups.set(groupId, g);
    }
    return g;
  }

  private applyCommit(groupId: string, offsets: readonly OffsetToCommit[], ts: number): void {
    const g = this.entry(groupId);
    for (const o of offsets) {
      let partitions = g.topics.get(o.topic);
      if (!partitions) {
        partitions = new Map();
        g.topics.set(o.topic, partitions);
      }
      partitions.set(o.partition, { offset: o.offset, metadata: o.metadata, commitTimestamp: ts });
    }
  }

  private apply(record: LogRecord): void {
    switch (record.op) {
      case 'commit':
        this.applyCommit(
          record.group,
          record.offsets.map(([topic, partition, offset, metadata]) => ({ topic, partition, offset, metadata })),
          record.ts,
        );
        break;
      case 'group':
        this.entry(record.group).protocolType = record.protocolType;
        break;
      case 'delete':
        this.groups.delete(record.group);
        break;
    }
  }

  private append(record: LogRecord): void {
    if (this.fd < 0) throw new Error('offset store is closed');
    writeFully(this.fd, Buffer.from(JSON.stringify(record) + '\n', 'utf8'));
    this.recordsSinceCompaction++;
    if (this.recordsSinceCompaction > Math.max(COMPACT_AFTER_RECORDS, 10 * this.groups.size)) {
      fs.closeSync(this.fd);
      this.fd = this.rewrite();
    }
  }

  private replay(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.logPath, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const lines = text.split('\n');
    // The part after the last newline is either empty or a record whose write was cut short by a crash.
    const tail = lines.pop() ?? '';
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const record = parseRecord(line);
      if (record) this.apply(record);
      else this.logger.warn(`${this.logPath}: skipping unreadable record on line ${i + 1}`);
    });
    if (tail.trim() !== '') {
      const record = parseRecord(tail);
      if (record) this.apply(record);
      else this.logger.warn(`${this.logPath}: dropping a torn last record (${tail.length} bytes) left by a crash`);
    }
  }

  /** Writes the current state as a fresh log next to the old one and renames it over; returns an append fd. */
  private rewrite(): number {
    const tmp = `${this.logPath}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      const lines: string[] = [];
      for (const [group, g] of this.groups) {
        if (g.protocolType !== null) lines.push(JSON.stringify({ op: 'group', group, protocolType: g.protocolType }));
        for (const [topic, partitions] of g.topics) {
          // One record per topic keeps each line short for groups with many partitions.
          const offsets = [...partitions].map(([p, c]) => [topic, p, c.offset, c.metadata] as const);
          const newest = Math.max(0, ...[...partitions.values()].map((c) => c.commitTimestamp));
          lines.push(JSON.stringify({ op: 'commit', group, ts: newest, offsets }));
        }
        if (g.protocolType === null && g.topics.size === 0) {
          // A group with neither offsets nor protocol type stays known, as it was before the rewrite.
          lines.push(JSON.stringify({ op: 'commit', group, ts: 0, offsets: [] }));
        }
      }
      writeFully(fd, Buffer.from(lines.map((l) => l + '\n').join(''), 'utf8'));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.logPath);
    syncDir(this.dir);
    this.recordsSinceCompaction = 0;
    return fs.openSync(this.logPath, 'a');
  }
}

function writeFully(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** Makes the rename itself durable; some platforms cannot open a directory, which only weakens that. */
function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

function isNotFound(err: unknown): boolean {
  // Not `instanceof Error`: errors from another realm (a test sandbox) fail that check.
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isOffsetTuple(v: unknown): v is readonly [string, number, number, string | null] {
  return (
    Array.isArray(v) &&
    v.length === 4 &&
    typeof v[0] === 'string' &&
    Number.isInteger(v[1]) &&
    Number.isInteger(v[2]) &&
    (v[3] === null || typeof v[3] === 'string')
  );
}

/** Any prefix of a JSON object is invalid JSON, so a torn line never parses into a wrong record. */
function parseRecord(line: string): LogRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isRecord(v) || typeof v.group !== 'string') return null;
  switch (v.op) {
    case 'commit':
      if (typeof v.ts !== 'number' || !Array.isArray(v.offsets) || !v.offsets.every(isOffsetTuple)) return null;
      return { op: 'commit', group: v.group, ts: v.ts, offsets: v.offsets };
    case 'group':
      return typeof v.protocolType === 'string' ? { op: 'group', group: v.group, protocolType: v.protocolType } : null;
    case 'delete':
      return { op: 'delete', group: v.group };
    default:
      return null;
  }
}
