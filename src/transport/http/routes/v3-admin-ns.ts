/**
 * Nacos 3 naming admin API, `/nacos/v3/admin/ns/*` (docs/protocol/nacos3.md §1): service,
 * instance, cluster, health, ops and client views, Result-wrapped, with Nacos 3's parameters,
 * defaults and errors. Every write goes through the same use cases as v1/v2 (instance-ops.ts,
 * NamingService, operator-ops.ts); only the v3 differences live here. All of it is `admin`
 * access (auth-rules.ts), as Nacos 3 requires an admin token for ADMIN_API.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NacosError, badRequest, notFound } from '../../../core/errors.js';
import { toInstanceJson, type Instance } from '../../../core/instance.js';
import { DEFAULT_CLUSTER, groupedName, type ServiceKey } from '../../../core/names.js';
import type { ServiceFacts } from '../../../naming/catalog.js';
import type { NamingService } from '../../../naming/naming-service.js';
import { clientSummary, filteredSubscribers, knownClient, publishedBy, publishersOfService, subscribedBy } from '../client-views.js';
import { javaBoolOr, lenientBoolOr, metadataField, optDouble, optLenientBool, parseParams, reqStr, strOr } from '../fields.js';
import { instanceForm, serviceV2, type InstanceForm } from '../instance-form.js';
import { deregisterInstance, registerInstance, updateInstance } from '../instance-ops.js';
import { namingParams, paramsOf, sendResult, type HttpDeps } from '../kit.js';
import { namespaceScope } from '../naming-scope.js';
import type { Params } from '../params.js';
import { nacosPage, PageFormSchema } from '../nacos-page.js';
import { parseHealthChecker, parseSelector, serviceDetail, serviceView } from '../service-views.js';
import { subscriberPage } from '../subscriber-aggregation.js';
import { switchDomain, updateSwitch } from '../switches.js';
import { clientServiceQuery } from './v2-clients.js';
import { ClusterSchema, clusterInstancesOr404 } from './v1-service.js';
import { DEFAULT_CHECKERS, distroResponsible, metrics, setLogLevel } from './v1-operator.js';
import { ServiceFormSchema } from '../service-ops.js';
import { metadataBatch, putInstanceHealth, serviceFactsOr400 } from './v2-naming.js';

const NS = '/nacos/v3/admin/ns';

const ServiceListSchema = z.object({
  serviceNameParam: strOr(''),
  groupNameParam: strOr(''),
  ignoreEmptyService: javaBoolOr(false),
  withInstances: javaBoolOr(false),
});
const InstanceListSchema = z.object({ clusterName: strOr(DEFAULT_CLUSTER), healthyOnly: javaBoolOr(false) });
const PartialSchema = z.object({ weight: optDouble(), enabled: optLenientBool(), metadata: metadataField() });
const SwitchSchema = z.object({ entry: reqStr('entry'), value: reqStr('value'), debug: javaBoolOr(false) });
const LogSchema = z.object({ logName: reqStr('logName', true), logLevel: reqStr('logLevel', true) });

/** Nacos 3's `/health/checkers`: the MYSQL checker prints its (null) credentials. */
const V3_CHECKERS = { ...DEFAULT_CHECKERS, MYSQL: { type: 'MYSQL', user: null, pwd: null, cmd: null } };

/** Fields of `MetricsInfo` (cpu, load and mem are dropped by the v3 DTO; nulls omitted). */
const METRICS_KEYS = [
  'status',
  'serviceCount',
  'instanceCount',
  'subscribeCount',
  'clientCount',
  'connectionBasedClientCount',
  'ephemeralIpPortClientCount',
  'persistentIpPortClientCount',
  'responsibleClientCount',
];

/**
 * A registration into a service of the other kind: Nacos 3 raises it as a NacosRuntimeException,
 * HTTP 400 with `{"code":30000,"message":"server error","data":"errCode: 400, errMsg: … "}`
 * (docs/protocol/nacos3.md §0.3, §1.2).
 */
function asRuntimeError(e: unknown): unknown {
  if (e instanceof NacosError && e.status === 400 && e.message.startsWith('Current service ')) {
    return new NacosError(400, `errCode: 400, errMsg: ${e.message} `, 30000);
  }
  return e;
}

/** Filter fragments that could make the regex backtrack for seconds: a quantified group, a back-reference. */
const RISKY_REGEX = /\)\s*[*+?{]|\\[1-9]|\\k</;
const MAX_FILTER = 256;

/**
 * The `service/list` filter: Java regex `.*<group>.*@@.*<name>.*` over `group@@name` (blank part →
 * `.*`), docs/protocol/nacos3.md §1.1. Unlike Nacos, fragments longer than 256 characters or with
 * a quantified group or a back-reference are refused (400), so one request cannot stall the member
 * (docs/compatibility.md, D8).
 */
function servicePattern(group: string, name: string): RegExp | null {
  if (group === '' && name === '') return null;
  for (const [param, v] of [['groupNameParam', group], ['serviceNameParam', name]] as const) {
    if (v.length > MAX_FILTER || RISKY_REGEX.test(v)) throw badRequest(`Param '${param}' is illegal: at most ${MAX_FILTER} characters, no quantified groups or back-references`);
  }
  const part = (s: string) => (s === '' ? '.*' : `.*${s}.*`);
  try {
    return new RegExp(`^(?:${part(group)}@@${part(name)})$`, 's');
  } catch (e) {
    throw badRequest(e instanceof Error ? e.message : String(e));
  }
}

/** A `withInstances=true` list item: only names, metadata and the hosts per cluster are filled. */
function serviceWithInstances(f: ServiceFacts): Record<string, unknown> {
  const detail = serviceDetail(f, 'namespaceId');
  const clusterMap: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(detail['clusterMap'] as Record<string, { hosts: unknown }>)) {
    clusterMap[name] = { clusterName: null, healthChecker: null, healthyCheckPort: 80, useInstancePortForCheck: true, metadata: null, hosts: c.hosts };
  }
  return {
    namespaceId: null,
    serviceName: f.key.name,
    groupName: f.key.group,
    clusterMap,
    metadata: f.meta.metadata,
    protectThreshold: 0,
    selector: null,
    ephemeral: null,
  };
}

function listServices(naming: NamingService, namespace: string, p: z.output<typeof ServiceListSchema>): ServiceFacts[] {
  const re = servicePattern(p.groupNameParam, p.serviceNameParam);
  const out: ServiceFacts[] = [];
  for (const k of naming.catalog.servicesOf(namespace)) {
    if (re && !re.test(groupedName(k.group, k.name))) continue;
    const f = naming.catalog.serviceFacts(k);
    if (f) out.push(f);
  }
  return out;
}

/** The instance a v3 partial update or detail names; Nacos' 404 (code 20004) otherwise. */
function instanceOr404(naming: NamingService, service: ServiceKey, p: InstanceRef): Instance {
  try {
    return naming.catalog.instanceOr404(service, p.clusterName, p.ip, p.port);
  } catch (e) {
    if (e instanceof NacosError) throw notFound(e.message, 20004);
    throw e;
  }
}

interface InstanceRef {
  ip: string;
  port: number;
  clusterName: string;
}

function instanceRef(p: Params): InstanceRef {
  const f = instanceForm(p);
  return { ip: f.ip, port: f.port, clusterName: f.clusterName ?? DEFAULT_CLUSTER };
}

/** `PUT /instance`: the service must exist (400, code 21004, Nacos' `Service{…}` text). */
function requireServiceForUpdate(naming: NamingService, service: ServiceKey, f: InstanceForm): void {
  if (naming.catalog.serviceFacts(service)) return;
  const svc = `Service{namespace='${service.namespace}', group='${service.group}', name='${service.name}', ephemeral=${f.ephemeral}, revision=0}`;
  throw badRequest(`service not found, namespace: ${service.namespace}, service: ${svc}`, 21004);
}

export function v3AdminNamingRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { ctx } = deps;
  const naming = ctx.naming;

  // ------------------------------------------------------------------ service (§1.1)
  app.post(`${NS}/service`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const f = parseParams(ServiceFormSchema, p);
    const selector = parseSelector(f.selector);
    await naming.createService(service, { ephemeral: f.ephemeral, protectThreshold: f.protectThreshold ?? 0, metadata: f.metadata ?? {}, selector });
    return sendResult(reply, 'ok');
  });

  app.put(`${NS}/service`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const f = parseParams(ServiceFormSchema, p);
    const selector = parseSelector(f.selector);
    await naming.updateService(service, { protectThreshold: f.protectThreshold ?? 0, metadata: f.metadata ?? {}, selector });
    return sendResult(reply, 'ok');
  });

  app.delete(`${NS}/service`, async (req, reply) => {
    await naming.deleteService(serviceV2(namingParams(deps, req)));
    return sendResult(reply, 'ok');
  });

  app.get(`${NS}/service`, async (req, reply) => {
    const service = serviceV2(namingParams(deps, req));
    return sendResult(reply, serviceDetail(serviceFactsOr400(naming, service), 'namespaceId', 'settings'));
  });

  app.get(`${NS}/service/list`, async (req, reply) => {
    const p = namingParams(deps, req);
    const f = parseParams(ServiceListSchema, p);
    const pg = parseParams(PageFormSchema, p);
    let facts = listServices(naming, namespaceScope(p), f);
    if (f.withInstances) return sendResult(reply, nacosPage(facts.map(serviceWithInstances), pg.pageNo, pg.pageSize));
    if (f.ignoreEmptyService) facts = facts.filter((x) => x.instances.length > 0);
    return sendResult(reply, nacosPage(facts.map(serviceView), pg.pageNo, pg.pageSize));
  });

  app.get(`${NS}/service/subscribers`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const pg = parseParams(PageFormSchema, p);
    const { aggregation } = parseParams(z.object({ aggregation: lenientBoolOr(true) }), p);
    return sendResult(reply, await subscriberPage(deps, req, service, pg.pageNo, pg.pageSize, aggregation));
  });

  app.get(`${NS}/service/selector/types`, async (_req, reply) => sendResult(reply, ['label', 'none']));

  // ------------------------------------------------------------------ instance (§1.2)
  app.post(`${NS}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    await registerInstance(deps, service, instanceForm(p)).catch((e: unknown) => {
      throw asRuntimeError(e);
    });
    return sendResult(reply, 'ok');
  });

  app.delete(`${NS}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    await deregisterInstance(deps, serviceV2(p), instanceForm(p));
    return sendResult(reply, 'ok');
  });

  app.put(`${NS}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const f = instanceForm(p);
    requireServiceForUpdate(naming, service, f);
    await updateInstance(deps, service, f);
    return sendResult(reply, 'ok');
  });

  // The form's defaults (weight 1.0, enabled true) apply to what the patch leaves out (§1.2).
  app.put(`${NS}/instance/partial`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const ref = instanceRef(p);
    const f = parseParams(PartialSchema, p);
    instanceOr404(naming, service, ref);
    await naming.patchInstanceOverride(service, ref.ip, ref.port, ref.clusterName, { weight: f.weight ?? 1, enabled: f.enabled ?? true, metadata: f.metadata });
    return sendResult(reply, 'ok');
  });

  for (const method of ['PUT', 'DELETE'] as const) {
    app.route({ method, url: `${NS}/instance/metadata/batch`, handler: async (req, reply) => sendResult(reply, await metadataBatch(deps, req, method)) });
  }

  app.get(`${NS}/instance/list`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const f = parseParams(InstanceListSchema, p);
    const list = clusterInstancesOr404(naming.catalog.serviceFacts(service), service, f.clusterName, 30000).filter((i) => !f.healthyOnly || i.healthy);
    const g = groupedName(service.group, service.name);
    return sendResult(reply, list.map((i) => toInstanceJson(i, g)));
  });

  app.get(`${NS}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const i = instanceOr404(naming, service, instanceRef(p));
    return sendResult(reply, toInstanceJson(i, groupedName(service.group, service.name)));
  });

  // ------------------------------------------------------------------ cluster (§1.3)
  app.put(`${NS}/cluster`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const f = parseParams(ClusterSchema, p);
    const healthChecker = parseHealthChecker(f.healthChecker);
    if (!naming.catalog.serviceFacts(service)) throw badRequest(`service not found groupName: ${service.group},serviceName: ${service.name}`, 30000);
    await naming.updateCluster(service, f.clusterName, { healthChecker, checkPort: f.checkPort ?? 0, useInstancePort4Check: f.useInstancePort4Check, metadata: f.metadata ?? {} });
    return sendResult(reply, 'ok');
  });

  // ------------------------------------------------------------------ health (§1.4)
  app.put(`${NS}/health/instance`, async (req, reply) => {
    await putInstanceHealth(deps, req);
    return sendResult(reply, 'ok');
  });
  app.get(`${NS}/health/checkers`, async (_req, reply) => sendResult(reply, V3_CHECKERS));

  // ------------------------------------------------------------------ ops (§1.5)
  app.get(`${NS}/ops/switches`, async (_req, reply) => sendResult(reply, switchDomain(ctx)));
  app.put(`${NS}/ops/switches`, async (req, reply) => {
    const f = parseParams(SwitchSchema, paramsOf(req));
    try {
      await updateSwitch(ctx, f.entry, f.value);
    } catch (e) {
      // The v3 controller turns every validation failure into HTTP 500, code 30000 (§1.5).
      if (e instanceof NacosError && e.status === 400) throw new NacosError(500, e.message, 30000);
      throw e;
    }
    return sendResult(reply, 'ok');
  });
  app.get(`${NS}/ops/metrics`, async (req, reply) => {
    const f = parseParams(z.object({ onlyStatus: javaBoolOr(true) }), paramsOf(req));
    const m = metrics(ctx, f.onlyStatus);
    return sendResult(reply, Object.fromEntries(METRICS_KEYS.filter((k) => m[k] !== undefined).map((k) => [k, m[k]])));
  });
  app.put(`${NS}/ops/log`, async (req, reply) => {
    const f = parseParams(LogSchema, paramsOf(req));
    setLogLevel(ctx, f.logLevel);
    return sendResult(reply, 'ok');
  });

  // ------------------------------------------------------------------ client (§1.6)
  app.get(`${NS}/client/list`, async (_req, reply) => sendResult(reply, naming.clients.ids()));
  app.get(`${NS}/client`, async (req, reply) => sendResult(reply, clientSummary(deps, knownClient(naming, paramsOf(req)))));
  app.get(`${NS}/client/publish/list`, async (req, reply) => {
    const rows = publishedBy(knownClient(naming, paramsOf(req)));
    return sendResult(
      reply,
      rows.map((r) => ({
        namespaceId: r.service.namespace,
        groupName: r.service.group,
        serviceName: r.service.name,
        publisherInfo: { clientId: null, ip: r.ip, port: r.port, clusterName: r.cluster },
        subscriberInfo: null,
      })),
    );
  });
  app.get(`${NS}/client/subscribe/list`, async (req, reply) => {
    const rows = subscribedBy(naming, knownClient(naming, paramsOf(req)).id);
    return sendResult(
      reply,
      rows.map((s) => ({
        namespaceId: s.service.namespace,
        groupName: s.service.group,
        serviceName: s.service.name,
        publisherInfo: null,
        subscriberInfo: { clientId: null, appName: s.app, agent: s.agent, address: s.address },
      })),
    );
  });
  app.get(`${NS}/client/service/publisher/list`, async (req, reply) => {
    const { service, f } = clientServiceQuery(namingParams(deps, req));
    return sendResult(reply, publishersOfService(naming, service, f).map((r) => ({ clientId: r.clientId, ip: r.ip, port: r.port, clusterName: r.cluster })));
  });
  app.get(`${NS}/client/service/subscriber/list`, async (req, reply) => {
    const { service, f } = clientServiceQuery(namingParams(deps, req));
    return sendResult(reply, filteredSubscribers(naming, service, f).map((s) => ({ clientId: s.clientId, appName: s.app, agent: s.agent, address: s.address })));
  });
  app.get(`${NS}/client/distro`, async (req, reply) => sendResult(reply, distroResponsible(deps, paramsOf(req))));
}
