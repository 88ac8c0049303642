/**
 * v2 naming Open API (`/nacos/v2/ns/...`, docs/protocol/http.md §2): Result wrapper
 * `{"code":0,"message":"success","data":…}` and v2 error shapes. Unlike v1, `serviceName` is the
 * bare name with a separate `groupName` — except `beat`, `PATCH instance`, `statuses` and
 * `catalog/instances`, which still take a grouped name, and which (beat, patch, statuses) answer
 * unwrapped like Nacos.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { badRequest, NacosError } from '../../../core/errors.js';
import { toInstanceJson } from '../../../core/instance.js';
import { DEFAULT_CLUSTER, groupedName, type ServiceKey } from '../../../core/names.js';
import type { ServiceFacts } from '../../../naming/catalog.js';
import type { NamingService } from '../../../naming/naming-service.js';
import { page } from '../../../naming/catalog.js';
import { batchInstanceMetadata, setPersistentInstanceHealth } from '../../../naming/operator-ops.js';
import { MissingParamError } from '../errors.js';
import {
  intOr,
  javaBoolOr,
  optLenientBool,
  optStr,
  parseParams,
  reqInt,
  reqStr,
  strOr,
} from '../fields.js';
import { instanceForm, serviceV1, serviceV2 } from '../instance-form.js';
import { beatFromParams, beatJson, deregisterInstance, registerInstance, subscribeFromList, updateInstance } from '../instance-ops.js';
import { ANY_METHOD, namingParams, paramsOf, sendRawJson, sendResult, sendServiceInfo, sendText, type HttpDeps } from '../kit.js';
import { groupScope } from '../naming-scope.js';
import { lenientBool } from '../params.js';
import { serviceDetail } from '../service-views.js';
import { createServiceFrom, serviceForm, updateServiceFrom } from '../service-ops.js';
import { switchDomain, updateSwitch } from '../switches.js';
import { v2ClientRoutes } from './v2-clients.js';
import { metrics } from './v1-operator.js';
import { MetadataBatchSchema, PatchSchema, statusesKey } from './v1-instance.js';

const V2 = '/nacos/v2/ns';

/**
 * The statuses key on v2: Nacos' `checkServiceNameFormat` throws IllegalArgumentException there,
 * which the v2 handler answers as 20002 "parameter validate error" (not 21000; docs/protocol/http.md §2).
 */
function statusesKeyV2(key: string): ServiceKey {
  try {
    return statusesKey(key);
  } catch (e) {
    if (e instanceof NacosError && e.status === 400) throw badRequest(e.message, 20002);
    throw e;
  }
}

const ListSchema = z.object({
  clusterName: strOr(''),
  ip: strOr(''),
  port: intOr(0),
  healthyOnly: javaBoolOr(false),
  app: strOr(''),
});
const V2DetailSchema = z.object({ ip: reqStr('ip', true), port: reqInt('port', true), clusterName: strOr(DEFAULT_CLUSTER) });
const ServiceListSchema = z.object({ pageNo: intOr(1), pageSize: intOr(20) });
const CatalogSchema = z.object({ pageNo: reqInt('pageNo'), pageSize: reqInt('pageSize'), healthyOnly: optLenientBool(), enabledOnly: optLenientBool() });
const HealthSchema = z.object({ ip: reqStr('ip'), port: reqInt('port'), clusterName: strOr(DEFAULT_CLUSTER) });

export function v2NamingRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { ctx } = deps;
  const naming = ctx.naming;

  app.post(`${V2}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    await registerInstance(deps, service, instanceForm(p));
    return sendResult(reply, 'ok');
  });

  app.delete(`${V2}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    await deregisterInstance(deps, service, instanceForm(p));
    return sendResult(reply, 'ok');
  });

  app.put(`${V2}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    await updateInstance(deps, service, instanceForm(p));
    return sendResult(reply, 'ok');
  });

  // Grouped serviceName, plain `ok` (not wrapped), as in Nacos.
  app.patch(`${V2}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    const f = parseParams(PatchSchema, p);
    await naming.patchInstanceOverride(service, f.ip, f.port, f.clusterName, { weight: f.weight, enabled: f.enabled, metadata: f.metadata });
    return sendText(reply, 'ok');
  });

  for (const method of ['PUT', 'DELETE'] as const) {
    app.route({ method, url: `${V2}/instance/metadata/batch`, handler: async (req, reply) => sendResult(reply, await metadataBatch(deps, req, method)) });
  }

  // serviceName, and the detail's ip and port, are `@RequestParam`s in Nacos (Spring's "missing" wording).
  app.get(`${V2}/instance/list`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p, true);
    const f = parseParams(ListSchema, p);
    subscribeFromList(deps, req, service, f.clusterName, f.port, f.ip, f.app);
    return sendServiceInfo(reply, naming.query(service, f.clusterName, f.healthyOnly, 'grouped'), '{"code":0,"message":"success","data":', '}');
  });

  app.get(`${V2}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p, true);
    const f = parseParams(V2DetailSchema, p);
    const i = naming.catalog.instanceOr404(service, f.clusterName, f.ip, f.port);
    return sendResult(reply, {
      serviceName: groupedName(service.group, service.name),
      ip: i.ip,
      port: i.port,
      clusterName: i.clusterName,
      weight: i.weight,
      healthy: i.healthy,
      instanceId: i.instanceId,
      metadata: i.metadata,
    });
  });

  // Grouped serviceName; unwrapped answer (Nacos returns an ObjectNode here).
  app.put(`${V2}/instance/beat`, async (req, reply) => {
    const p = namingParams(deps, req, 'beat');
    const service = serviceV1(p);
    return sendRawJson(reply, beatJson(beatFromParams(deps, service, p)));
  });

  app.route({
    method: ANY_METHOD,
    url: `${V2}/instance/statuses/:key`,
    handler: async (req, reply) => {
      const key = (req.params as { key?: string }).key ?? '';
      if (key.trim() === '') throw new MissingParamError('key');
      return sendRawJson(reply, JSON.stringify({ ips: naming.catalog.instanceStatuses(statusesKeyV2(key.trim())) }));
    },
  });

  app.post(`${V2}/service`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    await createServiceFrom(deps, service, serviceForm(p));
    return sendResult(reply, 'ok');
  });

  app.put(`${V2}/service`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    await updateServiceFrom(deps, service, serviceForm(p));
    return sendResult(reply, 'ok');
  });

  app.delete(`${V2}/service`, async (req, reply) => {
    await naming.deleteService(serviceV2(namingParams(deps, req), true));
    return sendResult(reply, 'ok');
  });

  app.get(`${V2}/service`, async (req, reply) => {
    const service = serviceV2(namingParams(deps, req), true);
    return sendResult(reply, serviceDetail(serviceFactsOr400(naming, service), 'namespace', 'legacy'));
  });

  app.get(`${V2}/service/list`, async (req, reply) => {
    const p = namingParams(deps, req);
    const f = parseParams(ServiceListSchema, p);
    const { namespace, group } = groupScope(p);
    const r = naming.catalog.listServices(namespace, group, Math.max(1, f.pageNo), Math.min(500, Math.max(1, f.pageSize)));
    return sendResult(reply, { count: r.count, services: r.names });
  });

  app.route({
    method: ANY_METHOD,
    url: `${V2}/catalog/instances`,
    handler: async (req, reply) => {
      const p = namingParams(deps, req);
      const service = serviceV1(p);
      const f = parseParams(CatalogSchema, p);
      const list = naming.catalog.allInstances(service)
        .filter((i) => f.healthyOnly === undefined || i.healthy === f.healthyOnly)
        .filter((i) => f.enabledOnly === undefined || i.enabled === f.enabledOnly);
      const g = groupedName(service.group, service.name);
      const items = page(list, f.pageNo, f.pageSize).map((i) => toInstanceJson(i, g));
      // `instances` is omitted when the page is empty (Jackson NON_EMPTY), docs/protocol/http.md §2.
      return sendResult(reply, items.length > 0 ? { instances: items, count: list.length } : { count: list.length });
    },
  });

  for (const url of [`${V2}/health`, `${V2}/health/instance`]) {
    app.put(url, async (req, reply) => {
      await putInstanceHealth(deps, req);
      return sendResult(reply, 'ok');
    });
  }

  for (const prefix of [`${V2}/operator`, `${V2}/ops`]) {
    app.get(`${prefix}/switches`, async (_req, reply) => sendResult(reply, switchDomain(ctx)));
    app.put(`${prefix}/switches`, async (req, reply) => {
      const f = parseParams(z.object({ entry: reqStr('entry'), value: reqStr('value'), debug: optStr() }), paramsOf(req));
      await updateSwitch(ctx, f.entry, f.value);
      return sendResult(reply, 'ok');
    });
    app.get(`${prefix}/metrics`, async (req, reply) => {
      const f = parseParams(z.object({ onlyStatus: javaBoolOr(true) }), paramsOf(req));
      return sendResult(reply, metrics(ctx, f.onlyStatus));
    });
  }

  v2ClientRoutes(app, deps);
}

/** v2/v3 `instance/metadata/batch` (PUT adds keys, DELETE removes them): `{"updated":[…]}`. */
export async function metadataBatch(deps: HttpDeps, req: FastifyRequest, method: 'PUT' | 'DELETE'): Promise<{ updated: string[] }> {
  const p = namingParams(deps, req);
  const service = serviceV2(p);
  const f = parseParams(MetadataBatchSchema, p);
  const updated = await batchInstanceMetadata(deps.ctx.naming, service, f.instances, f.metadata, method === 'PUT' ? 'put' : 'delete', f.consistencyType !== 'persist');
  return { updated };
}

/** v2/v3 manual health of a persistent instance: `healthy` is read first (docs/protocol/http.md §1.12). */
export async function putInstanceHealth(deps: HttpDeps, req: FastifyRequest): Promise<void> {
  const p = namingParams(deps, req);
  const healthyText = p.get('healthy');
  if (healthyText === undefined) throw new MissingParamError('healthy', 'Boolean');
  const service = serviceV2(p);
  const f = parseParams(HealthSchema, p);
  await setPersistentInstanceHealth(deps.ctx.naming, service, f.clusterName, f.ip, f.port, lenientBool(healthyText));
}

/** The service's facts, or the v2/v3 admin 400 (code 21008) for an unknown service. */
export function serviceFactsOr400(naming: NamingService, service: ServiceKey): ServiceFacts {
  const f = naming.catalog.serviceFacts(service);
  if (!f) throw badRequest(`service not found, namespace: ${service.namespace}, serviceName: ${groupedName(service.group, service.name)}`, 21008);
  return f;
}
