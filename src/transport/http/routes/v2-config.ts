/**
 * v2 config Open API (`/nacos/v2/cs/...`, docs/config-center.md "HTTP APIs", docs/protocol/config.md §4.1):
 * `config` read, publish, delete and `searchDetail`; `history` list, row, detail (before/after),
 * previous and the configs of a namespace. Everything answers the Result envelope
 * `{"code":0,"message":"success","data":…}`; failures are rendered by the shared v2 error mapper.
 */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../../core/errors.js';
import type { ConfigCenter, ConfigKey, HistoryEntry } from '../../../config-center/types.js';
import { checkConfigParams, configCenterOf, configKeyOf, servedView, setConfigHeaders, tenantOf, V2_NAMES } from '../config-edge.js';
import { configBodyLimit, historyDetail, idParam, maxPageSize, pagingOf, previousHistory, publishInputOf, removeInputOf, searchQueryOf, V2_PUBLISH } from '../config-ops.js';
import { configAllInfoJson, configWrapperJson, historyJson, pageJson } from '../config-views.js';
import { MissingParamError } from '../errors.js';
import { paramsOf, sendResult, type HttpDeps } from '../kit.js';

const CS = '/nacos/v2/cs';

/** A history row by `nid` for the config the request names; 404 when there is none. */
export function historyRowOr404(cc: ConfigCenter, nid: string, key: ConfigKey): HistoryEntry {
  const h = historyDetail(cc, nid, key);
  if (!h) throw notFound(`certain config history for nid = ${nid} not exist`);
  return h;
}

/** The content after the change a history row records: the next newer row's old content, else the current config. */
function contentAfter(deps: HttpDeps, cc: ConfigCenter, h: HistoryEntry): { content: string; md5: string; encryptedDataKey: string } | null {
  if (h.opType === 'D') return null;
  if (h.opType === 'I') return { content: h.content, md5: h.md5, encryptedDataKey: h.encryptedDataKey };
  const size = maxPageSize(deps);
  let newer: HistoryEntry | undefined;
  for (let pageNo = 1; ; pageNo++) {
    const page = cc.historyPage(h, pageNo, size);
    for (const row of page.pageItems) if (BigInt(row.id) > BigInt(h.id) && (!newer || BigInt(row.id) < BigInt(newer.id))) newer = row;
    if (pageNo >= page.pagesAvailable) break;
  }
  if (newer) return { content: newer.content, md5: newer.md5, encryptedDataKey: newer.encryptedDataKey };
  const r = cc.record(h);
  return r ? { content: r.content, md5: r.md5, encryptedDataKey: r.encryptedDataKey } : null;
}

/** `ConfigHistoryInfoDetail`: the row plus the content before and after its change. */
function historyDetailJson(deps: HttpDeps, cc: ConfigCenter, h: HistoryEntry) {
  const before = h.opType === 'I' ? null : { content: h.content, md5: h.md5, encryptedDataKey: h.encryptedDataKey };
  const after = contentAfter(deps, cc, h);
  return {
    ...historyJson(h, false),
    originalContent: before?.content ?? null,
    originalMd5: before?.md5 ?? null,
    originalEncryptedDataKey: before?.encryptedDataKey ?? null,
    originalExtInfo: h.extInfo,
    updatedContent: after?.content ?? null,
    updatedMd5: after?.md5 ?? null,
    updatedEncryptedDataKey: after?.encryptedDataKey ?? null,
    updatedExtInfo: h.extInfo,
  };
}

export function v2ConfigRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const cc = (): ConfigCenter => configCenterOf(deps);

  app.get(`${CS}/config`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    const view = servedView(cc(), configKeyOf(p, V2_NAMES), req, p);
    if (!view) throw notFound('config data not exist');
    setConfigHeaders(reply, view);
    return sendResult(reply, view.content);
  });

  app.post(`${CS}/config`, { bodyLimit: configBodyLimit(deps) }, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    await cc().publish(publishInputOf(req, p, V2_NAMES, V2_PUBLISH));
    return sendResult(reply, true);
  });

  app.delete(`${CS}/config`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    await cc().remove(removeInputOf(req, p, V2_NAMES));
    return sendResult(reply, true);
  });

  app.get(`${CS}/config/searchDetail`, async (req, reply) => {
    const p = paramsOf(req);
    const mode = p.get('search') === 'accurate' ? 'accurate' : 'blur';
    if (mode === 'accurate') checkConfigParams(deps, p, V2_NAMES);
    const page = cc().search(searchQueryOf(deps, p, mode, V2_NAMES, 'config_tags'));
    return sendResult(reply, pageJson(page, configAllInfoJson));
  });

  app.get(`${CS}/history/list`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    const key = configKeyOf(p, V2_NAMES);
    const { pageNo, pageSize } = pagingOf(deps, p, { pageNo: 1, pageSize: 100 });
    return sendResult(reply, pageJson(cc().historyPage(key, pageNo, pageSize), (h) => historyJson(h, false)));
  });

  app.get(`${CS}/history`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    return sendResult(reply, historyJson(historyRowOr404(cc(), idParam(p, 'nid'), configKeyOf(p, V2_NAMES)), true));
  });

  app.get(`${CS}/history/detail`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    const h = historyRowOr404(cc(), idParam(p, 'nid'), configKeyOf(p, V2_NAMES));
    return sendResult(reply, historyDetailJson(deps, cc(), h));
  });

  app.get(`${CS}/history/previous`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    const id = idParam(p, 'id');
    const h = previousHistory(deps, cc(), id, configKeyOf(p, V2_NAMES));
    if (!h) throw notFound(`previous config history for id = ${id} not exist`);
    return sendResult(reply, historyJson(h, true));
  });

  app.get(`${CS}/history/configs`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    if (p.raw('namespaceId') === undefined) throw new MissingParamError('namespaceId');
    return sendResult(reply, cc().list(tenantOf(p, V2_NAMES)).map(configWrapperJson));
  });
}
