/**
 * The leader's view of one follower (etcd's Progress / tracker). Flow control:
 *  - probe: at most one AppendEntries in flight until the follower answers (or a heartbeat
 *    response arrives), used after a rejection or when the follower's state is unknown;
 *  - replicate: optimistic pipelining, `next` advances on send, bounded by `maxInflight` messages;
 *  - snapshot: a snapshot is on its way; nothing else is sent until the follower acknowledges it,
 *    the host reports it failed, or `snapshotTicks` reaches the resend timeout (docs/raft.md
 *    "Snapshot transfer").
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** probe: an append is outstanding. */
  probeSent = false;
  pendingSnapshot = 0;
  /** snapshot: leader ticks since the snapshot was sent. */
  snapshotTicks = 0;
  /** Heard from since the last check-quorum round (thesis §6.2). */
  recentActive = false;
  /** Last index of each append in flight (replicate state). */
  inflights: number[] = [];

  constructor(
    next: number,
    public isLearner: boolean,
    private readonly maxInflight: number,
  ) {
    this.next = next;
  }

  private reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotTicks = 0;
    this.inflights = [];
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const ps = this.pendingSnapshot;
      this.reset('probe');
      this.next = Math.max(this.match + 1, ps + 1);
    } else {
      this.reset('probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.reset('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.reset('snapshot');
    this.pendingSnapshot = index;
  }

  /** An acknowledgement for `n`: returns true if it moved `match`. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of the append after `rejected`; `hint` is where the follower suggests to probe.
   * Returns false if the rejection is stale (reordered/duplicated message).
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /**
   * The follower answered that it lost its log (docs/raft.md "Lost disks"): forget what it
   * acknowledged and probe from its last index, backtracking as usual from there.
   */
  lostLog(last: number): void {
    this.reset('probe');
    this.match = 0;
    this.next = last + 1;
  }

  /** Called after sending an append whose last entry is `last` (if it carried entries). */
  sentEntries(last: number, count: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = last + 1;
        this.inflights.push(last);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  freeInflightsTo(index: number): void {
    this.inflights = this.inflights.filter((i) => i > index);
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.length >= this.maxInflight;
      case 'snapshot':
        return true;
    }
  }
}
