import { CompactedError, type RaftStorage } from './storage.js';
import type { Entry, Snapshot } from './types.js';

/**
 * The node's view of its log: the stable part (in RaftStorage) plus an "unstable" tail (and maybe
 * an incoming snapshot) that has been accepted but not yet handed to / persisted by the host.
 * Mirrors etcd's raftLog + unstable.
 */
export class RaftLog {
  /** Entries not yet persisted; unstable[0].index === unstableOffset. */
  private unstable: Entry[] = [];
  private unstableOffset: number;
  /** Snapshot received from the leader, not yet persisted. */
  pendingSnapshot: Snapshot | null = null;
  committed: number;
  applied: number;

  constructor(readonly storage: RaftStorage) {
    this.unstableOffset = storage.lastIndex() + 1;
    // The snapshot is applied by definition; committed entries after it are re-delivered on restart.
    this.committed = storage.firstIndex() - 1;
    this.applied = storage.firstIndex() - 1;
  }

  firstIndex(): number {
    if (this.pendingSnapshot) return this.pendingSnapshot.meta.index + 1;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.unstableOffset + this.unstable.length - 1;
    if (this.pendingSnapshot) return this.pendingSnapshot.meta.index;
    return this.storage.lastIndex();
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    if (t === undefined) throw new Error('raft log: last term unavailable');
    return t;
  }

  /** Term of entry i, or undefined if compacted away or beyond the end. */
  term(i: number): number | undefined {
    if (i === 0) return 0;
    if (this.unstable.length > 0 && i >= this.unstableOffset) {
      const e = this.unstable[i - this.unstableOffset];
      return e?.term;
    }
    if (this.pendingSnapshot) {
      // Everything before the snapshot is gone; nothing after it exists unless unstable.
      return i === this.pendingSnapshot.meta.index ? this.pendingSnapshot.meta.term : undefined;
    }
    if (i < this.storage.firstIndex() - 1 || i > this.storage.lastIndex()) return undefined;
    return this.storage.term(i);
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /**
   * Entries [lo, hi), at most `max` of them. Throws CompactedError if lo was compacted (the
   * leader then sends a snapshot instead).
   */
  slice(lo: number, hi: number, max = Infinity): Entry[] {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) throw new CompactedError(lo);
    if (hi > this.lastIndex() + 1) throw new Error(`raft log: slice [${lo},${hi}) past last ${this.lastIndex()}`);
    hi = Math.min(hi, lo + max);
    const out: Entry[] = [];
    const stableHi = Math.min(hi, this.unstable.length > 0 ? this.unstableOffset : hi);
    if (lo < stableHi) out.push(...this.storage.entries(lo, stableHi));
    if (hi > this.unstableOffset && this.unstable.length > 0) {
      const from = Math.max(lo, this.unstableOffset);
      out.push(...this.unstable.slice(from - this.unstableOffset, hi - this.unstableOffset).map((e) => ({ ...e })));
    }
    return out;
  }

  /**
   * Raft §5.3 "up-to-date" check for votes: a log with a later last term wins; with equal last
   * terms the longer log wins.
   */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** First index among `ents` whose term differs from ours (or that we do not have); 0 if none. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Largest index ≤ `index` whose term is ≤ `term` (used for the reject hint so the leader can
   * skip a whole conflicting term per round trip).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = index; i >= 0; i--) {
      const t = this.term(i);
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  /**
   * Follower side of AppendEntries. Returns the new last index if the previous entry matched,
   * else null. Existing entries that conflict are truncated (§5.3 step 3); matching ones are kept,
   * so a stale, reordered AppendEntries never shortens the log.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) throw new Error(`raft log: conflict at ${ci} ≤ committed ${this.committed}`);
      this.append(ents.slice(ci - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Appends (truncating any conflicting unstable/stable suffix). Returns the new last index. */
  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) throw new Error(`raft log: append after ${after} < committed ${this.committed}`);
    const copy = ents.map((e) => ({ ...e }));
    if (after + 1 === this.unstableOffset + this.unstable.length) {
      this.unstable.push(...copy);
    } else if (after + 1 <= this.unstableOffset) {
      // Replacing (part of) the stable log: the host's storage.append truncates it on persist.
      this.unstableOffset = after + 1;
      this.unstable = copy;
    } else {
      this.unstable = [...this.unstable.slice(0, after + 1 - this.unstableOffset), ...copy];
    }
    return this.lastIndex();
  }

  commitTo(i: number): void {
    if (i > this.committed) {
      if (i > this.lastIndex()) throw new Error(`raft log: commit ${i} past last ${this.lastIndex()}`);
      this.committed = i;
    }
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    if (i > this.committed || i < this.applied) throw new Error(`raft log: applied ${i} outside [${this.applied}, ${this.committed}]`);
    this.applied = i;
  }

  unstableEntries(): Entry[] {
    return this.unstable.map((e) => ({ ...e }));
  }

  hasNextCommitted(): boolean {
    return this.committed > this.applied && !this.pendingSnapshot;
  }

  nextCommittedEntries(max = Infinity): Entry[] {
    if (!this.hasNextCommitted()) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex());
    return this.slice(lo, this.committed + 1, max);
  }

  /**
   * Highest index up to which the log is durable on this node: everything before the unstable
   * tail (the host persisted it and called advance). 0 while a snapshot is pending.
   */
  stableIndex(): number {
    if (this.pendingSnapshot) return 0;
    return this.unstable.length > 0 ? this.unstableOffset - 1 : this.storage.lastIndex();
  }

  /** The host persisted entries up to (i, t): drop them from the unstable tail. */
  stableTo(i: number, t: number): void {
    if (this.unstable.length === 0 || i < this.unstableOffset) return;
    const e = this.unstable[i - this.unstableOffset];
    if (!e || e.term !== t) return; // replaced meanwhile; keep
    this.unstable = this.unstable.slice(i + 1 - this.unstableOffset);
    this.unstableOffset = i + 1;
  }

  stableSnapTo(i: number): void {
    if (this.pendingSnapshot && this.pendingSnapshot.meta.index === i) this.pendingSnapshot = null;
  }

  /** Replace the whole log with a snapshot from the leader (§7). */
  restore(s: Snapshot): void {
    this.committed = s.meta.index;
    this.pendingSnapshot = s;
    this.unstable = [];
    this.unstableOffset = s.meta.index + 1;
  }

  /** The log's latest snapshot (pending one first). */
  snapshot(): Snapshot {
    return this.pendingSnapshot ?? this.storage.snapshot();
  }
}
