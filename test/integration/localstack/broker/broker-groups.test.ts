import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin, Consumer } from 'kafkajs';
import { startBroker } from '../../../../localstack/broker/index';
import type { RunningBroker } from '../../../../localstack/broker/index';
import type { Logger } from '../../../../localstack/broker/types';
import { within } from '../../../helpers/within';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

/** Resolves with the partitions of `topic` a consumer is given once a join hands it exactly `count` of them. */
function assignmentOf(consumer: Consumer, topic: string, count: number): Promise<number[]> {
  return new Promise((resolve) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const partitions = e.payload.memberAssignment[topic] ?? [];
      if (partitions.length === count) {
        off();
        resolve([...partitions].sort((a, b) => a - b));
      }
    });
  });
}

/** Resolves once the consumer has committed at least the given offset for every listed partition. */
function committed(consumer: Consumer, topic: string, expected: Record<number, number>): Promise<void> {
  const seen: Record<number, number> = {};
  return new Promise((resolve) => {
    const off = consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
      for (const t of e.payload.topics) {
        if (t.topic !== topic) continue;
        for (const p of t.partitions) seen[p.partition] = Number(p.offset);
      }
      if (Object.entries(expected).every(([p, o]) => (seen[Number(p)] ?? -1) >= o)) {
        off();
        resolve();
      }
    });
  });
}

function offsetsByPartition(
  fetched: { partitions: { partition: number; offset: string }[] }[],
): Record<number, string> {
  const out: Record<number, string> = {};
  for (const t of fetched) for (const p of t.partitions) out[p.partition] = p.offset;
  return out;
}

describe('development broker: consumer groups', () => {
  let dataDir: string;
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;
  const consumers: Consumer[] = [];

  const consumer = (groupId: string): Consumer => {
    // Short fetch waits and heartbeats: KafkaJS only notices a rebalance between fetches.
    const c = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 300,
      retry: { retries: 2 },
    });
    consumers.push(c);
    return c;
  };

  const connect = async (b: RunningBroker) => {
    kafka = new Kafka({ brokers: [b.address], clientId: 'groups-it', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  };

  const produce = async (topic: string, messages: { partition: number; value: string }[]) => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
  };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-groups-'));
    broker = await startBroker({ port: 0, dataDir, logger: quiet });
    await connect(broker);
  });

  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.disconnect();
  });

  afterAll(async () => {
    await admin.disconnect();
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('splits a 4-partition topic between two members and gives all to the one that stays', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 4 }] });
    const [a, b] = [consumer('order-readers'), consumer('order-readers')];
    if (!a || !b) throw new Error('consumers not created');
    const aHalf = assignmentOf(a, 'orders', 2);
    const bHalf = assignmentOf(b, 'orders', 2);

    // Act: both join
    for (const c of [a, b]) {
      await c.connect();
      await c.subscribe({ topic: 'orders', fromBeginning: true });
      await c.run({ eachMessage: async () => {} });
    }
    const halves = await within(20_000, 'both members to get 2 partitions', Promise.all([aHalf, bHalf]));

    // Assert
    expect([...halves[0], ...halves[1]].sort()).toEqual([0, 1, 2, 3]);

    // Act: one leaves
    const aAll = assignmentOf(a, 'orders', 4);
    const leftAt = Date.now();
    await b.disconnect();
    const all = await within(10_000, 'the remaining member to get all partitions', aAll);

    // Assert: LeaveGroup rebalances at once; the rest is the client noticing on its next heartbeat
    expect(all).toEqual([0, 1, 2, 3]);
    expect(Date.now() - leftAt).toBeLessThan(5000);
  });

  it('keeps committed offsets, also across a broker restart', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'ledger', numPartitions: 2 }] });
    await produce('ledger', [
      { partition: 0, value: 'a' },
      { partition: 0, value: 'b' },
      { partition: 0, value: 'c' },
      { partition: 1, value: 'd' },
      { partition: 1, value: 'e' },
    ]);
    const reader = consumer('ledger-readers');
    const done = committed(reader, 'ledger', { 0: 3, 1: 2 });
    await reader.connect();
    await reader.subscribe({ topic: 'ledger', fromBeginning: true });
    await reader.run({ eachMessage: async () => {} });
    await within(20_000, 'offsets 3 and 2 to be committed', done);
    await reader.disconnect();

    // Act
    const before = await admin.fetchOffsets({ groupId: 'ledger-readers', topics: ['ledger'] });
    await admin.disconnect();
    await broker.stop();
    broker = await startBroker({ port: 0, dataDir, logger: quiet });
    await connect(broker);
    const after = await admin.fetchOffsets({ groupId: 'ledger-readers', topics: ['ledger'] });

    // Assert
    expect(offsetsByPartition(before)).toEqual({ 0: '3', 1: '2' });
    expect(offsetsByPartition(after)).toEqual({ 0: '3', 1: '2' });
  });

  it('lets admin set and reset the offsets of a group without members', async () => {
    // Arrange: an empty group with offsets 3 and 2 on the ledger topic (previous test)
    const groupId = 'ledger-readers';

    // Act
    await admin.setOffsets({ groupId, topic: 'ledger', partitions: [{ partition: 0, offset: '1' }] });
    const afterSet = await admin.fetchOffsets({ groupId, topics: ['ledger'] });
    await admin.resetOffsets({ groupId, topic: 'ledger', earliest: true });
    const afterReset = await admin.fetchOffsets({ groupId, topics: ['ledger'] });
    const reread = consumer(groupId);
    await reread.connect();
    // KafkaJS resolves a committed sentinel with the consumer's own fromBeginning; real offsets (3, 2) would win.
    await reread.subscribe({ topic: 'ledger', fromBeginning: true });
    let count = 0;
    const all = new Promise<void>((resolve) => {
      void reread.run({
        eachMessage: () => {
          if (++count === 5) resolve();
          return Promise.resolve();
        },
      });
    });
    await within(20_000, 'the group to read all 5 records again', all);

    // Assert
    expect(offsetsByPartition(afterSet)).toEqual({ 0: '1', 1: '2' });
    // KafkaJS commits the EARLIEST sentinel (-2) as the group's offset, as it does against Apache Kafka.
    expect(offsetsByPartition(afterReset)).toEqual({ 0: '-2', 1: '-2' });
    expect(count).toBe(5);
  });

  it('describes, lists and deletes groups, refusing to delete one with members', async () => {
    // Arrange
    await admin.createTopics({ topics: [{ topic: 'positions', numPartitions: 1 }] });
    const member = consumer('position-readers');
    const joined = assignmentOf(member, 'positions', 1);
    await member.connect();
    await member.subscribe({ topic: 'positions' });
    await member.run({ eachMessage: async () => {} });
    await within(20_000, 'the member to join', joined);

    // Act
    const described = await admin.describeGroups(['position-readers', 'no-such-group']);
    const refused = await admin.deleteGroups(['position-readers']).catch((e: unknown) => e);
    await member.disconnect();
    const listed = await admin.listGroups();
    const deleted = await admin.deleteGroups(['position-readers']);
    const listedAfter = await admin.listGroups();
    const unknown = await admin.deleteGroups(['no-such-group']).catch((e: unknown) => e);

    // Assert
    expect(described.groups[0]).toMatchObject({
      groupId: 'position-readers',
      state: 'Stable',
      protocolType: 'consumer',
      protocol: 'RoundRobinAssigner',
      members: [expect.objectContaining({ clientId: 'groups-it', clientHost: '/127.0.0.1' })],
    });
    expect(described.groups[1]).toMatchObject({ groupId: 'no-such-group', state: 'Dead', members: [] });
    expect(refused).toMatchObject({ groups: [expect.objectContaining({ errorCode: 68 })] });
    expect(listed.groups).toContainEqual({ groupId: 'position-readers', protocolType: 'consumer' });
    expect(deleted).toEqual([{ groupId: 'position-readers', errorCode: 0 }]);
    expect(listedAfter.groups.map((g) => g.groupId)).not.toContain('position-readers');
    expect(unknown).toMatchObject({ groups: [expect.objectContaining({ errorCode: 69 })] });
  });

  it('keeps offsets committed just before the broker process is killed with SIGKILL', async () => {
    // Arrange: a broker in a child process, so that it can die without stopping
    const childDir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-groups-kill-'));
    const child = spawn(
      process.execPath,
      // tsx as a loader in this one process: its CLI would run the broker in a grandchild that SIGKILL misses.
      ['--import', 'tsx', 'localstack/broker/cli.ts', '--port', '0', '--data-dir', childDir, '--partitions', '2'],
      { cwd: path.resolve(__dirname, '..', '..', '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const address = await within(
      30_000,
      'the child broker to listen',
      new Promise<string>((resolve) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (\S+:\d+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
      }),
    );
    const childKafka = new Kafka({ brokers: [address], clientId: 'kill-it', logLevel: logLevel.NOTHING });
    const producer = childKafka.producer();
    await producer.connect();
    await producer.send({
      topic: 'trades',
      messages: [
        { partition: 1, value: 'x' },
        { partition: 1, value: 'y' },
      ],
    });
    await producer.disconnect();
    const reader = childKafka.consumer({ groupId: 'trade-readers', maxWaitTimeInMs: 300 });
    const done = committed(reader, 'trades', { 1: 2 });
    await reader.connect();
    await reader.subscribe({ topic: 'trades', fromBeginning: true });
    await reader.run({ eachMessage: async () => {} });
    await within(20_000, 'offset 2 to be committed', done);

    await reader.disconnect();

    // Act: no graceful stop, so nothing gets a chance to flush
    child.kill('SIGKILL');
    await exited;
    const restarted = await startBroker({ port: 0, dataDir: childDir, logger: quiet });
    const restartedAdmin = new Kafka({ brokers: [restarted.address], logLevel: logLevel.NOTHING }).admin();
    await restartedAdmin.connect();
    const offsets = await restartedAdmin.fetchOffsets({ groupId: 'trade-readers', topics: ['trades'] });
    await restartedAdmin.disconnect();
    await restarted.stop();
    fs.rmSync(childDir, { recursive: true, force: true });

    // Assert
    expect(offsetsByPartition(offsets)).toEqual({ 0: '-1', 1: '2' });
  });
});
