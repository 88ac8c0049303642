/**
 * The JSON shapes of the HTTP config APIs (docs/config-center.md, "HTTP APIs"): v1/v2 name the key
 * `tenant`/`group`, v3 `namespaceId`/`groupName`; ids are strings; times are epoch ms except the
 * history row times, which are ISO-8601 text as Nacos' Jackson writes a `Timestamp`.
 */
import type { ConfigRecord, GrayVariant, HistoryEntry, Page } from '../../config-center/types.js';

const tagsText = (r: ConfigRecord): string | null => (r.configTags.length === 0 ? null : r.configTags.join(','));
const orNull = (s: string): string | null => (s === '' ? null : s);

/** `ConfigInfo`: a search result row. */
export function configInfoJson(r: ConfigRecord) {
  return { id: r.id, dataId: r.dataId, group: r.group, content: r.content, md5: r.md5, encryptedDataKey: r.encryptedDataKey, tenant: r.tenant, appName: r.appName, type: r.type };
}

/** `ConfigAllInfo`: v1 `show=all` and v2 `searchDetail` rows. */
export function configAllInfoJson(r: ConfigRecord) {
  return {
    ...configInfoJson(r),
    createTime: r.createTime,
    modifyTime: r.modifyTime,
    createUser: orNull(r.createUser),
    createIp: orNull(r.createIp),
    desc: orNull(r.desc),
    use: orNull(r.use),
    effect: orNull(r.effect),
    schema: orNull(r.schema),
    configTags: tagsText(r),
  };
}

/** `ConfigAdvanceInfo`: v1 catalog. */
export function configAdvanceJson(r: ConfigRecord) {
  const all = configAllInfoJson(r);
  return { createTime: all.createTime, modifyTime: all.modifyTime, createUser: all.createUser, createIp: all.createIp, desc: all.desc, use: all.use, effect: all.effect, type: r.type, schema: all.schema, configTags: all.configTags };
}

/** `ConfigInfoWrapper`: v1/v2 `history/configs`. */
export function configWrapperJson(r: ConfigRecord) {
  return { ...configInfoJson(r), lastModified: r.modifyTime };
}

/** `ConfigInfo4Beta`: v1 `beta=true`. */
export function betaJson(r: ConfigRecord | null, beta: GrayVariant) {
  return {
    id: r?.id ?? '0',
    dataId: beta.dataId,
    group: beta.group,
    content: beta.content,
    md5: beta.md5,
    encryptedDataKey: beta.encryptedDataKey,
    tenant: beta.tenant,
    appName: beta.appName,
    type: r?.type ?? 'text',
    betaIps: beta.rule.expr,
  };
}

/** v3 `ConfigBasicInfo`. */
export function configBasicV3Json(r: ConfigRecord) {
  return { id: r.id, namespaceId: r.tenant, groupName: r.group, dataId: r.dataId, md5: r.md5, type: r.type, appName: r.appName, createTime: r.createTime, modifyTime: r.modifyTime };
}

/** v3 `ConfigDetailInfo`. */
export function configDetailV3Json(r: ConfigRecord) {
  return { ...configBasicV3Json(r), content: r.content, desc: orNull(r.desc), encryptedDataKey: r.encryptedDataKey, createUser: orNull(r.createUser), createIp: orNull(r.createIp), configTags: tagsText(r) };
}

/** v3 `ConfigGrayInfo`: the detail of the formal config with the beta's content and rule. */
export function grayV3Json(r: ConfigRecord | null, g: GrayVariant) {
  return {
    id: r?.id ?? '0',
    namespaceId: g.tenant,
    groupName: g.group,
    dataId: g.dataId,
    md5: g.md5,
    type: r?.type ?? 'text',
    appName: g.appName,
    createTime: g.createTime,
    modifyTime: g.modifyTime,
    content: g.content,
    desc: r ? orNull(r.desc) : null,
    encryptedDataKey: g.encryptedDataKey,
    createUser: orNull(g.srcUser),
    createIp: orNull(g.srcIp),
    configTags: r ? tagsText(r) : null,
    grayName: g.grayName,
    grayRule: JSON.stringify(g.rule),
  };
}

/** A history row time as Nacos renders a `java.sql.Timestamp`: `2025-01-01T08:00:00.000+00:00`. */
export function historyTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

/** v1/v2 `ConfigHistoryInfo`; list rows carry no content or md5 (`withContent` false). */
export function historyJson(h: HistoryEntry, withContent: boolean) {
  return {
    id: h.id,
    lastId: -1,
    dataId: h.dataId,
    group: h.group,
    tenant: h.tenant,
    appName: h.appName,
    md5: withContent ? h.md5 : null,
    content: withContent ? h.content : null,
    srcIp: h.srcIp,
    srcUser: h.srcUser,
    opType: h.opType,
    publishType: h.publishType,
    grayName: h.grayName,
    extInfo: h.extInfo,
    createdTime: historyTime(h.createTime),
    lastModifiedTime: historyTime(h.modifyTime),
    encryptedDataKey: h.encryptedDataKey,
  };
}

/** v3 `ConfigHistoryBasicInfo` (list rows) and, with content, `ConfigHistoryDetailInfo`. */
export function historyV3Json(h: HistoryEntry, withContent: boolean) {
  const basic = {
    id: h.id,
    namespaceId: h.tenant,
    groupName: h.group,
    dataId: h.dataId,
    // List rows come from a query without md5 (Nacos' pageFindConfigHistoryFetchRows): null.
    md5: withContent ? h.md5 : null,
    type: null,
    appName: h.appName,
    createTime: h.createTime,
    modifyTime: h.modifyTime,
    srcIp: h.srcIp,
    srcUser: h.srcUser,
    opType: h.opType,
    publishType: h.publishType,
  };
  if (!withContent) return basic;
  return { ...basic, content: h.content, encryptedDataKey: h.encryptedDataKey, grayName: h.grayName, extInfo: h.extInfo };
}

/** A page with its rows mapped. */
export function pageJson<T, U>(p: Page<T>, f: (item: T) => U): { totalCount: number; pageNumber: number; pagesAvailable: number; pageItems: U[] } {
  return { totalCount: p.totalCount, pageNumber: p.pageNumber, pagesAvailable: p.pagesAvailable, pageItems: p.pageItems.map(f) };
}
