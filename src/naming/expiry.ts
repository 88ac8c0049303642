import type { Clock, TimerHandle } from '../core/clock.js';
import { heartbeatTimes } from '../core/instance.js';
import { ipPortClientId } from '../core/client.js';
import { instanceMetadataId, type MetadataIndex } from '../core/metadata.js';
import type { Registry } from '../core/registry.js';
import type { Logger } from '../observability/logger.js';
import type { PersistentStore, StoreWrite } from '../persistence/persistent-store.js';
import { storeKeys } from './persistent-state.js';
import type { ServiceInfoView } from './service-info-view.js';
import type { SubscriptionRegistry } from './subscriptions.js';

export interface ExpiryConfig {
  /** How often the checks run (Nacos: 5000 ms). */
  checkIntervalMs: number;
  /** `nacos.naming.expireInstance`: remove instances after the delete timeout. */
  expireInstance: boolean;
  /** `nacos.naming.client.expired.time`: an ip:port client with nothing published is dropped after this. */
  clientExpiredMs: number;
  /** UDP subscriptions not refreshed by a list call for this long are dropped. */
  udpSubscriberExpiredMs: number;
  /** `nacos.naming.clean.empty-service.expired-time`. */
  emptyServiceExpiredMs: number;
  /** Switch `healthCheckEnabled`. */
  healthCheckEnabled: () => boolean;
}

/**
 * Periodic housekeeping: heartbeat health of ephemeral ip:port instances (unhealthy after the beat
 * timeout, removed after the delete timeout; per-instance `preserved.*` overrides, operator ones first),
 * expiry of empty ip:port clients and stale UDP subscribers, and removal of empty services.
 * `isResponsible` lets a cluster member check only the clients it owns.
 */
export class ExpiryTasks {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly registry: Registry,
    private readonly metadata: MetadataIndex,
    private readonly subs: SubscriptionRegistry,
    private readonly view: ServiceInfoView,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly cfg: ExpiryConfig,
    private readonly isResponsible: (clientId: string) => boolean = () => true,
  ) {}

  start(): void {
    this.timer = this.clock.setInterval(() => this.runOnce(), this.cfg.checkIntervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  runOnce(): void {
    const now = this.clock.monotonic();
    if (this.cfg.healthCheckEnabled()) this.checkBeats(now);
    this.expireClients(now);
    for (const s of [...this.subs.staleUdp(now - this.cfg.udpSubscriberExpiredMs)]) this.subs.remove(s.id, s.service);
    this.cleanEmptyServices(now);
  }

  private checkBeats(now: number): void {
    for (const client of [...this.registry.allClients()]) {
      if (client.kind !== 'ephemeral-ipport' || !this.isResponsible(client.id)) continue;
      for (const [sid, rec] of [...client.publishes]) {
        const last = client.lastBeat.get(sid) ?? client.lastUpdated;
        const inst = rec.instances[0];
        if (!inst) continue;
        const op = this.metadata.getInstance(rec.service, instanceMetadataId(inst.ip, inst.port, inst.clusterName));
        const merged = op ? { ...inst.metadata, ...op.metadata } : inst.metadata;
        if (merged['enableClientBeat'] === 'true') continue;
        const hb = heartbeatTimes(merged);
        const idle = now - last;
        if (this.cfg.expireInstance && idle > hb.deleteTimeout) {
          this.log.info({ client: client.id, service: sid, idleMs: idle }, 'instance expired: no heartbeat');
          this.registry.unpublish(client.id, rec.service, now);
        } else if (inst.healthy && idle > hb.timeout) {
          this.log.info({ client: client.id, service: sid, idleMs: idle }, 'instance unhealthy: heartbeat timeout');
          this.registry.publish(client.id, client.kind, rec.service, rec.instances.map((i) => ({ ...i, healthy: false })), now);
        }
      }
    }
  }

  private expireClients(now: number): void {
    for (const client of [...this.registry.allClients()]) {
      if (client.kind !== 'ephemeral-ipport' || client.publishes.size > 0 || !this.isResponsible(client.id)) continue;
      if (now - client.lastUpdated > this.cfg.clientExpiredMs) this.registry.removeClient(client.id, now);
    }
  }

  private cleanEmptyServices(now: number): void {
    for (const svc of [...this.registry.allServices()]) {
      if (svc.publishers.size > 0) continue;
      if (this.metadata.getService(svc.key)) continue;
      if (this.subs.countOf(svc.id) > 0) continue;
      if (now - svc.lastUpdated < this.cfg.emptyServiceExpiredMs) continue;
      this.registry.removeService(svc.key);
      this.view.forget(svc.id);
    }
  }
}


export interface MetadataExpiryConfig {
  /** `nacos.naming.clean.expired-metadata.interval` (5000). */
  intervalMs: number;
  /** `nacos.naming.clean.expired-metadata.expired-time` (60000). */
  expiredMs: number;
}

/**
 * Deletes instance metadata (operator overrides) whose instance has been gone for `expiredMs`
 * (Nacos ExpiredMetadataCleaner), so overrides survive a quick restart or re-registration but do
 * not pile up. "Gone" is derived from the state on every sweep (no instance of the service has that
 * `ip:port:cluster`), so it also covers instances that expired or whose connection closed, and it
 * holds across restarts (the grace period starts again). Services themselves are not deleted here:
 * `ExpiryTasks` removes empty services, and keeps those with metadata (docs/decisions.md).
 *
 * The deletion is a store write; only the member responsible for the `ip:port` (Distro hash, the
 * same member that health-checks it) issues it, so members do not all delete the same entry. Two
 * members may both delete during a membership change; deleting is idempotent.
 */
export class ExpiredMetadataCleaner {
  /** Store key of an orphaned override → when this member first saw it orphaned. */
  private readonly orphanSince = new Map<string, number>();
  private timer: TimerHandle | null = null;
  private sweeping = false;

  constructor(
    private readonly registry: Registry,
    private readonly metadata: MetadataIndex,
    private readonly store: PersistentStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly cfg: MetadataExpiryConfig,
    private readonly isResponsible: (clientId: string) => boolean = () => true,
  ) {}

  start(): void {
    this.timer = this.clock.setInterval(() => void this.sweep(), this.cfg.intervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** Number of overrides currently waiting out their grace period (tests, diagnostics). */
  pendingCount(): number {
    return this.orphanSince.size;
  }

  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = this.clock.monotonic();
      const orphans = new Set<string>();
      const batch: StoreWrite[] = [];
      for (const [sid, overrides] of this.metadata.allInstanceMetadata()) {
        const svc = this.registry.getServiceById(sid);
        const live = new Set(svc ? this.registry.instancesOf(svc).map((i) => instanceMetadataId(i.ip, i.port, i.clusterName)) : []);
        for (const metaId of overrides.keys()) {
          if (live.has(metaId)) continue;
          const key = storeKeys.instanceMeta(sid, metaId);
          orphans.add(key);
          const since = this.orphanSince.get(key);
          if (since === undefined) this.orphanSince.set(key, now);
          else if (now - since >= this.cfg.expiredMs && this.responsibleFor(metaId)) {
            batch.push({ table: 'instanceMeta', key, value: null, onlyIfExists: true });
          }
        }
      }
      for (const k of [...this.orphanSince.keys()]) if (!orphans.has(k)) this.orphanSince.delete(k);
      if (batch.length === 0) return;
      this.log.info({ keys: batch.map((w) => w.key) }, 'deleting expired instance metadata');
      await this.store.write(batch);
      for (const w of batch) this.orphanSince.delete(w.key);
    } catch (e) {
      this.log.warn({ err: e }, 'expired instance metadata not deleted');
    } finally {
      this.sweeping = false;
    }
  }

  /** `metaId` is `ip:port:cluster` (cluster names hold no `:`). */
  private responsibleFor(metaId: string): boolean {
    const ipPort = metaId.slice(0, metaId.lastIndexOf(':'));
    const sep = ipPort.lastIndexOf(':');
    return this.isResponsible(ipPortClientId(ipPort.slice(0, sep), Number(ipPort.slice(sep + 1)), false));
  }
}
