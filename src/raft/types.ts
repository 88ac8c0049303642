/**
 * Raft wire and storage types. Everything here is plain JSON (no bigint, no Map, no undefined in
 * required fields) so a message survives `JSON.parse(JSON.stringify(m))` unchanged — the simulator
 * round-trips every message through JSON, like the real cluster codec will.
 */

/** Node ids are member addresses or any stable string; '' means "none". */
export type NodeId = string;
export const NONE: NodeId = '';

export type EntryType = 'normal' | 'conf';

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  /** Opaque payload (normal) or a JSON-encoded ConfChange (conf). '' for the leader's no-op. */
  data: string;
}

/** What must be on stable storage before any message of the same Ready is sent (Raft §5.1, Fig. 2). */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
  /**
   * Lost disks (docs/raft.md "Lost disks"): the commit index this member must hold before it
   * votes or campaigns again, kept until its commit index reaches it. Absent or 0: none.
   */
  catchUp?: number;
}

/** Same term, vote, commit and catch-up target. */
export function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit && (a.catchUp ?? 0) === (b.catchUp ?? 0);
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

/**
 * Single-server membership change (Raft thesis §4.1); takes effect when the host applies it. The
 * leader records in `conf` the whole configuration the change results in: a member that replays
 * the log from a different starting configuration (a new member, which starts with none, while
 * the group's initial members live only in the index-0 snapshot) still ends up with the group's
 * configuration at every conf entry. Entries written without `conf` apply incrementally.
 */
/** A membership change an operator (raft-link) proposes; the leader fills in `conf`. */
export type MemberChange = ({ type: 'addVoter'; node: NodeId } | { type: 'addLearner'; node: NodeId } | { type: 'removeNode'; node: NodeId }) & { conf?: ConfState };

export type ConfChange =
  | MemberChange
  /**
   * The configuration in force, recorded by a new leader as the first entry of its term (no change):
   * a member that joined with an empty disk and receives the log from index 1 learns the group's
   * configuration from it (docs/raft.md "Lost disks").
   */
  | { type: 'record'; conf: ConfState };

export interface SnapshotMeta {
  index: number;
  term: number;
  conf: ConfState;
}

export interface Snapshot {
  meta: SnapshotMeta;
  /** Opaque state-machine image produced by the host. */
  data: string;
  /**
   * The image is not in `data` (''): it stays in the storage's snapshot file, and whoever sends the
   * snapshot reads it from there (RaftLogStore.snapshotImageBytes) without blocking the event loop
   * (docs/raft.md "Snapshot transfer"). Only a storage opened with `lazySnapshotImages` hands
   * such a snapshot out; never on the wire.
   */
  imageInStorage?: true;
}

interface Base {
  from: NodeId;
  to: NodeId;
  term: number;
}

/** AppendEntries (Raft §5.3): `index`/`logTerm` are the entry preceding `entries`. */
export interface AppendMsg extends Base {
  type: 'app';
  index: number;
  logTerm: number;
  entries: Entry[];
  commit: number;
  /**
   * An entry-less commit announcement the leader needs no answer to (docs/raft.md "Commit
   * announcements"): a follower that accepts it stays silent; a rejection is still answered.
   * Absent from older builds (they always answer, and a follower of an older leader answers).
   */
  quiet?: boolean;
}

/**
 * Reply to AppendEntries / InstallSnapshot. On success `index` is the last index known to match.
 * On reject `index` echoes the rejected probe index and `hint`/`hintTerm` point the leader at an
 * index at or before the divergence (fast backtracking, thesis §5.3 "optimization").
 */
export interface AppendRespMsg extends Base {
  type: 'appResp';
  index: number;
  reject: boolean;
  hint: number;
  hintTerm: number;
  /**
   * On a rejection: the follower lacks entries the leader may believe it holds (its log is empty,
   * or a heartbeat announced a commit past its last index) — its disk was lost. `hint` is its last
   * index; the leader resets its progress (docs/raft.md "Lost disks"). Absent from older members.
   */
  lost?: boolean;
}

/** RequestVote (§5.2) or PreVote (thesis §9.6). `index`/`logTerm` describe the candidate's last entry. */
export interface VoteMsg extends Base {
  type: 'vote' | 'preVote';
  index: number;
  logTerm: number;
  /** Set for a campaign started by TimeoutNow: voters ignore their leader lease (thesis §3.10). */
  transfer: boolean;
}

export interface VoteRespMsg extends Base {
  type: 'voteResp' | 'preVoteResp';
  reject: boolean;
}

export interface HeartbeatMsg extends Base {
  type: 'heartbeat';
  commit: number;
  /** ReadIndex context being confirmed, '' if none (thesis §6.4). */
  ctx: string;
}

export interface HeartbeatRespMsg extends Base {
  type: 'heartbeatResp';
  ctx: string;
}

/** InstallSnapshot (§7); the whole snapshot in one message (chunking is left to the transport). */
export interface SnapshotMsg extends Base {
  type: 'snap';
  snapshot: Snapshot;
}

/** Leader transfer: "start an election now" (thesis §3.10). */
export interface TimeoutNowMsg extends Base {
  type: 'timeoutNow';
}

export type Message =
  | AppendMsg
  | AppendRespMsg
  | VoteMsg
  | VoteRespMsg
  | HeartbeatMsg
  | HeartbeatRespMsg
  | SnapshotMsg
  | TimeoutNowMsg;

export type MessageType = Message['type'];

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  lead: NodeId;
  role: Role;
}

/** A ReadIndex answer: once the host has applied `index`, reads for `ctx` are linearizable. */
export interface ReadState {
  ctx: string;
  index: number;
}

/**
 * One batch of work for the host. Contract (see docs/raft.md "Host loop contract"):
 * 1. install `snapshot` (if any), append `entries`, save `hardState` — durably when `mustSync`;
 * 2. only then send `messagesAfterSync` (`messagesBeforeSync` may leave before or during the write);
 * 3. apply `committedEntries` in order (calling `applyConfChange` for conf entries) — the first
 *    `applicableBeforeSync` of them may be applied before the write completes, the rest only after;
 * 4. call `advance(ready)`.
 * A simple host may ignore the split: persist, send `messages`, apply, advance.
 */
export interface Ready {
  softState: SoftState | null;
  hardState: HardState | null;
  entries: Entry[];
  snapshot: Snapshot | null;
  /** Every message of this Ready: `messagesBeforeSync` and `messagesAfterSync`, in the order produced. */
  messages: Message[];
  committedEntries: Entry[];
  readStates: ReadState[];
  /**
   * etcd's `Ready.MustSync`: the Ready changes term or vote, or carries entries or a snapshot —
   * it must be fsynced before `messagesAfterSync` leave. A change of the commit index alone needs
   * no sync (a node never relies on a durable commit index: it is learnt again from the leader).
   */
  mustSync: boolean;
  /**
   * Messages that assert nothing about this Ready's unwritten state (heartbeats, their answers,
   * the leader's appends: it counts its own entries only once durable, docs/raft.md "Host loop
   * contract") and may leave before the write completes. Empty
   * when term, vote or snapshot change (every message then carries the new state); every message
   * when nothing must be synced.
   */
  messagesBeforeSync: Message[];
  /** Messages that claim entries, votes or a term this Ready makes durable: sent only after the write. */
  messagesAfterSync: Message[];
  /**
   * How many of `committedEntries` (a prefix) are already durable on this node and may be applied
   * before this Ready's write completes. The others are committed but not yet on this node's disk
   * (e.g. a one-voter group commits its own entries at once): applying them early could answer a
   * client for a write a crash then loses.
   */
  applicableBeforeSync: number;
}

export function isEmptySnapshot(s: Snapshot | null | undefined): boolean {
  return !s || s.meta.index === 0;
}
