/** v2 client views (`/nacos/v2/ns/client/*`, docs/protocol/http.md §2): read-only, Result-wrapped. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../../../core/errors.js';
import { serviceKeyId, type ServiceKey } from '../../../core/names.js';
import { optInt, optLenientBool, optStr, parseParams, reqStr } from '../fields.js';
import { serviceV2 } from '../instance-form.js';
import { namingParams, paramsOf, sendResult, type HttpDeps } from '../kit.js';
import type { Params } from '../params.js';

const V2 = '/nacos/v2/ns';

const ClientServiceSchema = z.object({ ip: optStr(), port: optInt(), ephemeral: optLenientBool() });

function clientIdParam(p: Params): string {
  return parseParams(z.object({ clientId: reqStr('clientId') }), p).clientId;
}

/** `ip:port#ephemeral` → ip and port; connection ids have neither. */
function ipPortOf(clientId: string): { ip: string; port: number } | null {
  const m = /^(.*):(\d+)#(true|false)$/.exec(clientId);
  return m ? { ip: m[1]!, port: Number(m[2]) } : null;
}

/** `/v2/ns/client/*`: read-only views of clients, their publications and subscriptions. */
export function v2ClientRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const naming = deps.ctx.naming;

  app.get(`${V2}/client/list`, async (_req, reply) => sendResult(reply, [...naming.registry.allClients()].map((c) => c.id).sort()));

  app.get(`${V2}/client`, async (req, reply) => {
    const id = clientIdParam(paramsOf(req));
    const c = naming.registry.getClient(id);
    if (!c) throw notFound(`clientId ${id} not exist`, 20004);
    const addr = ipPortOf(c.id);
    return sendResult(reply, {
      clientId: c.id,
      ephemeral: c.ephemeral,
      lastUpdatedTime: c.lastUpdated,
      clientType: c.kind === 'connection' ? 'connection' : 'ipport',
      ...(addr ? { clientIp: addr.ip, clientPort: addr.port } : {}),
    });
  });

  app.get(`${V2}/client/publish/list`, async (req, reply) => {
    const id = clientIdParam(paramsOf(req));
    const c = naming.registry.getClient(id);
    if (!c) throw notFound(`clientId ${id} not exist`, 20004);
    const out = [];
    for (const rec of c.publishes.values()) {
      for (const i of rec.instances) {
        out.push({
          namespace: rec.service.namespace,
          group: rec.service.group,
          serviceName: rec.service.name,
          registeredInstance: { ip: i.ip, port: i.port, cluster: i.clusterName },
        });
      }
    }
    return sendResult(reply, out);
  });

  app.get(`${V2}/client/subscribe/list`, async (req, reply) => {
    const id = clientIdParam(paramsOf(req));
    const out = [];
    for (const svc of naming.registry.allServices()) {
      const s = naming.subscriptions.get(id, svc.id);
      if (s) {
        out.push({
          namespace: svc.key.namespace,
          group: svc.key.group,
          serviceName: svc.key.name,
          subscriberInfo: { app: s.app, agent: s.agent, addr: s.address },
        });
      }
    }
    return sendResult(reply, out);
  });

  const serviceOf = (p: Params): { service: ServiceKey; f: z.output<typeof ClientServiceSchema> } => ({
    service: serviceV2(p),
    f: parseParams(ClientServiceSchema, p),
  });
  const matches = (ip: string, port: number, f: z.output<typeof ClientServiceSchema>) =>
    (f.ip === undefined || f.ip === ip) && (f.port === undefined || f.port === port);

  app.get(`${V2}/client/service/publisher/list`, async (req, reply) => {
    const { service, f } = serviceOf(namingParams(deps, req));
    const svc = naming.registry.getService(service);
    const out = [];
    for (const cid of svc?.publishers ?? []) {
      const c = naming.registry.getClient(cid);
      const rec = c?.publishes.get(serviceKeyId(service));
      if (!c || !rec) continue;
      if (f.ephemeral !== undefined && c.ephemeral !== f.ephemeral) continue;
      for (const i of rec.instances) if (matches(i.ip, i.port, f)) out.push({ clientId: cid, ip: i.ip, port: i.port });
    }
    return sendResult(reply, out);
  });

  app.get(`${V2}/client/service/subscriber/list`, async (req, reply) => {
    const { service, f } = serviceOf(namingParams(deps, req));
    const out = [];
    for (const s of naming.subscriptions.subscribersOf(serviceKeyId(service))) {
      const sep = s.address.lastIndexOf(':');
      const ip = sep < 0 ? s.address : s.address.slice(0, sep);
      const port = sep < 0 ? 0 : Number(s.address.slice(sep + 1)) || 0;
      if (matches(ip, port, f)) out.push({ clientId: s.id, ip, port });
    }
    return sendResult(reply, out);
  });
}
