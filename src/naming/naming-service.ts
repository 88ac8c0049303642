import { ipPortClientId, type ClientKind } from '../core/client.js';
import type { Clock } from '../core/clock.js';
import { NacosError, badRequest, notFound } from '../core/errors.js';
import { heartbeatTimes, type Instance } from '../core/instance.js';
import {
  defaultServiceMetadata,
  instanceMetadataId,
  type ClusterMetadata,
  type InstanceMetadata,
  type MetadataIndex,
  type ServiceMetadata,
} from '../core/metadata.js';
import { groupedName, serviceKeyId, type ServiceKey } from '../core/names.js';
import type { Registry } from '../core/registry.js';
import type { Logger } from '../observability/logger.js';
import { ConditionFailedError, type EntryUpdate, type PersistentStore, type StoreWrite } from '../persistence/persistent-store.js';
import { buildInstance, type InstanceInput } from './instance-input.js';
import { DEFAULT_LIMITS, NamingLimits, type LimitSettings } from './limits.js';
import { storeKeys } from './persistent-state.js';
import { NamingCatalog } from './catalog.js';
import { ClientDirectory } from './client-directory.js';
import type { PushEngine } from './push-engine.js';
import type { NameStyle, RenderedServiceInfo, ServiceInfoView } from './service-info-view.js';
import type { Subscriber, SubscriberTarget, SubscriptionRegistry } from './subscriptions.js';

export interface NamingSettings {
  /** Switch `clientBeatInterval` (5000). */
  clientBeatInterval: number;
  /** Switch `lightBeatEnabled`. */
  lightBeatEnabled: boolean;
  /** Switch `healthCheckEnabled`: server-side health checks and heartbeat expiry run (absent: true). */
  healthCheckEnabled?: boolean;
  /** `nacos.naming.service.metadata.length`. */
  metadataLimit: number;
  /** The caps (`nomen.naming.limit.*`); absent: the defaults of src/config/keys.ts. */
  limits?: LimitSettings;
}

export interface BeatInput {
  ip: string;
  port: number;
  cluster?: string | null;
  weight?: number | null;
  metadata?: Record<string, string> | null;
  ephemeral?: boolean | null;
}

export interface BeatResult {
  clientBeatInterval: number;
  code: number;
  lightBeatEnabled: boolean;
}

/**
 * The naming use cases: every write path for ephemeral instances ends in the registry, every
 * durable write ends in the persistent store. Edges (gRPC, HTTP) validate input and call these.
 */
export class NamingService {
  /** The caps, checked before every write a client asks this member for (docs/security.md §8). */
  readonly limits: NamingLimits;
  /** Publishers and subscribers as one list of clients (the client views, operator metrics). */
  readonly clients: ClientDirectory;
  /** The read models every edge queries; the registry and metadata index stay private here. */
  readonly catalog: NamingCatalog;

  constructor(
    private readonly registry: Registry,
    private readonly metadata: MetadataIndex,
    readonly store: PersistentStore,
    readonly subscriptions: SubscriptionRegistry,
    readonly view: ServiceInfoView,
    readonly push: PushEngine,
    readonly clock: Clock,
    readonly log: Logger,
    readonly settings: NamingSettings,
  ) {
    registry.onServiceChanged((svc) => push.serviceChanged(svc.id));
    this.limits = new NamingLimits(registry, metadata, subscriptions, settings.limits ?? DEFAULT_LIMITS);
    this.clients = new ClientDirectory(registry, subscriptions);
    this.catalog = new NamingCatalog(registry, metadata);
  }

  // ---------------------------------------------------------------- ephemeral, connection-based

  /** gRPC InstanceRequest register: replaces the connection's record for the service. */
  registerConnectionInstance(connectionId: string, service: ServiceKey, input: InstanceInput): Instance {
    const inst = buildInstance(service, input, true, this.settings.metadataLimit);
    // One id for every lookup of this register (docs/benchmarks.md, "The register use case").
    const id = serviceKeyId(service);
    this.admit(connectionId, service, 1, true, id);
    this.registry.publish(connectionId, 'connection', service, [inst], this.clock.monotonic(), id);
    return inst;
  }

  /** gRPC BatchInstanceRequest: the batch replaces the connection's set for the service. */
  batchRegisterConnectionInstances(connectionId: string, service: ServiceKey, inputs: readonly InstanceInput[]): void {
    const list = inputs.map((i) => buildInstance(service, i, true, this.settings.metadataLimit));
    const now = this.clock.monotonic();
    if (list.length === 0) {
      this.registry.unpublish(connectionId, service, now);
      return;
    }
    // The whole batch or nothing.
    this.admit(connectionId, service, list.length, true);
    this.registry.publish(connectionId, 'connection', service, list, now);
  }

  /**
   * gRPC deregister: removes whatever the connection published for the service, except that a
   * deregister naming one `ip:port` of a batch the connection published removes only that
   * instance and keeps the rest of the batch (docs/naming-batch.md; Nacos removes the whole batch).
   */
  deregisterConnectionInstance(connectionId: string, service: ServiceKey, target?: { readonly ip: string; readonly port: number }): void {
    this.registry.checkEphemerality(service, true);
    const now = this.clock.monotonic();
    const batch = this.registry.getClient(connectionId)?.publishes.get(serviceKeyId(service))?.instances;
    if (target && batch && batch.length > 1) {
      const ip = target.ip.trim();
      const rest = batch.filter((i) => i.ip !== ip || i.port !== target.port);
      if (rest.length > 0 && rest.length < batch.length) {
        this.registry.publish(connectionId, 'connection', service, rest, now);
        return;
      }
    }
    this.registry.unpublish(connectionId, service, now);
  }

  /** A connection closed: drop its instances and subscriptions. */
  connectionClosed(connectionId: string): void {
    this.registry.removeClient(connectionId, this.clock.monotonic());
    this.subscriptions.removeSubscriber(connectionId);
  }

  // ---------------------------------------------------------------- ip:port clients (HTTP)

  /** HTTP register: ephemeral → heartbeat client `ip:port#true`; persistent → durable store. */
  async registerIpPortInstance(service: ServiceKey, input: InstanceInput, ephemeral: boolean): Promise<Instance> {
    const inst = buildInstance(service, input, ephemeral, this.settings.metadataLimit);
    if (!ephemeral) {
      await this.writePersistentInstance(service, inst);
      return inst;
    }
    const clientId = ipPortClientId(inst.ip, inst.port, true);
    const now = this.clock.monotonic();
    this.admit(clientId, service, 1, true);
    this.registry.publish(clientId, 'ephemeral-ipport', service, [inst], now);
    this.registry.getClient(clientId)?.lastBeat.set(serviceKeyId(service), now);
    return inst;
  }

  async deregisterIpPortInstance(service: ServiceKey, ip: string, port: number, ephemeral: boolean): Promise<void> {
    if (!ephemeral) {
      await this.removePersistentInstance(service, ip, port);
      return;
    }
    this.registry.unpublish(ipPortClientId(ip, port, true), service, this.clock.monotonic());
  }

  /**
   * HTTP heartbeat. Refreshes the beat time and heals an unhealthy instance; an unknown instance is
   * re-registered from the beat body when there is one, else answered with code 20404.
   */
  beat(service: ServiceKey, beat: BeatInput, hasBody: boolean): BeatResult {
    const now = this.clock.monotonic();
    const clientId = ipPortClientId(beat.ip, beat.port, true);
    const sid = serviceKeyId(service);
    const client = this.registry.getClient(clientId);
    const record = client?.publishes.get(sid);
    const interval = (m: Readonly<Record<string, string>>) =>
      m['preserved.heart.beat.interval'] !== undefined ? heartbeatTimes(m).interval : this.settings.clientBeatInterval;
    if (!client || !record) {
      if (!hasBody) return { clientBeatInterval: this.settings.clientBeatInterval, code: 20404, lightBeatEnabled: this.settings.lightBeatEnabled };
      const inst = buildInstance(
        service,
        { ip: beat.ip, port: beat.port, clusterName: beat.cluster, weight: beat.weight, metadata: beat.metadata },
        true,
        this.settings.metadataLimit,
      );
      this.admit(clientId, service, 1, true);
      this.registry.publish(clientId, 'ephemeral-ipport', service, [inst], now);
      this.registry.getClient(clientId)?.lastBeat.set(sid, now);
      return { clientBeatInterval: interval(inst.metadata), code: 10200, lightBeatEnabled: this.settings.lightBeatEnabled };
    }
    client.lastBeat.set(sid, now);
    const inst = record.instances[0]!;
    if (!inst.healthy) {
      this.registry.publish(clientId, 'ephemeral-ipport', service, record.instances.map((i) => ({ ...i, healthy: true })), now);
      this.log.info({ service: sid, ip: beat.ip, port: beat.port }, 'instance healthy again after beat');
    }
    const op = this.metadata.getInstance(service, instanceMetadataId(inst.ip, inst.port, inst.clusterName));
    const opInterval = op?.metadata['preserved.heart.beat.interval'];
    return {
      clientBeatInterval: opInterval !== undefined && Number(opInterval) > 0 ? Number(opInterval) : interval(inst.metadata),
      code: 10200,
      lightBeatEnabled: this.settings.lightBeatEnabled,
    };
  }

  // ---------------------------------------------------------------- persistent instances

  async registerPersistentInstance(service: ServiceKey, input: InstanceInput): Promise<Instance> {
    const inst = buildInstance(service, input, false, this.settings.metadataLimit);
    await this.writePersistentInstance(service, inst);
    return inst;
  }

  async deregisterPersistentInstance(service: ServiceKey, ip: string, port: number): Promise<void> {
    await this.removePersistentInstance(service, ip, port);
  }

  private async writePersistentInstance(service: ServiceKey, inst: Instance): Promise<void> {
    // Check before the durable write, so a rejected request changes nothing.
    this.admit(ipPortClientId(inst.ip, inst.port, false), service, 1, false);
    await this.store.write([{ table: 'instance', key: storeKeys.instance(serviceKeyId(service), inst.ip, inst.port), value: inst }]);
  }

  private async removePersistentInstance(service: ServiceKey, ip: string, port: number): Promise<void> {
    this.registry.checkEphemerality(service, false);
    const clientId = ipPortClientId(ip, port, false);
    if (!this.registry.getClient(clientId)?.publishes.has(serviceKeyId(service))) return;
    await this.store.write([{ table: 'instance', key: storeKeys.instance(serviceKeyId(service), ip, port), value: null }]);
  }

  // ---------------------------------------------------------------- queries

  query(service: ServiceKey, clusters: string, healthyOnly: boolean, nameStyle: NameStyle): RenderedServiceInfo {
    return this.view.render({ service, clusters, healthyOnly, nameStyle });
  }

  // ---------------------------------------------------------------- subscriptions

  subscribe(
    subscriberId: string,
    service: ServiceKey,
    clusters: string,
    target: SubscriberTarget,
    info: { app: string; agent: string; address: string },
  ): Subscriber {
    this.limits.checkSubscribe(subscriberId, service);
    const { subscriber, isNew } = this.subscriptions.add({
      id: subscriberId,
      service,
      clusters,
      target,
      app: info.app,
      agent: info.agent,
      address: info.address,
      lastSeen: this.clock.monotonic(),
    });
    if (isNew) this.push.subscribed(subscriber);
    return subscriber;
  }

  unsubscribe(subscriberId: string, service: ServiceKey): void {
    this.subscriptions.remove(subscriberId, service);
  }

  // ---------------------------------------------------------------- metadata (operator side)

  async createService(service: ServiceKey, meta: Partial<ServiceMetadata>): Promise<void> {
    const g = groupedName(service.group, service.name);
    if (this.registry.getService(service) || this.metadata.getService(service)) throw badRequest(`specified service ${g} already exists!`, 21007);
    this.limits.checkNewService(service);
    const m: ServiceMetadata = { ...defaultServiceMetadata(meta.ephemeral ?? false), ...meta };
    // `expect absent`: a member whose copy lags the log must not overwrite a service created elsewhere.
    try {
      await this.store.write([{ table: 'service', key: storeKeys.service(serviceKeyId(service)), value: m, expect: { absent: true } }]);
    } catch (e) {
      if (e instanceof ConditionFailedError) throw badRequest(`specified service ${g} already exists!`, 21007);
      throw e;
    }
  }

  /** Clusters are not part of a service update: only `updateCluster` writes them, one entry at a time. */
  async updateService(service: ServiceKey, patch: Partial<Omit<ServiceMetadata, 'ephemeral' | 'clusters'>>): Promise<void> {
    const svc = this.registry.getService(service);
    const current = this.metadata.getService(service);
    if (!svc && !current) throw badRequest(`service ${groupedName(service.group, service.name)} not found!`, 21008);
    const base = current ?? defaultServiceMetadata(svc!.ephemeral);
    const m: ServiceMetadata = { ...base, ...patch, ephemeral: base.ephemeral };
    const fields = Object.keys(patch).filter((k) => k !== 'ephemeral');
    await this.writeFields('service', storeKeys.service(serviceKeyId(service)), m, current !== undefined, fields);
  }

  async updateCluster(service: ServiceKey, cluster: string, cm: ClusterMetadata): Promise<void> {
    const svc = this.registry.getService(service);
    const current = this.metadata.getService(service);
    if (!svc && !current) throw badRequest(`service ${groupedName(service.group, service.name)} not found!`, 21008);
    const base = current ?? defaultServiceMetadata(svc!.ephemeral);
    const m: ServiceMetadata = { ...base, clusters: { ...base.clusters, [cluster]: cm } };
    // Only this cluster's entry of `clusters` (onlyEntries): the rest of the map in this member's copy
    // may lag the log, and another cluster updated through another member must survive
    // (docs/reliability.md "Stale records"). A member of an older version applies `onlyFields`.
    await this.writeFields('service', storeKeys.service(serviceKeyId(service)), m, current !== undefined, ['clusters'], {
      field: 'clusters',
      keys: [cluster],
    });
  }

  /**
   * Writes the fields an operator update changed, not the whole record computed from this member's
   * copy: a copy that lags the log would otherwise put back older values of the other fields over
   * newer acknowledged writes (found by `npm run chaos`, docs/reliability.md "Stale records").
   * A record this member does not hold yet is created only if still absent at apply time; when it
   * was created meanwhile, the fields are written onto it. `entries`: of the map field it names, only
   * those entries are written (`StoreWrite.onlyEntries`).
   */
  private async writeFields(
    table: 'service' | 'instanceMeta',
    key: string,
    value: object,
    exists: boolean,
    fields: readonly string[],
    entries?: EntryUpdate,
  ): Promise<void> {
    if (!exists) {
      try {
        await this.store.write([{ table, key, value, expect: { absent: true } }]);
        return;
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
      }
    }
    if (fields.length > 0) await this.store.write([{ table, key, value, onlyFields: fields, ...(entries && { onlyEntries: entries }) }]);
  }

  async deleteService(service: ServiceKey): Promise<void> {
    const g = groupedName(service.group, service.name);
    const svc = this.registry.getService(service);
    if (!svc && !this.metadata.getService(service)) throw badRequest(`service ${g} not found!`, 21008);
    if (svc && svc.publishers.size > 0) {
      throw badRequest(`Service ${g} is not empty, can't be delete. Please unregister instance first`, 21009);
    }
    const sid = serviceKeyId(service);
    const batch: StoreWrite[] = [{ table: 'service', key: storeKeys.service(sid), value: null }];
    for (const metaId of this.metadata.instancesOf(service)?.keys() ?? []) {
      batch.push({ table: 'instanceMeta', key: storeKeys.instanceMeta(sid, metaId), value: null });
    }
    await this.store.write(batch);
    this.registry.removeService(service);
    this.view.forget(sid);
  }

  /** PUT instance (operator update): replaces the instance's override layer. */
  async putInstanceOverride(service: ServiceKey, ip: string, port: number, cluster: string, o: InstanceMetadata): Promise<void> {
    if (!this.registry.getService(service)) {
      throw badRequest(`service not found, namespace: ${service.namespace}, service: ${groupedName(service.group, service.name)}`, 21008);
    }
    const metaId = instanceMetadataId(ip, port, cluster);
    if (!this.catalog.findInstance(service, ip, port, cluster)) this.limits.checkNewOverride(service, metaId);
    await this.writeOverride(service, metaId, o);
  }

  /** PATCH instance: only supplied fields change. 404 when the instance is not published. */
  async patchInstanceOverride(
    service: ServiceKey,
    ip: string,
    port: number,
    cluster: string,
    patch: { weight?: number; enabled?: boolean; metadata?: Record<string, string> },
  ): Promise<void> {
    const svc = this.registry.getService(service);
    const g = groupedName(service.group, service.name);
    if (!svc) throw notFound(`no ips found for cluster ${cluster} in service ${g}`, 21003);
    if (!this.catalog.findInstance(service, ip, port, cluster)) throw notFound('no matched ip found!', 21003);
    const id = instanceMetadataId(ip, port, cluster);
    const held = this.metadata.getInstance(service, id);
    const cur = held ?? { metadata: {} };
    const next: InstanceMetadata = {
      weight: patch.weight ?? cur.weight,
      enabled: patch.enabled ?? cur.enabled,
      metadata: patch.metadata ?? cur.metadata,
    };
    // Only the supplied fields are written over the record (this member's copy may lag the log).
    const fields = (['weight', 'enabled', 'metadata'] as const).filter((k) => patch[k] !== undefined);
    await this.writeOverride(service, id, next, { exists: held !== undefined, fields });
  }

  private async writeOverride(service: ServiceKey, metaId: string, o: InstanceMetadata, only?: { exists: boolean; fields: readonly string[] }): Promise<void> {
    if (o.weight !== undefined && (!Number.isFinite(o.weight) || o.weight < 0 || o.weight > 10000)) {
      throw badRequest('instance format invalid: The weights range from 0.0 to 10000.0', 21001);
    }
    const clean: InstanceMetadata = { metadata: o.metadata };
    if (o.weight !== undefined) clean.weight = o.weight;
    if (o.enabled !== undefined) clean.enabled = o.enabled;
    const key = storeKeys.instanceMeta(serviceKeyId(service), metaId);
    if (only) await this.writeFields('instanceMeta', key, clean, only.exists, only.fields);
    else await this.store.write([{ table: 'instanceMeta', key, value: clean }]);
  }

  /** Client kind counts for the operator metrics endpoint (subscriber-only clients included). */
  clientCounts(): Record<ClientKind, number> {
    return this.clients.counts();
  }

  instanceCount(): number {
    return this.catalog.instanceCount();
  }

  /**
   * The checks before a client's publish: the service's ephemerality, then the caps. Both throw
   * before anything changed, so a refused write (a whole batch included) leaves no trace.
   */
  private admit(clientId: string, service: ServiceKey, instances: number, ephemeral: boolean, id = serviceKeyId(service)): void {
    this.registry.checkEphemerality(service, ephemeral, id);
    this.limits.checkPublish(clientId, service, instances, id);
  }

  /** Wraps any thrown value as a NacosError (for edges). */
  static asNacosError(e: unknown): NacosError {
    if (e instanceof NacosError) return e;
    return new NacosError(500, e instanceof Error ? e.message : String(e));
  }
}
