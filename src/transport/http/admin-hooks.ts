/**
 * What the core admin APIs (`/nacos/v3/admin/core/*`, `/nacos/v2/core/loader/*`) need from the
 * server beyond the naming use cases: the Raft group of the persistent store and this member's SDK
 * connections (docs/protocol/nacos3.md §2). Wired by `src/app/admin-hooks.ts`; absent in edge-only
 * tests, where the endpoints answer as a member without Raft group or connections.
 */

/** The Raft group as the member JSON's `extendInfo.raftMetaData` shows it. */
export interface RaftGroupView {
  /** Group name (Nacos: `naming_persistent_service_v2`, …). */
  readonly group: string;
  /** Leader member address (`ip:port`), '' when none is known. */
  readonly leader: string;
  readonly term: number;
  /** Voter member addresses. */
  readonly voters: readonly string[];
  /** Whether this member is the leader. */
  readonly isLeader: boolean;
}

/** One SDK connection of this member (`/loader/current`). */
export interface SdkConnectionView {
  readonly id: string;
  readonly clientIp: string;
  readonly remoteIp: string;
  readonly remotePort: number;
  readonly clientVersion: string;
  readonly appName: string;
  readonly namespace: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: number;
}

export interface AdminHooks {
  /** The persistent store's Raft group; null before it started. */
  raftGroup(): RaftGroupView | null;
  /** Leader only: hands leadership to the voter `to` (a member address). False when refused. */
  transferLeader(to: string): Promise<boolean>;
  /** This member's registered SDK connections. */
  connections(): readonly SdkConnectionView[];
  /** Asks one SDK connection to move (ConnectResetRequest), optionally to `target` (`ip:port`); false if unknown. */
  moveConnection(connectionId: string, target?: string): boolean;
  /**
   * Sends a server request to one SDK connection and resolves with its response body; rejects
   * when the client answers an error or nothing within `timeoutMs` (ClientConfigMetricRequest).
   */
  askConnection?(connectionId: string, type: string, body: object, timeoutMs: number): Promise<Record<string, unknown>>;
  /** The member lookup in use (`standalone`, `static`, `file`, `address-server`, `dns`). */
  readonly lookupType: string;
}
