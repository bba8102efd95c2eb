/**
 * A consumer group's state as the coordinator keeps it: the group and its members, with the timers and the parked
 * JoinGroup/SyncGroup answers of a rebalance in progress, and the small pure helpers over them.
 */
import type { ErrorCode } from '../protocol/errors';

import type { GroupProtocol, GroupState, JoinGroupResult, SyncGroupResult } from './messages';

export const EMPTY = Buffer.alloc(0);

export interface Member {
  readonly memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: readonly GroupProtocol[];
  assignment: Buffer;
  awaitingJoin: ((r: JoinGroupResult) => void) | null;
  awaitingSync: ((r: SyncGroupResult) => void) | null;
  sessionTimer: NodeJS.Timeout | null;
}

export interface Group {
  readonly groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  readonly members: Map<string, Member>;
  /** Members told MEMBER_ID_REQUIRED that have not joined with their id yet, each with its session timer. */
  readonly pendingMembers: Map<string, NodeJS.Timeout>;
  rebalanceTimer: NodeJS.Timeout | null;
  initialDelayTimer: NodeJS.Timeout | null;
  /** The first rebalance of an empty group waits out the initial delay, so that more members can join it. */
  inInitialDelay: boolean;
}

export function joinError(errorCode: ErrorCode, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolName: '', leaderId: '', memberId, members: [] };
}

export function syncError(errorCode: ErrorCode): SyncGroupResult {
  return { errorCode, assignment: EMPTY };
}

export function sameProtocols(a: readonly GroupProtocol[], b: readonly GroupProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]?.name && p.metadata.equals(b[i].metadata));
}

export function timer(ms: number, fn: () => void): NodeJS.Timeout {
  const t = setTimeout(fn, Math.max(0, ms));
  // The listening socket keeps a running broker alive; pending group timers alone must not.
  t.unref();
  return t;
}
