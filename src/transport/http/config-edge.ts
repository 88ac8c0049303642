/**
 * What every HTTP config route (v1, v2, v3) reads from a request (docs/config-center.md, "HTTP APIs"):
 * the config key in each family's parameter names, the caller's address and user for the history,
 * the gray labels, and the answer headers of a config read.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NacosError, badRequest } from '../../core/errors.js';
import { normalizeNamespace } from '../../core/names.js';
import { paramCheck } from '../../config-center/validation.js';
import type { ClientLabels, ConfigCenter, ConfigKey, ConfigView } from '../../config-center/types.js';
import { identityOf } from './auth-filter.js';
import { MissingParamError } from './errors.js';
import type { HttpDeps } from './kit.js';
import type { Params } from './params.js';

/** The parameter names of one API family: v1 `tenant`/`group`, v2 `namespaceId`/`group`, v3 `namespaceId`/`groupName`. */
export interface KeyNames {
  readonly tenant: readonly string[];
  readonly group: string;
}

export const V1_NAMES: KeyNames = { tenant: ['tenant'], group: 'group' };
export const V2_NAMES: KeyNames = { tenant: ['namespaceId'], group: 'group' };
export const V3_NAMES: KeyNames = { tenant: ['namespaceId'], group: 'groupName' };

/** The parameter names of the family a config route belongs to. */
export function namesOfRoute(path: string): KeyNames {
  if (path.startsWith('/nacos/v1/')) return V1_NAMES;
  if (path.startsWith('/nacos/v2/')) return V2_NAMES;
  return V3_NAMES;
}

/** Where an import writes: v1 names the target `namespace` (else `tenant`), v3 `namespaceId`. */
export function importTenantOf(p: Params, names: KeyNames): string {
  return names === V1_NAMES ? normalizeNamespace(p.first('namespace', 'tenant')) : tenantOf(p, names);
}

/** The configuration center of this server (routes are only registered when there is one). */
export function configCenterOf(deps: HttpDeps): ConfigCenter {
  const cc = deps.ctx.configCenter;
  if (!cc) throw new NacosError(501, 'The configuration center is not enabled.', 30000);
  return cc;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  const t = s?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** A header value, trimmed; blank → undefined. */
export function headerOf(req: FastifyRequest, name: string): string | undefined {
  return header(req, name.toLowerCase());
}

/** The namespace a request names (blank → `public`). */
export function tenantOf(p: Params, names: KeyNames): string {
  for (const n of names.tenant) {
    const v = p.get(n);
    if (v !== undefined) return normalizeNamespace(v);
  }
  return normalizeNamespace(undefined);
}

/** The config a request names; `dataId` and the group are required (400 with the family's missing-parameter text). */
export function configKeyOf(p: Params, names: KeyNames): ConfigKey {
  const dataId = p.get('dataId');
  if (dataId === undefined) throw new MissingParamError('dataId');
  const group = p.get(names.group);
  if (group === undefined) throw new MissingParamError(names.group);
  return { tenant: tenantOf(p, names), group, dataId };
}

/**
 * The caller's address as Nacos records it (docs/protocol/config.md §1.2): the first
 * `X-Forwarded-For` entry, else `X-Real-IP`, else the socket's peer (an IPv4-mapped IPv6 address is
 * written as plain IPv4, so beta IP lists match what clients expect).
 */
export function clientIpOf(req: FastifyRequest): string {
  const fwd = header(req, 'x-forwarded-for');
  const first = fwd?.split(',')[0]?.trim();
  if (first) return first;
  const real = header(req, 'x-real-ip');
  if (real) return real;
  const ip = req.socket.remoteAddress ?? req.ip;
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

/** Who made a change: `src_user` (v2: `srcUser`), else the authenticated user, else the `username` parameter. */
export function srcUserOf(req: FastifyRequest, p: Params): string {
  return p.first('src_user', 'srcUser') ?? identityOf(req)?.username ?? p.get('username') ?? '';
}

/** Gray labels of a read: the client address and the tag (`tag` parameter, else `Vipserver-Tag` header). */
export function labelsOf(req: FastifyRequest, p: Params): ClientLabels {
  const requested = p.get('tag');
  const tag = requested ?? header(req, 'vipserver-tag');
  if (tag === undefined) return { clientIp: clientIpOf(req) };
  return { clientIp: clientIpOf(req), tag, tagRequested: requested !== undefined };
}

/**
 * The served view of a read, or null when Nacos answers "not found": nothing stored, blank
 * content, or an explicitly requested `tag` that no variant serves (a matching beta still wins;
 * the use case decides that from `tagRequested`).
 */
export function servedView(cc: ConfigCenter, key: ConfigKey, req: FastifyRequest, p: Params): ConfigView | null {
  const view = cc.get(key, labelsOf(req, p));
  return !view || view.content.trim() === '' ? null : view;
}

/** MIME type of a config type (docs/protocol/config.md §1.5). */
export function mimeOf(type: string): string {
  switch (type) {
    case 'json':
      return 'application/json;charset=UTF-8';
    case 'xml':
      return 'application/xml;charset=UTF-8';
    case 'html':
      return 'text/html;charset=UTF-8';
    default:
      return 'text/plain;charset=UTF-8';
  }
}

/** The headers of a config read (v1 and v2 GET): type, md5, modification time, no caching, gray markers. */
export function setConfigHeaders(reply: FastifyReply, view: ConfigView): void {
  reply.header('Config-Type', view.type);
  reply.header('Content-MD5', view.md5);
  reply.header('Last-Modified', new Date(view.lastModified).toUTCString());
  reply.header('Pragma', 'no-cache');
  reply.header('Expires', new Date(0).toUTCString());
  reply.header('Cache-Control', 'no-cache,no-store');
  if (view.encryptedDataKey !== '') reply.header('Encrypted-Data-Key', view.encryptedDataKey);
  if (view.beta) reply.header('isBeta', 'true');
  else if (view.tag !== undefined) reply.header('tag', encodeURIComponent(view.tag));
}

/**
 * Nacos' parameter checker on a config request (docs/protocol/config.md §1.4): namespace, dataId
 * and group of the raw values, before the handler; 400 with its plain message. With
 * `nacos.core.param.check.enabled=false` only the length limits apply.
 */
/**
 * Parameters Nacos binds with Spring's `@RequestParam` (the v2 config and history controllers), in
 * the controller's order: the first absent one is Spring's "Required request parameter" error
 * (docs/protocol/http.md §0.4). Blank values pass, as in Spring; the handler judges them.
 */
export function requireBound(p: Params, ...params: readonly (readonly [name: string, javaType: string])[]): void {
  for (const [name, javaType] of params) if (p.raw(name) === undefined) throw new MissingParamError(name, javaType, true);
}

export function checkConfigParams(deps: HttpDeps, p: Params, names: KeyNames): void {
  const chars = deps.ctx.config.bool('nacos.core.param.check.enabled');
  const raw = (n: string): string => (p.raw(n) ?? '').trim();
  const tenant = names.tenant.map(raw).find((v) => v !== '') ?? '';
  const e = paramCheck({ dataId: raw('dataId'), group: raw(names.group), tenant }, chars);
  if (e) throw badRequest(e, 20002);
}
