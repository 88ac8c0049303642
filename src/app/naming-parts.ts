/**
 * The naming use cases of one member and their housekeeping, built from the config: the
 * ServiceInfo view, pushes, `NamingService`, expiry, server-side health checks, the cleaner of
 * overrides of vanished instances and the hand-over of moved SDK clients.
 */
import type { ClusterNode } from '../cluster/cluster-node.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { MetadataIndex } from '../core/metadata.js';
import type { Registry } from '../core/registry.js';
import { responsibleTagOf } from '../distro/mapper.js';
import { HealthCheckEngine } from '../health/health-checker.js';
import { netProber } from '../health/net-prober.js';
import { ExpiredMetadataCleaner, ExpiryTasks } from '../naming/expiry.js';
import type { FuzzyPushSink } from '../fuzzy/engine.js';
import { FuzzyWatchEngine } from '../naming/fuzzy-watch.js';
import { ClientHandover } from '../naming/handover.js';
import { checkedInstances } from '../naming/health-source.js';
import { limitSettings } from '../naming/limits.js';
import { NamingService } from '../naming/naming-service.js';
import { PushEngine, type PushSink } from '../naming/push-engine.js';
import { ServiceInfoView } from '../naming/service-info-view.js';
import type { SubscriptionRegistry } from '../naming/subscriptions.js';
import type { Logger } from '../observability/logger.js';
import type { PersistentStore } from '../persistence/persistent-store.js';

export interface NamingInputs {
  config: Config;
  log: Logger;
  clock: Clock;
  registry: Registry;
  metadata: MetadataIndex;
  subscriptions: SubscriptionRegistry;
  store: PersistentStore;
  /** Cluster mode only: Distro decides which member expires and probes which client. */
  cluster: ClusterNode | null;
  sinks: { grpc: PushSink; udp: PushSink };
  /** Server requests of the fuzzy watch (sync and change notifications) to one SDK connection. */
  fuzzyPush: FuzzyPushSink;
}

export interface NamingParts {
  view: ServiceInfoView;
  push: PushEngine;
  naming: NamingService;
  expiry: ExpiryTasks;
  /** Server-side checks of persistent instances. */
  health: HealthCheckEngine;
  /** Deletes overrides of vanished instances. */
  metadataCleaner: ExpiredMetadataCleaner;
  /** SDK connections this member closes on purpose keep their instances until re-registered elsewhere. */
  handover: ClientHandover;
  /** Nacos 3 naming fuzzy watch: patterns per SDK connection, syncs and change notifications. */
  fuzzy: FuzzyWatchEngine;
}

export function namingParts(p: NamingInputs): NamingParts {
  const { config, log, clock, registry, metadata, subscriptions, store, cluster } = p;
  const view = new ServiceInfoView(registry, metadata, clock, () => config.int('nacos.naming.default.push.cache.millis'));
  const push = new PushEngine(view, subscriptions, p.sinks, clock, log.child({ component: 'push' }), {
    delayMs: config.int('nacos.naming.push.pushTaskDelay'),
    retryDelayMs: config.int('nacos.naming.push.pushTaskRetryDelay'),
    maxRetries: config.int('nomen.naming.push.max-retries'),
  });
  const naming = new NamingService(registry, metadata, store, subscriptions, view, push, clock, log.child({ component: 'naming' }), {
    clientBeatInterval: config.int('nacos.naming.client.beat.interval'),
    lightBeatEnabled: true,
    healthCheckEnabled: config.bool('nacos.naming.health.enabled'),
    metadataLimit: config.int('nacos.naming.service.metadata.length'),
    limits: limitSettings((key) => config.int(key)),
  });
  const checksEnabled = () => naming.settings.healthCheckEnabled !== false;
  const expiry = new ExpiryTasks(registry, metadata, subscriptions, view, clock, log.child({ component: 'expiry' }), {
    checkIntervalMs: config.int('nomen.naming.heartbeat.check-interval-ms'),
    expireInstance: config.bool('nacos.naming.expireInstance'),
    clientExpiredMs: config.int('nacos.naming.client.expired.time'),
    udpSubscriberExpiredMs: config.int('nomen.naming.udp.subscriber.expired-time'),
    emptyServiceExpiredMs: config.int('nacos.naming.clean.empty-service.expired-time'),
    healthCheckEnabled: checksEnabled,
  }, cluster ? (id) => cluster.distro.isResponsible(id) : undefined);
  // Persistent ip:port clients are not Distro's, but the same hash of `ip:port` picks who probes them.
  const ownsIpPort = cluster ? (id: string) => cluster.distro.responsibleTag(responsibleTagOf(id)) : () => true;
  const health = new HealthCheckEngine(
    {
      instances: checkedInstances(registry, metadata, store),
      prober: netProber,
      clock,
      log: log.child({ component: 'health' }),
      random: Math.random,
      isResponsible: ownsIpPort,
    },
    {
      enabled: checksEnabled,
      checkTimes: () => config.int('nacos.naming.health.check-times'),
      timeoutMs: config.int('nomen.naming.health.timeout-ms'),
    },
  );
  const metadataCleaner = new ExpiredMetadataCleaner(registry, metadata, store, clock, log.child({ component: 'expiry' }), {
    intervalMs: config.int('nacos.naming.clean.expired-metadata.interval'),
    expiredMs: config.int('nacos.naming.clean.expired-metadata.expired-time'),
  }, ownsIpPort);
  const handover = new ClientHandover(
    registry,
    clock,
    {
      timeoutMs: config.int('nomen.handover.timeout-ms'),
      checkIntervalMs: 50,
      // Two sync delays and two sync retries, at least 3 s: the new registration usually reaches
      // every peer before the DELETE; peers keep the client until it does (docs/operations.md "Drain").
      coverGraceMs: Math.max(
        3000,
        2 * config.int('nacos.core.protocol.distro.data.sync.delayMs') + 2 * config.int('nacos.core.protocol.distro.data.sync.retryDelayMs'),
      ),
    },
    (id, reason) => {
      log.debug({ client: id, reason }, 'handed-over client released');
      naming.connectionClosed(id);
    },
  );
  const fuzzy = new FuzzyWatchEngine(
    () => ({
      maxPatterns: config.int('nacos.naming.fuzzy.watch.max.pattern.count'),
      maxMatched: config.int('nacos.naming.fuzzy.watch.max.pattern.match.service.count'),
      batchSize: 10,
      delayMs: config.int('nacos.naming.push.pushTaskDelay'),
      retryDelayMs: config.int('nacos.naming.push.pushTaskRetryDelay'),
      maxRetries: config.int('nomen.naming.push.max-retries'),
    }),
    (ns) => naming.catalog.servicesOf(ns),
    p.fuzzyPush,
    clock,
  );
  if (cluster) {
    // docs/operations.md "Drain", step 4: our releases are marked; peers' marked DELETEs are held.
    cluster.distro.setHandover({ releasing: (id) => handover.isReleasing(id), hold: (id) => handover.hold(id) });
    handover.setReleaseHeld((id) => cluster.distro.releaseHeld(id));
  }
  // Services appear and go on every member (Distro applies, Raft applies, local writes alike).
  registry.onServiceChanged((svc) => fuzzy.serviceChanged(svc.id, svc.publishers.size));
  return { view, push, naming, expiry, health, metadataCleaner, handover, fuzzy };
}

/** An SDK connection closed: a connection we asked to move keeps its instances until the SDK registered them elsewhere. */
export function sdkConnectionClosed(parts: NamingParts, subscriptions: SubscriptionRegistry, connectionId: string): void {
  parts.fuzzy.connectionClosed(connectionId);
  if (parts.handover.onClosed(connectionId)) subscriptions.removeSubscriber(connectionId);
  else parts.naming.connectionClosed(connectionId);
}
