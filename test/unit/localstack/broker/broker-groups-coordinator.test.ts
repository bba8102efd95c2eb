import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GroupCoordinator } from '../../../../localstack/broker/groups/coordinator';
import { GroupState, type JoinGroupRequest, type JoinGroupResult } from '../../../../localstack/broker/groups/messages';
import { OffsetStore } from '../../../../localstack/broker/groups/offset-store';
import { ErrorCode } from '../../../../localstack/broker/protocol/errors';
import type { Logger } from '../../../../localstack/broker/types';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;

/** Lets settled promises run their callbacks; fake timers leave setImmediate real. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Records the outcome of a parked request so a test can see whether it is still waiting. */
function track<T>(p: Promise<T>): { value: T | undefined } {
  const box: { value: T | undefined } = { value: undefined };
  void p.then((v) => {
    box.value = v;
  });
  return box;
}

function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    clientId: 'client',
    clientHost: '/127.0.0.1',
    requireKnownMemberId: true,
    ...overrides,
  };
}

describe('GroupCoordinator', () => {
  let dir: string;
  let offsets: OffsetStore;
  let coordinator: GroupCoordinator;

  const create = (initialRebalanceDelayMs = 0) =>
    new GroupCoordinator({
      minSessionTimeoutMs: 1000,
      maxSessionTimeoutMs: 60_000,
      initialRebalanceDelayMs,
      offsets,
      logger: quiet,
      isKnownPartition: (topic, partition) => topic === 'trades' && partition >= 0 && partition < 4,
    });

  /** The KIP-394 handshake: MEMBER_ID_REQUIRED first, then the join with the id it handed out. */
  async function newMember(overrides: Partial<JoinGroupRequest> = {}): Promise<{
    memberId: string;
    joined: { value: JoinGroupResult | undefined };
  }> {
    const first = await coordinator.joinGroup(joinRequest(overrides));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const joined = track(coordinator.joinGroup(joinRequest({ ...overrides, memberId: first.memberId })));
    await flush();
    return { memberId: first.memberId, joined };
  }

  /** One member, synced and stable at generation 1. */
  async function stableLeader(): Promise<string> {
    const { memberId, joined } = await newMember();
    expect(joined.value?.generationId).toBe(1);
    const sync = await coordinator.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId,
      assignments: [{ memberId, assignment: Buffer.from('all') }],
    });
    expect(sync.errorCode).toBe(ErrorCode.NONE);
    return memberId;
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coordinator-'));
    offsets = OffsetStore.open(dir, quiet);
    coordinator = create();
  });
  afterEach(() => {
    coordinator.close();
    offsets.close();
    fs.rmSync(dir, { recursive: true, force: true });
    jest.useRealTimers();
  });

  describe('joining', () => {
    it('asks a new member to join again with the id it hands out (JoinGroup v4+)', async () => {
      // Act
      const result = await coordinator.joinGroup(joinRequest({ clientId: 'settlement' }));

      // Assert
      expect(result.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
      expect(result.memberId).toMatch(/^settlement-[0-9a-f-]{36}$/);
      expect(coordinator.describeGroup('g').state).toBe(GroupState.Empty);
    });

    it('admits a member at once with JoinGroup v0-v3', async () => {
      // Act
      const result = await coordinator.joinGroup(joinRequest({ requireKnownMemberId: false }));

      // Assert
      expect(result).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leaderId: result.memberId });
    });

    it('completes the first rebalance of a new group at once and makes the first member leader', async () => {
      // Act
      const { memberId, joined } = await newMember();

      // Assert
      expect(joined.value).toEqual({
        errorCode: ErrorCode.NONE,
        generationId: 1,
        protocolName: 'range',
        leaderId: memberId,
        memberId,
        members: [{ memberId, groupInstanceId: null, metadata: Buffer.from('m') }],
      });
      expect(coordinator.describeGroup('g').state).toBe(GroupState.CompletingRebalance);
    });

    it('makes the leader sync and the group stable with its assignment', async () => {
      // Arrange
      const { memberId } = await newMember();

      // Act
      const sync = await coordinator.syncGroup({
        groupId: 'g',
        generationId: 1,
        memberId,
        assignments: [{ memberId, assignment: Buffer.from('p0-3') }],
      });

      // Assert
      expect(sync).toEqual({ errorCode: ErrorCode.NONE, assignment: Buffer.from('p0-3') });
      const described = coordinator.describeGroup('g');
      expect(described.state).toBe(GroupState.Stable);
      expect(described.members[0]?.assignment).toEqual(Buffer.from('p0-3'));
    });

    it('holds a newcomer until the existing member rejoins, then gives both the next generation', async () => {
      // Arrange
      const leader = await stableLeader();

      // Act: a second member arrives; the leader hears of it on its next heartbeat and rejoins
      const second = await newMember({ clientId: 'other' });
      const waitingBeforeRejoin = second.joined.value;
      const heartbeat = coordinator.heartbeat('g', 1, leader);
      const leaderJoin = await coordinator.joinGroup(joinRequest({ memberId: leader }));
      await flush();

      // Assert
      expect(waitingBeforeRejoin).toBeUndefined();
      expect(heartbeat).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      expect(leaderJoin.generationId).toBe(2);
      expect(leaderJoin.leaderId).toBe(leader);
      expect(leaderJoin.members.map((m) => m.memberId).sort()).toEqual([leader, second.memberId].sort());
      expect(second.joined.value).toMatchObject({ generationId: 2, leaderId: leader, members: [] });
    });

    it("parks a follower's SyncGroup until the leader sends the assignments", async () => {
      // Arrange
      const leader = await stableLeader();
      const second = await newMember();
      await coordinator.joinGroup(joinRequest({ memberId: leader }));
      await flush();

      // Act
      const followerSync = track(
        coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: second.memberId, assignments: [] }),
      );
      await flush();
      const beforeLeader = followerSync.value;
      const leaderSync = await coordinator.syncGroup({
        groupId: 'g',
        generationId: 2,
        memberId: leader,
        assignments: [
          { memberId: leader, assignment: Buffer.from('p0,p1') },
          { memberId: second.memberId, assignment: Buffer.from('p2,p3') },
        ],
      });
      await flush();

      // Assert
      expect(beforeLeader).toBeUndefined();
      expect(leaderSync.assignment).toEqual(Buffer.from('p0,p1'));
      expect(followerSync.value).toEqual({ errorCode: ErrorCode.NONE, assignment: Buffer.from('p2,p3') });
    });

    it("chooses the leader's first preference among the protocols all members support", async () => {
      // Arrange
      const leader = await stableLeader();
      const both = [
        { name: 'roundrobin', metadata: Buffer.from('rr') },
        { name: 'range', metadata: Buffer.from('r') },
      ];

      // Act
      await newMember({
        protocols: [
          { name: 'range', metadata: Buffer.from('r2') },
          { name: 'roundrobin', metadata: Buffer.from('rr') },
        ],
      });
      const leaderJoin = await coordinator.joinGroup(joinRequest({ memberId: leader, protocols: both }));

      // Assert: the leader prefers roundrobin and the newcomer supports it too
      expect(leaderJoin.protocolName).toBe('roundrobin');
      expect(leaderJoin.members.map((m) => m.metadata.toString()).sort()).toEqual(['rr', 'rr']);
    });

    it('refuses a member that shares no protocol with the group', async () => {
      // Arrange
      await stableLeader();

      // Act
      const result = await coordinator.joinGroup(
        joinRequest({ protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }),
      );

      // Assert
      expect(result.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    });

    it('refuses a session timeout outside the configured bounds', async () => {
      // Act
      const result = await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 500 }));

      // Assert
      expect(result.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    });

    it('waits the initial rebalance delay of a new group so that members arriving together share generation 1', async () => {
      // Arrange
      coordinator.close();
      coordinator = create(3000);

      // Act
      const first = await newMember();
      jest.advanceTimersByTime(2000);
      const second = await newMember();
      const beforeDelay = first.joined.value;
      jest.advanceTimersByTime(1000);
      await flush();

      // Assert
      expect(beforeDelay).toBeUndefined();
      expect(first.joined.value?.generationId).toBe(1);
      expect(first.joined.value?.members).toHaveLength(2);
      expect(second.joined.value).toMatchObject({ generationId: 1, members: [] });
    });
  });

  describe('generations and liveness', () => {
    it('answers a stale generation with ILLEGAL_GENERATION and a stranger with UNKNOWN_MEMBER_ID', async () => {
      // Arrange
      const leader = await stableLeader();

      // Act
      const staleSync = await coordinator.syncGroup({
        groupId: 'g',
        generationId: 0,
        memberId: leader,
        assignments: [],
      });
      const staleHeartbeat = coordinator.heartbeat('g', 7, leader);
      const strangerHeartbeat = coordinator.heartbeat('g', 1, 'nobody');
      const currentHeartbeat = coordinator.heartbeat('g', 1, leader);

      // Assert
      expect(staleSync.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      expect(staleHeartbeat).toBe(ErrorCode.ILLEGAL_GENERATION);
      expect(strangerHeartbeat).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect(currentHeartbeat).toBe(ErrorCode.NONE);
    });

    it('answers SyncGroup during a rebalance with REBALANCE_IN_PROGRESS', async () => {
      // Arrange
      const leader = await stableLeader();
      await newMember();

      // Act
      const sync = await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: leader, assignments: [] });

      // Assert
      expect(sync.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    });

    it('rebalances at once when a member leaves, leaving the other alone in the next generation', async () => {
      // Arrange: two members, stable at generation 2
      const leader = await stableLeader();
      const second = await newMember();
      await coordinator.joinGroup(joinRequest({ memberId: leader }));
      await flush();
      await Promise.all([
        coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: second.memberId, assignments: [] }),
        coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: leader, assignments: [] }),
      ]);

      // Act
      const leave = coordinator.leaveGroup('g', [{ memberId: leader, groupInstanceId: null }]);
      const heartbeat = coordinator.heartbeat('g', 2, second.memberId);
      const rejoin = await coordinator.joinGroup(joinRequest({ memberId: second.memberId }));

      // Assert
      expect(leave.members).toEqual([{ memberId: leader, groupInstanceId: null, errorCode: ErrorCode.NONE }]);
      expect(heartbeat).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      expect(rejoin).toMatchObject({ generationId: 3, leaderId: second.memberId });
      expect(rejoin.members.map((m) => m.memberId)).toEqual([second.memberId]);
    });

    it('empties the group when its last member leaves', async () => {
      // Arrange
      const leader = await stableLeader();

      // Act
      const leave = coordinator.leaveGroup('g', [{ memberId: leader, groupInstanceId: null }]);

      // Assert
      expect(leave.members[0]?.errorCode).toBe(ErrorCode.NONE);
      expect(coordinator.describeGroup('g')).toMatchObject({ state: GroupState.Empty, members: [] });
    });

    it('removes a member whose session times out and rebalances the rest', async () => {
      // Arrange: two stable members; only the second keeps heartbeating
      const leader = await stableLeader();
      const second = await newMember();
      await coordinator.joinGroup(joinRequest({ memberId: leader }));
      await flush();
      await Promise.all([
        coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: second.memberId, assignments: [] }),
        coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: leader, assignments: [] }),
      ]);

      // Act
      jest.advanceTimersByTime(SESSION_MS - 1000);
      const aliveHeartbeat = coordinator.heartbeat('g', 2, second.memberId);
      jest.advanceTimersByTime(1000);
      const afterExpiry = coordinator.heartbeat('g', 2, second.memberId);

      // Assert
      expect(aliveHeartbeat).toBe(ErrorCode.NONE);
      expect(afterExpiry).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      expect(coordinator.heartbeat('g', 2, leader)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    });

    it('drops members that do not rejoin within the rebalance timeout', async () => {
      // Arrange: a stable leader that keeps heartbeating but never rejoins
      const leader = await stableLeader();
      const second = await newMember();

      // Act
      for (let t = 0; t < REBALANCE_MS; t += 5000) {
        coordinator.heartbeat('g', 1, leader);
        jest.advanceTimersByTime(5000);
      }
      await flush();

      // Assert
      expect(second.joined.value).toMatchObject({
        errorCode: ErrorCode.NONE,
        generationId: 2,
        leaderId: second.memberId,
      });
      expect(coordinator.heartbeat('g', 1, leader)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    });
  });

  describe('offsets', () => {
    const commit = (generationId: number, memberId: string, offset = 5, topic = 'trades', partition = 0) =>
      coordinator.commitOffsets('g', generationId, memberId, [{ topic, partition, offset, metadata: null }]);

    it('accepts a simple commit (generation -1) only while the group has no members', async () => {
      // Act
      const onEmpty = commit(-1, '', 5);
      await stableLeader();
      const onActive = commit(-1, '', 6);

      // Assert
      expect(onEmpty).toEqual([{ topic: 'trades', partition: 0, errorCode: ErrorCode.NONE }]);
      expect(onActive[0]?.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect(coordinator.fetchOffsets('g', [{ topic: 'trades', partitions: [0] }])[0]?.offset).toBe(5);
    });

    it('checks the committing member and generation', async () => {
      // Arrange
      const leader = await stableLeader();

      // Act
      const current = commit(1, leader, 8);
      const stale = commit(0, leader, 9);
      const stranger = commit(1, 'nobody', 10);

      // Assert
      expect(current[0]?.errorCode).toBe(ErrorCode.NONE);
      expect(stale[0]?.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      expect(stranger[0]?.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      expect(coordinator.fetchOffsets('g', [{ topic: 'trades', partitions: [0] }])[0]?.offset).toBe(8);
    });

    it('refuses commits while the group waits for its assignment', async () => {
      // Arrange: joined at generation 1, not yet synced
      const { memberId } = await newMember();

      // Act
      const result = commit(1, memberId);

      // Assert
      expect(result[0]?.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    });

    it('refuses a commit to a partition that does not exist', () => {
      // Act
      const result = commit(-1, '', 1, 'trades', 4);

      // Assert
      expect(result[0]?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect(offsets.hasGroup('g')).toBe(false);
    });

    it('fetches -1 for partitions without a commit, and every commit when no topics are named', () => {
      // Arrange
      commit(-1, '', 11, 'trades', 2);

      // Act
      const named = coordinator.fetchOffsets('g', [{ topic: 'trades', partitions: [1, 2] }]);
      const all = coordinator.fetchOffsets('g', null);

      // Assert
      expect(named).toEqual([
        { topic: 'trades', partition: 1, offset: -1, metadata: '' },
        { topic: 'trades', partition: 2, offset: 11, metadata: null },
      ]);
      expect(all).toEqual([{ topic: 'trades', partition: 2, offset: 11, metadata: null }]);
    });
  });

  describe('administration', () => {
    it('deletes only empty groups, with their offsets', async () => {
      // Arrange
      coordinator.commitOffsets('idle', -1, '', [{ topic: 'trades', partition: 0, offset: 3, metadata: null }]);
      await stableLeader();

      // Act
      const results = ['g', 'idle', 'unknown'].map((id) => coordinator.deleteGroup(id));

      // Assert
      expect(results).toEqual([ErrorCode.NON_EMPTY_GROUP, ErrorCode.NONE, ErrorCode.GROUP_ID_NOT_FOUND]);
      expect(coordinator.fetchOffsets('idle', [{ topic: 'trades', partitions: [0] }])[0]?.offset).toBe(-1);
      expect(coordinator.listGroups().map((g) => g.groupId)).toEqual(['g']);
    });

    it('describes a stable group with members, and an unknown one as Dead', async () => {
      // Arrange
      const leader = await stableLeader();

      // Act
      const stable = coordinator.describeGroup('g');
      const unknown = coordinator.describeGroup('nope');

      // Assert
      expect(stable).toEqual({
        errorCode: ErrorCode.NONE,
        groupId: 'g',
        state: GroupState.Stable,
        protocolType: 'consumer',
        protocolName: 'range',
        members: [
          {
            memberId: leader,
            groupInstanceId: null,
            clientId: 'client',
            clientHost: '/127.0.0.1',
            metadata: Buffer.from('m'),
            assignment: Buffer.from('all'),
          },
        ],
      });
      expect(unknown).toMatchObject({ state: GroupState.Dead, members: [] });
    });

    it('lists groups known only from committed offsets on disk after a restart', async () => {
      // Arrange
      await stableLeader();
      coordinator.commitOffsets('g', 1, coordinator.describeGroup('g').members[0]?.memberId ?? '', [
        { topic: 'trades', partition: 1, offset: 4, metadata: null },
      ]);
      coordinator.close();
      offsets.close();

      // Act
      offsets = OffsetStore.open(dir, quiet);
      coordinator = create();

      // Assert
      expect(coordinator.listGroups()).toEqual([{ groupId: 'g', protocolType: 'consumer' }]);
      expect(coordinator.describeGroup('g').state).toBe(GroupState.Empty);
      expect(coordinator.fetchOffsets('g', [{ topic: 'trades', partitions: [1] }])[0]?.offset).toBe(4);
    });

    it('answers parked requests when it closes', async () => {
      // Arrange
      await stableLeader();
      const second = await newMember();

      // Act
      coordinator.close();
      await flush();

      // Assert
      expect(second.joined.value?.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    });
  });
});
