/**
 * Nacos 3 config APIs (docs/config-center.md "HTTP APIs", docs/protocol/config.md §4.3, §4.4): the
 * admin API `/nacos/v3/admin/cs/...` and the console API `/nacos/v3/console/cs/...` (served on the
 * main port). Both take `namespaceId` + `groupName` and answer the Result envelope; they differ
 * only in a few path names and in the clone body. Also the client API's read
 * (`/nacos/v3/client/cs/config`). The listener views are in the listener module.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../../core/errors.js';
import type { ConfigCenter } from '../../../config-center/types.js';
import { checkConfigParams, clientIpOf, configCenterOf, configKeyOf, requireBound, servedView, srcUserOf, tenantOf, V3_NAMES } from '../config-edge.js';
import { authorizeConfig, configBodyLimit, idParam, pagingOf, previousHistory, publishInputOf, recordById, removeInputOf, searchQueryOf, V2_PUBLISH } from '../config-ops.js';
import { CONSOLE_CLONE_TARGET } from '../config-scope.js';
import { configBasicV3Json, configDetailV3Json, grayV3Json, historyV3Json, pageJson } from '../config-views.js';
import { MissingParamError } from '../errors.js';
import { paramsOf, sendJson, sendResult, type HttpDeps } from '../kit.js';
import type { Params } from '../params.js';
import { cloneConfigs, exportConfigs, importConfigs, type TransferNames } from './config-transfer.js';
import { historyRowOr404 } from './v2-config.js';

/** The path names that differ between the admin and the console API. */
interface V3Paths {
  readonly base: string;
  readonly batchDelete: string;
  readonly exportPath: string;
  /** Parameter naming the clone's target namespace. */
  readonly cloneTarget: string;
}

const ADMIN: V3Paths = { base: '/nacos/v3/admin/cs', batchDelete: 'config/batch', exportPath: 'config/export', cloneTarget: 'namespaceId' };
const CONSOLE: V3Paths = { base: '/nacos/v3/console/cs', batchDelete: 'config/batchDelete', exportPath: 'config/export2', cloneTarget: CONSOLE_CLONE_TARGET };

const TRANSFER: TransferNames = { family: 'v3', names: V3_NAMES };

/** The checked key of a v3 request (`namespaceId`, `groupName`, `dataId`). */
function keyOf(deps: HttpDeps, p: Params) {
  checkConfigParams(deps, p, V3_NAMES);
  return configKeyOf(p, V3_NAMES);
}

/**
 * `ids=1,2`: removes each listed config of the request's namespace (unknown ids are skipped).
 * Every one is checked for write access before the first is removed.
 */
async function removeByIds(deps: HttpDeps, cc: ConfigCenter, req: FastifyRequest, p: Params): Promise<void> {
  const ids = p.get('ids');
  if (ids === undefined) throw new MissingParamError('ids', 'List', true); // @RequestParam List<Long>: Spring's wording
  const tenant = tenantOf(p, V3_NAMES);
  const records = ids
    .split(',')
    .map((s) => s.trim())
    .flatMap((id) => recordById(deps, cc, id, tenant) ?? []);
  for (const r of records) authorizeConfig(deps, req, 'write', r);
  for (const r of records) await cc.remove({ tenant: r.tenant, group: r.group, dataId: r.dataId, srcUser: srcUserOf(req, p), srcIp: clientIpOf(req) });
}

function routes(app: FastifyInstance, deps: HttpDeps, paths: V3Paths): void {
  const cc = (): ConfigCenter => configCenterOf(deps);
  const at = (s: string): string => `${paths.base}/${s}`;
  const list = (p: Params) => {
    const mode = p.get('search') === 'accurate' ? 'accurate' : 'blur';
    if (mode === 'accurate') checkConfigParams(deps, p, V3_NAMES);
    return cc().search(searchQueryOf(deps, p, mode, V3_NAMES, 'configTags', { pageNo: 1, pageSize: 100 }, true));
  };

  app.get(at('config'), async (req, reply) => {
    const r = cc().record(keyOf(deps, paramsOf(req)));
    if (!r) throw notFound('Config not exist, please publish Config first.');
    return sendResult(reply, configDetailV3Json(r));
  });
  app.post(at('config'), { bodyLimit: configBodyLimit(deps) }, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V3_NAMES);
    await cc().publish(publishInputOf(req, p, V3_NAMES, V2_PUBLISH));
    return sendResult(reply, true);
  });
  app.delete(at('config'), async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V3_NAMES);
    await cc().remove(removeInputOf(req, p, V3_NAMES));
    return sendResult(reply, true);
  });
  app.delete(at(paths.batchDelete), async (req, reply) => {
    await removeByIds(deps, cc(), req, paramsOf(req));
    return sendResult(reply, true);
  });
  app.get(at('config/list'), async (req, reply) => sendResult(reply, pageJson(list(paramsOf(req)), configBasicV3Json)));
  if (paths === CONSOLE) {
    // Page<ConfigBasicInfo>, as `config/list` (Nacos' console handler maps each row with transferToConfigBasicInfo).
    app.get(at('config/searchDetail'), async (req, reply) => sendResult(reply, pageJson(list(paramsOf(req)), configBasicV3Json)));
  }
  app.get(at('config/beta'), async (req, reply) => {
    const key = keyOf(deps, paramsOf(req));
    const beta = cc().beta(key);
    if (!beta) throw notFound('Config is not in beta.');
    return sendResult(reply, grayV3Json(cc().record(key), beta));
  });
  app.delete(at('config/beta'), async (req, reply) => {
    const p = paramsOf(req);
    const key = keyOf(deps, p);
    await cc().stopBeta(key, { srcUser: srcUserOf(req, p), srcIp: clientIpOf(req) });
    return sendResult(reply, true);
  });
  app.get(at(paths.exportPath), async (req, reply) => exportConfigs(deps, req, reply, paramsOf(req), TRANSFER, true));
  app.post(at('config/import'), { bodyLimit: configBodyLimit(deps) }, async (req, reply) => importConfigs(deps, req, reply, paramsOf(req), TRANSFER));
  app.post(at('config/clone'), async (req, reply) => cloneConfigs(deps, req, reply, paramsOf(req), TRANSFER, [paths.cloneTarget]));

  // ---- history
  app.get(at('history/list'), async (req, reply) => {
    const p = paramsOf(req);
    const key = keyOf(deps, p);
    const { pageNo, pageSize } = pagingOf(deps, p, { pageNo: 1, pageSize: 100 }, true);
    return sendResult(reply, pageJson(cc().historyPage(key, pageNo, pageSize), (h) => historyV3Json(h, false)));
  });
  // `nid`, `id` and `namespaceId` are `@RequestParam`s, bound before the form is validated.
  app.get(at('history'), async (req, reply) => {
    const p = paramsOf(req);
    requireBound(p, ['nid', 'Long']);
    const key = keyOf(deps, p);
    return sendResult(reply, historyV3Json(historyRowOr404(cc(), idParam(p, 'nid'), key), true));
  });
  app.get(at('history/previous'), async (req, reply) => {
    const p = paramsOf(req);
    requireBound(p, ['id', 'Long']);
    const key = keyOf(deps, p);
    const id = idParam(p, 'id');
    const h = previousHistory(deps, cc(), id, key);
    if (!h) throw notFound(`previous config history for id = ${id} not exist`);
    return sendResult(reply, historyV3Json(h, true));
  });
  app.get(at('history/configs'), async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V3_NAMES);
    requireBound(p, ['namespaceId', 'String']);
    return sendResult(reply, cc().list(tenantOf(p, V3_NAMES)).map(configBasicV3Json));
  });
}

export function v3ConfigRoutes(app: FastifyInstance, deps: HttpDeps): void {
  routes(app, deps, ADMIN);
  routes(app, deps, CONSOLE);

  // Client API (docs/protocol/config.md §4.2): the gRPC query answer as `data`; missing → HTTP 200, code 20004.
  app.get('/nacos/v3/client/cs/config', async (req, reply) => {
    const p = paramsOf(req);
    const view = servedView(configCenterOf(deps), keyOf(deps, p), req, p);
    if (!view) return sendJson(reply, { code: 20004, message: 'resource not found', data: null });
    return sendResult(reply, {
      resultCode: 200,
      errorCode: 0,
      message: null,
      requestId: null,
      success: true,
      content: view.content,
      md5: view.md5,
      contentType: view.type,
      encryptedDataKey: view.encryptedDataKey,
      lastModified: view.lastModified,
      beta: view.beta,
      // Jackson writes the unset tag as null (ConfigOpenApiController.transferToResult sets it only for a tag gray).
      tag: view.tag === undefined ? null : encodeURIComponent(view.tag),
    });
  });
}
