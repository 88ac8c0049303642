import type { Clock, TimerHandle } from '../core/clock.js';
import { MinHeap } from './heap.js';

/** Why an entry is queued: a local change, a re-send after a failure, or a verify repair. */
export type SyncReason = 'change' | 'retry' | 'repair';

export interface PendingSync {
  readonly clientId: string;
  dueAt: number;
  reason: SyncReason;
  /** Bumped on every re-prioritisation; heap nodes with an older seq are stale. */
  seq: number;
}

interface HeapNode {
  readonly dueAt: number;
  readonly seq: number;
  readonly clientId: string;
}

/** One peer's queue: at most one pending entry per client (docs/protocol/distro.md §9.7), ordered by due time. */
export class PeerQueue {
  readonly pending = new Map<string, PendingSync>();
  readonly heap = new MinHeap<HeapNode>((a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq));
  inFlight = 0;
  paused = false;
  timer: TimerHandle | null = null;
  timerAt = Infinity;

  constructor(readonly peer: string) {}
}

/**
 * The delay-task engine (seed: NacosDelayTaskExecuteEngine), one queue per peer. Entries carry no
 * payload: the execute engine reads the client's *current* state when it sends, so a newer change
 * or a DELETE can never be overtaken by an older queued one (docs/protocol/distro.md §8.B3). A newer entry for a
 * client keeps the earlier due time (bursts collapse, docs/protocol/distro.md §3.2); a retry never replaces a pending
 * entry. Queues are bounded by the number of clients, and each peer has its own queue and timer,
 * so a dead peer's backlog never delays the others (docs/protocol/distro.md §8.A1).
 */
export class DistroDelayTaskEngine {
  private readonly queues = new Map<string, PeerQueue>();
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    /** Called when entries of `peer` may be due. */
    private readonly onDue: (peer: string) => void,
  ) {}

  peers(): IterableIterator<string> {
    return this.queues.keys();
  }

  queue(peer: string): PeerQueue | undefined {
    return this.queues.get(peer);
  }

  /** Sets the peer set. Returns the number of pending entries dropped with removed peers (docs/protocol/distro.md §9.9). */
  setPeers(peers: readonly { address: string; paused: boolean }[]): number {
    const keep = new Set(peers.map((p) => p.address));
    let dropped = 0;
    for (const [peer, q] of this.queues) {
      if (keep.has(peer)) continue;
      dropped += q.pending.size;
      q.timer?.cancel();
      this.queues.delete(peer);
    }
    for (const p of peers) {
      let q = this.queues.get(p.address);
      if (!q) this.queues.set(p.address, (q = new PeerQueue(p.address)));
      const resumed = q.paused && !p.paused;
      q.paused = p.paused;
      if (q.paused) this.disarm(q);
      else if (resumed) this.arm(q);
    }
    return dropped;
  }

  /** Queues `clientId` for `peer`, due in `delayMs`; merges with a pending entry (earlier due time wins). */
  add(peer: string, clientId: string, delayMs: number, reason: SyncReason): void {
    const q = this.queues.get(peer);
    if (!q) return;
    const dueAt = this.clock.monotonic() + delayMs;
    const p = q.pending.get(clientId);
    if (p) {
      if (dueAt >= p.dueAt) return;
      p.dueAt = dueAt;
      p.reason = reason;
      p.seq = ++this.seq;
      q.heap.push({ dueAt, seq: p.seq, clientId });
    } else {
      const e: PendingSync = { clientId, dueAt, reason, seq: ++this.seq };
      q.pending.set(clientId, e);
      q.heap.push({ dueAt, seq: e.seq, clientId });
    }
    this.compact(q);
    this.arm(q);
  }

  /** Queues `clientId` for every peer (except `except`). */
  addAll(clientId: string, delayMs: number, reason: SyncReason, except?: string): void {
    for (const peer of this.queues.keys()) if (peer !== except) this.add(peer, clientId, delayMs, reason);
  }

  /** Re-queues a failed entry unless a newer entry for the client is already pending (docs/protocol/distro.md §3.6, fixed). */
  retry(peer: string, clientId: string, delayMs: number): boolean {
    const q = this.queues.get(peer);
    if (!q || q.pending.has(clientId)) return false;
    this.add(peer, clientId, delayMs, 'retry');
    return true;
  }

  /** Drops every pending entry of `clientId` (nothing is left to send for it). */
  forget(clientId: string): void {
    for (const q of this.queues.values()) q.pending.delete(clientId);
  }

  /** Removes and returns the earliest due entry of `peer`, if any is due now. */
  popDue(peer: string): PendingSync | undefined {
    const q = this.queues.get(peer);
    if (!q || q.paused) return undefined;
    const now = this.clock.monotonic();
    for (;;) {
      const top = q.heap.peek();
      if (!top || top.dueAt > now) return undefined;
      q.heap.pop();
      const p = q.pending.get(top.clientId);
      if (!p || p.seq !== top.seq) continue;
      q.pending.delete(top.clientId);
      return p;
    }
  }

  /** Puts an entry taken by `popDue` back (it did not fit in the message). */
  unpop(peer: string, e: PendingSync): void {
    const q = this.queues.get(peer);
    if (!q || q.pending.has(e.clientId)) return;
    e.seq = ++this.seq;
    q.pending.set(e.clientId, e);
    q.heap.push({ dueAt: e.dueAt, seq: e.seq, clientId: e.clientId });
  }

  /** Arms the peer's timer for its earliest due entry (the execute engine calls it after a send completes). */
  arm(q: PeerQueue): void {
    if (q.paused) return;
    let top = q.heap.peek();
    while (top && q.pending.get(top.clientId)?.seq !== top.seq) {
      q.heap.pop();
      top = q.heap.peek();
    }
    if (!top) {
      this.disarm(q);
      return;
    }
    if (q.timer && q.timerAt <= top.dueAt) return;
    q.timer?.cancel();
    q.timerAt = top.dueAt;
    q.timer = this.clock.setTimeout(() => {
      q.timer = null;
      q.timerAt = Infinity;
      this.onDue(q.peer);
    }, Math.max(0, top.dueAt - this.clock.monotonic()));
  }

  size(peer: string): number {
    return this.queues.get(peer)?.pending.size ?? 0;
  }

  totalSize(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.pending.size;
    return n;
  }

  stop(): void {
    for (const q of this.queues.values()) this.disarm(q);
  }

  private disarm(q: PeerQueue): void {
    q.timer?.cancel();
    q.timer = null;
    q.timerAt = Infinity;
  }

  /** Drops stale heap nodes once they outnumber live entries. */
  private compact(q: PeerQueue): void {
    if (q.heap.size > 2 * q.pending.size + 64) q.heap.filter((n) => q.pending.get(n.clientId)?.seq === n.seq);
  }
}
