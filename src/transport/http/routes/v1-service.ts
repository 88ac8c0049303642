/** v1 service, catalog and cluster APIs (docs/protocol/http.md §1.6, §1.9, §1.10). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { badRequest, notFound } from '../../../core/errors.js';
import { groupedName, type ServiceKey } from '../../../core/names.js';
import { subscribersOfService } from '../client-views.js';
import { callPeer } from '../peer-http.js';
import { aggregated } from '../subscriber-aggregation.js';
import { intOr, javaBoolOr, lenientBoolOr, metadataField, optStr, parseParams, rangedInt, reqInt, reqLenientBool, reqStr, strOr } from '../fields.js';
import { serviceV1 } from '../instance-form.js';
import { ANY_METHOD, namingParams, sendJson, sendRestResult, sendText, type HttpDeps } from '../kit.js';
import { groupScope, namespaceScope, namespacesScope } from '../naming-scope.js';
import type { Params } from '../params.js';
import { clusterMeta, clusterNames, page, type ServiceFacts } from '../../../naming/catalog.js';
import type { Instance } from '../../../core/instance.js';
import {
  checkerJson,
  instancesJson,
  parseHealthChecker,
  parseSelector,
  protectThresholdField,
  selectorJson,
  serviceDetail,
  serviceView,
} from '../service-views.js';

const V1 = '/nacos/v1/ns';

const CreateSchema = z.object({ protectThreshold: protectThresholdField(false), metadata: metadataField(), selector: optStr() });
const UpdateSchema = z.object({ protectThreshold: protectThresholdField(true), metadata: metadataField(), selector: optStr() });
const ListSchema = z.object({ pageNo: reqInt('pageNo'), pageSize: reqInt('pageSize') });
const NamesSchema = z.object({ expr: strOr('') });
const SubscribersSchema = z.object({ pageNo: intOr(1), pageSize: intOr(1000), aggregation: lenientBoolOr(true) });
/** A peer's v1 subscriber list (what `subscribersJson` renders there). */
const V1SubscribersAnswer = z.object({ subscribers: z.array(z.record(z.string(), z.unknown())) });
const CatalogInstancesSchema = z.object({ clusterName: reqStr('clusterName'), pageNo: reqInt('pageNo'), pageSize: reqInt('pageSize') });
const CatalogServicesSchema = z.object({
  withInstances: javaBoolOr(false),
  pageNo: intOr(1),
  pageSize: intOr(10),
  serviceNameParam: strOr(''),
  groupNameParam: strOr(''),
  hasIpCount: javaBoolOr(false),
});
/** `PUT cluster` parameters (v1 and v3 alike). */
export const ClusterSchema = z.object({
  clusterName: reqStr('clusterName'),
  checkPort: rangedInt('checkPort', 0, 65535, true),
  useInstancePort4Check: reqLenientBool('useInstancePort4Check'),
  healthChecker: reqStr('healthChecker'),
  metadata: metadataField(),
});

export function v1ServiceRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const naming = deps.ctx.naming;
  const catalog = naming.catalog;

  app.post(`${V1}/service`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    const f = parseParams(CreateSchema, p);
    const selector = parseSelector(f.selector);
    // v1 creates a persistent service (docs/protocol/http.md §1.9).
    await naming.createService(service, { ephemeral: false, protectThreshold: f.protectThreshold ?? 0, metadata: f.metadata ?? {}, selector });
    return sendText(reply, 'ok');
  });

  app.delete(`${V1}/service`, async (req, reply) => {
    const service = serviceV1(namingParams(deps, req));
    await naming.deleteService(service);
    return sendText(reply, 'ok');
  });

  app.put(`${V1}/service`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    const f = parseParams(UpdateSchema, p);
    const selector = parseSelector(f.selector);
    // Nacos replaces metadata and selector with what the request carries (absent → empty / none).
    await naming.updateService(service, { protectThreshold: f.protectThreshold ?? 0, metadata: f.metadata ?? {}, selector });
    return sendText(reply, 'ok');
  });

  app.get(`${V1}/service`, async (req, reply) => {
    const service = serviceV1(namingParams(deps, req));
    const f = catalog.serviceFacts(service);
    if (!f) throw badRequest(`service not found, namespace: ${service.namespace}, serviceName: ${groupedName(service.group, service.name)}`, 21008);
    return sendJson(reply, {
      namespaceId: service.namespace,
      groupName: service.group,
      name: service.name,
      protectThreshold: f.meta.protectThreshold,
      metadata: f.meta.metadata,
      selector: selectorJson(f.meta.selector),
      clusters: clusterNames(f).map((c) => {
        const cm = clusterMeta(f, c);
        return { name: c, healthChecker: checkerJson(cm.healthChecker), metadata: cm.metadata };
      }),
    });
  });

  app.get(`${V1}/service/list`, async (req, reply) => {
    const p = namingParams(deps, req);
    const f = parseParams(ListSchema, p);
    const { namespace, group } = groupScope(p);
    const r = catalog.listServices(namespace, group, f.pageNo, f.pageSize);
    return sendJson(reply, { count: r.count, doms: r.names });
  });

  // Nacos 2.3+ and 3.x put this map under the key "META-INF/services" (a refactoring accident kept since;
  // docs/protocol/http.md §1.9, §8.9), so Nomen does too. Matching is a plain substring test (Nacos: regex `.*expr.*`).
  app.route({
    method: ANY_METHOD,
    url: `${V1}/service/names`,
    handler: async (req, reply) => {
      const p = namingParams(deps, req);
      const f = parseParams(NamesSchema, p);
      const only = namespacesScope(p);
      const namespaces = only !== undefined ? [only] : catalog.namespaces();
      const services: Record<string, string[]> = {};
      let count = 0;
      for (const ns of namespaces) {
        const names = catalog.servicesOf(ns)
          .map((k) => groupedName(k.group, k.name))
          .filter((g) => g.includes(f.expr));
        services[ns] = names;
        count += names.length;
      }
      return sendJson(reply, { 'META-INF/services': services, count });
    },
  });

  // Aggregated across members unless `aggregation=false` (docs/protocol/nacos3.md §1.1, as 2.x's v1 controller does).
  app.get(`${V1}/service/subscribers`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV1(p);
    const f = parseParams(SubscribersSchema, p);
    const all = await aggregated(deps, subscribersJson(deps, service), f.aggregation, async (peer) => {
      const query = { namespaceId: service.namespace, serviceName: groupedName(service.group, service.name), aggregation: 'false', pageNo: '1', pageSize: '100000' };
      const r = V1SubscribersAnswer.safeParse(await callPeer(deps, req, peer, 'GET', `${V1}/service/subscribers`, query));
      return r.success ? r.data.subscribers : [];
    });
    return sendJson(reply, { subscribers: page(all, f.pageNo, f.pageSize), count: all.length });
  });

  app.get(`${V1}/service/selector/types`, async (_req, reply) => sendRestResult(reply, ['none', 'label']));

  app.get(`${V1}/catalog/service`, async (req, reply) => {
    const p = namingParams(deps, req);
    // Nacos binds `serviceName` here without @RequestParam: absent, it looks up group "" and name "" (docs/protocol/http.md §1.10).
    if ((p.first('serviceName') ?? '').trim() === '') throw notFound('service @@ is not found!');
    const service = serviceV1(p);
    const f = catalog.serviceFacts(service);
    if (!f) throw notFound(`service ${groupedName(service.group, service.name)} is not found!`);
    return sendJson(reply, {
      service: {
        name: service.name,
        groupName: service.group,
        protectThreshold: f.meta.protectThreshold,
        selector: selectorJson(f.meta.selector),
        metadata: f.meta.metadata,
      },
      clusters: clusterNames(f).map((c) => {
        const cm = clusterMeta(f, c);
        return {
          serviceName: groupedName(service.group, service.name),
          name: c,
          healthChecker: checkerJson(cm.healthChecker),
          defaultPort: 80,
          defaultCheckPort: cm.checkPort,
          useIpPort4Check: cm.useInstancePort4Check,
          metadata: cm.metadata,
        };
      }),
    });
  });

  app.route({
    method: ANY_METHOD,
    url: `${V1}/catalog/instances`,
    handler: async (req, reply) => {
      const p = namingParams(deps, req);
      const service = serviceV1(p);
      const q = parseParams(CatalogInstancesSchema, p);
      const f = catalog.serviceFacts(service);
      const list = clusterInstancesOr404(f, service, q.clusterName);
      return sendJson(reply, { list: instancesJson(f!, page(list, q.pageNo, q.pageSize)), count: list.length });
    },
  });

  app.get(`${V1}/catalog/services`, async (req, reply) => {
    const p = namingParams(deps, req);
    const q = parseParams(CatalogServicesSchema, p);
    const namespace = namespaceScope(p);
    const facts = catalog.findServices(namespace, { nameContains: q.serviceNameParam, groupContains: q.groupNameParam, withInstancesOnly: q.hasIpCount });
    if (q.withInstances) return sendJson(reply, page(facts, q.pageNo, q.pageSize).map((f) => serviceDetail(f)));
    return sendJson(reply, { count: facts.length, serviceList: page(facts, q.pageNo, q.pageSize).map(serviceView) });
  });

  app.put(`${V1}/cluster`, async (req, reply) => {
    const p = namingParams(deps, req);
    await updateClusterFrom(deps, serviceV1(p), p);
    return sendText(reply, 'ok');
  });
}

/** A cluster update from its form (`clusterName`, `checkPort`, `useInstancePort4Check`, `healthChecker`, `metadata`): v1 and the v3 console. */
export async function updateClusterFrom(deps: HttpDeps, service: ServiceKey, p: Params): Promise<void> {
  const f = parseParams(ClusterSchema, p);
  const healthChecker = parseHealthChecker(f.healthChecker);
  await deps.ctx.naming.updateCluster(service, f.clusterName, {
    healthChecker,
    checkPort: f.checkPort ?? 0,
    useInstancePort4Check: f.useInstancePort4Check,
    metadata: f.metadata ?? {},
  });
}

/** Subscribers of a service as Nacos' `Subscriber` objects. */
export function subscribersJson(deps: HttpDeps, service: ServiceKey): Record<string, unknown>[] {
  return subscribersOfService(deps.ctx.naming, service).map((s) => ({
    addrStr: s.address,
    agent: s.agent,
    app: s.app,
    ip: s.ip,
    port: s.port,
    namespaceId: service.namespace,
    serviceName: groupedName(service.group, service.name),
    cluster: s.clusters,
  }));
}

/**
 * The instances of one cluster of a service (Nacos `CatalogServiceV2Impl.listInstances`): 404 for
 * an unknown service and for a cluster that holds no instance (docs/protocol/http.md §1.10,
 * docs/protocol/nacos3.md §1.2); `v2Code` is the Result code the calling API family reports.
 */
export function clusterInstancesOr404(f: ServiceFacts | undefined, service: ServiceKey, cluster: string, v2Code = 20004): readonly Instance[] {
  if (!f?.registered) throw notFound(`service ${groupedName(service.group, service.name)} is not found!`, v2Code);
  if (!clusterNames(f).includes(cluster)) throw notFound(`cluster ${cluster} is not found!`, v2Code);
  return f.instances.filter((i) => i.clusterName === cluster);
}
