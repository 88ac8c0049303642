/**
 * A hybrid logical clock issuing client versions (design note 1 in docs/distro.md).
 *
 * `next()` = max(now_ms * 1000, last + 1): strictly increasing on one member, close to wall-clock
 * time (so a restarted member, whose memory is wiped, still issues versions above the ones it issued
 * before, as long as its clock did not go back), and `observe(v)` raises `last` to any version seen
 * from a peer, so a member that takes over an ip-port client issues versions above the previous
 * owner's. 1000 sub-ms steps keep values below 2^53 until the year ~2255.
 *
 * Two members can issue the same number for the same ip-port client while both believe they own it
 * (docs/protocol/distro.md §2.6); Distro breaks such ties with the writer's address (see `compareStamp`).
 */
export class HybridLogicalClock {
  private last: number;

  constructor(
    private readonly nowMs: () => number,
    initial = 0,
  ) {
    this.last = initial;
  }

  next(): number {
    const wall = Math.floor(this.nowMs()) * 1000;
    this.last = wall > this.last ? wall : this.last + 1;
    return this.last;
  }

  observe(v: number): void {
    if (Number.isSafeInteger(v) && v > this.last) this.last = v;
  }

  /** The last version issued or observed. */
  peek(): number {
    return this.last;
  }

  /** The Registry's `nextRevision` hook: a new version above both the HLC and the previous revision. */
  readonly nextRevision = (previous: number): number => {
    this.observe(previous);
    return this.next();
  };
}

/** A version and the member that issued it; totally ordered by (version, writer). */
export interface Stamp {
  readonly version: number;
  readonly writer: string;
}

/** <0, 0, >0 like a comparator: version first, then writer address (tie-break between concurrent owners). */
export function compareStamp(a: Stamp, b: Stamp): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return a.writer < b.writer ? -1 : a.writer > b.writer ? 1 : 0;
}
