/** v1 instance APIs (`/nacos/v1/ns/instance...`, docs/protocol/http.md §1.1–§1.8). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DEFAULT_CLUSTER, DEFAULT_NAMESPACE, groupedName, type ServiceKey } from '../../../core/names.js';
import { batchInstanceMetadata, type InstanceRef } from '../../../naming/operator-ops.js';
import { invalid, javaBoolOr, intOr, metadataField, optDouble, optLenientBool, optStr, parseParams, reqInt, reqStr, strOr } from '../fields.js';
import { instanceForm, serviceV1 } from '../instance-form.js';
import { parseInstanceRefs } from '../instance-refs.js';
import { beatFromParams, beatJson, deregisterInstance, registerInstance, subscribeFromList, updateInstance } from '../instance-ops.js';
import { ANY_METHOD, namingParams, sendJson, sendRawJson, sendServiceInfo, sendText, type HttpDeps } from '../kit.js';
import { splitGroupedStrict } from '../../../core/service-key.js';
import { parseMetadata } from '../params.js';

const V1 = '/nacos/v1/ns';

/** PATCH instance parameters (v1 and v2 alike). */
export const PatchSchema = z.object({
  ip: reqStr('ip'),
  port: reqInt('port'),
  clusterName: strOr(DEFAULT_CLUSTER),
  metadata: metadataField(),
  weight: optDouble(),
  enabled: optLenientBool(),
});

/** Instance detail parameters (v1 and v2 alike). */
export const DetailSchema = z.object({ ip: reqStr('ip'), port: reqInt('port'), clusterName: strOr(DEFAULT_CLUSTER) });

const ListSchema = z.object({
  clusters: strOr(''),
  clientIP: strOr(''),
  udpPort: intOr(0),
  healthyOnly: javaBoolOr(false),
  app: strOr(''),
});

/** `instances` of the metadata batch APIs: a JSON array of `{ip, port, clusterName}` (parsed leniently, as Nacos). */
export const instanceRefsField = () =>
  optStr().transform((v, ctx): InstanceRef[] | null => {
    const r = parseInstanceRefs(v);
    return r.ok ? r.refs : invalid(ctx, r.message);
  });

export const MetadataBatchSchema = z.object({
  consistencyType: strOr(''),
  instances: instanceRefsField(),
  metadata: reqStr('metadata').transform((v, ctx) => {
    try {
      return parseMetadata(v);
    } catch (e) {
      return invalid(ctx, e instanceof Error ? e.message : String(e), 21002);
    }
  }),
});

/** `key` of `instance/statuses`: `[namespace##]group@@service`. */
export function statusesKey(key: string): ServiceKey {
  const i = key.indexOf('##');
  const namespace = i < 0 ? DEFAULT_NAMESPACE : key.slice(0, i);
  const grouped = i < 0 ? key : key.slice(i + 2);
  const { group, name } = splitGroupedStrict(grouped);
  return { namespace: namespace === '' ? DEFAULT_NAMESPACE : namespace, group, name };
}

export function v1InstanceRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.post(`${V1}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    await registerInstance(deps, service, instanceForm(p));
    return sendText(reply, 'ok');
  });

  app.delete(`${V1}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    await deregisterInstance(deps, service, instanceForm(p));
    return sendText(reply, 'ok');
  });

  app.put(`${V1}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    await updateInstance(deps, service, instanceForm(p));
    return sendText(reply, 'ok');
  });

  app.patch(`${V1}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    const f = parseParams(PatchSchema, p);
    await deps.ctx.naming.patchInstanceOverride(service, f.ip, f.port, f.clusterName, {
      weight: f.weight,
      enabled: f.enabled,
      metadata: f.metadata,
    });
    return sendText(reply, 'ok');
  });

  app.get(`${V1}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    const f = parseParams(DetailSchema, p);
    const i = deps.ctx.naming.catalog.instanceOr404(service, f.clusterName, f.ip, f.port);
    return sendJson(reply, {
      service: groupedName(service.group, service.name),
      ip: i.ip,
      port: i.port,
      clusterName: i.clusterName,
      weight: i.weight,
      healthy: i.healthy,
      instanceId: i.instanceId,
      metadata: i.metadata,
    });
  });

  app.get(`${V1}/instance/list`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    const f = parseParams(ListSchema, p);
    subscribeFromList(deps, req, service, f.clusters, f.udpPort, f.clientIP, f.app);
    // Always 200 with a ServiceInfo, also for an unknown service (docs/protocol/http.md §1.5, §5.9.3).
    return sendServiceInfo(reply, deps.ctx.naming.query(service, f.clusters, f.healthyOnly, 'grouped'));
  });

  app.put(`${V1}/instance/beat`, async (req, reply) => {
    const p = namingParams(deps, req, 'beat');
    const service = serviceV1(p);
    return sendRawJson(reply, beatJson(beatFromParams(deps, service, p)));
  });

  app.route({
    method: ANY_METHOD,
    url: `${V1}/instance/statuses`,
    handler: async (req, reply) => {
      const p = namingParams(deps, req);
      const { key } = parseParams(z.object({ key: reqStr('key') }), p);
      return sendJson(reply, { ips: deps.ctx.naming.catalog.instanceStatuses(statusesKey(key)) });
    },
  });

  for (const method of ['PUT', 'DELETE'] as const) {
    app.route({
      method,
      url: `${V1}/instance/metadata/batch`,
      handler: async (req, reply) => {
        const p = namingParams(deps, req);
        const service = serviceV1(p);
        const f = parseParams(MetadataBatchSchema, p);
        const updated = await batchInstanceMetadata(
          deps.ctx.naming,
          service,
          f.instances,
          f.metadata,
          method === 'PUT' ? 'put' : 'delete',
          f.consistencyType !== 'persist',
        );
        return sendJson(reply, { updated });
      },
    });
  }
}
