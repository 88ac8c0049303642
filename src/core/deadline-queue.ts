import type { Clock, TimerHandle } from './clock.js';

/**
 * Many deadlines, few timers: the ack deadlines of a push round (10,000 pushes, each waiting for
 * its ack) cost one clock timer per distinct timeout instead of one timer (and its handle and
 * closure) per push (docs/architecture.md, "Push path").
 *
 * Deadlines of the same length are kept in one list in the order they were added, which is their
 * deadline order because `clock.monotonic()` never goes back. The list's one timer is armed for
 * its head; when it fires, every entry that is due expires and the timer is armed for the next.
 * An entry is the list node itself (`DeadlineEntry`, extended by the caller's record), so adding
 * one allocates nothing more and cancelling it unlinks it in constant time.
 */
export abstract class DeadlineEntry {
  /** Monotonic ms at which `expired` runs; set by `DeadlineQueue.add`. */
  deadline = 0;
  private prev: DeadlineEntry | null = null;
  private next: DeadlineEntry | null = null;
  private list: DeadlineList | null = null;

  /** Called once when the deadline passes, unless cancelled first. */
  protected abstract expired(): void;

  /** Whether the entry is waiting in a queue. */
  get scheduled(): boolean {
    return this.list !== null;
  }

  /** Removes the entry from its queue; a no-op when it is not waiting. */
  cancelDeadline(): void {
    const l = this.list;
    if (l === null) return;
    if (this.prev) this.prev.next = this.next;
    else l.head = this.next;
    if (this.next) this.next.prev = this.prev;
    else l.tail = this.prev;
    this.prev = this.next = null;
    this.list = null;
    if (l.head === null) l.disarm();
  }

  /** @internal Appends to `l` (the entries of one length, in deadline order). */
  static link(e: DeadlineEntry, l: DeadlineList): void {
    e.list = l;
    e.prev = l.tail;
    e.next = null;
    if (l.tail) l.tail.next = e;
    else l.head = e;
    l.tail = e;
  }

  /** @internal Unlinks the head of `l` and runs its `expired`. */
  static expire(e: DeadlineEntry): void {
    e.cancelDeadline();
    e.expired();
  }

  /** @internal */
  static nextOf(e: DeadlineEntry): DeadlineEntry | null {
    return e.next;
  }
}

/** The entries of one deadline length and their one timer. */
class DeadlineList {
  head: DeadlineEntry | null = null;
  tail: DeadlineEntry | null = null;
  private timer: TimerHandle | null = null;

  constructor(
    /** The queue's key for this list (the deadline length, ms). */
    readonly length: number,
    private readonly clock: Clock,
    /** Called when the last entry left (the queue forgets the list). */
    private readonly onEmpty: (l: DeadlineList) => void,
  ) {}

  /** Arms the timer for the head, unless it is armed already (a late timer re-arms itself). */
  arm(): void {
    if (this.timer !== null || this.head === null) return;
    const wait = Math.max(0, this.head.deadline - this.clock.monotonic());
    this.timer = this.clock.setTimeout(() => this.fire(), wait);
  }

  /** The list is empty: no timer, and the queue forgets it. */
  disarm(): void {
    this.timer?.cancel();
    this.timer = null;
    this.onEmpty(this);
  }

  private fire(): void {
    this.timer = null;
    const now = this.clock.monotonic();
    // An `expired` may add or cancel entries; the loop re-reads the head each time.
    while (this.head !== null && this.head.deadline <= now) DeadlineEntry.expire(this.head);
    if (this.head !== null) this.arm();
  }
}

export class DeadlineQueue {
  private readonly lists = new Map<number, DeadlineList>();

  constructor(private readonly clock: Clock) {}

  private readonly forget = (l: DeadlineList): void => {
    if (this.lists.get(l.length) === l) this.lists.delete(l.length);
  };

  /** Runs `e.expired()` once `ms` have passed on the monotonic clock, unless `e.cancelDeadline()` runs first. */
  add(e: DeadlineEntry, ms: number): void {
    e.cancelDeadline();
    const len = Math.max(0, ms);
    let l = this.lists.get(len);
    if (!l) {
      l = new DeadlineList(len, this.clock, this.forget);
      this.lists.set(len, l);
    }
    e.deadline = this.clock.monotonic() + len;
    DeadlineEntry.link(e, l);
    l.arm();
  }

  /** Distinct deadline lengths with entries waiting (one timer each). */
  timers(): number {
    return this.lists.size;
  }

  /** Entries waiting, over all lengths (for tests and metrics). */
  size(): number {
    let n = 0;
    for (const l of this.lists.values()) for (let e = l.head; e !== null; e = DeadlineEntry.nextOf(e)) n++;
    return n;
  }
}
