import { Client, type ClientKind, type ClientSyncData, type PublishRecord } from './client.js';
import { badRequest } from './errors.js';
import type { Instance } from './instance.js';
import { groupedName, serviceKeyId, type ServiceKey } from './names.js';

/** A service as the registry knows it. `ephemeral` is fixed for the service's life. */
export interface ServiceState {
  readonly key: ServiceKey;
  readonly id: string;
  readonly ephemeral: boolean;
  /** Bumped on every change to the service's instances or metadata. */
  revision: number;
  lastUpdated: number;
  readonly publishers: Set<string>;
  /** Instances in the publishers' records (a copy listed by two clients counts twice): the caps' count. */
  instanceCount: number;
}

export type ServiceChangeListener = (service: ServiceState) => void;
/** A client's publish set changed (`removed`: the whole client is gone). Replicated applies fire it too. */
export type ClientChangeListener = (client: Client, removed: boolean, origin: 'local' | 'replica') => void;

/**
 * The in-memory naming state: clients, their publish records, and the service index.
 * Pure data structure (no I/O, no timers); the caller passes `now`. Every mutation that changes what
 * a service looks like bumps its revision and notifies listeners synchronously.
 */
export class Registry {
  private readonly clients = new Map<string, Client>();
  private readonly services = new Map<string, ServiceState>();
  private readonly listeners: ServiceChangeListener[] = [];
  private readonly clientListeners: ClientChangeListener[] = [];
  /** instancesOf cache: service id -> [revision, instances]. */
  private readonly instCache = new Map<string, { rev: number; list: readonly Instance[] }>();
  /** Services per namespace (a namespace is listed while it holds a service). */
  private readonly nsServices = new Map<string, number>();
  /** Instances in all publish records. */
  private instanceTotal = 0;
  /** The last `Client.seq` given: clients are numbered in the order this member first sees them. */
  private clientSeq = 0;

  /**
   * @param nextRevision gives a client's new revision on every local change. Standalone: previous + 1.
   *   Distro injects a hybrid logical clock so revisions stay monotonic across owners and restarts.
   */
  constructor(private readonly nextRevision: (previous: number) => number = (p) => p + 1) {}

  onClientChanged(l: ClientChangeListener): void {
    this.clientListeners.push(l);
  }

  onServiceChanged(l: ServiceChangeListener): void {
    this.listeners.push(l);
  }

  getClient(id: string): Client | undefined {
    return this.clients.get(id);
  }

  allClients(): IterableIterator<Client> {
    return this.clients.values();
  }

  clientCount(): number {
    return this.clients.size;
  }

  getService(key: ServiceKey): ServiceState | undefined {
    return this.services.get(serviceKeyId(key));
  }

  getServiceById(id: string): ServiceState | undefined {
    return this.services.get(id);
  }

  allServices(): IterableIterator<ServiceState> {
    return this.services.values();
  }

  serviceCount(): number {
    return this.services.size;
  }

  namespaces(): Set<string> {
    return new Set(this.nsServices.keys());
  }

  /** Services in one namespace (O(1)). */
  serviceCountIn(namespace: string): number {
    return this.nsServices.get(namespace) ?? 0;
  }

  /** Instances in all publish records (O(1)). */
  instanceCount(): number {
    return this.instanceTotal;
  }

  /** Creates the service if missing; fails if it exists with the other ephemerality. */
  ensureService(key: ServiceKey, ephemeral: boolean, now: number, id = serviceKeyId(key)): ServiceState {
    const s = this.services.get(id);
    if (s) {
      if (s.ephemeral !== ephemeral) {
        const g = groupedName(key.group, key.name);
        throw badRequest(
          s.ephemeral
            ? `Current service ${g} is ephemeral service, can't register persistent instance.`
            : `Current service ${g} is persistent service, can't register ephemeral instance.`,
        );
      }
      return s;
    }
    const created: ServiceState = { key, id, ephemeral, revision: 1, lastUpdated: now, publishers: new Set(), instanceCount: 0 };
    this.services.set(id, created);
    this.nsServices.set(key.namespace, this.serviceCountIn(key.namespace) + 1);
    return created;
  }

  /** Checks, without changing anything, that `key` may hold instances of this ephemerality. */
  checkEphemerality(key: ServiceKey, ephemeral: boolean, id = serviceKeyId(key)): void {
    const s = this.services.get(id);
    if (s && s.ephemeral !== ephemeral) this.ensureService(key, ephemeral, 0, id);
  }

  /** Removes a service that has no publishers. Returns false if it still has some. */
  removeService(key: ServiceKey): boolean {
    const id = serviceKeyId(key);
    const s = this.services.get(id);
    if (!s) return true;
    if (s.publishers.size > 0) return false;
    this.services.delete(id);
    this.instCache.delete(id);
    const left = this.serviceCountIn(key.namespace) - 1;
    if (left > 0) this.nsServices.set(key.namespace, left);
    else this.nsServices.delete(key.namespace);
    return true;
  }

  getOrCreateClient(id: string, kind: ClientKind, now: number): Client {
    let c = this.clients.get(id);
    if (!c) {
      c = new Client(id, kind, now, ++this.clientSeq);
      this.clients.set(id, c);
    }
    return c;
  }

  /**
   * Replaces the client's publish record for the service (one record per service per client).
   * Validation of ephemerality happens before any change, so a rejected call changes nothing.
   */
  publish(clientId: string, kind: ClientKind, service: ServiceKey, instances: readonly Instance[], now: number, id = serviceKeyId(service)): void {
    const ephemeral = kind !== 'persistent-ipport';
    // ensureService throws on an ephemerality conflict before anything changed.
    const svc = this.ensureService(service, ephemeral, now, id);
    const client = this.getOrCreateClient(clientId, kind, now);
    this.setRecord(client, svc, instances);
    client.revision = this.nextRevision(client.revision);
    client.lastUpdated = now;
    svc.publishers.add(clientId);
    this.touch(svc, now);
    this.clientChanged(client, false, 'local');
  }

  /** Removes the client's record for the service. Returns whether anything was removed. */
  unpublish(clientId: string, service: ServiceKey, now: number): boolean {
    const client = this.clients.get(clientId);
    if (!client) return false;
    const id = serviceKeyId(service);
    if (!this.deleteRecord(client, id)) return false;
    client.lastBeat.delete(id);
    client.revision = this.nextRevision(client.revision);
    client.lastUpdated = now;
    const svc = this.services.get(id);
    if (svc) {
      svc.publishers.delete(clientId);
      this.touch(svc, now);
    }
    this.clientChanged(client, false, 'local');
    return true;
  }

  /** Removes a client and all it published. `origin` tells listeners whether this member decided it. */
  removeClient(clientId: string, now: number, origin: 'local' | 'replica' = 'local'): boolean {
    const client = this.clients.get(clientId);
    if (!client) return false;
    this.clients.delete(clientId);
    for (const [id, rec] of client.publishes) {
      this.instanceTotal -= rec.instances.length;
      const svc = this.services.get(id);
      if (svc) {
        svc.instanceCount -= rec.instances.length;
        svc.publishers.delete(clientId);
        this.touch(svc, now);
      }
    }
    this.clientChanged(client, true, origin);
    return true;
  }

  /**
   * Replaces a client's whole state with replicated data (Distro apply): adds or replaces records,
   * removes services missing from the data, sets the revision.
   */
  applySyncData(data: ClientSyncData, now: number): void {
    const ephemeral = data.kind !== 'persistent-ipport';
    for (const r of data.publishes) this.checkEphemerality(r.service, ephemeral);
    const client = this.getOrCreateClient(data.clientId, data.kind, now);
    const incoming = new Map<string, PublishRecord>();
    for (const r of data.publishes) incoming.set(serviceKeyId(r.service), r);
    for (const id of [...client.publishes.keys()]) {
      if (!incoming.has(id)) {
        this.deleteRecord(client, id);
        const svc = this.services.get(id);
        if (svc) {
          svc.publishers.delete(client.id);
          this.touch(svc, now);
        }
      }
    }
    for (const [id, r] of incoming) {
      const prev = client.publishes.get(id);
      if (prev && sameInstances(prev.instances, r.instances)) continue;
      const svc = this.ensureService(r.service, ephemeral, now);
      this.setRecord(client, svc, r.instances);
      svc.publishers.add(client.id);
      this.touch(svc, now);
    }
    client.revision = data.revision;
    client.lastUpdated = now;
    this.clientChanged(client, false, 'replica');
  }

  /** Marks a service changed (e.g. its metadata changed) without touching instances. */
  touchService(key: ServiceKey, now: number): void {
    const svc = this.services.get(serviceKeyId(key));
    if (svc) this.touch(svc, now);
  }

  /** All instances of a service across its publishers; cached per service revision. */
  instancesOf(svc: ServiceState): readonly Instance[] {
    const c = this.instCache.get(svc.id);
    if (c && c.rev === svc.revision) return c.list;
    const list: Instance[] = [];
    // The same ip:port:cluster published by two clients (an SDK that re-registered through a new
    // connection while its old one is handed over) is listed once: the copy of the later client
    // revision (HLC in a cluster, so every member picks the same one).
    const seen = svc.publishers.size > 1 ? new Map<string, { at: number; rev: number }>() : null;
    for (const cid of svc.publishers) {
      const client = this.clients.get(cid);
      const rec = client?.publishes.get(svc.id);
      if (!rec) continue;
      for (const i of rec.instances) {
        if (seen) {
          const k = `${i.ip}:${i.port}:${i.clusterName}`;
          const prev = seen.get(k);
          if (prev) {
            if (prev.rev < client!.revision) {
              list[prev.at] = i;
              prev.rev = client!.revision;
            }
            continue;
          }
          seen.set(k, { at: list.length, rev: client!.revision });
        }
        list.push(i);
      }
    }
    this.instCache.set(svc.id, { rev: svc.revision, list });
    return list;
  }

  /** Clusters that currently hold instances. */
  clustersOf(svc: ServiceState): string[] {
    const s = new Set<string>();
    for (const i of this.instancesOf(svc)) s.add(i.clusterName);
    return [...s].sort();
  }

  /** Sets a client's record for a service, keeping the instance counts. */
  private setRecord(client: Client, svc: ServiceState, instances: readonly Instance[]): void {
    const delta = instances.length - (client.publishes.get(svc.id)?.instances.length ?? 0);
    client.publishes.set(svc.id, { service: svc.key, instances });
    svc.instanceCount += delta;
    this.instanceTotal += delta;
  }

  /** Deletes a client's record for a service (if any), keeping the instance counts. */
  private deleteRecord(client: Client, id: string): boolean {
    const prev = client.publishes.get(id);
    if (!prev) return false;
    client.publishes.delete(id);
    const svc = this.services.get(id);
    if (svc) svc.instanceCount -= prev.instances.length;
    this.instanceTotal -= prev.instances.length;
    return true;
  }

  private clientChanged(client: Client, removed: boolean, origin: 'local' | 'replica'): void {
    for (const l of this.clientListeners) l(client, removed, origin);
  }

  private touch(svc: ServiceState, now: number): void {
    svc.revision++;
    svc.lastUpdated = now;
    for (const l of this.listeners) l(svc);
  }
}

function sameInstances(a: readonly Instance[], b: readonly Instance[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      x.ip !== y.ip ||
      x.port !== y.port ||
      x.weight !== y.weight ||
      x.healthy !== y.healthy ||
      x.enabled !== y.enabled ||
      x.clusterName !== y.clusterName ||
      x.instanceId !== y.instanceId ||
      JSON.stringify(x.metadata) !== JSON.stringify(y.metadata)
    )
      return false;
  }
  return true;
}
