/**
 * Client hand-over: keeps the instances of an SDK connection this member closed on purpose (drain,
 * rebalance) until the SDK has registered them again through a new connection, on any member.
 *
 * Without it, closing a connection removes its client at once (docs/protocol/distro.md §4.1), every
 * subscriber is pushed a list without those instances, and they come back only when the SDK has
 * reconnected and replayed its registrations (Rust SDK: ~3 s to reconnect + the 3 s redo tick,
 * docs/protocol/grpc.md §3.9/§8.4). A retained client stays in the registry as this member's native client, so
 * Distro keeps replicating and verifying it (the peers' replicas keep their leases). It is released
 * (removed, which Distro turns into a DELETE on every member) as soon as every instance it publishes
 * is also published by another client that is not itself retained and that this member first saw
 * after it — the SDK's new registration, seen locally or through a Distro sync — or when it has
 * waited `timeoutMs` (the SDK is gone).
 * The service views show one copy of an instance published twice (Registry.instancesOf), so the
 * overlap is invisible to subscribers.
 */
import type { Client } from '../core/client.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Registry } from '../core/registry.js';

export interface HandoverOptions {
  /** Longest a retained client waits for its SDK to register elsewhere. */
  timeoutMs: number;
  /** Period of the "registered elsewhere?" check. */
  checkIntervalMs: number;
  /**
   * How long the new registration must have been seen before the old client is released: the
   * release becomes a Distro DELETE to every peer, which should not overtake the new member's sync
   * of the new registration. Peers with the hand-over rule keep the client until covered anyway
   * (`hold`); the grace still shields older members and a peer that misses the DELETE itself.
   */
  coverGraceMs?: number;
}

export interface HandoverStats {
  retained: number;
  /** Released because the SDK registered its instances again. */
  handedOver: number;
  /** Released after `timeoutMs` without a new registration. */
  timedOut: number;
}

export type ReleaseReason = 'handed-over' | 'timeout' | 'empty' | 'forced';

export class ClientHandover {
  /** Connection ids this member is closing on purpose (marked before the close). */
  private readonly marked = new Set<string>();
  /**
   * Retained client id -> since (ms), since when another client covers it (null: not covered), and
   * `held`: a peer's replica kept after its owner's hand-over DELETE (see `hold`), not ours.
   */
  private readonly retained = new Map<string, { since: number; coveredAt: number | null; held: boolean }>();
  /** The client whose hand-over release is being removed right now (its DELETE is marked). */
  private releasingId: string | null = null;
  /** Removes a held replica (Distro's `releaseHeld`); none outside a cluster. */
  private releaseHeld: ((clientId: string) => void) | null = null;
  private timer: TimerHandle | null = null;
  private readonly counters = { handedOver: 0, timedOut: 0 };

  /**
   * @param release removes a client for good (the naming layer's "connection closed": drops its
   *   instances and subscriptions; Distro sends the DELETE).
   */
  constructor(
    private readonly registry: Registry,
    private readonly clock: Clock,
    private readonly opts: HandoverOptions,
    private readonly release: (clientId: string, reason: ReleaseReason) => void,
  ) {}

  /** The next close of this connection is a hand-over, not a disconnect. */
  mark(connectionId: string): void {
    this.marked.add(connectionId);
  }

  /** The move did not happen (no such connection). */
  unmark(connectionId: string): void {
    this.marked.delete(connectionId);
  }

  /**
   * The connection closed. Returns true if its client is now retained (the caller must not remove
   * it); false for an ordinary disconnect.
   */
  onClosed(connectionId: string): boolean {
    if (!this.marked.delete(connectionId)) return false;
    const c = this.registry.getClient(connectionId);
    if (!c || c.publishes.size === 0) return false;
    this.retained.set(connectionId, { since: this.clock.monotonic(), coveredAt: null, held: false });
    this.ensureTimer();
    return true;
  }

  /** Where held replicas go when released (Distro's `releaseHeld`). */
  setReleaseHeld(release: (clientId: string) => void): void {
    this.releaseHeld = release;
  }

  /**
   * The peer side (docs/operations.md "Drain", step 4): the owner of replica `clientId` released it
   * as handed over, and its DELETE may have arrived before the sync of the client that covers it.
   * Returns true if the client is kept listed until a client this member first saw after it
   * covers it (at once when one already does), at most `timeoutMs`; false when there is nothing to
   * keep (the caller removes it).
   */
  hold(clientId: string): boolean {
    const c = this.registry.getClient(clientId);
    if (!this.releaseHeld || !c || c.publishes.size === 0 || this.coveredElsewhere(c)) return false;
    this.retained.set(clientId, { since: this.clock.monotonic(), coveredAt: null, held: true });
    this.ensureTimer();
    return true;
  }

  /** True while this member removes a client it handed over (Distro marks that DELETE). */
  isReleasing(clientId: string): boolean {
    return this.releasingId === clientId;
  }

  isRetained(clientId: string): boolean {
    return this.retained.has(clientId);
  }

  /** Our retained clients (held replicas of peers' clients are not moves of ours). */
  pending(): number {
    let n = 0;
    for (const r of this.retained.values()) if (!r.held) n++;
    return n;
  }

  /** Peers' clients held after their hand-over DELETE. */
  heldReplicas(): number {
    return this.retained.size - this.pending();
  }

  stats(): HandoverStats {
    return { retained: this.pending(), ...this.counters };
  }

  /** One round: releases every retained client that was registered elsewhere or waited too long. */
  check(): void {
    const now = this.clock.monotonic();
    const grace = this.opts.coverGraceMs ?? 0;
    for (const [id, r] of [...this.retained]) {
      const c = this.registry.getClient(id);
      if (!c) {
        this.retained.delete(id);
        if (r.held) this.releaseHeld?.(id);
        continue;
      }
      let reason: ReleaseReason | null = null;
      if (c.publishes.size === 0) reason = 'empty';
      else if (this.coveredElsewhere(c)) {
        r.coveredAt ??= now;
        // A held replica goes as soon as it is covered here: this member's own list is complete.
        if (r.held || now - r.coveredAt >= grace) reason = 'handed-over';
      } else r.coveredAt = null;
      if (!reason && now - r.since >= this.opts.timeoutMs) reason = 'timeout';
      if (reason) this.doRelease(id, reason);
    }
    if (this.retained.size === 0) this.stopTimer();
  }

  /** Releases everything still retained (the member is leaving). */
  releaseAll(): void {
    for (const id of [...this.retained.keys()]) this.doRelease(id, 'forced');
    this.marked.clear();
    this.stopTimer();
  }

  stop(): void {
    this.stopTimer();
  }

  /**
   * Every instance of `c` is published, with the same ip, port and cluster, by a client that this
   * member first saw after `c` (a higher `Client.seq`) and that is not retained itself.
   *
   * The order rule: the SDK's new registration is always first seen after its old connection, so
   * it qualifies; a client seen before `c` does not — e.g. the replica of an earlier connection of
   * the same SDK whose own hand-over DELETE is on its way here. Counting it would release `c` now
   * and leave nothing once that DELETE lands. A retained client never covers: in a chain A→B→C
   * (B moved again before A was released) A waits for C with B (docs/operations.md "Drain").
   */
  private coveredElsewhere(c: Client): boolean {
    for (const [sid, rec] of c.publishes) {
      const svc = this.registry.getServiceById(sid);
      if (!svc) return false;
      for (const inst of rec.instances) {
        let found = false;
        for (const pid of svc.publishers) {
          if (pid === c.id || this.retained.has(pid)) continue;
          const client = this.registry.getClient(pid);
          if (!client || client.seq <= c.seq) continue;
          const other = client.publishes.get(sid);
          if (other?.instances.some((o) => o.ip === inst.ip && o.port === inst.port && o.clusterName === inst.clusterName)) {
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
    }
    return true;
  }

  private doRelease(id: string, reason: ReleaseReason): void {
    const held = this.retained.get(id)?.held === true;
    this.retained.delete(id);
    if (held) {
      this.releaseHeld?.(id);
      return;
    }
    if (reason === 'handed-over') this.counters.handedOver++;
    else if (reason === 'timeout' || reason === 'forced') this.counters.timedOut++;
    this.releasingId = reason === 'handed-over' ? id : null;
    try {
      this.release(id, reason);
    } finally {
      this.releasingId = null;
    }
  }

  private ensureTimer(): void {
    if (!this.timer) this.timer = this.clock.setInterval(() => this.check(), this.opts.checkIntervalMs);
  }

  private stopTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
