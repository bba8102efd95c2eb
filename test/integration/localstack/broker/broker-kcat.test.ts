import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestBroker, type TestBroker } from '../../helpers/broker';

const run = promisify(execFile);

/** Runs kcat (librdkafka) with input on stdin; CI installs it (apt-get install kcat). */
async function kcat(args: string[], input?: string): Promise<string> {
  const child = run('kcat', args, { timeout: 20_000, maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

describe('development broker with librdkafka (kcat)', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ defaultPartitions: 3 });
  });
  afterAll(() => broker.destroy());

  it('lists metadata with this node as controller and partition leader', async () => {
    await kcat(['-P', '-b', broker.address, '-t', 'meta'], 'x\n');
    const meta = JSON.parse(await kcat(['-L', '-J', '-b', broker.address, '-t', 'meta'])) as {
      controllerid: number;
      brokers: { id: number; name: string }[];
      topics: { topic: string; partitions: { leader: number }[] }[];
    };
    expect(meta.brokers).toEqual([{ id: 1, name: broker.address }]);
    expect(meta.controllerid).toBe(1);
    expect(meta.topics[0]?.partitions.map((p) => p.leader)).toEqual([1, 1, 1]);
  });

  it('produces keyed records with headers, plain and gzip, and consumes them back', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `key-${i % 7}:value-${i}`).join('\n') + '\n';
    await kcat(['-P', '-b', broker.address, '-t', 'kc', '-K', ':', '-H', 'source=kcat'], lines);
    await kcat(['-P', '-b', broker.address, '-t', 'kc', '-K', ':', '-z', 'gzip'], 'zk:' + 'z'.repeat(5000) + '\n');
    const out = await kcat(['-C', '-b', broker.address, '-t', 'kc', '-o', 'beginning', '-e', '-q', '-f', '%k|%s|%h\n']);
    const rows = out.trim().split('\n');
    expect(rows).toHaveLength(301);
    expect(rows).toContain('key-3|value-3|source=kcat');
    expect(rows).toContain(`zk|${'z'.repeat(5000)}|`);
    // librdkafka partitions by key: one key's records keep their order within a partition.
    const key3 = rows.filter((r) => r.startsWith('key-3|')).map((r) => Number(r.split('|')[1]?.slice(6)));
    expect(key3).toEqual([...key3].sort((a, b) => a - b));
  });

  it('consumes in a balanced consumer group (-G) and resumes from the committed offsets', async () => {
    await kcat(
      ['-P', '-b', broker.address, '-t', 'kg'],
      Array.from({ length: 30 }, (_, i) => `g-${i}`).join('\n') + '\n',
    );
    const args = [
      '-b',
      broker.address,
      '-G',
      'kcat-group',
      '-X',
      'auto.offset.reset=earliest',
      '-e',
      '-q',
      '-f',
      '%s\n',
      'kg',
    ];
    const first = (await kcat(args)).trim().split('\n');
    expect(first.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `g-${i}`).sort());
    await kcat(['-P', '-b', broker.address, '-t', 'kg', '-p', '0'], 'late\n');
    const second = (await kcat(args)).trim().split('\n');
    expect(second).toEqual(['late']);
  });
});
