/**
 * Nacos' AuthFilter for the HTTP edge (docs/protocol/http.md §4.3): when auth is on, every request to a
 * route that is not `open` in auth-rules.ts must identify a user (token or user name + password,
 * from headers or parameters), and that user must hold what the route requires. Refusals are HTTP
 * 403 with Spring Boot's error JSON whose `message` is Nacos' text, whatever the API family.
 *
 * A `read`/`write` route is checked on what its handler acts on, derived from the same parameters
 * by the same functions the handler calls (naming-scope.ts, core/service-key.ts). A request that
 * names no service (e.g. a grouped `serviceName` whose group differs from `groupName`) is refused
 * here with the handler's 400, once its caller is identified.
 *
 * Runs as a `preValidation` hook: after the form body is parsed, before any `preHandler` (the
 * Distro forwarding filter), so a write is checked on the member that received it and again on
 * the member it is forwarded to (the forward carries the caller's headers and parameters).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import type { AuthService, Credentials, Identity } from '../../auth/auth-service.js';
import { AuthError } from '../../auth/errors.js';
import type { NamingResource } from '../../auth/permissions.js';
import { ruleFor, type EndpointRule } from './auth-rules.js';
import { CONFIG_SCOPES, configScopeResources, type ConfigScope } from './config-scope.js';
import { JSON_TYPE } from './errors.js';
import { paramsOf } from './kit.js';
import { scopeResource } from './naming-scope.js';
import { Params } from './params.js';

const identities = new WeakMap<FastifyRequest, Identity>();

/** The identity the filter established for this request (auth on, non-open route), if any. */
export function identityOf(req: FastifyRequest): Identity | undefined {
  return identities.get(req);
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

/** Parameters override headers of the same name (Nacos' identity resolver). */
export function credentialsOf(req: FastifyRequest, p: Params): Credentials {
  const pick = (name: string): string | undefined => p.raw(name) ?? header(req, name);
  return { authorization: pick('Authorization'), accessToken: pick('accessToken'), username: pick('username'), password: pick('password'), source: req.ip };
}

/** What a `read`/`write` rule is checked on (all of them). Throws the handler's 400 when the parameters name no service. */
export function resourcesOf(rule: EndpointRule, p: Params, method: string): NamingResource[] {
  const scope = rule.scope ?? 'service';
  return isConfigScope(scope) ? configScopeResources(scope, p, method, rule.path) : [scopeResource(scope, p)];
}

function isConfigScope(s: string): s is ConfigScope {
  return CONFIG_SCOPES.includes(s);
}

const SPRING_REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal Server Error' };

/** Spring Boot's error body for `response.sendError(status, message)` (docs/protocol/http.md §0.4). */
export function sendSpringError(reply: FastifyReply, req: FastifyRequest, ctx: AppContext, status: number, message: string): FastifyReply {
  const body = {
    timestamp: new Date(ctx.clock.now()).toISOString().replace('Z', '+00:00'),
    status,
    error: SPRING_REASONS[status] ?? 'Error',
    message,
    path: req.url.split('?')[0] ?? req.url,
  };
  return reply.code(status).type(JSON_TYPE).send(JSON.stringify(body));
}

export function installAuthFilter(app: FastifyInstance, ctx: AppContext, auth: AuthService): void {
  if (!auth.enabled) return;
  app.addHook('preValidation', async (req, reply) => {
    const route = req.routeOptions.url;
    if (route === undefined) return; // 404: nothing to protect
    const rule = ruleFor(req.method, route);
    if (rule.access === 'open') return;
    let params: Params;
    let malformed: unknown = null;
    try {
      params = paramsOf(req);
    } catch (e) {
      malformed = e;
      params = Params.of({}); // malformed parameters: identify from headers only
    }
    try {
      const id = await auth.identify(credentialsOf(req, params));
      if (rule.access === 'read' || rule.access === 'write') {
        // Not checkable: answered with the handler's 400 (the error handler renders it per family).
        if (malformed !== null) throw malformed;
        for (const r of resourcesOf(rule, params, req.method)) auth.authorize(id, rule.access, r);
      } else {
        auth.authorize(id, rule.access);
      }
      identities.set(req, id);
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      return sendSpringError(reply, req, ctx, 403, e.message);
    }
  });
}
