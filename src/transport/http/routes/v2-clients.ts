/** v2 client views (`/nacos/v2/ns/client/*`, docs/protocol/http.md §2): read-only, Result-wrapped. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../../../core/errors.js';
import { serviceKeyId, type ServiceKey } from '../../../core/names.js';
import type { ClientEntry } from '../../../naming/client-directory.js';
import type { NamingService } from '../../../naming/naming-service.js';
import { optInt, optLenientBool, optStr, parseParams, reqStr } from '../fields.js';
import { serviceV2 } from '../instance-form.js';
import { namingParams, paramsOf, sendResult, type HttpDeps } from '../kit.js';
import type { Params } from '../params.js';

const V2 = '/nacos/v2/ns';

const ClientServiceSchema = z.object({ ip: optStr(), port: optInt(), ephemeral: optLenientBool() });

/** The client named by `clientId` (publisher or subscriber), else Nacos' 404 (code 20004). */
function knownClient(naming: NamingService, p: Params): ClientEntry {
  const id = parseParams(z.object({ clientId: reqStr('clientId') }), p).clientId;
  const c = naming.clients.get(id);
  if (!c) throw notFound(`clientId [ ${id} ] not exist`, 20004);
  return c;
}

/**
 * `/v2/ns/client` detail in Nacos 2.4's shape (docs/open-api-fidelity.md, items 3 and 4): ip:port
 * clients as `"clientType":"ipPort"` with `clientIp` and the port as a string from the id's
 * `ip:port`; connection clients with the connection's type, app, SDK version, self-reported IP and
 * the id's port (a string). A connection held by another member (a Distro replica) has no local
 * connection: its app, version and IP are null there.
 */
function clientDetail(deps: HttpDeps, c: ClientEntry): Record<string, unknown> {
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

/** `/v2/ns/client/*`: read-only views of clients, their publications and subscriptions. */
export function v2ClientRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const naming = deps.ctx.naming;

  app.get(`${V2}/client/list`, async (_req, reply) => sendResult(reply, naming.clients.ids()));

  app.get(`${V2}/client`, async (req, reply) => {
    return sendResult(reply, clientDetail(deps, knownClient(naming, paramsOf(req))));
  });

  app.get(`${V2}/client/publish/list`, async (req, reply) => {
    const out = [];
    for (const rec of knownClient(naming, paramsOf(req)).client?.publishes.values() ?? []) {
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
    const out = [];
    for (const s of naming.subscriptions.subscriptionsOf(knownClient(naming, paramsOf(req)).id)) {
      out.push({
        namespace: s.service.namespace,
        group: s.service.group,
        serviceName: s.service.name,
        subscriberInfo: { app: s.app, agent: s.agent, addr: s.address },
      });
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
    const out = [];
    for (const pub of naming.catalog.publishers(service)) {
      if (f.ephemeral !== undefined && pub.ephemeral !== f.ephemeral) continue;
      for (const i of pub.instances) if (matches(i.ip, i.port, f)) out.push({ clientId: pub.clientId, ip: i.ip, port: i.port });
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
