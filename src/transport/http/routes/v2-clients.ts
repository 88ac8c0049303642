/** v2 client views (`/nacos/v2/ns/client/*`, docs/protocol/http.md §2): read-only, Result-wrapped. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServiceKey } from '../../../core/names.js';
import { clientDetail, filteredSubscribers, knownClient, publishedBy, publishersOfService, subscribedBy, type ClientFilter } from '../client-views.js';
import { optInt, optLenientBool, optStr, parseParams } from '../fields.js';
import { serviceV2 } from '../instance-form.js';
import { namingParams, paramsOf, sendResult, type HttpDeps } from '../kit.js';
import type { Params } from '../params.js';

const V2 = '/nacos/v2/ns';

export const ClientServiceSchema = z.object({ ip: optStr(), port: optInt(), ephemeral: optLenientBool() });

/**
 * The service and the optional ip/port/ephemeral filters of the per-service client lists; `spring`:
 * v2 binds `serviceName` with `@RequestParam` (v3 uses `ClientServiceForm.validate()`).
 */
export function clientServiceQuery(p: Params, spring = false): { service: ServiceKey; f: ClientFilter } {
  return { service: serviceV2(p, spring), f: parseParams(ClientServiceSchema, p) };
}

/** `/v2/ns/client/*`: read-only views of clients, their publications and subscriptions. */
export function v2ClientRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const naming = deps.ctx.naming;

  app.get(`${V2}/client/list`, async (_req, reply) => sendResult(reply, naming.clients.ids()));

  app.get(`${V2}/client`, async (req, reply) => {
    return sendResult(reply, clientDetail(deps, knownClient(naming, paramsOf(req))));
  });

  app.get(`${V2}/client/publish/list`, async (req, reply) => {
    const rows = publishedBy(knownClient(naming, paramsOf(req)));
    return sendResult(
      reply,
      rows.map((r) => ({
        namespace: r.service.namespace,
        group: r.service.group,
        serviceName: r.service.name,
        registeredInstance: { ip: r.ip, port: r.port, cluster: r.cluster },
      })),
    );
  });

  app.get(`${V2}/client/subscribe/list`, async (req, reply) => {
    const rows = subscribedBy(naming, knownClient(naming, paramsOf(req)).id);
    return sendResult(
      reply,
      rows.map((s) => ({
        namespace: s.service.namespace,
        group: s.service.group,
        serviceName: s.service.name,
        subscriberInfo: { app: s.app, agent: s.agent, addr: s.address },
      })),
    );
  });

  app.get(`${V2}/client/service/publisher/list`, async (req, reply) => {
    const { service, f } = clientServiceQuery(namingParams(deps, req), true);
    // Nacos' wrapSingleInstance + clientId: ip, port, cluster, clientId.
    return sendResult(reply, publishersOfService(naming, service, f).map((r) => ({ ip: r.ip, port: r.port, cluster: r.cluster, clientId: r.clientId })));
  });

  app.get(`${V2}/client/service/subscriber/list`, async (req, reply) => {
    const { service, f } = clientServiceQuery(namingParams(deps, req), true);
    return sendResult(reply, filteredSubscribers(naming, service, f).map((s) => ({ clientId: s.clientId, ip: s.ip, port: s.port })));
  });
}
