/**
 * What the health checks need from the naming side, and nothing more: the persistent `ip:port`
 * clients and what they publish, the cluster settings that say how to probe, and a way to write a
 * health flip. Implemented by `naming/health-source.ts`, wired in the composition root; unit tests
 * may pass a fake.
 */
import type { Instance } from '../core/instance.js';
import type { ClusterMetadata } from '../core/metadata.js';
import type { ServiceKey } from '../core/names.js';

/** A persistent `ip:port#false` client: its id and, per service id, the service it publishes. */
export interface CheckedClient {
  readonly id: string;
  readonly publishes: ReadonlyMap<string, { readonly service: ServiceKey }>;
}

export interface CheckedInstances {
  /** Every persistent client now (the checks start from these). */
  clients(): Iterable<CheckedClient>;
  /** Calls `listener` on every change of a persistent client; `removed` when it is gone. */
  onClientChanged(listener: (client: CheckedClient, removed: boolean) => void): void;
  /** The instance `clientId` publishes now for service id `sid`, or undefined when it no longer does. */
  instance(clientId: string, sid: string): Instance | undefined;
  /** How the cluster `clusterName` of `service` is checked (its defaults when not configured). */
  clusterSettings(service: ServiceKey, clusterName: string): ClusterMetadata;
  /**
   * Starts writing the instance's new health through the replicated store (conditional: it cannot
   * resurrect a deregistered instance). Null, and nothing written, when the instance is gone or
   * already has that health.
   */
  writeHealth(service: ServiceKey, ip: string, port: number, healthy: boolean): Promise<void> | null;
}
