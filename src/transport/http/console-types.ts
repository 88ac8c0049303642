/**
 * The answer of `GET /nacos/v1/console/cluster/overview`: shared by the server (console-view.ts)
 * and the web console (console/src/api.ts imports these types). Types only, no imports, so the
 * browser build can use it.
 */
export interface PeerView {
  address: string;
  state: string | null;
  pending: number | null;
  lastVerifyAt: number | null;
  lastVerifyOk: boolean | null;
}

export interface DistroView {
  loaded: boolean;
  responsible: number;
  replicas: number;
  tombstones: number | null;
  syncFailures: number;
  verifyFailures: number;
  peers: PeerView[];
}

export interface RaftView {
  role: string | null;
  term: number | null;
  commitIndex: number | null;
  leader: string | null;
}

/** Naming figures of a member (`operator/metrics`). */
export interface CountsView {
  services: number;
  instances: number;
  clients: number;
  subscribers: number;
}

export interface MemberLive {
  address: string;
  /** The member's state as the serving member's membership sees it. */
  state: string;
  version: string | null;
  self: boolean;
  /** Whether the member answered its distro/raft state calls. */
  reachable: boolean;
  error: string | null;
  counts: CountsView | null;
  distro: DistroView | null;
  raft: RaftView | null;
}

export interface ClusterOverview {
  self: string;
  mode: 'standalone' | 'cluster';
  /** Clock of the serving member when the view was taken (for "x s ago"). */
  at: number;
  members: MemberLive[];
}
