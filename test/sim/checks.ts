import type { Client } from '../../src/core/client.js';
import { compareStamp, type Stamp } from '../../src/distro/hlc.js';
import { kindOfClientId, responsibleTagOf } from '../../src/distro/mapper.js';
import { contentKey, type SimCluster, type SimMember } from './cluster.js';
import { DeliveryLog } from './deliveries.js';

export interface Violation {
  readonly at: number;
  readonly rule: string;
  readonly detail: string;
}

/** Time bounds the checks enforce (ms); derived from the scenario's settings, see docs/distro.md. */
export interface Bounds {
  /** Sync delay D (for the batching rule). */
  readonly syncDelay: number;
  /** A change on an owner is on every live member within this, with healthy links. */
  readonly sync: number;
  /** Replica lease E. */
  readonly expiry: number;
  /** Verify interval V. */
  readonly verify: number;
  /** Lease sweep period C. */
  readonly sweep: number;
}

/** The last state the checker saw a member hold for a client, and whether it still holds it. */
interface Track {
  stamp: Stamp;
  present: boolean;
  at: number;
}

type Phase = 'chaos' | 'settle' | 'healthy' | 'quiet';

/**
 * Invariants of docs/protocol/distro.md §9, checked continuously (every event, every message) and at checkpoints.
 * The first violations are kept; `stopOnFirst` lets seed sweeps end a failing run early.
 *
 * Independence (docs/distro.md, "Checker independence"): what a member *should* hold is learned
 * from what the simulated network delivered (`DeliveryLog`), what the member put on the wire, what
 * clients did and what the checker itself saw the member hold before — never from the member's
 * Distro bookkeeping (tombstones, leases, counters). Only the observed side (which clients a
 * member holds, at which stamp, with which content, and who it thinks is responsible) is read
 * from the members.
 */
export class Checker {
  readonly violations: Violation[] = [];
  phase: Phase = 'chaos';
  /** From this time on, links are healthy: timeliness and lease rules apply. */
  healthyFrom = Infinity;
  private readonly produced = new Map<string, Map<string, string>>();
  private readonly track = new Map<string, Map<string, Track>>();
  private readonly lastChangeSend = new Map<string, number>();
  /** When the network last delivered a sync request `from>to` (queue bounds of unreachable peers). */
  private readonly lastSyncDelivered = new Map<string, number>();
  private readonly lastChange = new Map<string, number>();
  /** `address#incarnation|id` → since when the member has held the client without a gap (any version). */
  private readonly heldSince = new Map<string, number>();
  /** `address#incarnation|id`: the member removed the client locally as its owner (it may send its DELETE). */
  private readonly issued = new Set<string>();
  readonly deliveries = new DeliveryLog();
  checks = 0;

  constructor(
    private readonly cluster: SimCluster,
    private readonly bounds: Bounds,
  ) {}

  get failed(): boolean {
    return this.violations.length > 0;
  }

  fail(rule: string, detail: string): void {
    if (this.violations.length < 20) this.violations.push({ at: this.cluster.sched.now, rule, detail });
  }

  private now(): number {
    return this.cluster.sched.now;
  }

  install(): void {
    const c = this.cluster;
    c.onRegistryEvent = (m, client, removed, origin) => this.onRegistryEvent(m, client, removed, origin);
    c.observerFor = (m) => {
      const inc = m.incarnation;
      return {
        syncSent: (target, entries, reasons) => {
          this.checks++;
          for (let i = 0; i < entries.length; i++) {
            const e = entries[i]!;
            const id = e.op === 'change' ? e.data.clientId : e.clientId;
            const stamp: Stamp = e.op === 'change' ? { version: e.data.revision, writer: e.writer } : e;
            const st = m.distro.storage;
            const held = st.client(id);
            if (e.op === 'change') {
              // §9.6 no echo, §9.7 the state sent is the sender's current one.
              if (!held || compareStamp(st.stampOf(held), stamp) !== 0) this.fail('latest-state', `${m.address} sent ${id}@${fmt(stamp)} but holds ${held ? fmt(st.stampOf(held)) : 'nothing'}`);
              if (!m.distro.isResponsible(id)) this.fail('no-echo', `${m.address} sent ${id} without being responsible`);
            } else {
              const last = this.track.get(this.key(m))?.get(id);
              if (held) this.fail('latest-state', `${m.address} sent DELETE ${id}@${fmt(stamp)} but holds ${fmt(st.stampOf(held))}`);
              else if (last && compareStamp(stamp, last.stamp) <= 0) this.fail('latest-state', `${m.address} sent DELETE ${id}@${fmt(stamp)} not above the ${fmt(last.stamp)} it held`);
              else if (!this.issued.has(`${this.key(m)}|${id}`) && !m.distro.isResponsible(id)) this.fail('no-echo', `${m.address} sent DELETE ${id} it neither issued nor owns`);
              this.deliveries.recordDelete(this.key(m), id, stamp, this.now(), 'sent', m.address);
            }
            if (reasons[i] === 'change') {
              // §9.8: bursts collapse — one send per client and peer per sync-delay window.
              const k = `${m.address}#${inc}>${target}|${id}`;
              const last = this.lastChangeSend.get(k);
              if (last !== undefined && this.now() - last < this.bounds.syncDelay) this.fail('batching', `${m.address}→${target} ${id} sent twice within ${this.now() - last} ms`);
              this.lastChangeSend.set(k, this.now());
            }
          }
        },
      };
    };
    c.net.onSend = (from, to, req) => {
      this.checks++;
      const m = c.members.get(from);
      if (!m || !m.alive) return;
      if (c.settings.standalone) this.fail('standalone-traffic', `${from} sent ${req.type}`);
      const st = m.view.get(to);
      // §9.9: nothing to a member gone from the list; DOWN members get nothing either.
      if (st === undefined || st === 'DOWN') this.fail('send-target', `${from} sent ${req.type} to ${to} (${st ?? 'not in list'})`);
      // §9.11: no verify before load.
      if ((req.type === 'verify-digest' || req.type === 'verify-list') && !m.distro.isLoaded()) this.fail('load-gating', `${from} sent ${req.type} before loading`);
    };
    c.onRequest = (m, req) => {
      if (req.type !== 'sync' || !Array.isArray(req.entries)) return;
      this.lastSyncDelivered.set(`${req.from}>${m.address}`, this.now());
      for (const e of req.entries) {
        if (e.op !== 'delete') continue;
        // The member holding a connection is its only writer (docs/protocol/distro.md §2.3): it rightly ignores DELETEs from outside.
        const conn = this.cluster.conns.get(e.clientId);
        if (conn && conn.member === m.address && conn.incarnation === m.incarnation) continue;
        this.deliveries.recordDelete(this.key(m), e.clientId, e, this.now(), 'delivered', req.from);
      }
    };
    c.sched.afterEvent = () => this.afterEvent();
  }

  private key(m: SimMember): string {
    return `${m.address}#${m.incarnation}`;
  }

  private onRegistryEvent(m: SimMember, client: Client, removed: boolean, origin: 'local' | 'replica'): void {
    this.checks++;
    const id = client.id;
    if (client.kind === 'persistent-ipport') return;
    // §9.20: a duplicate delivered right after the original changes nothing.
    if (m.inDuplicate) this.fail('idempotent-apply', `duplicate request changed ${id} on ${m.address}`);
    this.lastChange.set(`${this.key(m)}|${id}`, this.now());
    const hk = `${this.key(m)}|${id}`;
    if (removed) this.heldSince.delete(hk);
    else if (!this.heldSince.has(hk)) this.heldSince.set(hk, this.now());
    const st = m.distro.storage;
    if (origin === 'local') {
      if (removed && this.ownsNow(m, id)) this.issued.add(`${this.key(m)}|${id}`);
      if (!removed && client.kind === 'ephemeral-ipport' && !m.distro.responsibleTag(responsibleTagOf(id)))
        this.fail('owner-only-writes', `${m.address} changed ${id} it is not responsible for`);
      if (!removed) {
        let p = this.produced.get(id);
        if (!p) this.produced.set(id, (p = new Map()));
        p.set(`${client.revision}|${m.address}`, contentKey(client));
        if (client.kind === 'connection') {
          const conn = this.cluster.conns.get(id);
          // §9.1: exactly one member holds a connection client natively: the one that accepted it.
          if (!conn || conn.member !== m.address || conn.incarnation !== m.incarnation) this.fail('native-owner', `${m.address} changed connection ${id} it does not hold`);
        }
      }
      if (this.now() >= this.healthyFrom) {
        let state: { kind: 'data' | 'delete'; stamp: Stamp } | null = null;
        if (!removed && m.distro.isResponsible(id)) state = { kind: 'data', stamp: st.stampOf(client) };
        // A deletion by the owner: every peer must drop what the owner last held (learned by the checker, not from a tombstone).
        const last = this.track.get(this.key(m))?.get(id);
        if (removed && last?.present && this.issued.has(`${this.key(m)}|${id}`)) state = { kind: 'delete', stamp: last.stamp };
        if (state) {
          const s = state;
          const inc = m.incarnation;
          this.cluster.sched.after(this.bounds.sync, () => this.checkTimely(m, inc, id, s.kind, s.stamp));
        }
      }
    } else if (removed && !m.inRequest && this.now() >= this.healthyFrom) {
      // A replica dropped outside any peer's request: a lease expiry.
      this.checkLease(m, id);
    }
  }

  /** Whether `m` is the owner of `id` as the cluster's ground truth or its own hash view says (a connection: the member that accepted it). */
  private ownsNow(m: SimMember, id: string): boolean {
    if (kindOfClientId(id) === 'connection') {
      const conn = this.cluster.conns.get(id);
      return conn !== undefined && conn.member === m.address && conn.incarnation === m.incarnation;
    }
    return m.distro.responsibleTag(responsibleTagOf(id));
  }

  /** §9.2/§9.5/§9.12: with healthy links, an owner's change reaches every live member within `bounds.sync`. */
  private checkTimely(owner: SimMember, inc: number, id: string, kind: 'data' | 'delete', stamp: Stamp): void {
    if (!owner.alive || owner.incarnation !== inc) return;
    for (const n of this.cluster.alive()) {
      if (n === owner) continue;
      const st = n.distro.storage;
      const c = st.client(id);
      if (kind === 'data') {
        if (c && compareStamp(st.stampOf(c), stamp) >= 0) continue;
        const t = st.tombstone(id);
        if (t?.strict && compareStamp(t, stamp) > 0) continue;
        this.fail('sync-timeliness', `${id}@${fmt(stamp)} of ${owner.address} not on ${n.address} after ${this.bounds.sync} ms (holds ${c ? fmt(st.stampOf(c)) : 'nothing'})`);
      } else if (c && compareStamp(st.stampOf(c), stamp) <= 0) {
        this.fail('delete-timeliness', `${id} deleted by ${owner.address}@${fmt(stamp)} still on ${n.address} after ${this.bounds.sync} ms`);
      }
    }
  }

  /**
   * §9.4: a replica whose live owner holds it is never expired (verify renews it every V ≪ E). An
   * owner that has held the client for less than the sync bound may not have reached `m` yet: `m`
   * may rightly expire an older copy it was not renewing (e.g. one it wrote itself while cut off,
   * while the owner did not hold the client at all; seed 1840530724).
   */
  private checkLease(m: SimMember, id: string): void {
    for (const o of this.cluster.alive()) {
      if (o === m || !o.distro.isResponsible(id) || !o.distro.storage.client(id)) continue;
      const since = this.heldSince.get(`${this.key(o)}|${id}`) ?? this.now();
      if (this.now() - since >= this.bounds.sync)
        this.fail('lease', `${m.address} expired ${id} while its owner ${o.address} has held it for ${this.now() - since} ms`);
    }
  }

  /**
   * After every event: per-member state monotonicity (no going back), provenance of every held
   * state, and the delete floor: no member holds a version below a DELETE it was delivered (or sent)
   * while that deletion must still be remembered (docs/distro.md, "Replica rule").
   */
  private afterEvent(): void {
    for (const m of this.cluster.members.values()) {
      const k = this.key(m);
      const fresh = this.deliveries.takeFresh(k);
      if (m.dirty.size === 0 && !fresh) continue;
      if (!m.alive) {
        m.dirty.clear();
        continue;
      }
      let tr = this.track.get(k);
      if (!tr) this.track.set(k, (tr = new Map()));
      const st = m.distro.storage;
      for (const id of m.dirty) {
        this.checks++;
        const c = st.client(id);
        let prev = tr.get(id);
        if (prev && !prev.present && this.now() - prev.at > this.bounds.expiry) prev = undefined;
        if (c) {
          const cur = st.stampOf(c);
          // §9.5/§9.7: a member never goes back to an older state (also not after dropping one).
          if (prev && compareStamp(cur, prev.stamp) < 0) this.fail('monotonic', `${m.address}: ${id} went from ${prev.present ? '' : 'dropped '}${fmt(prev.stamp)} to ${fmt(cur)}`);
          const want = this.produced.get(id)?.get(`${cur.version}|${cur.writer}`);
          const got = contentKey(c);
          if (want === undefined) this.fail('provenance', `${m.address}: ${id}@${fmt(cur)} was never produced by its writer`);
          else if (want !== got) this.fail('provenance', `${m.address}: ${id}@${fmt(cur)} content differs from the writer's`);
          tr.set(id, { stamp: cur, present: true, at: this.now() });
        } else if (prev?.present) tr.set(id, { stamp: prev.stamp, present: false, at: this.now() });
        this.checkDeleteFloor(m, k, id);
      }
      if (fresh) for (const id of fresh) if (!m.dirty.has(id)) this.checkDeleteFloor(m, k, id);
      m.dirty.clear();
    }
  }

  /** §9.5/§9.7: a client deleted at stamp S (delivered to or sent by `m`) is not held by `m` below S while S must be remembered. */
  private checkDeleteFloor(m: SimMember, k: string, id: string): void {
    const d = this.deliveries.deleteOf(k, id);
    if (!d || this.now() - d.at > this.deleteMemory()) return;
    const st = m.distro.storage;
    const c = st.client(id);
    if (!c) return;
    this.checks++;
    const held = st.stampOf(c);
    if (compareStamp(held, d.stamp) < 0)
      this.fail('delete-floor', `${m.address} holds ${id}@${fmt(held)} below the DELETE@${fmt(d.stamp)} it ${d.via === 'sent' ? 'sent' : `was delivered from ${d.from}`} ${this.now() - d.at} ms ago`);
  }

  /**
   * How long a member must remember a deletion: tombstones live for the lease time E (docs/distro.md);
   * half of it leaves room for a tombstone set a little before the checker recorded the DELETE.
   */
  private deleteMemory(): number {
    return this.bounds.expiry / 2;
  }

  /**
   * Queues are bounded by the number of clients (collapsed per client): clients held plus clients the
   * checker saw dropped or deleted (not the member's own tombstone count) within 2E — or, for a peer
   * the network has not delivered a sync to for longer, since E before that last delivery: a queue to
   * an unreachable peer rightly keeps one entry per client that changed during the outage.
   */
  checkQueues(): void {
    for (const m of this.cluster.alive()) {
      const tr = this.track.get(this.key(m));
      for (const p of m.distro.delay.peers()) {
        const lastDelivery = this.lastSyncDelivered.get(`${m.address}>${p}`) ?? 0;
        const since = Math.min(this.now() - 2 * this.bounds.expiry, lastDelivery - this.bounds.expiry);
        let recent = this.deliveries.countSince(this.key(m), since);
        for (const t of tr?.values() ?? []) if (!t.present && t.at >= since) recent++;
        const bound = m.registry.clientCount() + recent;
        const n = m.distro.delay.size(p);
        if (n > bound) this.fail('queue-bound', `${m.address}→${p} has ${n} pending entries for ${bound} clients+tombstones`);
      }
    }
  }

  /**
   * §9.2 convergence once faults stopped: every client a live member is responsible for (and did not
   * change in the last `bounds.sync`) is held by every live member with the same version and content.
   * Also: connection clients of a dead incarnation of a member that restarted are gone (asOf rule).
   */
  checkConvergence(tag: string): void {
    const live = this.cluster.alive();
    for (const l of live) {
      for (const c of l.distro.storage.clients()) {
        if (!l.distro.isResponsible(c.id)) continue;
        const last = this.lastChange.get(`${this.key(l)}|${c.id}`) ?? 0;
        if (this.now() - last < this.bounds.sync) continue;
        const want = l.distro.storage.stampOf(c);
        const content = contentKey(c);
        for (const n of live) {
          if (n === l) continue;
          const h = n.distro.storage.client(c.id);
          // An empty ip-port client may be dropped by any member's empty-client cleaner (docs/protocol/distro.md §4.2): invisible.
          if (!h && c.publishes.size === 0) continue;
          if (!h) this.fail(`convergence(${tag})`, `${c.id} of ${l.address}@${fmt(want)} missing on ${n.address}`);
          else if (compareStamp(n.distro.storage.stampOf(h), want) !== 0 || contentKey(h) !== content)
            this.fail(`convergence(${tag})`, `${c.id} on ${n.address}@${fmt(n.distro.storage.stampOf(h))} differs from owner ${l.address}@${fmt(want)}`);
        }
      }
    }
    for (const n of live) {
      for (const c of n.distro.storage.clients()) {
        if (c.kind !== 'connection') continue;
        const conn = this.cluster.conns.get(c.id);
        if (!conn) continue;
        const owner = this.cluster.members.get(conn.member);
        if (owner && owner.alive && owner.incarnation !== conn.incarnation)
          this.fail(`restart-orphan(${tag})`, `${n.address} still holds ${c.id} of ${conn.member}'s previous life`);
      }
    }
  }

  /** §9.3: replicas of a dead owner's connection clients vanish within E + V + C (+ slack). */
  checkOrphans(): void {
    const b = this.bounds;
    const limit = b.expiry + 1.2 * b.verify + b.sweep + 500;
    for (const n of this.cluster.alive()) {
      for (const c of n.distro.storage.clients()) {
        if (c.kind !== 'connection') continue;
        const conn = this.cluster.conns.get(c.id);
        if (!conn) continue;
        const died = this.cluster.deaths.get(`${conn.member}#${conn.incarnation}`);
        if (died !== undefined && this.now() - died > limit) this.fail('orphan', `${n.address} still holds ${c.id} ${this.now() - died} ms after its member died`);
      }
    }
  }

  /**
   * Final state at quiescence: one owner per client; every live member holds exactly the union of
   * the owners' clients with the same versions and content (no orphans); live clients' registrations
   * are all visible; expired ones are gone; everyone is loaded; no member changed a client it did
   * not own.
   */
  checkFinal(): void {
    const live = this.cluster.alive();
    const expected = new Map<string, { stamp: Stamp; content: string; owner: string; client: Client }>();
    for (const l of live) {
      if (!l.distro.isLoaded()) this.fail('final', `${l.address} never finished loading`);
      for (const c of l.distro.storage.clients()) {
        if (!l.distro.isResponsible(c.id)) continue;
        const prev = expected.get(c.id);
        if (prev) this.fail('unique-owner', `${c.id} owned by both ${prev.owner} and ${l.address}`);
        expected.set(c.id, { stamp: l.distro.storage.stampOf(c), content: contentKey(c), owner: l.address, client: c });
      }
    }
    for (const ip of this.cluster.ipClients) {
      const tag = `${ip.ip}:${ip.port}`;
      const owners = live.filter((m) => m.distro.responsibleTag(tag));
      if (owners.length !== 1) this.fail('unique-owner', `${tag} has ${owners.length} responsible members`);
      const e = expected.get(`${tag}#true`);
      const want = ip.beating ? [...ip.services].sort() : [];
      const got = e ? [...e.client.publishes.values()].map((r) => r.service.name).sort() : [];
      if (want.join() !== got.join()) this.fail('final-ipport', `${tag} (beating=${ip.beating}) publishes [${got.join()}], expected [${want.join()}]`);
      if (e) for (const r of e.client.publishes.values()) if (r.instances.some((i) => !i.healthy)) this.fail('final-ipport', `${tag} ${r.service.name} unhealthy while beating`);
      if (!ip.beating && e) this.fail('final-ipport', `${tag} stopped beating but still exists on ${e.owner}`);
    }
    for (const app of this.cluster.apps) {
      const conn = app.conn;
      if (!conn || !this.cluster.connMember(conn)) continue;
      const e = expected.get(conn.id);
      const got = e ? [...e.client.publishes.values()].map((r) => r.service.name).sort() : [];
      const want = [...app.services.keys()].sort();
      if (want.join() !== got.join()) this.fail('final-conn', `${conn.id} publishes [${got.join()}], app registered [${want.join()}]`);
    }
    for (const n of live) {
      const st = n.distro.storage;
      const seen = new Set<string>();
      for (const c of st.clients()) {
        seen.add(c.id);
        const e = expected.get(c.id);
        if (!e) {
          this.fail('final-orphan', `${n.address} holds ${c.id}@${fmt(st.stampOf(c))} that no live owner has (${describe(c.id)})`);
          continue;
        }
        if (compareStamp(st.stampOf(c), e.stamp) !== 0 || contentKey(c) !== e.content) this.fail('final-diverged', `${n.address} holds ${c.id}@${fmt(st.stampOf(c))}, owner ${e.owner} has @${fmt(e.stamp)}`);
      }
      for (const [id, e] of expected) {
        if (!seen.has(id) && e.client.publishes.size > 0) this.fail('final-missing', `${n.address} lacks ${id} of ${e.owner}`);
      }
    }
  }
}

function fmt(s: Stamp): string {
  return `${s.version}/${s.writer}`;
}

function describe(id: string): string {
  return kindOfClientId(id) === 'connection' ? 'connection' : `ip-port ${responsibleTagOf(id)}`;
}
