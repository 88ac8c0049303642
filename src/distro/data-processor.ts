import type { Clock } from '../core/clock.js';
import type { DistroConfig } from './config.js';
import { bucketOf, bucketDigests } from './digest.js';
import { deleteEntry, entryId, entryStamp, tombstoneBlocks, type DistroDataStorage, type ReplicaMeta, type Tombstone } from './data-storage.js';
import { compareStamp, type HybridLogicalClock, type Stamp } from './hlc.js';
import { kindOfClientId } from './mapper.js';
import type {
  SnapshotEntry,
  SyncEntry,
  SyncRequest,
  SyncResponse,
  VerifyDigestRequest,
  VerifyDigestResponse,
  VerifyListRequest,
  VerifyListResponse,
} from './messages.js';
import type { DistroCounters } from './stats.js';

export type ApplyResult = 'applied' | 'same' | 'stale' | 'ignored';

interface ApplyOptions {
  /** Recorded owner for a replica (default: the sender). */
  owner?: string;
  /** Lease start for a replica (default: now). */
  renewedAt?: number;
  /**
   * Snapshot load: never removes a held client (docs/protocol/distro.md §9.11), and does not pass adopted states on
   * (the responder has them; verify spreads anything newer).
   */
  snapshot?: boolean;
}

/**
 * The data processor (seed: DistroClientDataProcessor): applies received states with the version
 * rule, answers verify, loads snapshot entries. Replaces Nacos' "last message wins" apply (docs/protocol/distro.md §3.7,
 * §8.A15) with: a state replaces the held one only if its (version, writer) is later; deletions
 * leave tombstones so a late CHANGE cannot resurrect a client (§8.B3-4).
 *
 * The protected one-line rules (`order`, `blocks`, `verifyOrder`, `digestsOf`, `renewLease`,
 * `rememberDelete`) exist so the simulator's mutation tests can break one rule in a test subclass
 * (test/sim/distro-mutants.ts); production never overrides them.
 */
export class DistroDataProcessor {
  /**
   * A hand-over DELETE removes a held connection replica: return true to keep it listed (the
   * caller then removes it through `DistroProtocol.releaseHeld`). None: removed at once.
   */
  private holdHandedOver: ((clientId: string) => boolean) | null = null;

  constructor(
    private readonly storage: DistroDataStorage,
    private readonly hlc: HybridLogicalClock,
    private readonly clock: Clock,
    private readonly config: DistroConfig,
    private readonly counters: DistroCounters,
    /** A state was applied to an ip-port client this member is responsible for: pass it on to the other peers. */
    private readonly onResponsibleApplied: (clientId: string, from: string) => void,
  ) {}

  setHandoverHold(hold: (clientId: string) => boolean): void {
    this.holdHandedOver = hold;
  }

  // ------------------------------------------------------------------ sync

  handleSync(req: SyncRequest): SyncResponse {
    if (!Array.isArray(req.entries)) throw new Error('sync: entries must be an array');
    const now = this.clock.monotonic();
    const newer: SyncEntry[] = [];
    const failed: string[] = [];
    for (const e of req.entries) {
      let id = '';
      try {
        id = entryId(e);
        if (this.apply(e, req.from, now) === 'stale') {
          const ours = this.storage.reportEntry(id);
          if (ours) newer.push(ours);
        }
      } catch {
        // docs/protocol/distro.md §8.B5: a failed apply is reported, never acknowledged as success; the sender retries it.
        this.counters.applyErrors++;
        failed.push(id);
      }
    }
    return { type: 'sync-ack', newer, failed };
  }

  /** Applies one received state (sync, verify answer, snapshot) under the version rule. */
  apply(e: SyncEntry, from: string, now: number, opts: ApplyOptions = {}): ApplyResult {
    const id = entryId(e);
    const kind = kindOfClientId(id);
    if (kind === 'persistent-ipport') throw new Error(`not a Distro client: ${id}`);
    if (e.op === 'change' && e.data.kind !== kind) throw new Error(`client ${id} has kind ${e.data.kind}, expected ${kind}`);
    const stamp = entryStamp(e);
    if (!Number.isSafeInteger(stamp.version) || typeof stamp.writer !== 'string') throw new Error(`bad version for ${id}`);
    this.hlc.observe(stamp.version);
    // docs/protocol/distro.md §2.3: the member holding a connection is its only writer; nothing from outside replaces it.
    if (kind === 'connection' && this.storage.metaOf(id)?.native) {
      this.counters.ignored++;
      return 'ignored';
    }
    return e.op === 'change' ? this.applyChange(e.data.clientId, e, stamp, from, now, opts) : this.applyDelete(id, { ...stamp, handover: e.handover === true }, from, now, opts);
  }

  private applyChange(id: string, e: SyncEntry & { op: 'change' }, stamp: Stamp, from: string, now: number, opts: ApplyOptions): ApplyResult {
    const held = this.storage.client(id);
    if (held) {
      const c = this.order(stamp, this.storage.stampOf(held));
      if (c < 0) {
        this.counters.stale++;
        return 'stale';
      }
      if (c === 0) {
        this.counters.duplicates++;
        this.renew(id, from, now, opts);
        return 'same';
      }
    } else {
      const t = this.storage.tombstone(id);
      if (t && this.blocks(t, stamp)) {
        this.counters.stale++;
        return 'stale';
      }
    }
    this.storage.registry.applySyncData(e.data, now);
    this.storage.dropTombstone(id);
    const responsible = this.storage.isResponsible(id);
    const ipPort = kindOfClientId(id) === 'ephemeral-ipport';
    const owner = responsible ? this.storage.self : (opts.owner ?? from);
    this.storage.setMeta(id, { owner, writer: stamp.writer, lastRenewed: opts.renewedAt ?? now, native: false });
    this.counters.applied++;
    if (responsible && ipPort) {
      // We own it (ownership moved here, or two members claim it while views differ): fresh heartbeat
      // grace, and the other replicas get the adopted state from us.
      const client = this.storage.client(id);
      if (client) for (const sid of client.publishes.keys()) client.lastBeat.set(sid, now);
      if (!opts.snapshot) this.onResponsibleApplied(id, from);
    }
    return 'applied';
  }

  private applyDelete(id: string, stamp: Stamp & { handover: boolean }, from: string, now: number, opts: ApplyOptions): ApplyResult {
    const held = this.storage.client(id);
    const responsible = this.storage.isResponsible(id) && kindOfClientId(id) === 'ephemeral-ipport';
    if (held) {
      if (opts.snapshot) return 'ignored';
      const c = this.order(stamp, this.storage.stampOf(held));
      if (c < 0) {
        this.counters.stale++;
        return 'stale';
      }
      if (c === 0) {
        this.counters.duplicates++;
        return 'same';
      }
      this.storage.setTombstone(id, { ...stamp, at: now, strict: true, mine: false });
      this.storage.dropMeta(id);
      // docs/operations.md "Drain", step 4: a released hand-over stays listed here until this member
      // holds the client that covers it (the owner's DELETE may overtake the new owner's sync).
      if (stamp.handover && kindOfClientId(id) === 'connection' && this.holdHandedOver?.(id)) {
        this.storage.hold(id);
        this.counters.handoverHolds++;
      } else this.storage.registry.removeClient(id, now, 'replica');
      this.counters.appliedDeletes++;
      if (responsible) this.onResponsibleApplied(id, from);
      return 'applied';
    }
    const t = this.storage.tombstone(id);
    if (t && this.blocks(t, stamp)) {
      if (compareStamp(stamp, t) === 0) {
        this.counters.duplicates++;
        return 'same';
      }
      this.counters.stale++;
      return 'stale';
    }
    // Remember the deletion even for a client we never saw: a CHANGE delayed behind it must not create it.
    this.rememberDelete(id, { ...stamp, at: now, strict: true, mine: false });
    this.counters.appliedDeletes++;
    if (responsible && !opts.snapshot) this.onResponsibleApplied(id, from);
    return 'applied';
  }

  /** The version rule: > 0 when `incoming` is later than `held`. */
  protected order(incoming: Stamp, held: Stamp): number {
    return compareStamp(incoming, held);
  }

  /** Whether a tombstone keeps a received state out. */
  protected blocks(t: Tombstone, s: Stamp): boolean {
    return tombstoneBlocks(t, s);
  }

  /** Records the deletion of a client this member does not hold (docs/distro.md, "Replica rule"). */
  protected rememberDelete(id: string, t: Tombstone): void {
    this.storage.setTombstone(id, t);
  }

  /** Verify: > 0 when the owner's listed state is later than the held one, 0 when they match. */
  protected verifyOrder(listed: Stamp, held: Stamp): number {
    return compareStamp(listed, held);
  }

  /** Verify digests of the replicas recorded as the sender's (must match the sender's computation). */
  protected digestsOf(items: Iterable<{ id: string; stamp: Stamp }>, buckets: number): Map<number, [number, number]> {
    return bucketDigests(items, buckets);
  }

  /** A matching verify renews a replica's lease and confirms its owner. */
  protected renewLease(m: ReplicaMeta, owner: string, now: number): void {
    m.owner = owner;
    m.lastRenewed = now;
    this.counters.leasesRenewed++;
  }

  private renew(id: string, from: string, now: number, opts: ApplyOptions): void {
    if (this.storage.isResponsible(id)) return;
    const m = this.storage.metaOf(id);
    if (!m) return;
    m.owner = opts.owner ?? from;
    m.lastRenewed = Math.max(m.lastRenewed, opts.renewedAt ?? now);
  }

  // ------------------------------------------------------------------ verify (receiver side)

  /**
   * Digest verify (step 1): compare the sender's bucket digests with our replicas recorded as the
   * sender's. Matching buckets renew those replicas' leases; mismatched ones are returned.
   */
  handleVerifyDigest(req: VerifyDigestRequest): VerifyDigestResponse {
    const B = req.buckets;
    if (!Number.isInteger(B) || B <= 0 || !Array.isArray(req.digests)) throw new Error('verify-digest: bad buckets');
    const now = this.clock.monotonic();
    this.hlc.observe(req.asOf);
    const replicas = [...this.replicasOf(req.from)];
    const ours = this.digestsOf(replicas, B);
    const theirs = new Map<number, [number, number]>();
    for (const [b, count, digest] of req.digests) theirs.set(b, [count, digest]);
    const mismatched: number[] = [];
    for (const [b, [count, digest]] of theirs) {
      const o = ours.get(b);
      if (!o || o[0] !== count || o[1] !== digest) mismatched.push(b);
    }
    for (const b of ours.keys()) if (!theirs.has(b)) mismatched.push(b);
    const bad = new Set(mismatched);
    for (const { id } of replicas) {
      if (bad.has(bucketOf(id, B))) continue;
      const m = this.storage.metaOf(id);
      if (m) this.renewLease(m, m.owner, now);
    }
    return { type: 'verify-digest-result', mismatched: mismatched.sort((a, b) => a - b) };
  }

  /**
   * Per-client verify (the whole list, or digest step 2 for some buckets). Matching replicas are
   * renewed; missing or older ones are asked for (`need`); later ones are returned (`newer`).
   * Connection replicas recorded as the sender's, in scope, absent from the list and older than
   * `asOf` are removed at once: the owner no longer has them (e.g. it restarted). Ip-port clients are
   * not removed this way (ownership moves; they rely on the lease) but are reported as `extra`.
   */
  handleVerifyList(req: VerifyListRequest): VerifyListResponse {
    if (!Array.isArray(req.clients)) throw new Error('verify-list: clients must be an array');
    const now = this.clock.monotonic();
    this.hlc.observe(req.asOf);
    const need: string[] = [];
    const newer: SyncEntry[] = [];
    const extra: string[] = [];
    const listed = new Set<string>();
    for (const [id, version, writer] of req.clients) {
      listed.add(id);
      this.hlc.observe(version);
      const stamp: Stamp = { version, writer: writer ?? req.from };
      const m = this.storage.metaOf(id);
      if (m?.native) continue;
      const held = this.storage.client(id);
      if (held) {
        const c = this.verifyOrder(stamp, this.storage.stampOf(held));
        if (c === 0) {
          if (!this.storage.isResponsible(id) && m) this.renewLease(m, req.from, now);
        } else if (c > 0) need.push(id);
        else newer.push(this.storage.changeEntry(held));
        continue;
      }
      const t = this.storage.tombstone(id);
      if (t?.strict && compareStamp(stamp, t) < 0) newer.push(deleteEntry(id, t));
      else need.push(id);
    }
    const scope = req.scope && req.buckets ? new Set(req.scope) : null;
    for (const { id, stamp } of [...this.replicasOf(req.from)]) {
      if (listed.has(id)) continue;
      if (scope && !scope.has(bucketOf(id, req.buckets!))) continue;
      if (kindOfClientId(id) !== 'connection') {
        extra.push(id);
        continue;
      }
      if (stamp.version < req.asOf) {
        // The owner's state as of `asOf` lacks the client: an authoritative deletion.
        this.storage.setTombstone(id, { version: req.asOf, writer: req.from, at: now, strict: true, mine: false });
        this.storage.dropMeta(id);
        this.storage.registry.removeClient(id, now, 'replica');
        this.counters.removedByAsOf++;
      }
    }
    return { type: 'verify-list-result', need, newer, extra };
  }

  /** Replicas recorded as `owner`'s (never native or own clients). */
  private *replicasOf(owner: string): IterableIterator<{ id: string; stamp: Stamp }> {
    for (const c of this.storage.clients()) {
      const m = this.storage.metaOf(c.id);
      if (m && !m.native && m.owner === owner) yield { id: c.id, stamp: { version: c.revision, writer: m.writer } };
    }
  }

  // ------------------------------------------------------------------ snapshot (load side)

  /**
   * Applies one snapshot entry: the version rule, never removing a held client (docs/protocol/distro.md §9.11).
   * Connection clients recorded as owned by this very member are leftovers of its previous life and
   * are skipped (our own verify removes them from the peers).
   */
  applySnapshotEntry(e: SnapshotEntry, from: string, now: number): ApplyResult {
    if (e.op === 'delete') return this.apply(e, from, now, { snapshot: true });
    const id = e.data.clientId;
    const ipPort = kindOfClientId(id) === 'ephemeral-ipport';
    if (!ipPort && e.owner === this.storage.self) return 'ignored';
    const age = Math.min(Math.max(0, Number(e.age) || 0), this.config.clientExpiredMs);
    const owner = ipPort ? this.storage.hashOwner(id) : typeof e.owner === 'string' ? e.owner : from;
    const change: SyncEntry = { op: 'change', data: e.data, writer: e.writer };
    const r = this.apply(change, from, now, { owner, renewedAt: now - age, snapshot: true });
    if (r === 'applied') this.counters.snapshotEntriesLoaded++;
    return r;
  }
}
