import { compareStamp, type Stamp } from '../../src/distro/hlc.js';

/** The latest DELETE of one client a member was delivered (or put on the wire itself), and when. */
export interface DeleteRecord {
  readonly stamp: Stamp;
  readonly at: number;
  readonly via: 'delivered' | 'sent';
  readonly from: string;
}

/**
 * What the simulated network carried, per member incarnation (`address#incarnation`): the latest
 * DELETE of each client that reached the member in a sync request (every copy: first, duplicate,
 * late duplicate) or that the member sent itself. The checker learns "this member knows the client
 * is deleted" from here, never from the member's own tombstones (docs/distro.md, "Checker
 * independence").
 */
export class DeliveryLog {
  private readonly deletes = new Map<string, Map<string, DeleteRecord>>();
  private readonly fresh = new Map<string, Set<string>>();
  delivered = 0;

  /** Records a DELETE; only a later stamp replaces the recorded one (an equal one keeps the first time). */
  recordDelete(member: string, id: string, stamp: Stamp, at: number, via: DeleteRecord['via'], from: string): void {
    if (via === 'delivered') this.delivered++;
    let m = this.deletes.get(member);
    if (!m) this.deletes.set(member, (m = new Map()));
    const prev = m.get(id);
    if (prev && compareStamp(stamp, prev.stamp) <= 0) return;
    m.set(id, { stamp: { version: stamp.version, writer: stamp.writer }, at, via, from });
    let f = this.fresh.get(member);
    if (!f) this.fresh.set(member, (f = new Set()));
    f.add(id);
  }

  deleteOf(member: string, id: string): DeleteRecord | undefined {
    return this.deletes.get(member)?.get(id);
  }

  /** Client ids whose record changed since the last call (to check them after the current event). */
  takeFresh(member: string): ReadonlySet<string> | undefined {
    const f = this.fresh.get(member);
    if (f) this.fresh.delete(member);
    return f;
  }

  /** Number of clients with a DELETE recorded at or after `since`. */
  countSince(member: string, since: number): number {
    let n = 0;
    for (const r of this.deletes.get(member)?.values() ?? []) if (r.at >= since) n++;
    return n;
  }
}
