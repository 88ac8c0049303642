/**
 * v2 config Open API (`/nacos/v2/cs/...`, docs/config-center.md "HTTP APIs", docs/protocol/config.md §4.1):
 * `config` read, publish, delete and `searchDetail`; `history` list, row, detail (before/after),
 * previous and the configs of a namespace. Everything answers the Result envelope
 * `{"code":0,"message":"success","data":…}`; failures are rendered by the shared v2 error mapper.
 */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../../core/errors.js';
import type { ConfigCenter, ConfigKey, HistoryEntry } from '../../../config-center/types.js';
import { checkConfigParams, configCenterOf, configKeyOf, requireBound, servedView, setConfigHeaders, tenantOf, V2_NAMES } from '../config-edge.js';
import { configBodyLimit, historyDetail, idParam, maxPageSize, pagingOf, previousHistory, publishInputOf, removeInputOf, searchQueryOf, V2_PUBLISH } from '../config-ops.js';
import { configInfoJson, configWrapperJson, historyJson, pageJson } from '../config-views.js';
import { paramsOf, sendJson, sendResult, type HttpDeps } from '../kit.js';

const CS = '/nacos/v2/cs';

/** A history row by `nid` for the config the request names; 404 when there is none. */
export function historyRowOr404(cc: ConfigCenter, nid: string, key: ConfigKey): HistoryEntry {
  const h = historyDetail(cc, nid, key);
  if (!h) throw notFound(`certain config history for nid = ${nid} not exist`);
  return h;
}

interface AfterChange {
  content: string;
  encryptedDataKey: string;
  /** The next row's ext info; null when the current config is the "after" (Nacos leaves it unset). */
  extInfo: string | null;
}

/**
 * The content after an update a history row records: the next newer row of the same publish type
 * and gray name (its old content), else the current config (Nacos' `getNextHistoryInfo`).
 */
function contentAfterUpdate(deps: HttpDeps, cc: ConfigCenter, h: HistoryEntry): AfterChange | null {
  const size = maxPageSize(deps);
  let newer: HistoryEntry | undefined;
  for (let pageNo = 1; ; pageNo++) {
    const page = cc.historyPage(h, pageNo, size);
    for (const row of page.pageItems) {
      if (row.publishType !== h.publishType || row.grayName !== h.grayName) continue;
      if (BigInt(row.id) > BigInt(h.id) && (!newer || BigInt(row.id) < BigInt(newer.id))) newer = row;
    }
    if (pageNo >= page.pagesAvailable) break;
  }
  if (newer) return { content: newer.content, encryptedDataKey: newer.encryptedDataKey, extInfo: newer.extInfo };
  const r = cc.record(h);
  return r ? { content: r.content, encryptedDataKey: r.encryptedDataKey, extInfo: null } : null;
}

/**
 * `ConfigHistoryInfoDetail` as Nacos serializes it (getters only: no md5 keys; `id` a number; the
 * after side's ext info is `updateExtInfo`). Insert: original* empty, updated* the row; update:
 * original* the row, updated* the next row or the current config; delete: original* the row,
 * updated* null (docs/protocol/config.md "History").
 */
function historyDetailJson(deps: HttpDeps, cc: ConfigCenter, h: HistoryEntry) {
  const row: AfterChange = { content: h.content, encryptedDataKey: h.encryptedDataKey, extInfo: h.extInfo };
  const empty: AfterChange = { content: '', encryptedDataKey: '', extInfo: '' };
  const before = h.opType === 'I' ? empty : row;
  const after = h.opType === 'I' ? row : h.opType === 'U' ? contentAfterUpdate(deps, cc, h) : null;
  const base = historyJson(h, false);
  return {
    id: Number(h.id),
    lastId: -1,
    dataId: h.dataId,
    group: h.group,
    tenant: h.tenant,
    opType: h.opType,
    publishType: h.publishType,
    grayName: h.grayName,
    appName: h.appName,
    srcIp: h.srcIp,
    srcUser: h.srcUser,
    originalContent: before.content,
    originalEncryptedDataKey: before.encryptedDataKey,
    originalExtInfo: before.extInfo,
    updatedContent: after?.content ?? null,
    updatedEncryptedDataKey: after?.encryptedDataKey ?? null,
    updateExtInfo: after?.extInfo ?? null,
    createdTime: base.createdTime,
    lastModifiedTime: base.lastModifiedTime,
  };
}

export function v2ConfigRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const cc = (): ConfigCenter => configCenterOf(deps);

  app.get(`${CS}/config`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    requireBound(p, ['dataId', 'String'], ['group', 'String']);
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
    requireBound(p, ['dataId', 'String'], ['group', 'String']);
    await cc().remove(removeInputOf(req, p, V2_NAMES));
    return sendResult(reply, true);
  });

  // ConfigControllerV2.searchConfigByDetails answers the bare Page<ConfigInfo> (no Result wrapper);
  // dataId, group, config_detail, pageNo and pageSize are required @RequestParams (docs/protocol/config.md §4).
  app.get(`${CS}/config/searchDetail`, async (req, reply) => {
    const p = paramsOf(req);
    requireBound(p, ['dataId', 'String'], ['group', 'String'], ['config_detail', 'String'], ['pageNo', 'int'], ['pageSize', 'int']);
    const mode = p.get('search') === 'accurate' ? 'accurate' : 'blur';
    if (mode === 'accurate') checkConfigParams(deps, p, V2_NAMES);
    const page = cc().search(searchQueryOf(deps, p, mode, V2_NAMES, 'config_tags'));
    return sendJson(reply, pageJson(page, configInfoJson));
  });

  app.get(`${CS}/history/list`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    requireBound(p, ['dataId', 'String'], ['group', 'String']);
    const key = configKeyOf(p, V2_NAMES);
    const { pageNo, pageSize } = pagingOf(deps, p, { pageNo: 1, pageSize: 100 });
    return sendResult(reply, pageJson(cc().historyPage(key, pageNo, pageSize), (h) => historyJson(h, false)));
  });

  app.get(`${CS}/history`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    requireBound(p, ['dataId', 'String'], ['group', 'String'], ['nid', 'Long']);
    return sendResult(reply, historyJson(historyRowOr404(cc(), idParam(p, 'nid'), configKeyOf(p, V2_NAMES)), true));
  });

  app.get(`${CS}/history/detail`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    requireBound(p, ['dataId', 'String'], ['group', 'String'], ['nid', 'Long']);
    // An unknown nid is `data: null` here (the service returns null; no 404 as on `/history`).
    const h = historyDetail(cc(), idParam(p, 'nid'), configKeyOf(p, V2_NAMES));
    return sendResult(reply, h ? historyDetailJson(deps, cc(), h) : null);
  });

  app.get(`${CS}/history/previous`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    requireBound(p, ['dataId', 'String'], ['group', 'String'], ['id', 'Long']);
    const id = idParam(p, 'id');
    const h = previousHistory(deps, cc(), id, configKeyOf(p, V2_NAMES));
    if (!h) throw notFound(`previous config history for id = ${id} not exist`);
    return sendResult(reply, historyJson(h, true));
  });

  app.get(`${CS}/history/configs`, async (req, reply) => {
    const p = paramsOf(req);
    checkConfigParams(deps, p, V2_NAMES);
    requireBound(p, ['namespaceId', 'String']);
    return sendResult(reply, cc().list(tenantOf(p, V2_NAMES)).map(configWrapperJson));
  });
}
