import type { Client } from '../core/client.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Registry } from '../core/registry.js';
import { distroConfig, type DistroConfig } from './config.js';
import { DistroDataProcessor } from './data-processor.js';
import { DistroDataStorage, entryId } from './data-storage.js';
import { DistroDelayTaskEngine } from './delay-task-engine.js';
import { DistroExecuteTaskEngine, type DistroObserver } from './execute-task-engine.js';
import { DistroFailedTaskHandler } from './failed-task-handler.js';
import type { HybridLogicalClock } from './hlc.js';
import { DistroLoadTask } from './load-task.js';
import { DistroMapper, healthyListOf, kindOfClientId, type MemberState, type MemberView } from './mapper.js';
import type { DistroRequest, DistroResponse, SyncEntry } from './messages.js';
import { DistroReplicaCleaner } from './replica-cleaner.js';
import { newCounters, type DistroCounters, type DistroStats, type PeerStats } from './stats.js';
import type { DistroTransportAgent } from './transport-agent.js';
import { DistroVerifyTask, type VerifyDeps } from './verify-task.js';

/** The subset of a pino logger Distro uses. */
export interface DistroLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

const noLog: DistroLogger = { info() {}, warn() {}, debug() {} };

/** The naming layer's hand-over, as Distro sees it (`DistroProtocol.setHandover`). */
export interface DistroHandoverHooks {
  releasing(clientId: string): boolean;
  hold(clientId: string): boolean;
}

export interface DistroDeps {
  /** This member's address (`ip:port`), as it appears in the member list. */
  readonly self: string;
  /** Standalone: responsible for everything, no traffic, loaded at once (docs/protocol/distro.md §9.19). */
  readonly standalone: boolean;
  /** The registry; construct it with `new Registry(hlc.nextRevision)`. */
  readonly registry: Registry;
  readonly hlc: HybridLogicalClock;
  readonly clock: Clock;
  readonly transport: DistroTransportAgent;
  readonly config?: Partial<DistroConfig>;
  /** Initial member list (docs/protocol/distro.md §2.1: all known members); later lists come through onMembersChanged. */
  readonly members?: readonly MemberView[];
  /** Uniform [0, 1); only used to spread timers. Default Math.random. */
  readonly random?: () => number;
  readonly log?: DistroLogger;
  /** Nacos' `distroEnabled` switch. */
  readonly distroEnabled?: () => boolean;
  /** Test hooks. */
  readonly observer?: DistroObserver;
}

/**
 * One member's Distro core: deterministic, no I/O of its own. Time, timers, randomness and the
 * transport are injected; the cluster transport delivers peers' requests to `handle()`; membership
 * feeds `onMembersChanged()`. It watches the registry for local changes of the clients this member
 * is responsible for and replicates them; it applies peers' states with the version rule.
 */
export class DistroProtocol {
  readonly config: DistroConfig;
  readonly mapper: DistroMapper;
  readonly storage: DistroDataStorage;
  readonly processor: DistroDataProcessor;
  readonly delay: DistroDelayTaskEngine;
  readonly execute: DistroExecuteTaskEngine;
  readonly failed: DistroFailedTaskHandler;
  readonly verify: DistroVerifyTask;
  readonly load: DistroLoadTask;
  readonly cleaner: DistroReplicaCleaner;
  private readonly counters: DistroCounters = newCounters();
  private readonly log: DistroLogger;
  private members = new Map<string, MemberState>();
  private loaded = false;
  private loadTimeMs: number | null = null;
  private handover: DistroHandoverHooks | null = null;
  private loadWarning: string | null = null;
  private started = false;
  private stopped = false;
  private cleanerTimer: TimerHandle | null = null;

  constructor(private readonly d: DistroDeps) {
    this.config = distroConfig(d.config);
    this.log = d.log ?? noLog;
    this.mapper = new DistroMapper(d.self, d.standalone, d.distroEnabled);
    this.storage = new DistroDataStorage(d.registry, this.mapper);
    const isStopped = (): boolean => this.stopped;
    this.delay = new DistroDelayTaskEngine(d.clock, (peer) => this.execute.drain(peer));
    this.failed = new DistroFailedTaskHandler(this.delay, () => this.config.syncRetryDelayMs, this.counters);
    this.processor = this.createProcessor(this.storage, d.hlc, d.clock, this.config, this.counters, (id, from) =>
      this.delay.addAll(id, this.config.syncDelayMs, 'change', from),
    );
    const onNewer = (peer: string, entries: readonly SyncEntry[]): void => this.adopt(peer, entries);
    this.execute = new DistroExecuteTaskEngine({
      self: d.self,
      clock: d.clock,
      transport: d.transport,
      delay: this.delay,
      storage: this.storage,
      failed: this.failed,
      config: this.config,
      counters: this.counters,
      observer: d.observer,
      onNewer,
      stopped: isStopped,
    });
    this.verify = this.createVerify({
      self: d.self,
      clock: d.clock,
      random: d.random ?? Math.random,
      transport: d.transport,
      storage: this.storage,
      delay: this.delay,
      hlc: d.hlc,
      config: this.config,
      counters: this.counters,
      targets: () => this.livePeers(),
      isLoaded: () => this.loaded,
      onNewer,
      stopped: isStopped,
    });
    this.load = new DistroLoadTask({
      self: d.self,
      clock: d.clock,
      transport: d.transport,
      processor: this.processor,
      config: this.config,
      counters: this.counters,
      peers: () => this.livePeers(),
      onLoaded: (w) => this.markLoaded(w),
      stopped: isStopped,
    });
    this.cleaner = this.createCleaner(this.storage, d.clock, () => this.config.clientExpiredMs, this.counters, this.delay);
    d.registry.onClientChanged((c, removed, origin) => {
      if (origin === 'local') this.onLocalChange(c, removed);
    });
    this.onMembersChanged(d.members ?? [{ address: d.self, state: 'UP' }]);
  }

  // ------------------------------------------------------------------ parts
  // Factories of the parts with replaceable rules: the simulator's mutation tests override them in a
  // test subclass (test/sim/distro-mutants.ts) to inject one bug each. They run inside the
  // constructor, so an override must not use fields of its own class.

  protected createProcessor(...a: ConstructorParameters<typeof DistroDataProcessor>): DistroDataProcessor {
    return new DistroDataProcessor(...a);
  }

  protected createVerify(d: VerifyDeps): DistroVerifyTask {
    return new DistroVerifyTask(d);
  }

  protected createCleaner(...a: ConstructorParameters<typeof DistroReplicaCleaner>): DistroReplicaCleaner {
    return new DistroReplicaCleaner(...a);
  }

  // ------------------------------------------------------------------ lifecycle

  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.d.standalone) {
      this.markLoaded(null);
      return;
    }
    this.verify.start();
    this.cleanerTimer = this.d.clock.setInterval(() => {
      if (!this.stopped) this.cleaner.sweep();
    }, this.config.expiryCheckIntervalMs);
    this.load.start();
  }

  stop(): void {
    this.stopped = true;
    this.verify.stop();
    this.load.stop();
    this.delay.stop();
    this.cleanerTimer?.cancel();
  }

  /** Sync entries queued or in flight to peers that are not DOWN (a leaving member waits for 0). */
  pendingSyncs(): number {
    let n = 0;
    for (const p of this.delay.peers()) {
      const q = this.delay.queue(p);
      if (q && !q.paused) n += q.pending.size + q.inFlight;
    }
    return n;
  }

  /** Readiness: reads should not be served before the start-up load completed (docs/protocol/distro.md §8.B7). */
  isLoaded(): boolean {
    return this.loaded;
  }

  // ------------------------------------------------------------------ membership

  /**
   * A new member list (every known member with its state). Self is always a healthy member. Ip-port
   * ownership follows the healthy list (UP + SUSPICIOUS, docs/protocol/distro.md §2.1); DOWN peers get no traffic (their
   * queues wait); peers gone from the list lose their queued entries (docs/protocol/distro.md §9.9).
   */
  onMembersChanged(members: readonly MemberView[]): void {
    const next = new Map<string, MemberState>();
    for (const m of members) next.set(m.address, m.state);
    next.set(this.d.self, 'UP');
    this.members = next;
    const healthyChanged = this.mapper.setHealthyList(healthyListOf([...next].map(([address, state]) => ({ address, state }))));
    const peers = [...next].filter(([a]) => a !== this.d.self).map(([address, state]) => ({ address, paused: state === 'DOWN' }));
    this.counters.syncEntriesDropped += this.delay.setPeers(this.d.standalone ? [] : peers);
    if (healthyChanged) this.recomputeOwnership();
    for (const p of this.delay.peers()) this.execute.drain(p);
  }

  /**
   * After a healthy-list change: ip-port clients this member now owns get a fresh heartbeat grace
   * instead of expiring at once; replicas whose owner changed get a fresh lease, so the new owner
   * has time to verify them.
   */
  private recomputeOwnership(): void {
    const now = this.d.clock.monotonic();
    for (const c of this.storage.clients()) {
      if (c.kind !== 'ephemeral-ipport') continue;
      const m = this.storage.ensureMeta(c, now);
      const owner = this.storage.hashOwner(c.id);
      if (m.owner === owner) continue;
      m.owner = owner;
      if (owner === this.d.self) for (const sid of c.publishes.keys()) c.lastBeat.set(sid, now);
      else m.lastRenewed = now;
    }
  }

  private livePeers(): string[] {
    if (this.d.standalone) return [];
    const out: string[] = [];
    for (const [a, s] of this.members) if (a !== this.d.self && s !== 'DOWN') out.push(a);
    return out.sort();
  }

  // ------------------------------------------------------------------ routing helpers for the edges

  /** For ExpiryTasks' `isResponsible` hook and the gRPC/HTTP edges. */
  isResponsible(clientId: string): boolean {
    return this.storage.isResponsible(clientId);
  }

  /** HTTP DistroFilter: is this member responsible for `ip:port`? */
  responsibleTag(tag: string): boolean {
    return this.mapper.responsibleTag(tag);
  }

  /** HTTP DistroFilter: the member to forward a write for `ip:port` to. */
  mapSrv(tag: string): string {
    return this.mapper.mapSrv(tag);
  }

  // ------------------------------------------------------------------ inbound

  /**
   * Handles a peer's request. Never throws: a failure is answered as `{type:'error'}` (the sender
   * retries). `authenticatedFrom`: the member the transport authenticated, which must match `from`.
   */
  handle(req: DistroRequest, authenticatedFrom?: string): DistroResponse {
    try {
      if (!req || typeof req !== 'object' || typeof req.from !== 'string') throw new Error('malformed request');
      if (authenticatedFrom !== undefined && authenticatedFrom !== req.from) throw new Error(`request from ${authenticatedFrom} claims to be from ${req.from}`);
      if (req.from === this.d.self) throw new Error('request from self');
      switch (req.type) {
        case 'sync':
          return this.processor.handleSync(req);
        case 'verify-digest':
          return this.processor.handleVerifyDigest(req);
        case 'verify-list':
          return this.processor.handleVerifyList(req);
        case 'snapshot': {
          this.counters.snapshotChunksServed++;
          const max = Math.min(Math.max(1, Number(req.maxBytes) || this.config.loadChunkMaxBytes), this.config.loadChunkMaxBytes);
          return this.storage.snapshotChunk(typeof req.cursor === 'string' ? req.cursor : null, max, this.d.clock.monotonic(), this.loaded);
        }
        default:
          throw new Error(`unknown request type ${(req as { type?: unknown }).type as string}`);
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.warn({ from: (req as { from?: unknown } | null)?.from, type: (req as { type?: unknown } | null)?.type, err: message }, 'distro request failed');
      return { type: 'error', message };
    }
  }

  // ------------------------------------------------------------------ local changes

  /** A change made on this member (register, deregister, heartbeat expiry, connection closed...). */
  private onLocalChange(c: Client, removed: boolean): void {
    if (c.kind === 'persistent-ipport' || this.stopped) return;
    const now = this.d.clock.monotonic();
    const id = c.id;
    if (removed) {
      const m = this.storage.metaOf(id);
      const responsible = c.kind === 'connection' ? m?.native === true : this.storage.isResponsible(id);
      this.storage.dropMeta(id);
      if (responsible) {
        // The deletion gets its own version, above every version of the client's data.
        const handover = c.kind === 'connection' && this.handover?.releasing(id) === true;
        this.storage.setTombstone(id, { version: this.d.hlc.next(), writer: this.d.self, at: now, strict: true, mine: true, handover });
        this.queueDelete(id);
      } else {
        // Not ours (e.g. the empty-client cleaner on a replica): a local drop only.
        this.storage.setTombstone(id, { version: c.revision, writer: m?.writer ?? this.d.self, at: now, strict: false, mine: false });
      }
      return;
    }
    let m = this.storage.metaOf(id);
    if (!m) {
      m = c.kind === 'connection' ? { owner: this.d.self, writer: this.d.self, lastRenewed: now, native: true } : this.storage.ensureMeta(c, now);
      this.storage.setMeta(id, m);
    }
    m.writer = this.d.self;
    this.storage.dropTombstone(id);
    if (this.storage.isResponsible(id)) {
      m.owner = this.d.self;
      this.schedule(id);
    } else {
      // Should not happen (writes are routed to the owner); the owner adopts it through verify if newer.
      this.counters.nonOwnerLocalChanges++;
      this.log.warn({ client: id }, 'local change of a client this member is not responsible for');
    }
  }

  /**
   * Wires the hand-over (docs/operations.md "Drain", step 4): `releasing(id)` is true while the
   * naming layer removes a handed-over client it released (its DELETE carries `handover`);
   * `hold(id)` is asked when such a DELETE removes a replica here — true keeps the client listed
   * until `releaseHeld(id)`.
   */
  setHandover(h: DistroHandoverHooks): void {
    this.handover = h;
    this.processor.setHandoverHold((id) => h.hold(id));
  }

  /** Removes a client kept by `hold` (its covering client arrived, or the hold timed out). */
  releaseHeld(id: string): void {
    if (this.storage.unhold(id)) this.d.registry.removeClient(id, this.d.clock.monotonic(), 'replica');
  }

  /** Queues the DELETE of a client this member removed as its owner (a seam for the mutation tests). */
  protected queueDelete(id: string): void {
    this.schedule(id);
  }

  private schedule(id: string): void {
    if (this.d.standalone) return;
    this.delay.addAll(id, this.config.syncDelayMs, 'change');
  }

  /** A peer holds later states of some clients: adopt those we are responsible for (they spread from us). */
  private adopt(peer: string, entries: readonly SyncEntry[]): void {
    const now = this.d.clock.monotonic();
    for (const e of entries) {
      try {
        const id = entryId(e);
        if (kindOfClientId(id) !== 'ephemeral-ipport' || !this.storage.isResponsible(id)) continue;
        if (this.processor.apply(e, peer, now) === 'applied') this.counters.adopted++;
      } catch {
        this.counters.applyErrors++;
      }
    }
  }

  private markLoaded(warning: string | null): void {
    if (this.loaded) return;
    this.loaded = true;
    this.loadTimeMs = this.started ? this.load.elapsedMs() : 0;
    this.loadWarning = warning;
    if (warning) this.log.warn({ self: this.d.self }, warning);
    else this.log.info({ self: this.d.self, ms: this.loadTimeMs }, 'distro data loaded');
  }

  // ------------------------------------------------------------------ observability

  stats(): DistroStats {
    let responsible = 0;
    let replicas = 0;
    for (const c of this.storage.clients()) {
      if (this.storage.isResponsible(c.id)) responsible++;
      else replicas++;
    }
    const peers: Record<string, PeerStats> = {};
    for (const [address, state] of this.members) {
      if (address === this.d.self) continue;
      const q = this.delay.queue(address);
      const v = this.verify.lastByPeer.get(address);
      peers[address] = {
        state,
        pending: q?.pending.size ?? 0,
        inFlight: q?.inFlight ?? 0,
        paused: q?.paused ?? false,
        lastVerifyAt: v?.at ?? null,
        lastVerifyOk: v?.ok ?? null,
      };
    }
    return {
      self: this.d.self,
      standalone: this.d.standalone,
      loaded: this.loaded,
      loadTimeMs: this.loadTimeMs,
      loadWarning: this.loadWarning,
      healthyMembers: this.mapper.healthyList().length,
      responsible,
      replicas,
      tombstones: this.storage.tombstoneCount(),
      heldAfterHandover: this.storage.heldCount(),
      verify: { mode: this.config.verifyMode, lastRoundBytes: this.verify.lastRoundBytes, totalBytes: this.verify.totalBytes },
      counters: { ...this.counters },
      peers,
    };
  }
}

