import type { NodeId, ReadState } from './types.js';

interface PendingRead {
  ctx: string;
  index: number;
  acks: Set<NodeId>;
}

/**
 * The leader's queue of ReadIndex requests waiting for a heartbeat round to confirm leadership
 * (thesis §6.4). Heartbeats carry the ctx of the newest pending read; a quorum of acks for a read
 * releases it and every read queued before it (leadership was confirmed after they arrived).
 */
export class ReadOnlyQueue {
  private pending: PendingRead[] = [];

  add(ctx: string, index: number, self: NodeId): void {
    this.pending.push({ ctx, index, acks: new Set([self]) });
  }

  /** ctx to put on the next heartbeat ('' if nothing is waiting). */
  lastCtx(): string {
    return this.pending.at(-1)?.ctx ?? '';
  }

  /** Records `from`'s ack of `ctx`; returns the reads released by it. */
  ack(ctx: string, from: NodeId, isVoter: (id: NodeId) => boolean, quorum: number): ReadState[] {
    const i = this.pending.findIndex((r) => r.ctx === ctx);
    if (i < 0) return [];
    const r = this.pending[i]!;
    if (isVoter(from)) r.acks.add(from);
    let n = 0;
    for (const a of r.acks) if (isVoter(a)) n++;
    if (n < quorum) return [];
    return this.pending.splice(0, i + 1).map((done) => ({ ctx: done.ctx, index: done.index }));
  }

  /** Leadership lost: pending reads are never answered (clients time out and retry). */
  clear(): void {
    this.pending = [];
  }
}
