import type { Clock, TimerHandle } from '../core/clock.js';
import { heartbeatTimes } from '../core/instance.js';
import { instanceMetadataId, type MetadataIndex } from '../core/metadata.js';
import type { Registry } from '../core/registry.js';
import type { Logger } from '../observability/logger.js';
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
    const now = this.clock.now();
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

