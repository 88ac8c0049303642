/**
 * The naming part of Nacos 3's console API, `/nacos/v3/console/ns/*` (docs/protocol/nacos3.md
 * "Console API"): what the official 3.x web UI calls for services, instances, subscribers and
 * clusters. Nacos serves it on the console port with an empty context path; we serve it on the
 * main port under `/nacos`, where the UI's relative URLs land when it is served from `/nacos/`.
 * Every answer is a Result (`{code,message,data}`); facts come from `naming/catalog.ts` and the
 * writes from the same use cases as the v1/v2 routes.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NacosError } from '../../../core/errors.js';
import { toInstanceJson } from '../../../core/instance.js';
import { DEFAULT_CLUSTER, groupedName, type ServiceKey } from '../../../core/names.js';
import { clusterNames } from '../../../naming/catalog.js';
import { intOr, javaBoolOr, lenientBoolOr, parseParams, strOr } from '../fields.js';
import { instanceForm, serviceV2 } from '../instance-form.js';
import { updateInstance } from '../instance-ops.js';
import { ANY_METHOD, namingParams, sendResult, type HttpDeps } from '../kit.js';
import { namespaceScope } from '../naming-scope.js';
import { createServiceFrom, serviceForm, updateServiceFrom } from '../service-ops.js';
import { pageJson, serviceDetail, serviceView } from '../service-views.js';
import { updateClusterFrom } from './v1-service.js';
import { subscriberPage } from '../subscriber-aggregation.js';

export const V3_CONSOLE_NS = '/nacos/v3/console/ns';

const ServiceListSchema = z.object({
  serviceNameParam: strOr(''),
  groupNameParam: strOr(''),
  ignoreEmptyService: javaBoolOr(false),
  withInstances: javaBoolOr(false),
  pageNo: intOr(1),
  pageSize: intOr(100),
});
const PageSchema = z.object({ pageNo: intOr(1), pageSize: intOr(100) });
const InstanceListSchema = z.object({ clusterName: strOr(DEFAULT_CLUSTER), healthyOnly: javaBoolOr(false), pageNo: intOr(1), pageSize: intOr(100) });

/** Nacos' `PageForm.validate()`: pageNo and pageSize ≥ 1, else 400/20002 with its text. */
function checkPage(f: { pageNo: number; pageSize: number }): void {
  for (const [name, v] of [['pageNo', f.pageNo], ['pageSize', f.pageSize]] as const) {
    if (v < 1) throw new NacosError(400, `Required parameter '${name}' should be positive integer, current is ${v}`, 20002);
  }
}

const notFoundText = (s: ServiceKey) => `service ${groupedName(s.group, s.name)} is not found!`;

export function v3ConsoleNamingRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const naming = deps.ctx.naming;
  const catalog = naming.catalog;

  app.get(`${V3_CONSOLE_NS}/service/list`, async (req, reply) => {
    const p = namingParams(deps, req);
    const f = parseParams(ServiceListSchema, p);
    checkPage(f);
    // Nacos matches `.*group.*@@.*name.*` as a regex; we match the texts as plain substrings.
    const facts = catalog.findServices(namespaceScope(p), {
      nameContains: f.serviceNameParam,
      groupContains: f.groupNameParam,
      withInstancesOnly: f.ignoreEmptyService && !f.withInstances,
    });
    if (!f.withInstances) return sendResult(reply, pageJson(facts.map(serviceView), f.pageNo, f.pageSize));
    return sendResult(reply, pageJson(facts.map((x) => serviceDetail(x, 'namespaceId')), f.pageNo, f.pageSize));
  });

  app.get(`${V3_CONSOLE_NS}/service`, async (req, reply) => {
    const service = serviceV2(namingParams(deps, req));
    const f = catalog.serviceFacts(service);
    if (!f) throw new NacosError(404, notFoundText(service), 30000);
    return sendResult(reply, serviceDetail(f, 'namespaceId', 'settings'));
  });

  app.post(`${V3_CONSOLE_NS}/service`, async (req, reply) => {
    const p = namingParams(deps, req);
    await createServiceFrom(deps, serviceV2(p), serviceForm(p));
    return sendResult(reply, 'ok');
  });

  app.put(`${V3_CONSOLE_NS}/service`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const f = serviceForm(p);
    if (!catalog.serviceFacts(service)) {
      const text = `service Service{namespace='${service.namespace}', group='${service.group}', name='${service.name}', ephemeral=${String(f.ephemeral)}, revision=0} is not exist.`;
      throw new NacosError(404, text, 21008);
    }
    await updateServiceFrom(deps, service, f);
    return sendResult(reply, 'ok');
  });

  app.delete(`${V3_CONSOLE_NS}/service`, async (req, reply) => {
    await naming.deleteService(serviceV2(namingParams(deps, req)));
    return sendResult(reply, 'ok');
  });

  app.get(`${V3_CONSOLE_NS}/service/selector/types`, async (_req, reply) => sendResult(reply, ['label', 'none']));

  app.get(`${V3_CONSOLE_NS}/service/subscribers`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const f = parseParams(PageSchema, p);
    checkPage(f);
    // `AggregationForm` as on the admin path: by default the other UP members' subscribers too.
    const { aggregation } = parseParams(z.object({ aggregation: lenientBoolOr(true) }), p);
    return sendResult(reply, await subscriberPage(deps, req, service, f.pageNo, f.pageSize, aggregation));
  });

  app.put(`${V3_CONSOLE_NS}/service/cluster`, async (req, reply) => {
    const p = namingParams(deps, req);
    await updateClusterFrom(deps, serviceV2(p), p);
    return sendResult(reply, 'ok');
  });

  app.route({
    method: ANY_METHOD,
    url: `${V3_CONSOLE_NS}/instance/list`,
    handler: async (req, reply) => {
      const p = namingParams(deps, req);
      const service = serviceV2(p);
      const q = parseParams(InstanceListSchema, p);
      if (q.pageSize < 1) throw new NacosError(500, '/ by zero', 30000);
      const f = catalog.serviceFacts(service);
      if (!f?.registered) throw new NacosError(404, notFoundText(service), 30000);
      if (!clusterNames(f).includes(q.clusterName)) throw new NacosError(404, `cluster ${q.clusterName} is not found!`, 30000);
      const g = groupedName(service.group, service.name);
      const list = f.instances.filter((i) => i.clusterName === q.clusterName && (!q.healthyOnly || i.healthy)).map((i) => toInstanceJson(i, g));
      return sendResult(reply, pageJson(list, Math.max(1, q.pageNo), q.pageSize));
    },
  });

  app.put(`${V3_CONSOLE_NS}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    // The console's InstanceForm: `ephemeral` defaults to false.
    const form = instanceForm(p);
    await updateInstance(deps, service, { ...form, ephemeral: p.get('ephemeral') === undefined ? false : form.ephemeral });
    return sendResult(reply, 'ok');
  });
}
