/**
 * The caps on what clients can make this member keep (docs/security.md §8): services (in all, per
 * namespace), namespaces, instances (in all, per service), per client the services it publishes to
 * and its instances, and subscriptions (in all, per subscriber). Nacos has no naming caps; the
 * closest it has are the config capacity quotas (HTTP 429, codes 5031 "cluster capacity reach
 * quota" / 5033 "tenant capacity reach quota"), whose shapes these follow.
 *
 * Checked by `NamingService` before every write a client asks this member for, so a refused
 * request changes nothing. Never checked when applying what is already decided elsewhere: Distro
 * replicas from the responsible member and committed Raft entries are applied as they are (refusing
 * them would make members disagree), so under concurrent writes on several members a total can end
 * a little above its cap. Every check is O(1) (counters kept by Registry and SubscriptionRegistry),
 * except a new namespace, which looks at the namespace catalog's ids.
 */
import { CONFIG_KEYS } from '../config/keys.js';
import { NacosError } from '../core/errors.js';
import type { MetadataIndex } from '../core/metadata.js';
import { DEFAULT_NAMESPACE, groupedName, serviceKeyId, type ServiceKey } from '../core/names.js';
import type { Registry } from '../core/registry.js';
import type { SubscriptionRegistry } from './subscriptions.js';

export interface LimitSettings {
  services: number;
  servicesPerNamespace: number;
  namespaces: number;
  instances: number;
  instancesPerService: number;
  servicesPerClient: number;
  instancesPerClient: number;
  subscriptions: number;
  subscriptionsPerClient: number;
}

/** The configuration key of each cap (src/config/keys.ts). */
export const LIMIT_KEYS = {
  services: 'nomen.naming.limit.services',
  servicesPerNamespace: 'nomen.naming.limit.services-per-namespace',
  namespaces: 'nomen.naming.limit.namespaces',
  instances: 'nomen.naming.limit.instances',
  instancesPerService: 'nomen.naming.limit.instances-per-service',
  servicesPerClient: 'nomen.naming.limit.services-per-client',
  instancesPerClient: 'nomen.naming.limit.instances-per-client',
  subscriptions: 'nomen.naming.limit.subscriptions',
  subscriptionsPerClient: 'nomen.naming.limit.subscriptions-per-client',
} as const satisfies Record<keyof LimitSettings, string>;

/** Reads every cap with `read(key)` (the composition root passes `config.int`). */
export function limitSettings(read: (key: (typeof LIMIT_KEYS)[keyof LimitSettings]) => number): LimitSettings {
  const out = {} as LimitSettings;
  for (const k of Object.keys(LIMIT_KEYS) as (keyof LimitSettings)[]) out[k] = read(LIMIT_KEYS[k]);
  return out;
}

/** The documented defaults (src/config/keys.ts), for wiring without a Config (tests, tools). */
export const DEFAULT_LIMITS: Readonly<LimitSettings> = limitSettings((key) => Number(CONFIG_KEYS[key].default));

/** v2 codes of Nacos' capacity quotas: the whole cluster, one namespace (tenant). */
const OVER_CLUSTER_QUOTA = 5031;
const OVER_TENANT_QUOTA = 5033;

/** A cap was reached: HTTP 429 (v1 text, v2/v3 code 5031/5033), gRPC typed failure with errorCode 429. */
export class LimitExceededError extends NacosError {
  constructor(what: string, readonly cap: keyof LimitSettings, limit: number, v2Code = OVER_CLUSTER_QUOTA) {
    super(429, `Exceeded the maximum number of ${what}: ${limit} (${LIMIT_KEYS[cap]})`, v2Code);
    this.name = 'LimitExceededError';
  }
}

export class NamingLimits {
  constructor(
    private readonly registry: Registry,
    private readonly metadata: MetadataIndex,
    private readonly subscriptions: SubscriptionRegistry,
    readonly settings: LimitSettings,
  ) {}

  /** A write that would create `service` (nothing to check when it exists). */
  checkNewService(service: ServiceKey, id = serviceKeyId(service)): void {
    if (this.registry.getServiceById(id)) return;
    const s = this.settings;
    if (this.registry.serviceCount() >= s.services) throw new LimitExceededError('services', 'services', s.services);
    const inNamespace = this.registry.serviceCountIn(service.namespace);
    if (inNamespace >= s.servicesPerNamespace) {
      throw new LimitExceededError(`services for this namespaceId`, 'servicesPerNamespace', s.servicesPerNamespace, OVER_TENANT_QUOTA);
    }
    if (inNamespace === 0) this.checkNewNamespace(service.namespace);
  }

  /**
   * A write that would make `namespace` known: its first service, or a catalog entry. Counted are
   * the custom namespaces (`public` always exists) that hold services or are in the catalog.
   */
  checkNewNamespace(namespace: string): void {
    if (namespace === DEFAULT_NAMESPACE) return;
    const catalog = this.metadata.namespaceIds();
    if (this.registry.serviceCountIn(namespace) > 0 || catalog.has(namespace)) return;
    let known = this.registry.namespaces().size - (this.registry.serviceCountIn(DEFAULT_NAMESPACE) > 0 ? 1 : 0);
    for (const id of catalog) if (id !== DEFAULT_NAMESPACE && this.registry.serviceCountIn(id) === 0) known++;
    if (known >= this.settings.namespaces) throw new LimitExceededError('namespaces', 'namespaces', this.settings.namespaces);
  }

  /** Client `clientId` replaces its record for `service` with `count` instances. Only growth is limited. */
  checkPublish(clientId: string, service: ServiceKey, count: number, id = serviceKeyId(service)): void {
    this.checkNewService(service, id);
    const s = this.settings;
    const client = this.registry.getClient(clientId);
    const prev = client?.publishes.get(id);
    if (!prev && (client?.publishes.size ?? 0) >= s.servicesPerClient) {
      throw new LimitExceededError('services one client may register', 'servicesPerClient', s.servicesPerClient);
    }
    const growth = count - (prev?.instances.length ?? 0);
    if (growth <= 0) return;
    const inService = this.registry.getServiceById(id)?.instanceCount ?? 0;
    if (inService + growth > s.instancesPerService) {
      throw new LimitExceededError(
        `instances in service ${groupedName(service.group, service.name)}`,
        'instancesPerService',
        s.instancesPerService,
      );
    }
    if ((client?.instanceCount() ?? 0) + growth > s.instancesPerClient) {
      throw new LimitExceededError('instances one client may register', 'instancesPerClient', s.instancesPerClient);
    }
    if (this.registry.instanceCount() + growth > s.instances) throw new LimitExceededError('instances', 'instances', s.instances);
  }

  /**
   * A new operator override for `ip:port:cluster` of `service` with no published instance behind it
   * (Nacos writes those too; they are cleaned up after a while): at most the service's instance cap
   * of them, so overrides for made-up addresses cannot grow the store without bound.
   */
  checkNewOverride(service: ServiceKey, metaId: string): void {
    const overrides = this.metadata.instancesOf(service);
    if (overrides?.has(metaId)) return;
    const s = this.settings;
    if ((overrides?.size ?? 0) >= s.instancesPerService) {
      throw new LimitExceededError(`instances in service ${groupedName(service.group, service.name)}`, 'instancesPerService', s.instancesPerService);
    }
  }

  /** Subscriber `subscriberId` subscribes to `service` (a refresh of an existing subscription always passes). */
  checkSubscribe(subscriberId: string, service: ServiceKey): void {
    if (this.subscriptions.get(subscriberId, serviceKeyId(service))) return;
    const s = this.settings;
    if (this.subscriptions.countFor(subscriberId) >= s.subscriptionsPerClient) {
      throw new LimitExceededError('subscriptions of one client', 'subscriptionsPerClient', s.subscriptionsPerClient);
    }
    if (this.subscriptions.count() >= s.subscriptions) throw new LimitExceededError('subscriptions', 'subscriptions', s.subscriptions);
  }
}
