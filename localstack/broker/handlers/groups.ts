import path from 'node:path';
import type { BrokerConfig } from '../config';
import { GroupCoordinator } from '../groups/coordinator';
import type { GroupProtocol, LeavingMember } from '../groups/messages';
import { OffsetStore } from '../groups/offset-store';
import type { OffsetToCommit } from '../groups/offset-store';
import { ApiKey } from '../protocol/api';
import { Writer } from '../protocol/codec';
import type { Reader } from '../protocol/codec';
import { ErrorCode } from '../protocol/errors';
import type { Handler, Logger, Request } from '../types';

/**
 * Wire adapters for the group coordinator APIs (classic encoding, the versions in SUPPORTED_VERSIONS). Each handler
 * decodes its request per version, asks the coordinator, and encodes the answer per version; the group rules live in
 * groups/coordinator.ts. Field layouts follow Apache Kafka's message definitions (`*Request.json`/`*Response.json`).
 */
export interface GroupService {
  readonly handlers: ReadonlyMap<number, Handler>;
  close(): Promise<void>;
}

export interface GroupServiceDeps {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  /** Partitions of a topic, undefined when it does not exist. */
  partitionCount(topic: string): number | undefined;
  /** The port clients reach this broker on: config.port may be 0 when the port is picked at start. */
  advertisedPort(): number;
}

/** The coordinator type in FindCoordinator v1+: 0 consumer group, 1 transactional id. */
const CoordinatorType = { Group: 0, Transaction: 1 } as const;

export function createGroupService(deps: GroupServiceDeps): GroupService {
  const { config, logger } = deps;
  const offsets = OffsetStore.open(path.join(config.dataDir, '__consumer_offsets'), logger);
  const coordinator = new GroupCoordinator({
    minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
    maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
    initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
    offsets,
    logger,
    isKnownPartition: (topic, partition) => {
      const count = deps.partitionCount(topic);
      return count !== undefined && partition >= 0 && partition < count;
    },
  });

  /** throttle_time_ms leads the response from the given version on. */
  const startResponse = (req: Request, throttleFrom: number): Writer => {
    const w = new Writer();
    if (req.header.apiVersion >= throttleFrom) w.int32(0);
    return w;
  };

  const findCoordinator: Handler = (req) => {
    const v = req.header.apiVersion;
    req.body.string(); // the group id or transactional id: this broker coordinates all of them
    const keyType = v >= 1 ? req.body.int8() : CoordinatorType.Group;
    const known = keyType === CoordinatorType.Group || keyType === CoordinatorType.Transaction;
    const w = startResponse(req, 1);
    w.int16(known ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST);
    if (v >= 1) w.nullableString(known ? null : `unknown coordinator type ${keyType}`);
    return w
      .int32(known ? config.nodeId : -1)
      .string(known ? config.advertisedHost : '')
      .int32(known ? deps.advertisedPort() : -1);
  };

  const joinGroup: Handler = async (req) => {
    const v = req.header.apiVersion;
    const r = req.body;
    const groupId = r.string();
    const sessionTimeoutMs = r.int32();
    const rebalanceTimeoutMs = v >= 1 ? r.int32() : sessionTimeoutMs;
    const memberId = r.string();
    const groupInstanceId = v >= 5 ? r.nullableString() : null;
    const protocolType = r.string();
    const protocols = r.array((pr): GroupProtocol => ({ name: pr.string(), metadata: Buffer.from(pr.bytes()) }));
    const result = await coordinator.joinGroup({
      groupId,
      memberId,
      groupInstanceId,
      sessionTimeoutMs,
      rebalanceTimeoutMs,
      protocolType,
      protocols,
      clientId: req.header.clientId ?? '',
      clientHost: clientHost(req),
      requireKnownMemberId: v >= 4,
    });
    const w = startResponse(req, 2)
      .int16(result.errorCode)
      .int32(result.generationId)
      .string(result.protocolName)
      .string(result.leaderId)
      .string(result.memberId);
    return w.array(result.members, (mw, m) => {
      mw.string(m.memberId);
      if (v >= 5) mw.nullableString(m.groupInstanceId);
      mw.bytes(m.metadata);
    });
  };

  const syncGroup: Handler = async (req) => {
    const v = req.header.apiVersion;
    const r = req.body;
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    if (v >= 3) r.nullableString(); // group_instance_id: static membership is not enforced here
    const assignments = r.array((ar) => ({ memberId: ar.string(), assignment: Buffer.from(ar.bytes()) }));
    const result = await coordinator.syncGroup({ groupId, generationId, memberId, assignments });
    return startResponse(req, 1).int16(result.errorCode).bytes(result.assignment);
  };

  const heartbeat: Handler = (req) => {
    const r = req.body;
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    if (req.header.apiVersion >= 3) r.nullableString();
    return startResponse(req, 1).int16(coordinator.heartbeat(groupId, generationId, memberId));
  };

  const leaveGroup: Handler = (req) => {
    const v = req.header.apiVersion;
    const r = req.body;
    const groupId = r.string();
    const leaving: LeavingMember[] =
      v >= 3
        ? r.array((mr) => ({ memberId: mr.string(), groupInstanceId: mr.nullableString() }))
        : [{ memberId: r.string(), groupInstanceId: null }];
    const result = coordinator.leaveGroup(groupId, leaving);
    const w = startResponse(req, 1);
    if (v < 3) return w.int16(result.members[0]?.errorCode ?? result.errorCode);
    w.int16(result.errorCode);
    return w.array(result.members, (mw, m) => {
      mw.string(m.memberId).nullableString(m.groupInstanceId).int16(m.errorCode);
    });
  };

  const offsetCommit: Handler = (req) => {
    const v = req.header.apiVersion;
    const r = req.body;
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    if (v <= 4) r.int64(); // retention_time_ms: offsets are kept until the group is deleted
    const toCommit: OffsetToCommit[] = [];
    r.array((tr) => {
      const topic = tr.string();
      tr.array((pr) => {
        toCommit.push({ topic, partition: pr.int32(), offset: pr.int64(), metadata: pr.nullableString() });
      });
    });
    const results = coordinator.commitOffsets(groupId, generationId, memberId, toCommit);
    return startResponse(req, 3).array(groupByTopic(results), (tw, [topic, partitions]) => {
      tw.string(topic).array(partitions, (pw, p) => {
        pw.int32(p.partition).int16(p.errorCode);
      });
    });
  };

  const offsetFetch: Handler = (req) => {
    const v = req.header.apiVersion;
    const r = req.body;
    const groupId = r.string();
    const readTopic = (tr: Reader) => ({ topic: tr.string(), partitions: tr.array((pr) => pr.int32()) });
    // From v2 a null topic list asks for every offset the group committed.
    const topics = v >= 2 ? r.nullableArray(readTopic) : r.array(readTopic);
    const fetched = coordinator.fetchOffsets(groupId, topics);
    const w = startResponse(req, 3).array(groupByTopic(fetched), (tw, [topic, partitions]) => {
      tw.string(topic).array(partitions, (pw, p) => {
        pw.int32(p.partition).int64(p.offset).nullableString(p.metadata).int16(ErrorCode.NONE);
      });
    });
    if (v >= 2) w.int16(ErrorCode.NONE);
    return w;
  };

  const describeGroups: Handler = (req) => {
    const groups = req.body.array((gr) => gr.string()).map((id) => coordinator.describeGroup(id));
    return startResponse(req, 1).array(groups, (gw, g) => {
      gw.int16(g.errorCode).string(g.groupId).string(g.state).string(g.protocolType).string(g.protocolName);
      gw.array(g.members, (mw, m) => {
        mw.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment);
      });
    });
  };

  const listGroups: Handler = (req) =>
    startResponse(req, 1)
      .int16(ErrorCode.NONE)
      .array(coordinator.listGroups(), (gw, g) => {
        gw.string(g.groupId).string(g.protocolType);
      });

  const deleteGroups: Handler = (req) => {
    const results = req.body.array((gr) => gr.string()).map((id) => ({ id, errorCode: coordinator.deleteGroup(id) }));
    return startResponse(req, 0).array(results, (rw, g) => {
      rw.string(g.id).int16(g.errorCode);
    });
  };

  const handlers = new Map<number, Handler>([
    [ApiKey.FindCoordinator, findCoordinator],
    [ApiKey.JoinGroup, joinGroup],
    [ApiKey.SyncGroup, syncGroup],
    [ApiKey.Heartbeat, heartbeat],
    [ApiKey.LeaveGroup, leaveGroup],
    [ApiKey.OffsetCommit, offsetCommit],
    [ApiKey.OffsetFetch, offsetFetch],
    [ApiKey.DescribeGroups, describeGroups],
    [ApiKey.ListGroups, listGroups],
    [ApiKey.DeleteGroups, deleteGroups],
  ]);

  return {
    handlers,
    close: () => {
      coordinator.close();
      offsets.close();
      return Promise.resolve();
    },
  };
}

/** Kafka reports a member's host as "/address", without the port. */
function clientHost(req: Request): string {
  const remote = req.conn.remote;
  const colon = remote.lastIndexOf(':');
  return `/${colon > 0 ? remote.slice(0, colon) : remote}`;
}

function groupByTopic<T extends { readonly topic: string }>(items: readonly T[]): [string, T[]][] {
  const byTopic = new Map<string, T[]>();
  for (const item of items) {
    const list = byTopic.get(item.topic);
    if (list) list.push(item);
    else byTopic.set(item.topic, [item]);
  }
  return [...byTopic];
}
