import { z } from 'zod';
import type { AppContext } from '../../app-context.js';
import { badRequest } from '../../core/errors.js';
import {
  checkClusters,
  checkGroup,
  checkNamespaceId,
  checkServiceName,
  normalizeGroup,
  normalizeNamespace,
  type ServiceKey,
} from '../../core/names.js';
import type { InstanceInput } from '../../naming/instance-input.js';
import type { PushSink } from '../../naming/push-engine.js';
import { serviceInfoChunks, type RenderedServiceInfo } from '../../naming/service-info-view.js';
import type { Subscriber } from '../../naming/subscriptions.js';
import { fixedReply, JsonChunks } from '../../wire/codec.js';
import { grpcGroupScope, grpcServiceKey } from './naming-scope.js';
import { parseBody } from './validation.js';

/**
 * Naming request handlers for the SDK gRPC port (docs/protocol/grpc.md §4). Each validates its body with a
 * schema, calls one NamingService use case, and answers the exact response type the SDKs expect.
 * Rust sends `null` for absent optionals (§1.3), so every optional accepts null.
 */

const opt = <T extends z.ZodTypeAny>(t: T) => t.nullish();
const strMap = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const instanceSchema = z.object({
  instanceId: opt(z.string()),
  ip: z.string(),
  port: z.number().int(),
  weight: opt(z.number()),
  healthy: opt(z.boolean()),
  enabled: opt(z.boolean()),
  ephemeral: opt(z.boolean()),
  clusterName: opt(z.string()),
  serviceName: opt(z.string()),
  metadata: opt(strMap),
});

const namingBase = {
  namespace: opt(z.string()),
  serviceName: z.string().min(1),
  groupName: opt(z.string()),
};

export const instanceRequest = z.object({ ...namingBase, type: z.string(), instance: instanceSchema });

type InstanceRequestBody = z.infer<typeof instanceRequest>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optStr = (v: unknown): v is string | null | undefined => v === undefined || v === null || typeof v === 'string';
const optBool = (v: unknown): v is boolean | null | undefined => v === undefined || v === null || typeof v === 'boolean';

/**
 * The hot path of `InstanceRequest` (every register): a hand-written check that accepts only the
 * plain, well-typed shape and returns exactly what `instanceRequest.parse` would (unknown keys
 * dropped, absent optionals absent, metadata copied). Anything unusual — a wrong type, a
 * non-finite or unsafe number, a non-string metadata value, a `__proto__` key — returns null and
 * the caller falls back to the zod schema, which then accepts, converts or rejects it with its
 * usual message. So the set of accepted inputs and their values are the schema's.
 */
export function fastInstanceRequest(b: unknown): InstanceRequestBody | null {
  if (!isObj(b)) return null;
  const { namespace, serviceName, groupName, type, instance: i } = b;
  if (!optStr(namespace) || typeof serviceName !== 'string' || serviceName.length === 0 || !optStr(groupName) || typeof type !== 'string') return null;
  if (!isObj(i)) return null;
  const { instanceId, ip, port, weight, healthy, enabled, ephemeral, clusterName, serviceName: iName, metadata } = i;
  if (typeof ip !== 'string' || typeof port !== 'number' || !Number.isSafeInteger(port)) return null;
  if (!optStr(instanceId) || !optStr(clusterName) || !optStr(iName)) return null;
  if (!(weight === undefined || weight === null || (typeof weight === 'number' && Number.isFinite(weight)))) return null;
  if (!optBool(healthy) || !optBool(enabled) || !optBool(ephemeral)) return null;
  let md: Record<string, string> | null | undefined = metadata as null | undefined;
  if (metadata !== undefined && metadata !== null) {
    if (!isObj(metadata) || Object.getPrototypeOf(metadata) !== Object.prototype) return null;
    md = {};
    for (const k in metadata) {
      const v = metadata[k];
      if (typeof v !== 'string' || k === '__proto__') return null;
      md[k] = v;
    }
  }
  const inst: InstanceRequestBody['instance'] = { ip, port };
  if (instanceId !== undefined) inst.instanceId = instanceId;
  if (weight !== undefined) inst.weight = weight as number | null;
  if (healthy !== undefined) inst.healthy = healthy;
  if (enabled !== undefined) inst.enabled = enabled;
  if (ephemeral !== undefined) inst.ephemeral = ephemeral;
  if (clusterName !== undefined) inst.clusterName = clusterName;
  if (iName !== undefined) inst.serviceName = iName;
  if (md !== undefined) inst.metadata = md;
  const out: InstanceRequestBody = { serviceName, type, instance: inst };
  if (namespace !== undefined) out.namespace = namespace;
  if (groupName !== undefined) out.groupName = groupName;
  return out;
}
const batchRequest = z.object({ ...namingBase, type: z.string(), instances: z.array(instanceSchema) });
const queryRequest = z.object({ ...namingBase, cluster: opt(z.string()), healthyOnly: opt(z.boolean()), udpPort: opt(z.number()) });
const subscribeRequest = z.object({ ...namingBase, subscribe: opt(z.boolean()), clusters: opt(z.string()) });
const listRequest = z.object({
  namespace: opt(z.string()),
  groupName: opt(z.string()),
  serviceName: opt(z.string()),
  pageNo: opt(z.number().int()),
  pageSize: opt(z.number().int()),
  selector: opt(z.string()),
});

/**
 * Nacos' param checker for names (a typed failure with errorCode 400). With the checker off the
 * length limits still apply (the same limits as over HTTP). Then the key the request names —
 * resolved by the function the auth hook uses too (naming-scope.ts).
 */
function serviceKeyOf(ctx: AppContext, b: { namespace?: string | null; serviceName: string; groupName?: string | null }, clusters?: string): ServiceKey {
  const chars = ctx.config.bool('nacos.core.param.check.enabled');
  const err =
    checkNamespaceId(normalizeNamespace(b.namespace), chars) ??
    checkServiceName(b.serviceName.trim(), chars) ??
    checkGroup(normalizeGroup(b.groupName), chars) ??
    (clusters ? checkClusters(clusters, chars) : null);
  if (err) throw badRequest(`Param check invalid:${err}`);
  return grpcServiceKey(b);
}

function toInput(i: z.infer<typeof instanceSchema>): InstanceInput {
  return {
    ip: i.ip,
    port: i.port,
    weight: i.weight,
    healthy: i.healthy,
    enabled: i.enabled,
    clusterName: i.clusterName,
    metadata: i.metadata,
    instanceId: i.instanceId,
  };
}

export interface HandlerContext {
  connectionId: string;
  clientIp: string;
  remoteAddress: string;
  appName: string;
  clientVersion: string;
}

/** Handlers answer synchronously when they can (no promise per request on the hot paths). */
export type NamingHandler = (body: unknown, hc: HandlerContext) => Promise<{ type: string; body: object | string }> | { type: string; body: object | string };

// Replies carrying a ServiceInfo are written as pieces: these prefixes, then the ServiceInfo's
// cached bytes (see ServiceInfoParts), then the closing brace.
const QUERY_OK_PREFIX = '{"resultCode":200,"errorCode":0,"message":null,"requestId":null,"success":true,"serviceInfo":';
const SUBSCRIBE_OK_PREFIX = '{"resultCode":200,"errorCode":0,"message":"success","requestId":null,"success":true,"serviceInfo":';
const PUSH_PREFIX = '{"module":"naming","serviceInfo":';

const ok = (extra: object = {}) => ({ resultCode: 200, errorCode: 0, message: null, requestId: null, success: true, ...extra });

const REGISTERED = fixedReply('InstanceResponse', ok({ type: 'registerInstance' }));
const DEREGISTERED = fixedReply('InstanceResponse', ok({ type: 'deregisterInstance' }));
const BATCH_REGISTERED = fixedReply('BatchInstanceResponse', ok({ type: 'batchRegisterInstance' }));

/** Builds the handler table: request type -> handler. */
export function namingHandlers(ctx: AppContext): Record<string, NamingHandler> {
  const naming = ctx.naming;
  return {
    InstanceRequest: (body, hc) => {
      const b = fastInstanceRequest(body) ?? parseBody(instanceRequest, body);
      const service = serviceKeyOf(ctx, b, b.instance.clusterName ?? undefined);
      if (b.type === 'registerInstance') {
        naming.registerConnectionInstance(hc.connectionId, service, toInput(b.instance));
        return REGISTERED;
      }
      if (b.type === 'deregisterInstance') {
        naming.deregisterConnectionInstance(hc.connectionId, service, b.instance);
        return DEREGISTERED;
      }
      throw badRequest(`Unsupported request type ${b.type}`);
    },
    BatchInstanceRequest: (body, hc) => {
      const b = parseBody(batchRequest, body);
      const service = serviceKeyOf(ctx, b);
      if (b.type !== 'batchRegisterInstance') throw badRequest(`Unsupported request type ${b.type}`);
      naming.batchRegisterConnectionInstances(hc.connectionId, service, b.instances.map(toInput));
      return BATCH_REGISTERED;
    },
    PersistentInstanceRequest: async (body) => {
      const b = parseBody(instanceRequest, body);
      const service = serviceKeyOf(ctx, b, b.instance.clusterName ?? undefined);
      if (b.type === 'registerInstance') await naming.registerPersistentInstance(service, toInput(b.instance));
      else if (b.type === 'deregisterInstance') await naming.deregisterPersistentInstance(service, b.instance.ip, b.instance.port);
      else throw badRequest(`Unsupported request type ${b.type}`);
      return { type: 'InstanceResponse', body: ok({ type: b.type }) };
    },
    ServiceQueryRequest: (body) => {
      const b = parseBody(queryRequest, body);
      const clusters = b.cluster ?? '';
      const service = serviceKeyOf(ctx, b, clusters);
      const info = naming.query(service, clusters, b.healthyOnly ?? false, 'bare');
      return { type: 'QueryServiceResponse', body: new JsonChunks([QUERY_OK_PREFIX, ...serviceInfoChunks(info), '}']) };
    },
    SubscribeServiceRequest: (body, hc) => {
      const b = parseBody(subscribeRequest, body);
      const clusters = b.clusters ?? '';
      const service = serviceKeyOf(ctx, b, clusters);
      if (b.subscribe === false) naming.unsubscribe(hc.connectionId, service);
      else
        naming.subscribe(hc.connectionId, service, clusters, { kind: 'grpc', connectionId: hc.connectionId }, {
          app: hc.appName,
          agent: hc.clientVersion,
          address: hc.remoteAddress,
        });
      const info = naming.query(service, clusters, false, 'bare');
      return { type: 'SubscribeServiceResponse', body: new JsonChunks([SUBSCRIBE_OK_PREFIX, ...serviceInfoChunks(info), '}']) };
    },
    ServiceListRequest: (body) => {
      const b = parseBody(listRequest, body);
      const { namespace, group } = grpcGroupScope(b);
      const chars = ctx.config.bool('nacos.core.param.check.enabled');
      const err = checkNamespaceId(namespace, chars) ?? checkGroup(group, chars);
      if (err) throw badRequest(`Param check invalid:${err}`);
      const { count, names } = naming.catalog.listServices(namespace, group, b.pageNo ?? 1, b.pageSize ?? 10);
      return { type: 'ServiceListResponse', body: ok({ count, serviceNames: names }) };
    },
  };
}

/** What the push sink needs of the SDK server (`SdkGrpcServer.prepare` / `sendPrepared`). */
export interface PreparedPusher<P> {
  prepare(type: string, body: JsonChunks): P;
  /** Sends `req` to the connection; `done` runs once, with null on the client's ack. */
  sendPrepared(connectionId: string, req: P, timeoutMs: number, done: (err: Error | null) => void): void;
}

/**
 * The gRPC push sink: NotifySubscriberRequest carrying the pre-rendered ServiceInfo. A push round
 * hands every subscriber the same rendering; its Payload is encoded once, on the first push, and
 * the same bytes (one requestId for the round) are written to every subscriber's stream
 * (docs/architecture.md, "Push path"). The engine uses `pushThen`: no promise per push.
 */
export function grpcPushSink<P>(pusher: PreparedPusher<P>, timeoutMs: () => number): PushSink {
  const prepared = new WeakMap<RenderedServiceInfo, P>();
  const pushThen = (sub: Subscriber, info: RenderedServiceInfo, done: (err: Error | null) => void): void => {
    if (sub.target.kind !== 'grpc') {
      done(new Error('not a gRPC subscriber'));
      return;
    }
    let req = prepared.get(info);
    if (req === undefined) {
      try {
        req = pusher.prepare('NotifySubscriberRequest', new JsonChunks([PUSH_PREFIX, ...serviceInfoChunks(info), '}']));
      } catch (e) {
        done(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      prepared.set(info, req);
    }
    pusher.sendPrepared(sub.target.connectionId, req, timeoutMs(), done);
  };
  return {
    pushThen,
    push: (sub, info) => new Promise<void>((resolve, reject) => pushThen(sub, info, (err) => (err ? reject(err) : resolve()))),
  };
}
