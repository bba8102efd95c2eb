import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OffsetStore } from '../../../../localstack/broker/groups/offset-store';
import type { Logger } from '../../../../localstack/broker/types';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => {}, debug: () => {}, error: () => {}, warn: (m) => warnings.push(m) };
}

describe('OffsetStore', () => {
  let dir: string;
  const stores: OffsetStore[] = [];
  const open = (logger: Logger = recordingLogger()) => {
    const store = OffsetStore.open(dir, logger);
    stores.push(store);
    return store;
  };
  const lines = () =>
    fs
      .readFileSync(path.join(dir, 'offsets.log'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offset-store-'));
  });
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps committed offsets across a reopen', () => {
    // Arrange
    const first = open();
    first.commit('g1', [
      { topic: 'trades', partition: 0, offset: 42, metadata: null },
      { topic: 'trades', partition: 3, offset: 7, metadata: 'm' },
    ]);
    first.setProtocolType('g1', 'consumer');
    first.close();

    // Act
    const reopened = open();

    // Assert
    expect(reopened.get('g1', 'trades', 0)?.offset).toBe(42);
    expect(reopened.get('g1', 'trades', 3)).toMatchObject({ offset: 7, metadata: 'm' });
    expect(reopened.get('g1', 'trades', 1)).toBeUndefined();
    expect(reopened.protocolType('g1')).toBe('consumer');
    expect(reopened.groupIds()).toEqual(['g1']);
  });

  it('writes each commit to the file before returning, without a close', () => {
    // Arrange
    const store = open();

    // Act
    store.commit('g1', [{ topic: 't', partition: 0, offset: 5, metadata: null }]);
    const onDisk = fs.readFileSync(path.join(dir, 'offsets.log'), 'utf8');

    // Assert: what a kill -9 right now would leave behind
    expect(onDisk).toContain('"group":"g1"');
    expect(onDisk.endsWith('\n')).toBe(true);
  });

  it('drops a torn last record with a warning and keeps everything before it', () => {
    // Arrange: a crash cut the second commit short
    const first = open();
    first.commit('g1', [{ topic: 't', partition: 0, offset: 10, metadata: null }]);
    first.close();
    fs.appendFileSync(path.join(dir, 'offsets.log'), '{"op":"commit","group":"g1","ts":1,"offsets":[["t",0,1');
    const logger = recordingLogger();

    // Act
    const reopened = open(logger);

    // Assert
    expect(reopened.get('g1', 't', 0)?.offset).toBe(10);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toContain('torn');
    expect(lines()).toHaveLength(1);
  });

  it('keeps appending cleanly after recovering from a torn tail', () => {
    // Arrange
    const first = open();
    first.commit('g1', [{ topic: 't', partition: 0, offset: 10, metadata: null }]);
    first.close();
    fs.appendFileSync(path.join(dir, 'offsets.log'), '{"op":"comm');
    const second = open();

    // Act
    second.commit('g1', [{ topic: 't', partition: 0, offset: 11, metadata: null }]);
    second.close();
    const logger = recordingLogger();
    const third = open(logger);

    // Assert
    expect(third.get('g1', 't', 0)?.offset).toBe(11);
    expect(logger.warnings).toEqual([]);
  });

  it('skips an unreadable record in the middle with a warning', () => {
    // Arrange
    const file = path.join(dir, 'offsets.log');
    fs.writeFileSync(
      file,
      [
        '{"op":"commit","group":"g1","ts":1,"offsets":[["t",0,3,null]]}',
        'garbage',
        '{"op":"commit","group":"g1","ts":2,"offsets":[["t",1,4,null]]}',
        '',
      ].join('\n'),
    );
    const logger = recordingLogger();

    // Act
    const store = open(logger);

    // Assert
    expect(store.get('g1', 't', 0)?.offset).toBe(3);
    expect(store.get('g1', 't', 1)?.offset).toBe(4);
    expect(logger.warnings).toEqual([expect.stringContaining('line 2')]);
  });

  it('compacts the log on open to one record per group topic', () => {
    // Arrange: 50 commits of the same partition and 1 of another topic
    const first = open();
    for (let i = 1; i <= 50; i++) first.commit('g1', [{ topic: 'a', partition: 0, offset: i, metadata: null }]);
    first.commit('g1', [{ topic: 'b', partition: 2, offset: 9, metadata: null }]);
    first.close();
    expect(lines()).toHaveLength(51);

    // Act
    const reopened = open();

    // Assert
    expect(lines()).toHaveLength(2);
    expect(reopened.get('g1', 'a', 0)?.offset).toBe(50);
    expect(reopened.get('g1', 'b', 2)?.offset).toBe(9);
    expect(fs.existsSync(path.join(dir, 'offsets.log.tmp'))).toBe(false);
  });

  it('forgets a deleted group durably', () => {
    // Arrange
    const first = open();
    first.commit('g1', [{ topic: 't', partition: 0, offset: 1, metadata: null }]);
    first.commit('g2', [{ topic: 't', partition: 0, offset: 2, metadata: null }]);

    // Act
    first.deleteGroup('g1');
    first.close();
    const reopened = open();

    // Assert
    expect(reopened.hasGroup('g1')).toBe(false);
    expect(reopened.get('g1', 't', 0)).toBeUndefined();
    expect(reopened.get('g2', 't', 0)?.offset).toBe(2);
  });

  it('lists all offsets of a group by topic and partition', () => {
    // Arrange
    const store = open();
    store.commit('g1', [
      { topic: 'a', partition: 0, offset: 1, metadata: null },
      { topic: 'a', partition: 1, offset: 2, metadata: null },
      { topic: 'b', partition: 0, offset: 3, metadata: null },
    ]);

    // Act
    const all = [...store.offsetsOf('g1')].map(([t, ps]) => [t, [...ps].map(([p, c]) => [p, c.offset])]);

    // Assert
    expect(all).toEqual([
      [
        'a',
        [
          [0, 1],
          [1, 2],
        ],
      ],
      ['b', [[0, 3]]],
    ]);
  });
});
