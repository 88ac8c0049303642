/**
 * The client views every admin API version shows (`/v2/ns/client*`, `/v3/admin/ns/client*`,
 * service subscribers): neutral rows that each route maps to its own JSON shape
 * (docs/protocol/http.md §2, docs/protocol/nacos3.md §1.6). Reads only `naming.clients`,
 * `naming.catalog` and `naming.subscriptions`.
 */
import { z } from 'zod';
import { notFound } from '../../core/errors.js';
import { serviceKeyId, type ServiceKey } from '../../core/names.js';
import type { ClientEntry } from '../../naming/client-directory.js';
import type { NamingService } from '../../naming/naming-service.js';
import { parseParams, reqStr } from './fields.js';
import type { HttpDeps } from './kit.js';
import type { Params } from './params.js';

/** The client named by `clientId` (publisher or subscriber), else Nacos' 404 (code 20004). */
export function knownClient(naming: NamingService, p: Params): ClientEntry {
  const id = parseParams(z.object({ clientId: reqStr('clientId', true) }), p).clientId;
  const c = naming.clients.get(id);
  if (!c) throw notFound(`clientId [ ${id} ] not exist`, 20004);
  return c;
}

/**
 * Client detail in Nacos' shape (docs/open-api-fidelity.md, items 3 and 4): ip:port clients as
 * `"clientType":"ipPort"` with `clientIp` and the port as a string from the id's `ip:port`;
 * connection clients with the connection's type, app, SDK version, self-reported IP and the id's
 * port (a string). A connection held by another member (a Distro replica) has no local
 * connection: its app, version and IP are null there.
 */
export function clientDetail(deps: HttpDeps, c: ClientEntry): Record<string, unknown> {
  const head = { clientId: c.id, ephemeral: c.ephemeral, lastUpdatedTime: c.lastUpdated };
  if (c.kind === 'connection') {
    const conn = deps.ctx.sdkConnection?.(c.id);
    return {
      ...head,
      clientType: 'connection',
      connectType: 'GRPC',
      appName: conn?.appName ?? null,
      version: conn?.clientVersion ?? null,
      clientIp: conn?.clientIp ?? null,
      clientPort: c.id.slice(c.id.lastIndexOf('_') + 1),
    };
  }
  const ipPort = c.id.slice(0, c.id.indexOf('#'));
  const sep = ipPort.lastIndexOf(':');
  return { ...head, clientType: 'ipPort', clientIp: ipPort.slice(0, sep), clientPort: ipPort.slice(sep + 1) };
}

/**
 * Nacos 3's `ClientSummaryInfo` (`/v3/admin/ns/client`, docs/protocol/nacos3.md §1.6): every key
 * always present; the connection fields (type, app, version, IP, remote port as an int) are only
 * filled for gRPC connection clients (null / 0 for ip:port clients).
 */
export function clientSummary(deps: HttpDeps, c: ClientEntry): Record<string, unknown> {
  const conn = c.kind === 'connection' ? deps.ctx.sdkConnection?.(c.id) : undefined;
  const isConn = c.kind === 'connection';
  return {
    clientId: c.id,
    ephemeral: c.ephemeral,
    lastUpdatedTime: c.lastUpdated,
    clientType: isConn ? 'connection' : 'ipPort',
    connectType: isConn ? 'GRPC' : null,
    appName: conn?.appName ?? null,
    version: conn?.clientVersion ?? null,
    clientIp: conn?.clientIp ?? null,
    clientPort: isConn ? Number(c.id.slice(c.id.lastIndexOf('_') + 1)) || 0 : 0,
  };
}

/** One instance a client publishes. */
export interface PublishedRow {
  readonly service: ServiceKey;
  readonly ip: string;
  readonly port: number;
  readonly cluster: string;
}

/** Every instance the client publishes, service by service. */
export function publishedBy(c: ClientEntry): PublishedRow[] {
  const out: PublishedRow[] = [];
  for (const rec of c.client?.publishes.values() ?? []) {
    for (const i of rec.instances) out.push({ service: rec.service, ip: i.ip, port: i.port, cluster: i.clusterName });
  }
  return out;
}

/** One subscription (of a client, or to a service). */
export interface SubscriberRow {
  readonly clientId: string;
  readonly service: ServiceKey;
  readonly ip: string;
  readonly port: number;
  readonly app: string;
  readonly agent: string;
  readonly address: string;
  readonly clusters: string;
}

function subscriberRow(s: { id: string; service: ServiceKey; app: string; agent: string; address: string; clusters: string }): SubscriberRow {
  const sep = s.address.lastIndexOf(':');
  return {
    clientId: s.id,
    service: s.service,
    ip: sep < 0 ? s.address : s.address.slice(0, sep),
    port: sep < 0 ? 0 : Number(s.address.slice(sep + 1)) || 0,
    app: s.app,
    agent: s.agent,
    address: s.address,
    clusters: s.clusters,
  };
}

/** The subscriptions a client holds. */
export function subscribedBy(naming: NamingService, clientId: string): SubscriberRow[] {
  return [...naming.subscriptions.subscriptionsOf(clientId)].map(subscriberRow);
}

/** The subscribers of a service on this member (gRPC connections and UDP `ip:port#true` clients). */
export function subscribersOfService(naming: NamingService, service: ServiceKey): SubscriberRow[] {
  return [...naming.subscriptions.subscribersOf(serviceKeyId(service))].map(subscriberRow);
}

/** Optional exact `ip` / `port` / `ephemeral` filters of the per-service client lists. */
export interface ClientFilter {
  readonly ip?: string | undefined;
  readonly port?: number | undefined;
  readonly ephemeral?: boolean | undefined;
}

const matches = (ip: string, port: number, f: ClientFilter) => (f.ip === undefined || f.ip === ip) && (f.port === undefined || f.port === port);

/** The instances published into a service, with their client, filtered. */
export function publishersOfService(naming: NamingService, service: ServiceKey, f: ClientFilter): (PublishedRow & { clientId: string })[] {
  const out: (PublishedRow & { clientId: string })[] = [];
  for (const pub of naming.catalog.publishers(service)) {
    if (f.ephemeral !== undefined && pub.ephemeral !== f.ephemeral) continue;
    for (const i of pub.instances) {
      if (matches(i.ip, i.port, f)) out.push({ clientId: pub.clientId, service, ip: i.ip, port: i.port, cluster: i.clusterName });
    }
  }
  return out;
}

/** The subscribers of a service, filtered by `ip` / `port`. */
export function filteredSubscribers(naming: NamingService, service: ServiceKey, f: ClientFilter): SubscriberRow[] {
  return subscribersOfService(naming, service).filter((s) => matches(s.ip, s.port, f));
}
