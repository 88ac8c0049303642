import type { Client } from '../../src/core/client.js';
import type { Clock } from '../../src/core/clock.js';
import { MetadataIndex } from '../../src/core/metadata.js';
import type { ServiceKey } from '../../src/core/names.js';
import { Registry } from '../../src/core/registry.js';
import type { DistroConfig } from '../../src/distro/config.js';
import type { DistroProtocol } from '../../src/distro/distro-protocol.js';
import type { DistroObserver } from '../../src/distro/execute-task-engine.js';
import { HybridLogicalClock } from '../../src/distro/hlc.js';
import type { MemberState, MemberView } from '../../src/distro/mapper.js';
import type { DistroRequest, DistroResponse } from '../../src/distro/messages.js';
import { ExpiryTasks } from '../../src/naming/expiry.js';
import { NamingService } from '../../src/naming/naming-service.js';
import { PushEngine } from '../../src/naming/push-engine.js';
import { ServiceInfoView } from '../../src/naming/service-info-view.js';
import { SubscriptionRegistry } from '../../src/naming/subscriptions.js';
import { silentLogger, type Logger } from '../../src/observability/logger.js';
import { MemoryStore } from '../../src/persistence/memory-store.js';
import { newDistro, type DistroMutations } from './distro-mutants.js';
import { SimNetwork } from './network.js';
import type { Rng } from './prng.js';
import { SimScheduler, TimerGroup } from './scheduler.js';

export interface SimSettings {
  readonly distro: Partial<DistroConfig>;
  /** ExpiryTasks period (heartbeat checks, empty-client cleanup). */
  readonly expiryCheckMs: number;
  /** Heartbeat timings of ip-port instances (instance metadata `preserved.*`). */
  readonly beat: { readonly interval: number; readonly timeout: number; readonly deleteTimeout: number };
  readonly mutations: DistroMutations;
  readonly standalone?: boolean;
}

/** One member (one address); each start is a new incarnation with wiped state. */
export class SimMember {
  alive = false;
  incarnation = 0;
  startedAt = 0;
  group = new TimerGroup();
  clock!: Clock;
  hlc!: HybridLogicalClock;
  registry!: Registry;
  naming!: NamingService;
  expiry!: ExpiryTasks;
  distro!: DistroProtocol;
  readonly view = new Map<string, MemberState>();
  /** Client ids touched by the current event (checked after it). */
  readonly dirty = new Set<string>();
  /** Set while a duplicate request is being handled: any registry event then is a violation. */
  inDuplicate = false;
  /** Set while a peer's request is being handled (a removal then is not a lease expiry). */
  inRequest = false;

  constructor(
    readonly address: string,
    readonly skewMs: number,
  ) {}

  viewList(): MemberView[] {
    return [...this.view].map(([address, state]) => ({ address, state }));
  }
}

/** A gRPC SDK connection (one connection client). */
export interface SimConn {
  readonly id: string;
  readonly member: string;
  readonly incarnation: number;
  /** The application behind it: keeps its services across reconnects. */
  readonly app: SimApp;
  open: boolean;
}

export interface SimApp {
  readonly name: string;
  readonly ip: string;
  /** Service → instance ports it registered (batch when > 1). */
  readonly services: Map<string, number[]>;
  conn: SimConn | null;
}

/** A v1 HTTP client `ip:port#true`. */
export interface SimIpClient {
  readonly ip: string;
  readonly port: number;
  readonly services: Set<string>;
  beating: boolean;
  /** Bumped on every instance-data change, so re-registrations carry new metadata. */
  gen: number;
}

export const SERVICES = ['orders', 'users', 'stock', 'billing', 'search'] as const;

export function serviceKey(name: string): ServiceKey {
  return { namespace: 'public', group: 'DEFAULT_GROUP', name };
}

export type EventHook = (m: SimMember, c: Client, removed: boolean, origin: 'local' | 'replica') => void;

/**
 * The whole cluster in one process: members with real Registry, NamingService, ExpiryTasks and
 * DistroProtocol on simulated time, connected by the simulated network.
 */
export class SimCluster {
  readonly sched: SimScheduler;
  readonly net: SimNetwork;
  readonly members = new Map<string, SimMember>();
  /** Addresses in the cluster configuration (members' lists are built from it). */
  readonly configured = new Set<string>();
  readonly conns = new Map<string, SimConn>();
  readonly apps: SimApp[] = [];
  readonly ipClients: SimIpClient[] = [];
  /** Death time of each (address, incarnation). */
  readonly deaths = new Map<string, number>();
  readonly log: Logger = silentLogger();
  onRegistryEvent: EventHook | null = null;
  observerFor: ((m: SimMember) => DistroObserver) | null = null;
  onRequest: ((m: SimMember, req: DistroRequest, dup: 'first' | 'immediate' | 'late') => void) | null = null;
  private connSeq = 0;

  constructor(
    readonly rng: Rng,
    readonly settings: SimSettings,
    start = 1_700_000_000_000,
  ) {
    this.sched = new SimScheduler(start);
    this.net = new SimNetwork(this.sched, rng.fork(), (a) => {
      const m = this.members.get(a);
      if (!m) return undefined;
      return {
        alive: () => m.alive,
        incarnation: () => m.incarnation,
        handle: (req, dup) => this.deliver(m, req, dup),
      };
    });
  }

  /** A member's current wall-clock step (ms); the scenario sets it (docs/reliability.md "Clock jumps"). */
  wallStep: (address: string) => number = () => 0;

  addMember(address: string, skewMs: number): SimMember {
    const m = new SimMember(address, skewMs);
    this.members.set(address, m);
    return m;
  }

  alive(): SimMember[] {
    return [...this.members.values()].filter((m) => m.alive);
  }

  member(address: string): SimMember {
    const m = this.members.get(address);
    if (!m) throw new Error(`no member ${address}`);
    return m;
  }

  private deliver(m: SimMember, req: DistroRequest, dup: 'first' | 'immediate' | 'late'): DistroResponse {
    this.onRequest?.(m, req, dup);
    m.inDuplicate = dup === 'immediate';
    m.inRequest = true;
    try {
      return m.distro.handle(req);
    } finally {
      m.inDuplicate = false;
      m.inRequest = false;
    }
  }

  /** Starts (or restarts) a member with wiped state and the given member list. */
  start(m: SimMember, view: readonly MemberView[]): void {
    const s = this.settings;
    if (m.alive) throw new Error(`${m.address} started twice`);
    m.incarnation++;
    m.alive = true;
    m.group = new TimerGroup();
    m.clock = this.sched.clock(m.group, m.skewMs, () => this.wallStep(m.address), s.mutations.wallClockTimers === true);
    m.startedAt = this.sched.now;
    m.dirty.clear();
    m.view.clear();
    for (const v of view) m.view.set(v.address, v.state);
    m.hlc = new HybridLogicalClock(() => m.clock.now());
    m.registry = new Registry(m.hlc.nextRevision);
    const metadata = new MetadataIndex();
    const subs = new SubscriptionRegistry();
    const view2 = new ServiceInfoView(m.registry, metadata, m.clock, () => 10000);
    const push = new PushEngine(view2, subs, {}, m.clock, this.log, { delayMs: 100, retryDelayMs: 1000, maxRetries: 0 });
    m.naming = new NamingService(m.registry, metadata, new MemoryStore(), subs, view2, push, m.clock, this.log, {
      clientBeatInterval: s.beat.interval,
      lightBeatEnabled: false,
      metadataLimit: 1024,
    });
    const inc = m.incarnation;
    const rng = this.rng.fork();
    m.distro = newDistro({
      self: m.address,
      standalone: s.standalone === true,
      registry: m.registry,
      hlc: m.hlc,
      clock: m.clock,
      random: () => rng.next(),
      transport: { send: (target, req, _timeout, done) => this.net.send(m.address, inc, target, req, done) },
      config: s.distro,
      members: m.viewList(),
      observer: this.observerFor?.(m),
    }, s.mutations);
    m.expiry = new ExpiryTasks(
      m.registry,
      metadata,
      subs,
      view2,
      m.clock,
      this.log,
      {
        checkIntervalMs: s.expiryCheckMs,
        expireInstance: true,
        clientExpiredMs: m.distro.config.clientExpiredMs,
        udpSubscriberExpiredMs: 30000,
        emptyServiceExpiredMs: 60000,
        healthCheckEnabled: () => true,
      },
      (id) => m.distro.isResponsible(id),
    );
    m.registry.onClientChanged((c, removed, origin) => {
      m.dirty.add(c.id);
      this.onRegistryEvent?.(m, c, removed, origin);
    });
    m.distro.start();
    m.expiry.start();
  }

  /** Crash: state wiped, timers gone, connections dead. */
  crash(m: SimMember): void {
    if (!m.alive) return;
    m.alive = false;
    m.group.alive = false;
    m.distro.stop();
    m.expiry.stop();
    this.deaths.set(`${m.address}#${m.incarnation}`, this.sched.now);
    for (const c of this.conns.values()) {
      if (c.member === m.address && c.incarnation === m.incarnation && c.open) {
        c.open = false;
        if (c.app.conn === c) c.app.conn = null;
      }
    }
  }

  /** Sets `m`'s view of `address` (undefined: removed from its list) and tells its Distro. */
  setView(m: SimMember, address: string, state: MemberState | undefined): void {
    if (!m.alive) return;
    if (address === m.address) return;
    const cur = m.view.get(address);
    if (cur === state) return;
    if (state === undefined) m.view.delete(address);
    else m.view.set(address, state);
    m.distro.onMembersChanged(m.viewList());
  }

  // ---------------------------------------------------------------- connection clients

  /** Opens a connection for `app` on `m` (a new connection client id). */
  openConn(app: SimApp, m: SimMember): SimConn {
    const n = ++this.connSeq;
    const id = `${m.clock.now()}_${app.ip}_${40000 + n}`;
    const conn: SimConn = { id, member: m.address, incarnation: m.incarnation, app, open: true };
    this.conns.set(id, conn);
    app.conn = conn;
    return conn;
  }

  connMember(conn: SimConn): SimMember | undefined {
    const m = this.members.get(conn.member);
    return conn.open && m && m.alive && m.incarnation === conn.incarnation ? m : undefined;
  }

  /** (Re-)registers one of the app's services over its connection. */
  connRegister(conn: SimConn, service: string): void {
    const m = this.connMember(conn);
    if (!m) return;
    const ports = conn.app.services.get(service) ?? [];
    const gen = this.rng.int(0, 9);
    const inputs = ports.map((port) => ({ ip: conn.app.ip, port, metadata: { app: conn.app.name, gen: String(gen) } }));
    if (inputs.length === 1) m.naming.registerConnectionInstance(conn.id, serviceKey(service), inputs[0]!);
    else m.naming.batchRegisterConnectionInstances(conn.id, serviceKey(service), inputs);
  }

  connDeregister(conn: SimConn, service: string): void {
    const m = this.connMember(conn);
    if (!m) return;
    m.naming.deregisterConnectionInstance(conn.id, serviceKey(service));
  }

  connClose(conn: SimConn): void {
    const m = this.connMember(conn);
    conn.open = false;
    if (conn.app.conn === conn) conn.app.conn = null;
    if (m) m.naming.connectionClosed(conn.id);
  }

  // ---------------------------------------------------------------- ip-port clients

  /**
   * Sends an HTTP write for `tag` to a random live member, which forwards it to the responsible
   * member in its own view (DistroFilter, docs/protocol/distro.md §2.5); a forwarded request reaching a member that
   * does not consider itself responsible is refused (400, no second hop). Returns the member that
   * executed it, or undefined.
   */
  route(ip: string, port: number): SimMember | undefined {
    const live = this.alive();
    if (live.length === 0) return undefined;
    const entry = this.rng.pick(live);
    const tag = `${ip}:${port}`;
    const target = entry.distro.mapSrv(tag);
    if (target === entry.address) return entry;
    const t = this.members.get(target);
    if (!t || !t.alive || this.net.isCut(entry.address, target) || this.net.isCut(target, entry.address)) return undefined;
    return t.distro.responsibleTag(tag) ? t : undefined;
  }

  ipMetadata(c: SimIpClient): Record<string, string> {
    const b = this.settings.beat;
    return {
      'preserved.heart.beat.interval': String(b.interval),
      'preserved.heart.beat.timeout': String(b.timeout),
      'preserved.ip.delete.timeout': String(b.deleteTimeout),
      gen: String(c.gen),
    };
  }

  ipRegister(c: SimIpClient, service: string): void {
    c.services.add(service);
    const m = this.route(c.ip, c.port);
    if (!m) return;
    void m.naming.registerIpPortInstance(serviceKey(service), { ip: c.ip, port: c.port, metadata: this.ipMetadata(c) }, true);
  }

  ipDeregister(c: SimIpClient, service: string): void {
    c.services.delete(service);
    const m = this.route(c.ip, c.port);
    if (!m) return;
    void m.naming.deregisterIpPortInstance(serviceKey(service), c.ip, c.port, true);
  }

  /** One heartbeat per registered service (each with its body: a missing instance is re-registered). */
  ipBeat(c: SimIpClient): void {
    if (!c.beating) return;
    for (const s of c.services) {
      const m = this.route(c.ip, c.port);
      if (!m) continue;
      m.naming.beat(serviceKey(s), { ip: c.ip, port: c.port, cluster: 'DEFAULT', metadata: this.ipMetadata(c) }, true);
    }
  }
}

/** Stable JSON of a client's published state (service id order). */
export function contentKey(c: Client): string {
  return JSON.stringify([...c.publishes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sid, r]) => [sid, r.instances]));
}
