/**
 * Console namespaces (docs/protocol/http.md §3.5), 2.x paths on the main port: `/nacos/v1/console/namespaces`
 * (RestResult list, bare Namespace / boolean variants). The 3.x and v2 Result versions are in
 * v3-admin-core.ts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { notFound } from '../../../core/errors.js';
import { javaBoolOr, optStr, parseParams, reqStr, strOr } from '../fields.js';
import { namespaceParams, sendJson, sendRestResult, type HttpDeps } from '../kit.js';

const GetSchema = z.object({
  show: strOr(''),
  namespaceId: optStr(),
  checkNamespaceIdExist: javaBoolOr(false),
  customNamespaceId: optStr(),
});
const CreateSchema = z.object({ customNamespaceId: optStr(), namespaceName: reqStr('namespaceName'), namespaceDesc: strOr('') });
const UpdateSchema = z.object({ namespace: reqStr('namespace'), namespaceShowName: reqStr('namespaceShowName'), namespaceDesc: strOr('') });
const DeleteSchema = z.object({ namespaceId: reqStr('namespaceId') });

export function namespaceRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const ns = deps.namespaces;
  const url = '/nacos/v1/console/namespaces';

  app.get(url, async (req, reply) => {
    const f = parseParams(GetSchema, namespaceParams(deps, req));
    if (f.checkNamespaceIdExist) return sendJson(reply, f.customNamespaceId !== undefined && ns.exists(f.customNamespaceId));
    if (f.show === 'all') {
      const one = ns.get(f.namespaceId ?? 'public');
      if (!one) throw notFound(`namespace ${f.namespaceId ?? ''} does not exist`, 22001);
      return sendJson(reply, one);
    }
    return sendRestResult(reply, ns.list());
  });

  // 2.x answers bare booleans: false (nothing written) for a bad or taken id or a bad name.
  app.post(url, async (req, reply) => {
    const f = parseParams(CreateSchema, namespaceParams(deps, req));
    return sendJson(reply, await ns.create(f.customNamespaceId, f.namespaceName, f.namespaceDesc));
  });

  app.put(url, async (req, reply) => {
    const f = parseParams(UpdateSchema, namespaceParams(deps, req));
    return sendJson(reply, await ns.update(f.namespace, f.namespaceShowName, f.namespaceDesc));
  });

  app.delete(url, async (req, reply) => {
    const f = parseParams(DeleteSchema, namespaceParams(deps, req));
    return sendJson(reply, await ns.delete(f.namespaceId));
  });

}
