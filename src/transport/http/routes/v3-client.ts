/**
 * v3 client API (docs/protocol/http.md §3.1): instance register/deregister and a plain instance list.
 * `POST` with `heartBeat=true` is a light beat; an unknown instance answers HTTP 200 with
 * `{"code":21003,"message":"instance not found","data":null}`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { toInstanceJson } from '../../../core/instance.js';
import { DEFAULT_CLUSTER, groupedName } from '../../../core/names.js';
import { javaBoolOr, lenientBoolOr, parseParams, strOr } from '../fields.js';
import { instanceForm, serviceV2 } from '../instance-form.js';
import { deregisterInstance, registerInstance } from '../instance-ops.js';
import { namingParams, sendJson, sendResult, type HttpDeps } from '../kit.js';

const V3 = '/nacos/v3/client/ns';

const ListSchema = z.object({ clusterName: strOr(DEFAULT_CLUSTER), healthyOnly: javaBoolOr(false) });

export function v3ClientRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const naming = deps.ctx.naming;

  app.post(`${V3}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const { heartBeat } = parseParams(z.object({ heartBeat: lenientBoolOr(false) }), p);
    const f = instanceForm(p);
    if (heartBeat) {
      const r = naming.beat(service, { ip: f.ip, port: f.port, cluster: f.clusterName ?? DEFAULT_CLUSTER }, false);
      if (r.code !== 10200) return sendJson(reply, { code: 21003, message: 'instance not found', data: null });
      return sendResult(reply, 'ok');
    }
    await registerInstance(deps, service, f);
    return sendResult(reply, 'ok');
  });

  app.delete(`${V3}/instance`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    await deregisterInstance(deps, service, instanceForm(p));
    return sendResult(reply, 'ok');
  });

  // A bare Instance array: no ServiceInfo envelope and no subscription. The cluster filter
  // defaults to DEFAULT here (unlike v1/v2 where empty means all clusters).
  app.get(`${V3}/instance/list`, async (req, reply) => {
    const p = namingParams(deps, req);
    const service = serviceV2(p);
    const f = parseParams(ListSchema, p);
    const sel = naming.view.select({ service, clusters: f.clusterName, healthyOnly: f.healthyOnly });
    const g = groupedName(service.group, service.name);
    return sendResult(reply, sel.hosts.map((i) => toInstanceJson(i, g)));
  });
}
