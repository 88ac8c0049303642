/**
 * Cluster members as the core APIs show them (docs/protocol/http.md §0.5 "Member", §3.4). Standalone there
 * is one: this member, state UP. The cluster issue replaces `selfMembers` with its own
 * `MemberSource` (passed to `createHttpServer`).
 */
import type { AppContext } from '../../app-context.js';
import type { RaftGroupView } from './admin-hooks.js';

export type MemberState = 'STARTING' | 'UP' | 'SUSPICIOUS' | 'DOWN' | 'ISOLATION';
export const MEMBER_STATES: readonly MemberState[] = ['STARTING', 'UP', 'SUSPICIOUS', 'DOWN', 'ISOLATION'];

export interface Member {
  ip: string;
  port: number;
  state: MemberState;
  extendInfo: Record<string, unknown>;
  address: string;
  failAccessCnt: number;
  abilities: {
    remoteAbility: { supportRemoteConnection: boolean; grpcReportEnabled: boolean };
    configAbility: { supportRemoteMetrics: boolean };
    namingAbility: { supportJraft: boolean };
  };
  grpcReportEnabled: boolean;
}

export type MemberSource = () => readonly Member[];

/** This member as the only one. */
export function selfMember(ctx: AppContext): Member {
  const { ip, port, address } = ctx.member;
  return {
    ip,
    port,
    state: 'UP',
    extendInfo: {
      lastRefreshTime: ctx.clock.now(),
      raftPort: String(port - 1000),
      readyToUpgrade: true,
      version: ctx.version,
      site: 'unknow',
      adWeight: '0',
      weight: '1',
      supportGrayModel: true,
      sdkConnections: ctx.connectionCount(),
    },
    address,
    failAccessCnt: 0,
    abilities: {
      remoteAbility: { supportRemoteConnection: true, grpcReportEnabled: true },
      configAbility: { supportRemoteMetrics: false },
      namingAbility: { supportJraft: true },
    },
    grpcReportEnabled: true,
  };
}

export function selfMembers(ctx: AppContext): MemberSource {
  return () => [selfMember(ctx)];
}

/** A cluster member as the membership layer tracks it (src/cluster/member-manager.ts). */
export interface TrackedMember {
  readonly ip: string;
  readonly port: number;
  readonly address: string;
  readonly state: MemberState;
  readonly failAccessCnt: number;
  readonly extendInfo: Readonly<Record<string, string | number | boolean>>;
  readonly lastRefreshTime: number;
}

/** The core APIs' Member shape for a cluster member; `own`: this member's self description, else {}. */
export function clusterMember(ctx: AppContext, m: TrackedMember, own: Record<string, string | number | boolean>): Member {
  const base = selfMember(ctx);
  return {
    ...base,
    ip: m.ip,
    port: m.port,
    address: m.address,
    state: m.state,
    failAccessCnt: m.failAccessCnt,
    extendInfo: { ...base.extendInfo, ...m.extendInfo, ...own, lastRefreshTime: m.lastRefreshTime, raftPort: String(m.port - 1000) },
  };
}

/** A member address `ip:port` as Nacos names a Raft peer: `ip:raftPort` (raftPort = port − 1000). */
export function raftPeerOf(address: string): string {
  const sep = address.lastIndexOf(':');
  const port = Number(address.slice(sep + 1));
  return sep < 0 || !Number.isInteger(port) ? address : `${address.slice(0, sep)}:${port - 1000}`;
}

/**
 * `extendInfo.raftMetaData` as Nacos' members carry it (docs/protocol/nacos3.md §2.1):
 * `{"metaDataMap":{<group>:{"leader":"ip:raftPort","raftGroupMember":[…],"term":n}}}`. Every member
 * shows the same group facts (leader and term are the group's, as this member sees them).
 */
export function withRaftMetaData(source: MemberSource, group: () => RaftGroupView | null): MemberSource {
  return () => {
    const g = group();
    if (!g) return source();
    const raftMetaData = {
      metaDataMap: { [g.group]: { leader: g.leader === '' ? null : raftPeerOf(g.leader), raftGroupMember: g.voters.map(raftPeerOf), term: g.term } },
    };
    return source().map((m) => ({ ...m, extendInfo: { ...m.extendInfo, raftMetaData } }));
  };
}
