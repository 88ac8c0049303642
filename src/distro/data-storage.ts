import type { Client } from '../core/client.js';
import type { Registry } from '../core/registry.js';
import { compareStamp, type Stamp } from './hlc.js';
import { kindOfClientId, responsibleTagOf, type DistroMapper } from './mapper.js';
import { jsonSize, type ChangeEntry, type DeleteEntry, type SnapshotEntry, type SnapshotResponse, type SyncEntry } from './messages.js';

/** What Distro remembers about each ephemeral client the registry holds. */
export interface ReplicaMeta {
  /** The member believed to own the client: self when responsible, else the member that sent it (or the hash owner). */
  owner: string;
  /** The member that issued the client's current version. */
  writer: string;
  /** Lease: the last apply from, or matching verify by, the owner. Replicas not renewed for `clientExpiredMs` are dropped. */
  lastRenewed: number;
  /** A connection client created here from a live local connection (docs/protocol/distro.md §2.3 "native"). */
  native: boolean;
}

/**
 * A removed client. `strict`: the owner's deletion (or a verify proving the owner no longer has
 * it) — only a strictly later state replaces it. Weak: a local, non-authoritative drop (lease
 * expiry) — the same state may come back. `mine`: issued by this member as the owner.
 */
export interface Tombstone extends Stamp {
  readonly at: number;
  readonly strict: boolean;
  readonly mine: boolean;
  /** The deletion released a handed-over connection client (sent as `DeleteEntry.handover`). */
  readonly handover?: boolean;
}

/**
 * The data storage (seed: DistroDataStorage): an adapter over the Registry that adds per-client
 * Distro metadata (owner, writer, lease, native flag) and tombstones, answers "who is responsible",
 * and builds the state that goes on the wire (always the *current* state, read at send time).
 */
export class DistroDataStorage {
  private readonly meta = new Map<string, ReplicaMeta>();
  private readonly tombs = new Map<string, Tombstone>();
  /**
   * Connection clients deleted by a hand-over DELETE that the registry still holds until a covering
   * client arrives (docs/operations.md "Drain", step 4): gone for Distro, listed for naming.
   */
  private readonly held = new Set<string>();

  constructor(
    readonly registry: Registry,
    readonly mapper: DistroMapper,
  ) {}

  get self(): string {
    return this.mapper.self;
  }

  /** The ephemeral client with this id, if held (persistent clients are not Distro data). */
  client(id: string): Client | undefined {
    const c = this.registry.getClient(id);
    return c && c.kind !== 'persistent-ipport' && !this.held.has(id) ? c : undefined;
  }

  *clients(): IterableIterator<Client> {
    for (const c of this.registry.allClients()) if (c.kind !== 'persistent-ipport' && !this.held.has(c.id)) yield c;
  }

  /** A deleted client stays in the registry, invisible to Distro, until `unhold`. */
  hold(id: string): void {
    this.held.add(id);
  }

  /** Whether it was held. */
  unhold(id: string): boolean {
    return this.held.delete(id);
  }

  heldCount(): number {
    return this.held.size;
  }

  metaOf(id: string): ReplicaMeta | undefined {
    return this.meta.get(id);
  }

  setMeta(id: string, m: ReplicaMeta): void {
    this.meta.set(id, m);
  }

  dropMeta(id: string): void {
    this.meta.delete(id);
  }

  /** Meta of a held client, created if missing (a client the registry got some other way). */
  ensureMeta(c: Client, now: number): ReplicaMeta {
    let m = this.meta.get(c.id);
    if (!m) {
      const ipPort = c.kind === 'ephemeral-ipport';
      const owner = ipPort ? this.mapper.mapSrv(responsibleTagOf(c.id)) : this.self;
      m = { owner, writer: this.self, lastRenewed: now, native: false };
      this.meta.set(c.id, m);
    }
    return m;
  }

  tombstone(id: string): Tombstone | undefined {
    return this.tombs.get(id);
  }

  setTombstone(id: string, t: Tombstone): void {
    this.tombs.set(id, t);
  }

  dropTombstone(id: string): void {
    this.tombs.delete(id);
  }

  tombstones(): IterableIterator<[string, Tombstone]> {
    return this.tombs.entries();
  }

  tombstoneCount(): number {
    return this.tombs.size;
  }

  /** The (version, writer) of a held client. */
  stampOf(c: Client): Stamp {
    return { version: c.revision, writer: this.meta.get(c.id)?.writer ?? this.self };
  }

  /**
   * docs/protocol/distro.md §2.3/§2.2: a connection client is ours iff we hold its connection (native); an ip-port
   * client iff the hash rule over our healthy list says so; persistent clients are never Distro's.
   */
  isResponsible(id: string): boolean {
    switch (kindOfClientId(id)) {
      case 'connection':
        return this.meta.get(id)?.native === true;
      case 'ephemeral-ipport':
        return this.mapper.responsibleTag(responsibleTagOf(id));
      default:
        return false;
    }
  }

  /** The member an ip-port client belongs to in our view (self when responsible). */
  hashOwner(id: string): string {
    return this.mapper.responsibleTag(responsibleTagOf(id)) ? this.self : this.mapper.mapSrv(responsibleTagOf(id));
  }

  changeEntry(c: Client): ChangeEntry {
    return { op: 'change', data: c.toSyncData(), writer: this.stampOf(c).writer };
  }

  /**
   * What this member may send for `id` now, as the responsible member: the client's current state if
   * it holds it and is responsible; its deletion if it holds an authoritative tombstone it issued, or
   * one it may speak for as the current hash owner; nothing otherwise (no echo, docs/protocol/distro.md §9.6).
   */
  outgoingEntry(id: string): SyncEntry | undefined {
    const c = this.client(id);
    if (c) return this.isResponsible(id) ? this.changeEntry(c) : undefined;
    const t = this.tombs.get(id);
    if (!t || !t.strict) return undefined;
    if (t.mine || (kindOfClientId(id) === 'ephemeral-ipport' && this.isResponsible(id))) return deleteEntry(id, t);
    return undefined;
  }

  /** Our state of `id` to report to a peer that sent an older one: held data, or an authoritative deletion. */
  reportEntry(id: string): SyncEntry | undefined {
    const c = this.client(id);
    if (c) return this.changeEntry(c);
    const t = this.tombs.get(id);
    return t?.strict ? deleteEntry(id, t) : undefined;
  }

  /** Ephemeral clients this member is responsible for, with their stamps (the verify list). */
  responsibleStamps(): { id: string; stamp: Stamp }[] {
    const out: { id: string; stamp: Stamp }[] = [];
    for (const c of this.clients()) if (this.isResponsible(c.id)) out.push({ id: c.id, stamp: this.stampOf(c) });
    return out;
  }

  /**
   * One chunk of the snapshot: every held ephemeral client (native and replicas, as Nacos) plus
   * authoritative tombstones, with id > cursor, in id order, up to ~maxBytes (at least one entry).
   */
  snapshotChunk(cursor: string | null, maxBytes: number, now: number, loaded: boolean): SnapshotResponse {
    const ids = new Set<string>();
    for (const c of this.clients()) if (cursor === null || c.id > cursor) ids.add(c.id);
    for (const [id, t] of this.tombs) if (t.strict && (cursor === null || id > cursor)) ids.add(id);
    const sorted = [...ids].sort();
    const entries: SnapshotEntry[] = [];
    let bytes = 0;
    let i = 0;
    for (; i < sorted.length; i++) {
      const id = sorted[i]!;
      const e = this.snapshotEntry(id, now);
      if (!e) continue;
      const size = jsonSize(e);
      if (entries.length > 0 && bytes + size > maxBytes) break;
      entries.push(e);
      bytes += size;
    }
    const next = i < sorted.length && entries.length > 0 ? entryId(entries[entries.length - 1]!) : null;
    return { type: 'snapshot-chunk', loaded, entries, next };
  }

  private snapshotEntry(id: string, now: number): SnapshotEntry | undefined {
    const c = this.client(id);
    if (c) {
      const responsible = this.isResponsible(id);
      const m = this.ensureMeta(c, now);
      return { ...this.changeEntry(c), owner: responsible ? this.self : m.owner, age: responsible ? 0 : Math.max(0, now - m.lastRenewed) };
    }
    const t = this.tombs.get(id);
    return t?.strict ? deleteEntry(id, t) : undefined;
  }
}

export function deleteEntry(id: string, s: Stamp & { readonly handover?: boolean }): DeleteEntry {
  const e: DeleteEntry = { op: 'delete', clientId: id, version: s.version, writer: s.writer };
  return s.handover ? { ...e, handover: true } : e;
}

export function entryId(e: SyncEntry): string {
  return e.op === 'change' ? e.data.clientId : e.clientId;
}

export function entryStamp(e: SyncEntry): Stamp {
  return e.op === 'change' ? { version: e.data.revision, writer: e.writer } : { version: e.version, writer: e.writer };
}

/** Whether a tombstone blocks a state: strict ones block everything not strictly later, weak ones only earlier states. */
export function tombstoneBlocks(t: Tombstone, s: Stamp): boolean {
  const c = compareStamp(s, t);
  return c < 0 || (c === 0 && t.strict);
}
