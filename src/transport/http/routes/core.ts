/** Core cluster and server-state endpoints (docs/protocol/http.md §3.4). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../app-context.js';
import { badRequest } from '../../../core/errors.js';
import { optStr, parseParams } from '../fields.js';
import { paramsOf, sendJson, sendRestResult, sendResult, type HttpDeps } from '../kit.js';
import { MEMBER_STATES, type Member, type MemberState } from '../members.js';

const NodeListSchema = z.object({ address: optStr(), state: optStr(), keyword: optStr() });

/** Members sorted by address, filtered by address prefix and (optionally) state. */
function filterMembers(members: readonly Member[], address: string | undefined, state: MemberState | undefined): Member[] {
  return [...members]
    .filter((m) => address === undefined || m.address.startsWith(address))
    .filter((m) => state === undefined || m.state === state)
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function parseState(state: string | undefined): MemberState | undefined {
  if (state === undefined) return undefined;
  const s = state.toUpperCase();
  if (!(MEMBER_STATES as readonly string[]).includes(s)) throw badRequest(`Illegal state: ${state}`, 23000);
  return s as MemberState;
}

/** `/v3/admin/core/state` and `/v1/console/server/state`: the server state map (string values, like Nacos). */
export function serverState(ctx: AppContext): Record<string, string> {
  const authOn = ctx.auth?.enabled ?? false;
  return {
    version: ctx.version,
    startup_mode: ctx.config.bool('nacos.standalone') ? 'standalone' : 'cluster',
    function_mode: 'naming',
    server_port: String(ctx.member.port),
    auth_enabled: String(authOn),
    auth_system_type: 'nacos',
    auth_admin_request: String(ctx.auth?.adminRequest() ?? false),
    login_page_enabled: String(authOn),
    // The Nacos 3 web UI shows its menus only when this is the string "true".
    console_ui_enabled: String(ctx.config.bool('nacos.console.ui.enabled')),
    datasource_platform: '',
    plugin_datasource_log_enabled: 'false',
  };
}

export function coreRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const self = (): Member | undefined => deps.members().find((m) => m.address === deps.ctx.member.address) ?? deps.members()[0];

  // Legacy RestResult family.
  app.get('/nacos/v1/core/cluster/nodes', async (req, reply) => {
    const f = parseParams(NodeListSchema, paramsOf(req));
    return sendRestResult(reply, filterMembers(deps.members(), f.keyword, undefined));
  });
  app.get('/nacos/v1/core/cluster/self', async (_req, reply) => sendRestResult(reply, self() ?? null));
  app.get('/nacos/v1/core/cluster/simple/nodes', async (_req, reply) =>
    sendRestResult(reply, filterMembers(deps.members(), undefined, undefined).map((m) => m.address)),
  );
  app.get('/nacos/v1/core/cluster/health', async (_req, reply) => sendRestResult(reply, self()?.state ?? 'DOWN'));

  // Result family (v2 and v3 admin share the shapes).
  for (const base of ['/nacos/v2/core/cluster/node', '/nacos/v3/admin/core/cluster/node']) {
    app.get(`${base}/list`, async (req, reply) => {
      const f = parseParams(NodeListSchema, paramsOf(req));
      return sendResult(reply, filterMembers(deps.members(), f.address, parseState(f.state)));
    });
    app.get(`${base}/self`, async (_req, reply) => sendResult(reply, self() ?? null));
    app.get(`${base}/self/health`, async (_req, reply) => sendResult(reply, self()?.state ?? 'DOWN'));
  }

  app.get('/nacos/v3/admin/core/state', async (_req, reply) => sendResult(reply, serverState(deps.ctx)));
  // The console's state: a bare map (the web console reads auth_enabled / auth_admin_request).
  app.get('/nacos/v1/console/server/state', async (_req, reply) => sendJson(reply, serverState(deps.ctx)));

  // ---- the Nacos 3 console API (docs/protocol/nacos3.md "Console API")
  app.get('/nacos/v3/console/core/cluster/nodes', async (req, reply) => {
    const f = parseParams(NodeListSchema, paramsOf(req));
    return sendResult(reply, filterMembers(deps.members(), f.keyword, undefined));
  });
  app.get('/nacos/v3/console/server/state', async (_req, reply) => sendJson(reply, serverState(deps.ctx)));
  // No announcement or guide files: `data` null, as Nacos without the files.
  app.get('/nacos/v3/console/server/announcement', async (req, reply) => {
    const language = paramsOf(req).get('language') ?? 'zh-CN';
    if (language !== 'zh-CN' && language !== 'en-US') return sendJson(reply, { code: 30000, message: `Unsupported language: ${language}`, data: null });
    return sendResult(reply, null);
  });
  app.get('/nacos/v3/console/server/guide', async (_req, reply) => sendResult(reply, null));
}
