/**
 * The window of recent command ids a state machine remembers to apply a re-proposed command once
 * (docs/raft.md "Production wiring"): a Set for membership and a ring of the same ids in apply
 * order, so evicting the oldest is O(1).
 *
 * Why not the Set alone, evicting `set.values().next()`: V8 keeps a deleted entry of a Set as a
 * hole in its table until the next rehash, and a new iterator walks over every hole at the front.
 * With the oldest id deleted on every apply, thousands of holes sit there on average once the
 * window is full, so each apply on each member paid a walk that grew with the window. Measured with
 * `bench:raft` (docs/benchmarks.md "Raft write path, fourth pass"): the cost per write rose once
 * more than 50,000 writes had been applied.
 */
export class IdWindow {
  private readonly set = new Set<string>();
  private readonly ring: (string | undefined)[];
  /** Position of the oldest id in the ring. */
  private head = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(Math.max(0, capacity));
  }

  get size(): number {
    return this.set.size;
  }

  has(id: string): boolean {
    return this.set.has(id);
  }

  /** Remembers `id` as the newest; past the capacity the oldest is forgotten. An id already held is left where it is. */
  add(id: string): void {
    if (this.capacity <= 0 || this.set.has(id)) return;
    const n = this.set.size;
    if (n < this.capacity) {
      this.ring[(this.head + n) % this.capacity] = id;
    } else {
      this.set.delete(this.ring[this.head]!);
      this.ring[this.head] = id;
      this.head = (this.head + 1) % this.capacity;
    }
    this.set.add(id);
  }

  clear(): void {
    this.set.clear();
    this.ring.fill(undefined);
    this.head = 0;
  }

  /** The ids, oldest first. */
  list(): string[] {
    const n = this.set.size;
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = this.ring[(this.head + i) % this.capacity]!;
    return out;
  }
}
