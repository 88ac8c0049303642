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

/**
 * `/v3/admin/core/state` and `/v1/console/server/state`: the server state map, every value a
 * string like Nacos' (docs/protocol/nacos3.md §4): the sys, auth, console and console-auth module
 * keys and the config module's keys always; the raft and distro module keys in cluster mode only.
 * `function_mode` is null: Nomen serves naming and config together, which Nacos reports as null
 * (`naming` would make the official console hide its configuration pages).
 */
export function serverState(ctx: AppContext): Record<string, string | null> {
  const cfg = ctx.config;
  const authOn = ctx.auth?.enabled ?? false;
  const standalone = cfg.bool('nacos.standalone');
  const state: Record<string, string | null> = {
    version: ctx.version,
    startup_mode: standalone ? 'standalone' : 'cluster',
    function_mode: null,
    server_port: String(ctx.member.port),
    auth_enabled: String(authOn),
    auth_system_type: 'nacos',
    auth_admin_request: String(ctx.auth?.adminRequest() ?? false),
    login_page_enabled: String(authOn),
    console_ui_enabled: String(cfg.bool('nacos.console.ui.enabled')),
    datasource_platform: '',
    plugin_datasource_log_enabled: 'false',
    // The config module's keys (Nacos ConfigModuleStateBuilder): the limits Nomen's configuration
    // center applies, Nacos' defaults for the dump-health settings it has no equivalent of, and
    // capacity management reported off (Nomen keeps no quotas).
    notifyConnectTimeout: '100',
    notifySocketTimeout: '200',
    isHealthCheck: 'true',
    maxHealthCheckFailCount: '12',
    maxContent: String(cfg.int('maxContent')),
    isManageCapacity: 'false',
    isCapacityLimitCheck: 'false',
    defaultClusterQuota: '100000',
    defaultGroupQuota: '200',
    defaultMaxSize: '102400',
    defaultMaxAggrCount: '10000',
    defaultMaxAggrSize: '1024',
    config_retention_days: String(cfg.int('nacos.config.retention.days')),
  };
  if (!standalone) {
    const raft = 'nacos.core.protocol.raft.data.';
    state['election_timeout_ms'] = String(cfg.int(`${raft}election_timeout_ms`));
    state['election_heartbeat_factor'] = String(cfg.int(`${raft}election_heartbeat_factor`));
    state['snapshot_interval_secs'] = String(cfg.int(`${raft}snapshot_interval_secs`));
    state['rpc_request_timeout_ms'] = String(cfg.int(`${raft}rpc_request_timeout_ms`));
    const distro = 'nacos.core.protocol.distro.data.';
    for (const [key, name] of [
      ['data_sync_delayMs', 'sync.delayMs'],
      ['data_sync_timeoutMs', 'sync.timeoutMs'],
      ['data_sync_retryDelayMs', 'sync.retryDelayMs'],
      ['data_verify_intervalMs', 'verify.intervalMs'],
      ['data_verify_timeoutMs', 'verify.timeoutMs'],
      ['data_load_retryDelayMs', 'load.retryDelayMs'],
      ['data_load_timeoutMs', 'load.timeoutMs'],
    ] as const) {
      state[key] = String(cfg.int(`${distro}${name}`));
    }
  }
  return state;
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
