/**
 * The naming side of the health checks (`health/checked-instances.ts`): persistent clients from
 * the registry, cluster settings from the metadata index, flips written through the store.
 */
import type { Client } from '../core/client.js';
import { defaultClusterMetadata, type MetadataIndex } from '../core/metadata.js';
import type { Registry } from '../core/registry.js';
import type { CheckedInstances } from '../health/checked-instances.js';
import type { PersistentStore } from '../persistence/persistent-store.js';
import { persistentHealthWrite } from './persistent-state.js';

const isPersistent = (c: Client): boolean => c.kind === 'persistent-ipport';

export function checkedInstances(registry: Registry, metadata: MetadataIndex, store: PersistentStore): CheckedInstances {
  return {
    clients: () => [...registry.allClients()].filter(isPersistent),
    onClientChanged: (listener) =>
      registry.onClientChanged((client, removed) => {
        if (isPersistent(client)) listener(client, removed);
      }),
    instance: (clientId, sid) => registry.getClient(clientId)?.publishes.get(sid)?.instances[0],
    clusterSettings: (service, clusterName) => metadata.getService(service)?.clusters[clusterName] ?? defaultClusterMetadata(),
    writeHealth: (service, ip, port, healthy) => {
      const w = persistentHealthWrite(registry, service, ip, port, healthy);
      return w ? store.write([w]) : null;
    },
  };
}
