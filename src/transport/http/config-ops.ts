/**
 * The config use cases as every HTTP family calls them (docs/config-center.md, "HTTP APIs"): the
 * publish input from v1 or v2/v3 form names, history lookups with Nacos' checks, and paging limits.
 */
import type { FastifyRequest } from 'fastify';
import { NacosError, badRequest } from '../../core/errors.js';
import { configResource } from '../../config-center/config-resource.js';
import type { ConfigCenter, ConfigKey, ConfigRecord, HistoryEntry, PublishInput, RemoveInput, SearchQuery } from '../../config-center/types.js';
import { identityOf } from './auth-filter.js';
import { clientIpOf, configKeyOf, headerOf, srcUserOf, tenantOf, type KeyNames } from './config-edge.js';
import { MissingParamError } from './errors.js';
import type { HttpDeps } from './kit.js';
import { javaInt, numberFormatMessage, type Params } from './params.js';

/** Form names of the optional publish fields: v1 snake case, v2/v3 `ConfigForm` camel case. */
export interface PublishNames {
  readonly configTags: string;
}

export const V1_PUBLISH: PublishNames = { configTags: 'config_tags' };
export const V2_PUBLISH: PublishNames = { configTags: 'configTags' };

/** A raw (untrimmed) optional value: absent → undefined, present (even empty) → the text. */
const rawOpt = (p: Params, name: string): string | undefined => p.raw(name);

/**
 * A publish as the request asks for it: key, content (required, kept as sent), the optional fields
 * (an absent `appName`/`config_tags` keeps the stored value, an empty one clears it), the `betaIps`
 * and `casMd5` headers, and who/where for the history.
 */
export function publishInputOf(req: FastifyRequest, p: Params, names: KeyNames, form: PublishNames): PublishInput {
  const key = configKeyOf(p, names);
  const content = p.raw('content');
  if (content === undefined) throw new MissingParamError('content');
  const opt: Record<string, string> = {};
  const put = (field: string, value: string | undefined): void => {
    if (value !== undefined) opt[field] = value;
  };
  put('type', p.get('type'));
  put('appName', rawOpt(p, 'appName'));
  put('desc', rawOpt(p, 'desc'));
  put('use', rawOpt(p, 'use'));
  put('effect', rawOpt(p, 'effect'));
  put('schema', rawOpt(p, 'schema'));
  put('configTags', rawOpt(p, form.configTags));
  put('encryptedDataKey', rawOpt(p, 'encryptedDataKey'));
  put('tag', p.get('tag'));
  put('betaIps', headerOf(req, 'betaIps') ?? p.get('betaIps'));
  put('casMd5', headerOf(req, 'casMd5'));
  return { ...key, content, ...opt, srcUser: srcUserOf(req, p), srcIp: clientIpOf(req) };
}

export function removeInputOf(req: FastifyRequest, p: Params, names: KeyNames): RemoveInput {
  const key = configKeyOf(p, names);
  const tag = p.get('tag');
  return { ...key, ...(tag === undefined ? {} : { tag }), srcUser: srcUserOf(req, p), srcIp: clientIpOf(req) };
}

/** Body limit of the config publish and import routes (`nomen.config.http.body-limit`). */
export function configBodyLimit(deps: HttpDeps): number {
  return deps.ctx.config.int('nomen.config.http.body-limit');
}

/** The largest page any config list answers (`nomen.config.http.max-page-size`). */
export function maxPageSize(deps: HttpDeps): number {
  return deps.ctx.config.int('nomen.config.http.max-page-size');
}

/**
 * `pageNo`/`pageSize` (Java `int`): a value that is not a number → 400 with Java's text; below 1 →
 * 400; a page size above the limit is cut to the limit (as Nacos caps history pages at 500).
 * `pageForm`: the v3 APIs bind Nacos' `PageForm`, whose `validate()` has its own wording.
 */
export function pagingOf(deps: HttpDeps, p: Params, dflt: { pageNo: number; pageSize: number } | null, pageForm = false): { pageNo: number; pageSize: number } {
  const read = (name: 'pageNo' | 'pageSize'): number => {
    const v = p.get(name);
    if (v === undefined) {
      if (dflt === null) throw new MissingParamError(name, 'int');
      return dflt[name];
    }
    const n = javaInt(v);
    if (n === null) throw badRequest(numberFormatMessage(v));
    if (n < 1) throw badRequest(pageForm ? `Required parameter '${name}' should be positive integer, current is ${n}` : `Param '${name}' is illegal, the value should be at least 1.`);
    return n;
  };
  const pageNo = read('pageNo');
  const pageSize = Math.min(read('pageSize'), maxPageSize(deps));
  return { pageNo, pageSize };
}

const sameKey = (h: HistoryEntry, k: ConfigKey): boolean => h.tenant === k.tenant && h.group === k.group && h.dataId === k.dataId;

/** A history row by `nid`; null when missing; 403 when it belongs to another config than the request names. */
export function historyDetail(cc: ConfigCenter, nid: string, key: ConfigKey): HistoryEntry | null {
  const h = cc.historyEntry(nid);
  if (!h) return null;
  if (!sameKey(h, key)) throw new NacosError(403, 'Please check dataId, group or namespaceId.', 10001);
  return h;
}

/** The newest history row written for config id `configId` (the console diffs against it); null when none. */
export function previousHistory(deps: HttpDeps, cc: ConfigCenter, configId: string, key: ConfigKey): HistoryEntry | null {
  const size = maxPageSize(deps);
  for (let pageNo = 1; ; pageNo++) {
    const page = cc.historyPage(key, pageNo, size);
    const hit = page.pageItems.find((h) => h.configId === configId);
    if (hit) return hit;
    if (pageNo >= page.pagesAvailable) return null;
  }
}

/** A required number parameter given as text (`nid`, `id`): digits only. */
export function idParam(p: Params, name: string): string {
  const v = p.get(name);
  if (v === undefined) throw new MissingParamError(name, 'Long');
  if (!/^\d{1,19}$/.test(v)) throw badRequest(numberFormatMessage(v));
  return String(BigInt(v));
}

function commaList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.length === 0 ? undefined : items;
}

/** `search=accurate|blur` parameters (v1 `search`, v2 `searchDetail`, v3 `list`); `tagsName` is the family's name of the tag filter. */
export function searchQueryOf(
  deps: HttpDeps,
  p: Params,
  mode: 'accurate' | 'blur',
  names: KeyNames,
  tagsName: string,
  paging: { pageNo: number; pageSize: number } | null = null,
  pageForm = false,
): SearchQuery {
  const tenant = tenantOf(p, names);
  const { pageNo, pageSize } = pagingOf(deps, p, paging, pageForm);
  const opt: { -readonly [K in keyof SearchQuery]?: SearchQuery[K] } = {};
  const dataId = p.get('dataId');
  const group = p.get(names.group);
  const appName = p.get('appName');
  const tags = commaList(p.get(tagsName));
  const types = commaList(p.first('types', 'type'));
  const content = p.first('config_detail', 'configDetail');
  if (dataId !== undefined) opt.dataId = dataId;
  if (group !== undefined) opt.group = group;
  if (appName !== undefined) opt.appName = appName;
  if (tags) opt.configTags = tags;
  if (types) opt.type = types;
  if (content !== undefined) opt.content = content;
  return { tenant, mode, pageNo, pageSize, ...opt };
}

/** The formal config with this id, in `tenant` or (undefined) in any namespace. */
export function recordById(deps: HttpDeps, cc: ConfigCenter, id: string, tenant?: string): ConfigRecord | undefined {
  const namespaces = tenant === undefined ? deps.namespaces.list().map((n) => n.namespace) : [tenant];
  for (const ns of namespaces) {
    const hit = cc.list(ns).find((r) => r.id === id);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * With auth on, throws AuthError (403) unless the caller may `access` this config: for requests
 * that reach configs their parameters do not name (clone sources and deletes by id), which the
 * auth filter cannot check.
 */
export function authorizeConfig(deps: HttpDeps, req: FastifyRequest, access: 'read' | 'write', k: ConfigKey): void {
  const auth = deps.ctx.auth;
  const id = identityOf(req);
  if (!auth?.enabled || !id) return;
  auth.authorize(id, access, configResource(k.tenant, k.group, k.dataId));
}
