/**
 * The clients this member knows, as Nacos' client views list them (`/v2/ns/client*`, operator
 * metrics): a client is a publisher (registry, replicated by Distro or Raft) and/or a subscriber
 * (local subscriptions, never replicated). The two sides share one id, so an `ip:port#true` client
 * that beats an instance and also subscribes over UDP from the same address is one client
 * (docs/open-api-fidelity.md, item 5).
 */
import type { Client, ClientKind } from '../core/client.js';
import type { Registry } from '../core/registry.js';
import type { SubscriptionRegistry } from './subscriptions.js';

export interface ClientEntry {
  readonly id: string;
  readonly kind: ClientKind;
  readonly ephemeral: boolean;
  /** The later of the publisher side's last change and the newest subscription refresh. */
  readonly lastUpdated: number;
  /** The publisher side, when the client publishes (or did and is still known). */
  readonly client: Client | undefined;
}

/** Subscriber ids are connection ids (gRPC) or ephemeral ip:port client ids (UDP). */
function subscriberKind(id: string): ClientKind {
  return id.endsWith('#true') ? 'ephemeral-ipport' : 'connection';
}

export class ClientDirectory {
  constructor(
    private readonly registry: Registry,
    private readonly subs: SubscriptionRegistry,
  ) {}

  /** Every client id, publishers and subscribers, each once, sorted. */
  ids(): string[] {
    const ids = new Set<string>();
    for (const c of this.registry.allClients()) ids.add(c.id);
    for (const id of this.subs.subscriberIds()) ids.add(id);
    return [...ids].sort();
  }

  get(id: string): ClientEntry | undefined {
    const client = this.registry.getClient(id);
    let lastSeen = -Infinity;
    for (const s of this.subs.subscriptionsOf(id)) lastSeen = Math.max(lastSeen, s.lastSeen);
    if (!client && lastSeen === -Infinity) return undefined;
    const kind = client?.kind ?? subscriberKind(id);
    return { id, kind, ephemeral: kind !== 'persistent-ipport', lastUpdated: Math.max(client?.lastUpdated ?? -Infinity, lastSeen), client };
  }

  /**
   * Published services and subscriptions summed over the clients, split as Nacos' naming metrics
   * split them (`nacos_naming_publisher` / `nacos_naming_subscriber`): `v1` = ip:port clients
   * (HTTP registrations, UDP subscribers), `v2` = SDK connections. O(clients) per call (scrape time).
   */
  pubSubCounts(): { v1: { publishers: number; subscribers: number }; v2: { publishers: number; subscribers: number } } {
    const out = { v1: { publishers: 0, subscribers: 0 }, v2: { publishers: 0, subscribers: 0 } };
    for (const cl of this.registry.allClients()) out[cl.kind === 'connection' ? 'v2' : 'v1'].publishers += cl.publishes.size;
    for (const id of this.subs.subscriberIds()) out[subscriberKind(id) === 'connection' ? 'v2' : 'v1'].subscribers += this.subs.countFor(id);
    return out;
  }

  /** Client count per kind (a client counted once, by its id). */
  counts(): Record<ClientKind, number> {
    const c: Record<ClientKind, number> = { connection: 0, 'ephemeral-ipport': 0, 'persistent-ipport': 0 };
    for (const cl of this.registry.allClients()) c[cl.kind]++;
    for (const id of this.subs.subscriberIds()) if (!this.registry.getClient(id)) c[subscriberKind(id)]++;
    return c;
  }
}
