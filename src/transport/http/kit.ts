/** Small helpers shared by the route modules: request parameters and the success shapes. */
import type { FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { AppContext } from '../../app-context.js';
import type { NamespaceCatalog } from '../../naming/namespaces.js';
import { serviceInfoChunks, type RenderedServiceInfo } from '../../naming/service-info-view.js';
import { JSON_TYPE, TEXT_TYPE } from './errors.js';
import type { AdminHooks } from './admin-hooks.js';
import type { HttpClusterHooks } from './cluster-hooks.js';
import type { MemberSource } from './members.js';
import { checkNamespaceParams, checkNamingParams, type ExtractorKind } from './param-check.js';
import { Params } from './params.js';

/** What every route module gets. */
export interface HttpDeps {
  readonly ctx: AppContext;
  readonly members: MemberSource;
  readonly namespaces: NamespaceCatalog;
  /** Cluster mode only. */
  readonly cluster?: HttpClusterHooks;
  /** Raft group and SDK connections for the core admin APIs (absent in edge-only tests). */
  readonly admin?: AdminHooks;
}

/** Nacos maps several handlers with `@RequestMapping` (any method). */
export const ANY_METHOD: HTTPMethods[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** Query string + form body as one map. */
export function paramsOf(req: FastifyRequest): Params {
  return Params.from(req.url, req.body);
}

/** Parameters of a naming API, after Nacos' parameter checker (with it off: the length limits only). */
export function namingParams(deps: HttpDeps, req: FastifyRequest, kind: ExtractorKind = 'default'): Params {
  const p = paramsOf(req);
  const cfg = deps.ctx.config;
  checkNamingParams(p, kind, cfg.int('nacos.naming.service.metadata.length'), cfg.bool('nacos.core.param.check.enabled'));
  return p;
}

/** Parameters of a namespace API, after Nacos' console checker (with it off: the length limits only). */
export function namespaceParams(deps: HttpDeps, req: FastifyRequest): Params {
  const p = paramsOf(req);
  checkNamespaceParams(p, deps.ctx.config.bool('nacos.core.param.check.enabled'));
  return p;
}

export function sendText(reply: FastifyReply, text: string, status = 200): FastifyReply {
  return reply.code(status).type(TEXT_TYPE).send(text);
}

/** Sends already encoded JSON text. */
export function sendRawJson(reply: FastifyReply, json: string, status = 200): FastifyReply {
  return reply.code(status).type(JSON_TYPE).send(json);
}

/**
 * Sends a rendered ServiceInfo as bytes: its cached UTF-8 parts are copied into one Buffer (no
 * per-request encoding of the whole text), optionally inside `prefix … suffix` (ASCII).
 */
export function sendServiceInfo(reply: FastifyReply, info: RenderedServiceInfo, prefix = '', suffix = ''): FastifyReply {
  const [head, ref, tail] = serviceInfoChunks(info);
  const out = Buffer.allocUnsafe(prefix.length + head.length + ref.length + tail.length + suffix.length);
  let p = out.write(prefix, 0, 'latin1');
  p += head.copy(out, p);
  p += out.write(ref, p, 'latin1');
  p += tail.copy(out, p);
  out.write(suffix, p, 'latin1');
  return reply.code(200).type(JSON_TYPE).send(out);
}

export function sendJson(reply: FastifyReply, value: unknown, status = 200): FastifyReply {
  return sendRawJson(reply, JSON.stringify(value), status);
}

/** v2/v3 success: `{"code":0,"message":"success","data":…}`. */
export function sendResult(reply: FastifyReply, data: unknown): FastifyReply {
  return sendResultRaw(reply, JSON.stringify(data ?? null));
}

/** v2/v3 success around already encoded `data` JSON (e.g. a rendered ServiceInfo). */
export function sendResultRaw(reply: FastifyReply, dataJson: string, status = 200): FastifyReply {
  return sendRawJson(reply, `{"code":0,"message":"success","data":${dataJson}}`, status);
}

/** Legacy core/console RestResult: `{"code":200,"message":null,"data":…}`. */
export function sendRestResult(reply: FastifyReply, data: unknown): FastifyReply {
  return sendRawJson(reply, `{"code":200,"message":null,"data":${JSON.stringify(data ?? null)}}`);
}
