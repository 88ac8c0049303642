/**
 * Instance operations shared by the v1, v2 and v3 routes: validation that must happen before a
 * write, the heartbeat, and the v1 UDP-subscription side effect of `instance/list`. Reads go to
 * `naming/catalog.ts`.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ipPortClientId } from '../../core/client.js';
import { DEFAULT_CLUSTER, serviceKeyId, type ServiceKey } from '../../core/names.js';
import { buildInstance } from '../../naming/instance-input.js';
import { LimitExceededError } from '../../naming/limits.js';
import type { BeatInput, BeatResult } from '../../naming/naming-service.js';
import { parseBeat } from './beat.js';
import { canPushTo, clientAgent } from './client-agent.js';
import { intOr, optStr, parseParams, strOr } from './fields.js';
import { toInstanceInput, type InstanceForm } from './instance-form.js';
import type { HttpDeps } from './kit.js';
import type { Params } from './params.js';

function metadataLimit(deps: HttpDeps): number {
  return deps.ctx.config.int('nacos.naming.service.metadata.length');
}

export async function registerInstance(deps: HttpDeps, service: ServiceKey, f: InstanceForm): Promise<void> {
  await deps.ctx.naming.registerIpPortInstance(service, toInstanceInput(f), f.ephemeral);
}

/** Nacos parses the whole instance on deregister too, so e.g. a bad weight is still a 400 (docs/protocol/http.md §1.2). */
export async function deregisterInstance(deps: HttpDeps, service: ServiceKey, f: InstanceForm): Promise<void> {
  const inst = buildInstance(service, toInstanceInput(f), f.ephemeral, metadataLimit(deps));
  await deps.ctx.naming.deregisterIpPortInstance(service, inst.ip, inst.port, f.ephemeral);
}

/** PUT instance: replaces the operator overlay with {enabled, weight, metadata} from the form (docs/protocol/http.md §1.3). */
export async function updateInstance(deps: HttpDeps, service: ServiceKey, f: InstanceForm): Promise<void> {
  const inst = buildInstance(service, toInstanceInput(f), f.ephemeral, metadataLimit(deps));
  await deps.ctx.naming.putInstanceOverride(service, inst.ip, inst.port, inst.clusterName, {
    weight: inst.weight,
    enabled: inst.enabled,
    metadata: { ...inst.metadata },
  });
}

/** The request's source address as an IPv4 literal (`::ffff:` stripped, `::1` as loopback). */
export function sourceAddress(req: FastifyRequest): string {
  const a = req.socket.remoteAddress ?? '';
  if (a.startsWith('::ffff:')) return a.slice(7);
  if (a === '::1') return '127.0.0.1';
  return a;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The v1 subscription side effect of a list call (docs/protocol/http.md §1.5): with `udpPort > 0` and a recognised
 * SDK agent, (re)subscribe the ip:port client `<ip>:<udpPort>#true` (Nacos' id for a v1 subscriber,
 * docs/open-api-fidelity.md item 5) to the service with this call's clusters. `ip` is
 * the request's source address (`nomen.naming.push.udp.target=source`, default; the Node SDK
 * reports a LAN `clientIP` even over loopback, docs/decisions.md #5) or the `clientIP` parameter.
 * Every call refreshes the subscription, which otherwise expires (`nomen.naming.udp.subscriber.expired-time`).
 */
export function subscribeFromList(
  deps: HttpDeps,
  req: FastifyRequest,
  service: ServiceKey,
  clusters: string,
  udpPort: number,
  clientIp: string,
  app: string,
): void {
  if (udpPort <= 0 || udpPort > 65535) return;
  const agent = clientAgent(req.headers);
  if (!canPushTo(agent)) return;
  const useClientIp = deps.ctx.config.str('nomen.naming.push.udp.target') === 'client-ip' && clientIp !== '';
  const ip = useClientIp ? clientIp : sourceAddress(req);
  // The push socket is udp4: an IPv6 subscriber cannot be reached, so no subscription is made.
  if (!IPV4.test(ip)) {
    deps.ctx.log.debug({ ip, service: serviceKeyId(service) }, 'udp subscription skipped: not an IPv4 address');
    return;
  }
  try {
    deps.ctx.naming.subscribe(ipPortClientId(ip, udpPort, true), service, clusters, { kind: 'udp', ip, port: udpPort }, { app, agent, address: `${ip}:${udpPort}` });
  } catch (e) {
    // A subscription cap reached: the list call still answers (a v1 client polls the list anyway);
    // it just gets no UDP pushes for this service (docs/security.md §8).
    if (!(e instanceof LimitExceededError)) throw e;
    deps.ctx.log.debug({ subscriber: ipPortClientId(ip, udpPort, true), service: serviceKeyId(service), limit: e.cap }, 'udp subscription refused: limit reached');
  }
}

const LightBeatSchema = z.object({ ip: strOr(''), port: intOr(0), clusterName: optStr() });

/**
 * v1/v2 heartbeat (docs/protocol/http.md §1.7): with a `beat` JSON its ip, port and cluster win (an empty cluster
 * takes `clusterName`, then DEFAULT) and an unknown instance is re-registered from it; without one
 * it is a light beat on `ip`/`port` and an unknown instance answers code 20404.
 */
export function beatFromParams(deps: HttpDeps, service: ServiceKey, p: Params): BeatResult {
  const beatText = p.get('beat');
  const beat = beatText === undefined ? undefined : parseBeat(beatText);
  const light = parseParams(LightBeatSchema, p);
  const input: BeatInput = {
    ip: beat?.ip ?? light.ip,
    port: beat?.port ?? light.port,
    cluster: beat?.cluster ?? light.clusterName ?? DEFAULT_CLUSTER,
    weight: beat?.weight,
    metadata: beat?.metadata,
    ephemeral: beat?.ephemeral,
  };
  return deps.ctx.naming.beat(service, input, beat !== undefined);
}

/** The beat answer with Nacos' key order: clientBeatInterval, code, lightBeatEnabled. */
export function beatJson(r: BeatResult): string {
  return `{"clientBeatInterval":${r.clientBeatInterval},"code":${r.code},"lightBeatEnabled":${r.lightBeatEnabled}}`;
}
