/**
 * The chaos workload: HTTP clients in the root namespace, each talking to a random member per
 * operation, recording every operation with invoke/complete times (test/chaos/history.ts).
 *
 * - Persistent workers write and read service metadata (`PUT /nacos/v1/ns/service`, key
 *   `meta:<service>`, value = metadata `v`) and persistent instances (`POST`/`DELETE
 *   /nacos/v1/ns/instance ephemeral=false`, key `pi:<service>:<ip>:<port>`, value = metadata `v`
 *   or null), and read them back (`GET /nacos/v1/ns/service`, `GET /nacos/v1/ns/instance/list`).
 *   Every written value is unique.
 * - They also write the metadata of clusters `ck` and `ck2` of the metadata services (`PUT
 *   /nacos/v1/ns/cluster`, keys `cl:<service>` and `cl2:<service>`), read back from the same service
 *   detail (a cluster is listed while it holds an instance: setup registers one persistent instance
 *   in each that stays). Two clusters of one service written through different members must both
 *   survive (docs/reliability.md "Stale records").
 * - Ephemeral workers register/deregister HTTP instances and keep the registered ones alive with
 *   light beats (an unknown instance answers 20404 and the worker registers it again, as the Nacos
 *   SDKs do). What a worker currently wants registered is the "live registrations" the final
 *   check compares every member's view with.
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '../sim/prng.js';
import type { HistOp } from './history.js';
import { call, json } from './http.js';

export const META_SERVICES = ['chaos-meta-0', 'chaos-meta-1', 'chaos-meta-2'];
/** The clusters whose metadata the workload writes in every metadata service, with their history key prefixes. */
const META_CLUSTERS = [
  { name: 'ck', key: 'cl', ip: '127.0.0.30' },
  { name: 'ck2', key: 'cl2', ip: '127.0.0.31' },
] as const;
export const PERSISTENT_SERVICES = ['chaos-p-0', 'chaos-p-1'];
export const PERSISTENT_SLOTS = 3;
export const EPHEMERAL_SERVICES = ['chaos-e-0', 'chaos-e-1'];
const EPHEMERAL_SLOTS = 6;
const WRITE_TIMEOUT_MS = 12_000;
const READ_TIMEOUT_MS = 3_000;

const pIp = (s: number): string => `127.0.0.${20 + s}`;
const pPort = (slot: number): number => 9000 + slot;
export const piKey = (service: string, slot: number, s: number): string => `pi:${service}:${pIp(s)}:${pPort(slot)}`;
export const now = (): number => performance.now();

export interface Counters {
  acked: number;
  failed: number;
  reads: number;
  /** Why writes got no success answer: `HTTP <status>` or the client error. */
  failures: Map<string, number>;
}

interface ListedHost {
  ip: string;
  port: number;
  metadata?: Record<string, string>;
}

/** Parses an instance/list answer: `ip:port` → metadata `v` (null when absent). */
export function hostsOf(text: string): ListedHost[] | null {
  const j = json(text) as { hosts?: unknown } | undefined;
  if (!j || !Array.isArray(j.hosts)) return null;
  return j.hosts.filter((h): h is ListedHost => typeof h === 'object' && h !== null && typeof (h as ListedHost).ip === 'string');
}

export class Workload {
  readonly history: HistOp[] = [];
  readonly counters: Counters = { acked: 0, failed: 0, reads: 0, failures: new Map() };
  running = false;
  private seq = 0;
  private readonly pLoops: Promise<void>[] = [];
  private readonly eLoops: Promise<void>[] = [];
  /** Ephemeral registrations each worker wants alive: `service|ip:port`. */
  readonly live = new Set<string>();
  ephemeralAcked = 0;
  /** The last register/deregister of each ephemeral instance and its answer (to explain ghosts). */
  readonly lastEphemeralOp = new Map<string, string>();

  constructor(
    private readonly rng: Rng,
    private readonly memberIps: readonly string[],
    private readonly persistentWorkers: number,
    private readonly ephemeralWorkers: number,
  ) {}

  /** Creates the metadata services before the faults start (acked writes with known values). */
  async setup(): Promise<void> {
    for (const svc of META_SERVICES) {
      const value = `init-${svc}`;
      const t0 = now();
      const r = await call(this.memberIps[0]!, 'POST', '/nacos/v1/ns/service', { serviceName: svc, metadata: JSON.stringify({ v: value }) }, WRITE_TIMEOUT_MS);
      if (r.status !== 200) throw new Error(`setup: create ${svc}: ${r.status} ${r.text}`);
      this.history.push({ kind: 'w', key: `meta:${svc}`, value, call: t0, ret: now(), member: 0, client: -1 });
      // The instances that keep the clusters listed (never removed; their metadata is not checked).
      for (const c of META_CLUSTERS) {
        const q = { serviceName: svc, ip: c.ip, port: '9100', clusterName: c.name, ephemeral: 'false' };
        const ri = await call(this.memberIps[0]!, 'POST', '/nacos/v1/ns/instance', q, WRITE_TIMEOUT_MS);
        if (ri.status !== 200) throw new Error(`setup: instance in ${svc}/${c.name}: ${ri.status} ${ri.text}`);
      }
    }
  }

  start(): void {
    this.running = true;
    for (let w = 0; w < this.persistentWorkers; w++) this.pLoops.push(this.persistentLoop(w, this.rng.fork()));
    for (let w = 0; w < this.ephemeralWorkers; w++) this.eLoops.push(this.ephemeralLoop(w, this.rng.fork()));
  }

  /** Stops the workers' writes and waits for the ones in flight (ephemeral workers keep beating until `stopAll`). */
  async stopWrites(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.pLoops);
  }

  private beating = true;

  async stopAll(): Promise<void> {
    this.running = false;
    this.beating = false;
    await Promise.allSettled([...this.pLoops, ...this.eLoops]);
  }

  private record(op: HistOp): void {
    this.history.push(op);
  }

  private async write(client: number, member: number, key: string, value: string | null, method: string, path: string, q: Record<string, string>): Promise<void> {
    const t0 = now();
    let why = '';
    try {
      const r = await call(this.memberIps[member]!, method, path, q, WRITE_TIMEOUT_MS);
      if (r.status !== 200) why = `HTTP ${r.status} ${r.text.slice(0, 60)}`;
    } catch (e) {
      why = e instanceof Error ? e.message.replace(/\d+/g, 'N') : 'error';
    }
    const ok = why === '';
    if (ok) this.counters.acked++;
    else {
      this.counters.failed++;
      this.counters.failures.set(why, (this.counters.failures.get(why) ?? 0) + 1);
    }
    this.record({ kind: 'w', key, value, call: t0, ret: ok ? now() : Infinity, member, client });
  }

  /** Reads every persistent key of one service (or one metadata key) from one member. */
  async readKeys(client: number, member: number, target: { meta: string } | { service: string }, stale: boolean): Promise<boolean> {
    const t0 = now();
    try {
      if ('meta' in target) {
        const r = await call(this.memberIps[member]!, 'GET', '/nacos/v1/ns/service', { serviceName: target.meta }, READ_TIMEOUT_MS);
        if (r.status !== 200) return false;
        const j = json(r.text) as { metadata?: Record<string, string>; clusters?: { name?: string; metadata?: Record<string, string> }[] } | undefined;
        if (!j) return false;
        const t1 = now();
        this.record({ kind: 'r', key: `meta:${target.meta}`, value: j.metadata?.v ?? null, call: t0, ret: t1, member, client, stale });
        for (const c of META_CLUSTERS) {
          const cl = j.clusters?.find((x) => x.name === c.name);
          // No cluster listed: its instance is not applied here yet (a stale read), nothing to record.
          if (cl) this.record({ kind: 'r', key: `${c.key}:${target.meta}`, value: cl.metadata?.v ?? null, call: t0, ret: t1, member, client, stale });
          else if (!stale) return false;
        }
      } else {
        const si = PERSISTENT_SERVICES.indexOf(target.service);
        const r = await call(this.memberIps[member]!, 'GET', '/nacos/v1/ns/instance/list', { serviceName: target.service, healthyOnly: 'false' }, READ_TIMEOUT_MS);
        if (r.status !== 200) return false;
        const hosts = hostsOf(r.text);
        if (!hosts) return false;
        const t1 = now();
        for (let slot = 0; slot < PERSISTENT_SLOTS; slot++) {
          const h = hosts.find((x) => x.ip === pIp(si) && x.port === pPort(slot));
          this.record({ kind: 'r', key: piKey(target.service, slot, si), value: h ? (h.metadata?.v ?? '') : null, call: t0, ret: t1, member, client, stale });
        }
      }
      this.counters.reads++;
      return true;
    } catch {
      return false;
    }
  }

  private async persistentLoop(w: number, rng: Rng): Promise<void> {
    while (this.running) {
      const member = rng.int(0, this.memberIps.length - 1);
      const roll = rng.next();
      const value = `w${w}-${++this.seq}`;
      if (roll < 0.25) {
        const svc = rng.pick(META_SERVICES);
        if (rng.chance(0.4)) {
          // Which cluster alternates with the value sequence (no extra draw: a seed keeps its schedule).
          const c = META_CLUSTERS[this.seq % META_CLUSTERS.length]!;
          const q = { serviceName: svc, clusterName: c.name, checkPort: '80', useInstancePort4Check: 'true', healthChecker: '{"type":"NONE"}', metadata: JSON.stringify({ v: value }) };
          await this.write(w, member, `${c.key}:${svc}`, value, 'PUT', '/nacos/v1/ns/cluster', q);
        } else {
          await this.write(w, member, `meta:${svc}`, value, 'PUT', '/nacos/v1/ns/service', { serviceName: svc, protectThreshold: '0', metadata: JSON.stringify({ v: value }) });
        }
      } else if (roll < 0.5) {
        const si = rng.int(0, PERSISTENT_SERVICES.length - 1);
        const svc = PERSISTENT_SERVICES[si]!;
        const slot = rng.int(0, PERSISTENT_SLOTS - 1);
        const q = { serviceName: svc, ip: pIp(si), port: String(pPort(slot)), ephemeral: 'false' };
        if (rng.chance(0.7)) await this.write(w, member, piKey(svc, slot, si), value, 'POST', '/nacos/v1/ns/instance', { ...q, metadata: JSON.stringify({ v: value }) });
        else await this.write(w, member, piKey(svc, slot, si), null, 'DELETE', '/nacos/v1/ns/instance', q);
      } else if (roll < 0.75) {
        await this.readKeys(w, member, { meta: rng.pick(META_SERVICES) }, true);
      } else {
        await this.readKeys(w, member, { service: rng.pick(PERSISTENT_SERVICES) }, true);
      }
      await new Promise((r) => setTimeout(r, rng.int(20, 120)));
    }
  }

  private async ephemeralLoop(w: number, rng: Rng): Promise<void> {
    const slots = Array.from({ length: EPHEMERAL_SLOTS }, (_, s) => ({ service: EPHEMERAL_SERVICES[s % EPHEMERAL_SERVICES.length]!, ip: `127.0.1.${w + 1}`, port: 7000 + s }));
    const keyOf = (s: (typeof slots)[number]): string => `${s.service}|${s.ip}:${s.port}`;
    const q = (s: (typeof slots)[number]): Record<string, string> => ({ serviceName: s.service, ip: s.ip, port: String(s.port), ephemeral: 'true' });
    let lastBeat = 0;
    while (this.beating) {
      const pick = rng.int(0, this.memberIps.length - 1);
      if (this.running) {
        const s = rng.pick(slots);
        const register = !this.live.has(keyOf(s)) || rng.chance(0.3);
        // The intent changes at invoke: a deregister with an unknown outcome is still "gone" (its
        // instance must expire), a register with an unknown outcome is redone by the beats.
        if (register) this.live.add(keyOf(s));
        else this.live.delete(keyOf(s));
        let answer = 'no answer';
        try {
          const r = await call(this.memberIps[pick]!, register ? 'POST' : 'DELETE', '/nacos/v1/ns/instance', q(s), WRITE_TIMEOUT_MS);
          answer = `HTTP ${r.status}`;
          if (r.status === 200) this.ephemeralAcked++;
        } catch {
          // unknown outcome
        }
        this.lastEphemeralOp.set(keyOf(s), `${register ? 'register' : 'deregister'} via m${pick}: ${answer}`);
      }
      if (now() - lastBeat > 2000) {
        lastBeat = now();
        for (const s of slots) {
          if (!this.live.has(keyOf(s))) continue;
          const m = this.memberIps[rng.int(0, this.memberIps.length - 1)]!;
          try {
            const r = await call(m, 'PUT', '/nacos/v1/ns/instance/beat', { serviceName: s.service, ip: s.ip, port: String(s.port) }, READ_TIMEOUT_MS);
            const code = (json(r.text) as { code?: number } | undefined)?.code;
            if (code === 20404 && this.live.has(keyOf(s))) await call(m, 'POST', '/nacos/v1/ns/instance', q(s), WRITE_TIMEOUT_MS);
          } catch {
            // the next beat goes to another member
          }
        }
      }
      await new Promise((r) => setTimeout(r, rng.int(100, 400)));
    }
  }
}
