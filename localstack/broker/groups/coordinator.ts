import { randomUUID } from 'node:crypto';

import { ErrorCode } from '../protocol/errors';
import type { Logger } from '../types';

import { EMPTY, joinError, sameProtocols, syncError, timer, type Group, type Member } from './group-state';
import {
  GroupState,
  type FetchedOffset,
  type GroupDescription,
  type GroupProtocol,
  type JoinGroupRequest,
  type JoinGroupResult,
  type LeaveGroupResult,
  type LeavingMember,
  type OffsetCommitResult,
  type SyncGroupRequest,
  type SyncGroupResult,
} from './messages';
import type { CommittedOffset, OffsetStore, OffsetToCommit } from './offset-store';

export interface CoordinatorOptions {
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** How long the first rebalance of an empty group waits for more members (group.initial.rebalance.delay.ms). */
  readonly initialRebalanceDelayMs: number;
  readonly offsets: OffsetStore;
  readonly logger: Logger;
  /** Whether a topic partition exists; commits to any other are refused with UNKNOWN_TOPIC_OR_PARTITION. */
  isKnownPartition(topic: string, partition: number): boolean;
}

/**
 * Kafka's classic group coordinator for one broker: the Empty → PreparingRebalance → CompletingRebalance →
 * Stable state machine with generations, session and rebalance timeouts, and the groups' committed offsets.
 * JoinGroup and SyncGroup answers are promises that settle when the rebalance reaches the point the client
 * waits for, as the real coordinator parks those requests.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private closed = false;

  constructor(private readonly opts: CoordinatorOptions) {}

  // ---------------------------------------------------------------- membership

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    const reject = (code: ErrorCode) => Promise.resolve(joinError(code, req.memberId));
    if (this.closed) return reject(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (req.groupId === '') return reject(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.opts.minSessionTimeoutMs || req.sessionTimeoutMs > this.opts.maxSessionTimeoutMs) {
      return reject(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    if (req.protocolType === '' || req.protocols.length === 0) return reject(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    let group = this.loadGroup(req.groupId);
    if (!group) {
      if (req.memberId !== '') return reject(ErrorCode.UNKNOWN_MEMBER_ID);
      group = this.createGroup(req.groupId, null);
    }
    if (!this.supportsProtocols(group, req.protocolType, req.protocols)) {
      return reject(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }

    if (req.memberId === '') {
      const memberId = `${req.clientId || 'member'}-${randomUUID()}`;
      if (req.requireKnownMemberId) {
        this.addPendingMember(group, memberId, req.sessionTimeoutMs);
        return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
      }
      return this.addMemberAndRebalance(group, memberId, req);
    }
    const pending = group.pendingMembers.get(req.memberId);
    if (pending) {
      clearTimeout(pending);
      group.pendingMembers.delete(req.memberId);
      return this.addMemberAndRebalance(group, req.memberId, req);
    }
    const member = group.members.get(req.memberId);
    if (!member) return reject(ErrorCode.UNKNOWN_MEMBER_ID);

    switch (group.state) {
      case GroupState.PreparingRebalance:
        return this.updateMemberAndRebalance(group, member, req);
      case GroupState.CompletingRebalance:
        // A member that lost the JoinGroup answer asks again: give it the same answer without a new rebalance.
        if (sameProtocols(member.protocols, req.protocols)) return Promise.resolve(this.joinResultFor(group, member));
        return this.updateMemberAndRebalance(group, member, req);
      case GroupState.Stable:
        // The leader rejoining means it wants a new assignment (e.g. its subscription changed): rebalance.
        if (member.memberId !== group.leaderId && sameProtocols(member.protocols, req.protocols)) {
          this.touch(member, group);
          return Promise.resolve(this.joinResultFor(group, member));
        }
        return this.updateMemberAndRebalance(group, member, req);
      case GroupState.Empty:
      case GroupState.Dead:
        return reject(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult> {
    const group = this.groups.get(req.groupId);
    if (this.closed) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const member = group.members.get(req.memberId);
    if (!member) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (req.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));

    switch (group.state) {
      case GroupState.Empty:
      case GroupState.Dead:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case GroupState.PreparingRebalance:
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case GroupState.Stable:
        this.touch(member, group);
        return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
      case GroupState.CompletingRebalance: {
        this.touch(member, group);
        const answer = new Promise<SyncGroupResult>((resolve) => {
          member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          member.awaitingSync = resolve;
        });
        if (member.memberId === group.leaderId) {
          const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
          for (const m of group.members.values()) m.assignment = Buffer.from(given.get(m.memberId) ?? EMPTY);
          group.state = GroupState.Stable;
          this.opts.logger.info(
            `group ${group.groupId} generation ${group.generationId} is stable with ${group.members.size} member(s)`,
          );
          for (const m of group.members.values()) {
            const respond = m.awaitingSync;
            m.awaitingSync = null;
            respond?.({ errorCode: ErrorCode.NONE, assignment: m.assignment });
          }
        }
        return answer;
      }
    }
  }

  heartbeat(groupId: string, generationId: number, memberId: string): ErrorCode {
    const group = this.groups.get(groupId);
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (!group || group.state === GroupState.Empty) return ErrorCode.UNKNOWN_MEMBER_ID;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(member, group);
    return group.state === GroupState.PreparingRebalance ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** Removes the members (by member id, or by group instance id when the member id is empty) and rebalances. */
  leaveGroup(groupId: string, leaving: readonly LeavingMember[]): LeaveGroupResult {
    const group = this.groups.get(groupId);
    if (this.closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results = leaving.map((l) => {
      if (!group) return { ...l, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      const pending = group.pendingMembers.get(l.memberId);
      if (pending) {
        clearTimeout(pending);
        group.pendingMembers.delete(l.memberId);
        this.tryCompleteJoin(group);
        return { ...l, errorCode: ErrorCode.NONE };
      }
      const member =
        l.memberId === '' && l.groupInstanceId !== null
          ? [...group.members.values()].find((m) => m.groupInstanceId === l.groupInstanceId)
          : group.members.get(l.memberId);
      if (!member) return { ...l, errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
      if (l.groupInstanceId !== null && member.groupInstanceId !== l.groupInstanceId) {
        return { ...l, errorCode: ErrorCode.FENCED_INSTANCE_ID };
      }
      this.removeMember(group, member, 'left the group');
      return { ...l, errorCode: ErrorCode.NONE };
    });
    return { errorCode: ErrorCode.NONE, members: results };
  }

  // ---------------------------------------------------------------- offsets

  /**
   * Kafka's rules: a negative generation is a "simple" commit (admin tools, manual assignment), accepted only
   * while the group has no members; otherwise the committer must be a member of the current generation.
   */
  commitOffsets(
    groupId: string,
    generationId: number,
    memberId: string,
    offsets: readonly OffsetToCommit[],
  ): OffsetCommitResult[] {
    const known = offsets.filter((o) => this.opts.isKnownPartition(o.topic, o.partition));
    const groupError = this.checkCommit(groupId, generationId, memberId);
    if (groupError === ErrorCode.NONE && known.length > 0) {
      this.opts.offsets.commit(groupId, known);
      if (!this.groups.has(groupId)) this.createGroup(groupId, null);
    }
    return offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      errorCode: this.opts.isKnownPartition(o.topic, o.partition) ? groupError : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    }));
  }

  private checkCommit(groupId: string, generationId: number, memberId: string): ErrorCode {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const group = this.loadGroup(groupId);
    if (!group) return generationId < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (generationId < 0 && group.state === GroupState.Empty) return ErrorCode.NONE;
    if (group.state === GroupState.CompletingRebalance) return ErrorCode.REBALANCE_IN_PROGRESS;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(member, group);
    return ErrorCode.NONE;
  }

  /** The group's committed offsets for the partitions asked, -1 where none; every committed one when `topics` is null. */
  fetchOffsets(
    groupId: string,
    topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[] | null,
  ): FetchedOffset[] {
    const toFetched = (topic: string, partition: number, c: CommittedOffset | undefined): FetchedOffset => ({
      topic,
      partition,
      offset: c?.offset ?? -1,
      metadata: c ? c.metadata : '',
    });
    if (topics === null) {
      const out: FetchedOffset[] = [];
      for (const [topic, partitions] of this.opts.offsets.offsetsOf(groupId)) {
        for (const [partition, c] of partitions) out.push(toFetched(topic, partition, c));
      }
      return out;
    }
    return topics.flatMap((t) =>
      t.partitions.map((p) => toFetched(t.topic, p, this.opts.offsets.get(groupId, t.topic, p))),
    );
  }

  // ---------------------------------------------------------------- administration

  describeGroup(groupId: string): GroupDescription {
    const group = this.loadGroup(groupId);
    if (!group) {
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        state: GroupState.Dead,
        protocolType: '',
        protocolName: '',
        members: [],
      };
    }
    // As Kafka: member metadata and assignments only once the group is stable.
    const stable = group.state === GroupState.Stable;
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? this.metadataFor(m, group.protocolName) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  listGroups(): { readonly groupId: string; readonly protocolType: string }[] {
    const ids = new Set([...this.groups.keys(), ...this.opts.offsets.groupIds()]);
    return [...ids].map((groupId) => ({
      groupId,
      protocolType: this.groups.get(groupId)?.protocolType ?? this.opts.offsets.protocolType(groupId) ?? '',
    }));
  }

  /** Deletes groups without members, with their committed offsets. */
  deleteGroup(groupId: string): ErrorCode {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.loadGroup(groupId);
    if (!group) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group.state !== GroupState.Empty || group.pendingMembers.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    this.opts.offsets.deleteGroup(groupId);
    group.state = GroupState.Dead;
    this.clearGroupTimers(group);
    this.groups.delete(groupId);
    this.opts.logger.info(`group ${groupId} deleted`);
    return ErrorCode.NONE;
  }

  /** Stops all timers and answers every parked request, so a stopping broker leaves nothing pending. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const group of this.groups.values()) {
      this.clearGroupTimers(group);
      for (const m of group.members.values()) {
        if (m.sessionTimer) clearTimeout(m.sessionTimer);
        m.sessionTimer = null;
        this.failParked(m, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    }
  }

  // ---------------------------------------------------------------- state machine

  /** The group, also when it is only known from committed offsets on disk (then it is Empty). */
  private loadGroup(groupId: string): Group | undefined {
    const group = this.groups.get(groupId);
    if (group) return group;
    if (!this.opts.offsets.hasGroup(groupId)) return undefined;
    return this.createGroup(groupId, this.opts.offsets.protocolType(groupId));
  }

  private createGroup(groupId: string, protocolType: string | null): Group {
    const group: Group = {
      groupId,
      state: GroupState.Empty,
      generationId: 0,
      protocolType,
      protocolName: null,
      leaderId: null,
      members: new Map(),
      pendingMembers: new Map(),
      rebalanceTimer: null,
      initialDelayTimer: null,
      inInitialDelay: false,
    };
    this.groups.set(groupId, group);
    return group;
  }

  private supportsProtocols(group: Group, protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (group.members.size === 0) return true;
    if (group.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols(group);
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Protocols every current member supports. */
  private candidateProtocols(group: Group): Set<string> {
    const [first, ...rest] = [...group.members.values()];
    if (!first) return new Set<string>();
    return new Set(
      first.protocols.map((p) => p.name).filter((n) => rest.every((m) => m.protocols.some((p) => p.name === n))),
    );
  }

  private addPendingMember(group: Group, memberId: string, sessionTimeoutMs: number): void {
    group.pendingMembers.set(
      memberId,
      timer(sessionTimeoutMs, () => {
        // It never came back with its id: stop waiting for it.
        group.pendingMembers.delete(memberId);
        this.tryCompleteJoin(group);
      }),
    );
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocols: req.protocols,
      assignment: EMPTY,
      awaitingJoin: null,
      awaitingSync: null,
      sessionTimer: null,
    };
    if (group.members.size === 0) group.protocolType = req.protocolType;
    group.members.set(memberId, member);
    if (group.leaderId === null) group.leaderId = memberId;
    const answer = new Promise<JoinGroupResult>((resolve) => {
      member.awaitingJoin = resolve;
    });
    this.opts.logger.info(`group ${group.groupId}: member ${memberId} (${req.clientHost}) joins`);
    this.startOrContinueRebalance(group, `member ${memberId} joined`);
    return answer;
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinGroupRequest): Promise<JoinGroupResult> {
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    member.groupInstanceId = req.groupInstanceId;
    const answer = new Promise<JoinGroupResult>((resolve) => {
      // A second JoinGroup of the same member replaces the first, whose connection is most likely gone.
      member.awaitingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
      member.awaitingJoin = resolve;
    });
    this.startOrContinueRebalance(group, `member ${member.memberId} rejoined`);
    return answer;
  }

  private startOrContinueRebalance(group: Group, reason: string): void {
    if (group.state === GroupState.PreparingRebalance) this.tryCompleteJoin(group);
    else this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.state === GroupState.CompletingRebalance) {
      // Followers parked in SyncGroup must rejoin: the assignment they wait for will never come.
      for (const m of group.members.values()) {
        const respond = m.awaitingSync;
        m.awaitingSync = null;
        respond?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      }
    }
    const fromEmpty = group.state === GroupState.Empty;
    group.state = GroupState.PreparingRebalance;
    this.opts.logger.info(`group ${group.groupId}: preparing rebalance (${reason})`);

    const rebalanceTimeoutMs = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    this.clearGroupTimers(group);
    group.rebalanceTimer = timer(rebalanceTimeoutMs, () => {
      group.rebalanceTimer = null;
      this.completeJoin(group);
    });
    group.inInitialDelay = false;
    if (fromEmpty && this.opts.initialRebalanceDelayMs > 0) {
      group.inInitialDelay = true;
      group.initialDelayTimer = timer(Math.min(this.opts.initialRebalanceDelayMs, rebalanceTimeoutMs), () => {
        group.initialDelayTimer = null;
        group.inInitialDelay = false;
        this.tryCompleteJoin(group);
      });
    }
    this.tryCompleteJoin(group);
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state !== GroupState.PreparingRebalance) return;
    if (group.inInitialDelay) return;
    if (group.pendingMembers.size > 0) return;
    for (const m of group.members.values()) if (m.awaitingJoin === null) return;
    this.completeJoin(group);
  }

  /** Ends the join phase: members that did not rejoin are dropped and the next generation begins. */
  private completeJoin(group: Group): void {
    if (group.state !== GroupState.PreparingRebalance) return;
    this.clearGroupTimers(group);
    group.inInitialDelay = false;
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin === null) {
        this.opts.logger.info(`group ${group.groupId}: member ${m.memberId} did not rejoin in time; removed`);
        this.dropMember(group, m);
      }
    }
    for (const t of group.pendingMembers.values()) clearTimeout(t);
    group.pendingMembers.clear();

    group.generationId++;
    if (group.members.size === 0) {
      group.state = GroupState.Empty;
      group.protocolName = null;
      group.leaderId = null;
      this.opts.logger.info(`group ${group.groupId} is empty at generation ${group.generationId}`);
      return;
    }
    if (group.leaderId === null || !group.members.has(group.leaderId)) {
      group.leaderId = group.members.keys().next().value ?? null;
    }
    group.protocolName = this.selectProtocol(group);
    group.state = GroupState.CompletingRebalance;
    if (group.protocolType !== null) this.opts.offsets.setProtocolType(group.groupId, group.protocolType);
    this.opts.logger.info(
      `group ${group.groupId} generation ${group.generationId}: ${group.members.size} member(s), ` +
        `protocol ${group.protocolName}, leader ${group.leaderId ?? '-'}`,
    );
    for (const m of group.members.values()) {
      const respond = m.awaitingJoin;
      m.awaitingJoin = null;
      m.assignment = EMPTY;
      this.touch(m, group);
      respond?.(this.joinResultFor(group, m));
    }
  }

  /** The leader's first preference among the protocols every member supports. */
  private selectProtocol(group: Group): string {
    const candidates = this.candidateProtocols(group);
    const leader = group.leaderId === null ? undefined : group.members.get(group.leaderId);
    const preferred = leader?.protocols.find((p) => candidates.has(p.name));
    return preferred?.name ?? [...candidates][0] ?? '';
  }

  private joinResultFor(group: Group, member: Member): JoinGroupResult {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolName: group.protocolName ?? '',
      leaderId: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: this.metadataFor(m, group.protocolName),
          }))
        : [],
    };
  }

  private metadataFor(member: Member, protocolName: string | null): Buffer {
    return member.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY;
  }

  /** Restarts the member's session timer: it has shown it is alive. */
  private touch(member: Member, group: Group): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = timer(member.sessionTimeoutMs, () => {
      member.sessionTimer = null;
      if (group.members.get(member.memberId) !== member) return;
      // A member parked in JoinGroup or SyncGroup is waiting on us, not silent.
      if (member.awaitingJoin || member.awaitingSync) {
        this.touch(member, group);
        return;
      }
      this.removeMember(group, member, `session timeout of ${member.sessionTimeoutMs} ms expired`);
    });
  }

  private removeMember(group: Group, member: Member, reason: string): void {
    this.opts.logger.info(`group ${group.groupId}: member ${member.memberId} removed (${reason})`);
    this.dropMember(group, member);
    this.failParked(member, ErrorCode.UNKNOWN_MEMBER_ID);
    switch (group.state) {
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        this.prepareRebalance(group, reason);
        break;
      case GroupState.PreparingRebalance:
        this.tryCompleteJoin(group);
        break;
      case GroupState.Empty:
      case GroupState.Dead:
        break;
    }
  }

  private dropMember(group: Group, member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    group.members.delete(member.memberId);
    if (group.leaderId === member.memberId) {
      // Prefer a member already rejoined, so the next generation's leader is one that is surely alive.
      const next =
        [...group.members.values()].find((m) => m.awaitingJoin !== null) ?? group.members.values().next().value;
      group.leaderId = next?.memberId ?? null;
    }
  }

  private failParked(member: Member, errorCode: ErrorCode): void {
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    join?.(joinError(errorCode, member.memberId));
    sync?.(syncError(errorCode));
  }

  private clearGroupTimers(group: Group): void {
    if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer);
    if (group.initialDelayTimer) clearTimeout(group.initialDelayTimer);
    group.rebalanceTimer = null;
    group.initialDelayTimer = null;
    if (group.state === GroupState.Dead || this.closed) {
      for (const t of group.pendingMembers.values()) clearTimeout(t);
      group.pendingMembers.clear();
    }
  }
}
