import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PartitionLog, type LogOptions } from '../../../../localstack/broker/partition-log';
import { readRecords } from '../../../../localstack/broker/record-batch';
import type { Logger } from '../../../../localstack/broker/types';
import { buildBatch } from '../../../integration/helpers/batches';

const quiet = (): Logger & { warnings: string[] } => {
  const warnings: string[] = [];
  return {
    warnings,
    info: () => undefined,
    debug: () => undefined,
    error: () => undefined,
    warn: (m) => warnings.push(m),
  };
};
const keepAll: LogOptions = { segmentBytes: 1 << 20, retentionBytes: -1, retentionMs: -1 };

function values(buf: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < buf.length;) {
    const size = 12 + buf.readInt32BE(at + 8);
    out.push(...readRecords(buf.subarray(at, at + size)).map((r) => `${r.offset}:${r.value?.toString()}`));
    at += size;
  }
  return out;
}

describe('PartitionLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plog-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('assigns consecutive offsets and reads whole batches from any offset', () => {
    const log = PartitionLog.open(dir, keepAll, quiet());
    expect(log.append([buildBatch({ values: ['a', 'b'] })])).toBe(0);
    expect(log.append([buildBatch({ values: ['c'] }), buildBatch({ values: ['d', 'e'] })])).toBe(2);
    expect(log.nextOffset).toBe(5);
    expect(values(log.read(0, 1 << 20, true))).toEqual(['0:a', '1:b', '2:c', '3:d', '4:e']);
    // Offset 4 sits inside the last batch: the whole batch comes back, as Kafka does.
    expect(values(log.read(4, 1 << 20, true))).toEqual(['3:d', '4:e']);
    expect(log.read(5, 1 << 20, true).length).toBe(0);
    log.close();
  });

  it('respects max bytes but always returns a first batch when asked to make progress', () => {
    const log = PartitionLog.open(dir, keepAll, quiet());
    log.append([buildBatch({ values: ['x'.repeat(500)] }), buildBatch({ values: ['y'.repeat(500)] })]);
    expect(values(log.read(0, 10, true))).toHaveLength(1);
    expect(log.read(0, 10, false).length).toBe(0);
    expect(values(log.read(0, 10_000, false))).toHaveLength(2);
    log.close();
  });

  it('recovers after a restart and cuts a torn tail with a warning', () => {
    const log = PartitionLog.open(dir, keepAll, quiet());
    log.append([buildBatch({ values: ['kept-1'] })]);
    log.append([buildBatch({ values: ['kept-2'] })]);
    log.close();
    const file = path.join(dir, fs.readdirSync(dir)[0] as string);
    const intact = fs.statSync(file).size;
    fs.appendFileSync(file, buildBatch({ values: ['torn'] }).subarray(0, 30));

    const logger = quiet();
    const reopened = PartitionLog.open(dir, keepAll, logger);
    expect(reopened.nextOffset).toBe(2);
    expect(values(reopened.read(0, 1 << 20, true))).toEqual(['0:kept-1', '1:kept-2']);
    expect(fs.statSync(file).size).toBe(intact);
    expect(logger.warnings.join('\n')).toMatch(/torn or corrupt batch/);
    expect(reopened.append([buildBatch({ values: ['after'] })])).toBe(2);
    reopened.close();
  });

  it('rolls segments, reads across them, and deletes old ones under size retention', () => {
    const opts: LogOptions = { segmentBytes: 1000, retentionBytes: 2500, retentionMs: -1 };
    const log = PartitionLog.open(dir, opts, quiet());
    for (let i = 0; i < 20; i++) log.append([buildBatch({ values: [`${i}`.padEnd(300, '.')] })]);
    expect(log.logStartOffset).toBeGreaterThan(0);
    // As in Kafka, whole segments go: what stays is under the limit plus the oldest kept and the active segment.
    const segmentSize = 3 * 370;
    expect(log.sizeBytes).toBeLessThan(2500 + 2 * segmentSize);
    const first = values(log.read(log.logStartOffset, 1 << 20, true))[0];
    expect(first?.startsWith(`${log.logStartOffset}:`)).toBe(true);
    log.close();
    const reopened = PartitionLog.open(dir, opts, quiet());
    expect(reopened.nextOffset).toBe(20);
    reopened.close();
  });

  it('keeps the last batches of each idempotent producer, rebuilt on restart', () => {
    const log = PartitionLog.open(dir, keepAll, quiet());
    log.append([buildBatch({ values: ['a', 'b'], producerId: 42, producerEpoch: 0, baseSequence: 0 })]);
    log.close();
    const reopened = PartitionLog.open(dir, keepAll, quiet());
    expect(reopened.producers.get(42)).toEqual({ epoch: 0, batches: [{ firstSeq: 0, lastSeq: 1, baseOffset: 0 }] });
    reopened.close();
  });
});
