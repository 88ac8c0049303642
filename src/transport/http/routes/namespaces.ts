/**
 * Console namespaces (docs/protocol/http.md §3.5), 2.x paths on the main port: `/nacos/v1/console/namespaces`
 * (RestResult list, bare Namespace / boolean variants). The 3.x and v2 Result versions are in
 * v3-admin-core.ts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { badRequest, NacosError, notFound } from '../../../core/errors.js';
import { DEFAULT_NAMESPACE } from '../../../core/names.js';
import { NamespaceCatalog } from '../../../naming/namespaces.js';
import { javaBoolOr, optStr, parseParams, reqStr, strOr } from '../fields.js';
import { namespaceParams, sendJson, sendRestResult, sendResult, type HttpDeps } from '../kit.js';

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
      // Nacos' NacosApiException (404) reaches ConsoleExceptionHandler's catch-all here (this
      // controller is no @NacosApi): HTTP 500, the message chain as text (docs/protocol/http.md §3.5).
      if (!one) throw new NacosError(500, `caused: namespaceId [ ${f.namespaceId ?? ''} ] not exist;`, 22001);
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

  // `/nacos/v3/admin/core/namespace` is served by v3-admin-core.ts.
  for (const base of [V3_CONSOLE_NAMESPACE]) {
    app.get(`${base}/list`, async (_req, reply) => sendResult(reply, ns.list()));
    app.get(base, async (req, reply) => {
      const f = parseParams(z.object({ namespaceId: reqStr('namespaceId') }), namespaceParams(deps, req));
      const one = ns.get(f.namespaceId);
      if (!one) throw notFound(`namespaceId [ ${f.namespaceId} ] not exist`, 22001);
      return sendResult(reply, one);
    });
  }
  v3ConsoleNamespaceWrites(app, deps);
}

/** `/nacos/v3/console/core/namespace`: the 3.x console's namespace writes (docs/protocol/nacos3.md "Console API"). */
export const V3_CONSOLE_NAMESPACE = '/nacos/v3/console/core/namespace';

function v3ConsoleNamespaceWrites(app: FastifyInstance, deps: HttpDeps): void {
  const ns = deps.namespaces;
  const idError = (id: string): NacosError =>
    id === DEFAULT_NAMESPACE
      ? badRequest(`namespaceId [${id}] is default namespace id and already exist.`, 22002)
      : ns.exists(id)
        ? badRequest(`namespaceId [${id}] already exist.`, 22002)
        : badRequest(`namespaceId [${id}] mismatch the pattern`, 22000);
  const nameError = (name: string): NacosError => badRequest(`namespaceName [${name}] contains illegal char`, 22000);

  app.post(V3_CONSOLE_NAMESPACE, async (req, reply) => {
    const f = parseParams(CreateSchema, namespaceParams(deps, req));
    const id = f.customNamespaceId?.trim() ?? '';
    if (id !== '' && (!NamespaceCatalog.validId(id) || ns.exists(id))) throw idError(id);
    if (!NamespaceCatalog.validName(f.namespaceName, f.namespaceDesc)) throw nameError(f.namespaceName);
    if (!(await ns.create(id === '' ? undefined : id, f.namespaceName, f.namespaceDesc))) throw idError(id);
    return sendResult(reply, true);
  });

  app.put(V3_CONSOLE_NAMESPACE, async (req, reply) => {
    const f = parseParams(z.object({ namespaceId: reqStr('namespaceId'), namespaceName: reqStr('namespaceName'), namespaceDesc: strOr('') }), namespaceParams(deps, req));
    if (!NamespaceCatalog.validName(f.namespaceName, f.namespaceDesc)) throw nameError(f.namespaceName);
    // Nacos answers true for an unknown id; we refuse, so a rename that changed nothing never reads as done.
    if (!(await ns.update(f.namespaceId, f.namespaceName, f.namespaceDesc))) throw notFound(`namespaceId [ ${f.namespaceId} ] not exist`, 22001);
    return sendResult(reply, true);
  });

  app.delete(V3_CONSOLE_NAMESPACE, async (req, reply) => {
    const f = parseParams(DeleteSchema, namespaceParams(deps, req));
    if (f.namespaceId === DEFAULT_NAMESPACE) throw badRequest(`namespaceId [${f.namespaceId}] is default namespace id, it can't be deleted.`, 22000);
    // An absent namespace is already deleted: true, as Nacos.
    await ns.delete(f.namespaceId);
    return sendResult(reply, true);
  });

  app.get(`${V3_CONSOLE_NAMESPACE}/exist`, async (req, reply) => {
    const f = parseParams(z.object({ customNamespaceId: optStr() }), namespaceParams(deps, req));
    const id = f.customNamespaceId?.trim() ?? '';
    return sendResult(reply, id !== '' && ns.exists(id));
  });
}
