/**
 * Subscribers of a service in Nacos 3's `Page<SubscriberInfo>` shape, aggregated across members
 * (docs/protocol/nacos3.md §1.1 "Subscribers"): subscriptions are local to the member that holds
 * the connection or UDP client, so with `aggregation=true` (the default) this member asks every
 * other UP member for its own list (`aggregation=false`, the caller's credentials forwarded),
 * merges them without duplicates, then pages. A peer that fails or times out contributes
 * nothing, as in Nacos (lookup errors are swallowed).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServiceKey } from '../../core/names.js';
import { subscribersOfService } from './client-views.js';
import type { HttpDeps } from './kit.js';
import { nacosPage, type NacosPage } from './nacos-page.js';
import { askUpPeers, callPeer } from './peer-http.js';

export interface SubscriberInfo {
  namespaceId: string;
  groupName: string;
  serviceName: string;
  ip: string;
  port: number;
  agent: string;
  appName: string;
  address: string;
}

const PeerAnswer = z.object({
  data: z.object({
    pageItems: z.array(
      z.object({
        namespaceId: z.string(),
        groupName: z.string(),
        serviceName: z.string(),
        ip: z.string(),
        port: z.number(),
        agent: z.string(),
        appName: z.string(),
        address: z.string(),
      }),
    ),
  }),
});

/** Local subscribers as `SubscriberInfo`. */
export function localSubscribers(deps: HttpDeps, service: ServiceKey): SubscriberInfo[] {
  return subscribersOfService(deps.ctx.naming, service).map((s) => ({
    namespaceId: service.namespace,
    groupName: service.group,
    serviceName: service.name,
    ip: s.ip,
    port: s.port,
    agent: s.agent,
    appName: s.app,
    address: s.address,
  }));
}

async function peerSubscribers(deps: HttpDeps, req: FastifyRequest, peer: string, service: ServiceKey): Promise<SubscriberInfo[]> {
  const query = { namespaceId: service.namespace, groupName: service.group, serviceName: service.name, aggregation: 'false', pageNo: '1', pageSize: '100000' };
  const parsed = PeerAnswer.safeParse(await callPeer(deps, req, peer, 'GET', '/nacos/v3/admin/ns/service/subscribers', query));
  return parsed.success ? parsed.data.data.pageItems : [];
}

/**
 * `local` plus what every other UP member answers (cluster mode, `aggregation`), without
 * duplicates. `fromPeer` fetches one peer's own list (an empty list when it fails).
 */
export async function aggregated<T>(deps: HttpDeps, local: T[], aggregation: boolean, fromPeer: (peer: string) => Promise<T[]>): Promise<T[]> {
  if (!aggregation) return local;
  const remote = await askUpPeers(deps, fromPeer);
  const all = [...local];
  const seen = new Set(all.map((s) => JSON.stringify(s)));
  for (const s of remote.flatMap((r) => r.answer ?? [])) {
    const k = JSON.stringify(s);
    if (!seen.has(k)) {
      seen.add(k);
      all.push(s);
    }
  }
  return all;
}

/** One page of the service's subscribers, from this member and (aggregation, cluster mode) every other UP member. */
export async function subscriberPage(
  deps: HttpDeps,
  req: FastifyRequest,
  service: ServiceKey,
  pageNo: number,
  pageSize: number,
  aggregation: boolean,
): Promise<NacosPage<SubscriberInfo>> {
  const all = await aggregated(deps, localSubscribers(deps, service), aggregation, (peer) => peerSubscribers(deps, req, peer, service));
  return nacosPage(all, pageNo, pageSize);
}
