import type { ConfState, Entry, HardState, Snapshot } from './types.js';

/** Thrown when asking for entries/terms below the first index (they were compacted into a snapshot). */
export class CompactedError extends Error {
  constructor(index: number) {
    super(`raft: index ${index} is compacted`);
  }
}

/**
 * Thrown by `snapshot()` when the snapshot's image cannot be read right now (a storage that keeps
 * it on disk, docs/raft.md "Recovery"): the leader skips sending it and tries again later (etcd's
 * ErrSnapshotTemporarilyUnavailable).
 */
export class SnapshotUnavailableError extends Error {}

/** Thrown when asking for entries past the last index. */
export class UnavailableError extends Error {
  constructor(index: number) {
    super(`raft: index ${index} is unavailable`);
  }
}

/**
 * Read side of the stable log, as the core sees it (etcd's Storage). The host writes to it while
 * handling a Ready; the core only reads. Indexes are 1-based; index `firstIndex()-1` is the last
 * entry covered by the snapshot, whose term `term()` must still answer.
 */
export interface RaftStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries [lo, hi). Throws CompactedError / UnavailableError. */
  entries(lo: number, hi: number): Entry[];
  /** Term of entry i, for i in [firstIndex()-1, lastIndex()]. Throws CompactedError / UnavailableError. */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

function cloneConf(c: ConfState): ConfState {
  return { voters: [...c.voters], learners: [...c.learners] };
}

/**
 * In-memory storage for tests and the simulator. "Persisted" = written here: the simulator keeps
 * this object across a crash and throws the RaftNode away.
 */
export class MemoryRaftStorage implements RaftStorage {
  private hard: HardState = { term: 0, vote: '', commit: 0 };
  private snap: Snapshot;
  /** ents[0] is a dummy entry carrying the snapshot's index/term. */
  private ents: Entry[];

  constructor(conf: ConfState = { voters: [], learners: [] }) {
    this.snap = { meta: { index: 0, term: 0, conf: cloneConf(conf) }, data: '' };
    this.ents = [{ index: 0, term: 0, type: 'normal', data: '' }];
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hard }, confState: cloneConf(this.snap.meta.conf) };
  }

  setHardState(h: HardState): void {
    this.hard = { ...h };
  }

  hardState(): HardState {
    return { ...this.hard };
  }

  private offset(): number {
    return this.ents[0]!.index;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  term(i: number): number {
    const off = this.offset();
    if (i < off) throw new CompactedError(i);
    if (i > this.lastIndex()) throw new UnavailableError(i);
    return this.ents[i - off]!.term;
  }

  entries(lo: number, hi: number): Entry[] {
    const off = this.offset();
    if (lo <= off) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi);
    return this.ents.slice(lo - off, hi - off).map((e) => ({ ...e }));
  }

  snapshot(): Snapshot {
    return { meta: { ...this.snap.meta, conf: cloneConf(this.snap.meta.conf) }, data: this.snap.data };
  }

  /** Appends entries, truncating any existing suffix they overwrite (the core already resolved conflicts). */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    const off = this.offset();
    if (first + entries.length - 1 <= off) return; // all compacted already
    const skip = Math.max(0, off + 1 - first);
    const rest = entries.slice(skip);
    const start = rest[0]!.index;
    if (start > this.lastIndex() + 1) throw new Error(`raft storage: gap appending ${start} after ${this.lastIndex()}`);
    this.ents.length = start - off;
    for (const e of rest) this.ents.push({ ...e });
  }

  /** Sets the configuration of the empty index-0 snapshot (bootstrap of a fresh storage). */
  setInitialConf(conf: ConfState): void {
    this.snap = { meta: { ...this.snap.meta, conf: cloneConf(conf) }, data: this.snap.data };
  }

  /** Replaces everything with a snapshot received from the leader. */
  applySnapshot(s: Snapshot): void {
    if (s.meta.index <= this.snap.meta.index) return;
    this.snap = { meta: { ...s.meta, conf: cloneConf(s.meta.conf) }, data: s.data };
    this.ents = [{ index: s.meta.index, term: s.meta.term, type: 'normal', data: '' }];
  }

  /**
   * Host-side log compaction (Raft §7): records `data` (the state machine at `index`, with
   * membership `conf`) as the snapshot and drops entries up to `index`. `index` must be applied.
   */
  compact(index: number, data: string, conf: ConfState): void {
    if (index <= this.offset()) return;
    if (index > this.lastIndex()) throw new UnavailableError(index);
    const term = this.term(index);
    this.snap = { meta: { index, term, conf: cloneConf(conf) }, data };
    this.ents = this.ents.slice(index - this.offset());
    this.ents[0] = { index, term, type: 'normal', data: '' };
  }
}
