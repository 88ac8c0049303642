/**
 * What every HTTP endpoint requires when auth is on (`nacos.core.auth.enabled=true`). One list,
 * read by the auth filter, by the integration test that calls every endpoint with and without a
 * token, and by `scripts/auth-table.mjs`, which prints the table of docs/auth.md — so the three
 * cannot drift. A route missing here falls back to `admin` if its path has an API version segment
 * (`/v1/`, `/v2/`, `/v3/`), else `open` (static files); test/unit/auth-http.test.ts fails for any
 * registered route that is not listed.
 *
 * `read`/`write` check the role permissions on what the request acts on, derived by the same
 * functions its handler uses (naming-scope.ts): its service (`namespaceId:group:naming/serviceName`),
 * or every service of its group, of its namespace, or of every namespace.
 */
import type { Access } from '../../auth/auth-service.js';
import type { ConfigScope } from './config-scope.js';
import type { NamingScope } from './naming-scope.js';

export type RuleMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
const ANY: readonly RuleMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

export interface EndpointRule {
  readonly methods: readonly RuleMethod[];
  /** The route as registered (fastify syntax, e.g. `/nacos/v2/ns/instance/statuses/:key`). */
  readonly path: string;
  readonly access: Access;
  /** What `read`/`write` is checked on (naming-scope.ts, config-scope.ts); default `service`, the request's service. */
  readonly scope?: NamingScope | ConfigScope;
  /** Only registered in some set-ups. */
  readonly when?: 'cluster' | 'metrics' | 'raft' | 'ops' | 'console';
}

const rule = (methods: RuleMethod | readonly RuleMethod[] | '*', path: string, access: Access, extra: Partial<EndpointRule> = {}): EndpointRule => ({
  methods: methods === '*' ? ANY : typeof methods === 'string' ? [methods] : methods,
  path,
  access,
  ...extra,
});

const V1 = '/nacos/v1/ns';
const V2 = '/nacos/v2/ns';
const V3C = '/nacos/v3/console';
const V3A = '/nacos/v3/admin/ns';
const CS1 = '/nacos/v1/cs';
const CS2 = '/nacos/v2/cs';
const config = { scope: 'config' } as const;

function operatorRules(base: string, version: 1 | 2): EndpointRule[] {
  const out: EndpointRule[] = [];
  for (const prefix of [`${base}/operator`, `${base}/ops`]) {
    out.push(rule('GET', `${prefix}/switches`, 'admin'), rule('PUT', `${prefix}/switches`, 'admin'), rule('GET', `${prefix}/metrics`, 'open'));
    if (version === 1) {
      out.push(rule('*', `${prefix}/push/state`, 'admin'), rule('GET', `${prefix}/distro/client`, 'admin'), rule('PUT', `${prefix}/log`, 'admin'));
    }
  }
  return out;
}

export const ENDPOINT_RULES: readonly EndpointRule[] = [
  // ---- v1 naming (nacos-naming uses instance, instance/list, instance/beat, operator/metrics)
  rule(['POST', 'DELETE', 'PUT', 'PATCH'], `${V1}/instance`, 'write'),
  rule('GET', `${V1}/instance`, 'read'),
  rule('GET', `${V1}/instance/list`, 'read'),
  rule('PUT', `${V1}/instance/beat`, 'write'),
  rule('*', `${V1}/instance/statuses`, 'admin'),
  rule(['PUT', 'DELETE'], `${V1}/instance/metadata/batch`, 'write'),
  rule(['POST', 'DELETE', 'PUT'], `${V1}/service`, 'write'),
  rule('GET', `${V1}/service`, 'read'),
  rule('GET', `${V1}/service/list`, 'read', { scope: 'group' }),
  rule('*', `${V1}/service/names`, 'read', { scope: 'namespaces' }),
  rule('GET', `${V1}/service/subscribers`, 'read'),
  rule('GET', `${V1}/service/selector/types`, 'user'),
  rule('GET', `${V1}/catalog/service`, 'read'),
  rule('*', `${V1}/catalog/instances`, 'read'),
  rule('GET', `${V1}/catalog/services`, 'read', { scope: 'namespace' }),
  rule('PUT', `${V1}/cluster`, 'write'),
  ...operatorRules(V1, 1),
  rule('GET', `${V1}/operator/distro/state`, 'admin', { when: 'cluster' }),
  rule('GET', `${V1}/operator/raft/state`, 'admin', { when: 'raft' }),
  rule('*', `${V1}/health/server`, 'open'),
  rule('PUT', `${V1}/health`, 'write'),
  rule('PUT', `${V1}/health/instance`, 'write'),
  rule('GET', `${V1}/health/checkers`, 'user'),

  // ---- v2 naming
  rule(['POST', 'DELETE', 'PUT', 'PATCH'], `${V2}/instance`, 'write'),
  rule('GET', `${V2}/instance`, 'read'),
  rule(['PUT', 'DELETE'], `${V2}/instance/metadata/batch`, 'write'),
  rule('GET', `${V2}/instance/list`, 'read'),
  rule('PUT', `${V2}/instance/beat`, 'write'),
  rule('*', `${V2}/instance/statuses/:key`, 'admin'),
  rule(['POST', 'PUT', 'DELETE'], `${V2}/service`, 'write'),
  rule('GET', `${V2}/service`, 'read'),
  rule('GET', `${V2}/service/list`, 'read', { scope: 'group' }),
  rule('*', `${V2}/catalog/instances`, 'read'),
  rule('GET', `${V2}/client`, 'admin'),
  rule('GET', `${V2}/client/list`, 'admin'),
  rule('GET', `${V2}/client/publish/list`, 'admin'),
  rule('GET', `${V2}/client/subscribe/list`, 'admin'),
  rule('GET', `${V2}/client/service/publisher/list`, 'admin'),
  rule('GET', `${V2}/client/service/subscriber/list`, 'admin'),
  rule('PUT', `${V2}/health`, 'write'),
  rule('PUT', `${V2}/health/instance`, 'write'),
  ...operatorRules(V2, 2),

  // ---- v3 naming admin API (Nacos 3 ADMIN_API: an admin token, docs/protocol/nacos3.md §0.4)
  rule(['POST', 'PUT', 'DELETE', 'GET'], `${V3A}/service`, 'admin'),
  rule('GET', `${V3A}/service/list`, 'admin'),
  rule('GET', `${V3A}/service/subscribers`, 'admin'),
  rule('GET', `${V3A}/service/selector/types`, 'admin'),
  rule(['POST', 'PUT', 'DELETE', 'GET'], `${V3A}/instance`, 'admin'),
  rule('PUT', `${V3A}/instance/partial`, 'admin'),
  rule(['PUT', 'DELETE'], `${V3A}/instance/metadata/batch`, 'admin'),
  rule('GET', `${V3A}/instance/list`, 'admin'),
  rule('PUT', `${V3A}/cluster`, 'admin'),
  rule('PUT', `${V3A}/health/instance`, 'admin'),
  rule('GET', `${V3A}/health/checkers`, 'admin'),
  rule(['GET', 'PUT'], `${V3A}/ops/switches`, 'admin'),
  rule('GET', `${V3A}/ops/metrics`, 'admin'),
  rule('PUT', `${V3A}/ops/log`, 'admin'),
  ...['list', '', 'publish/list', 'subscribe/list', 'service/publisher/list', 'service/subscriber/list', 'distro'].map((x) =>
    rule('GET', x === '' ? `${V3A}/client` : `${V3A}/client/${x}`, 'admin'),
  ),
  // ---- v1 config (docs/config-center.md "HTTP APIs"): read/write on `<ns>:<group>:config/<dataId>`
  rule('GET', `${CS1}/configs`, 'read', config),
  rule(['POST', 'DELETE'], `${CS1}/configs`, 'write', config),
  rule('GET', `${CS1}/configs/catalog`, 'read', config),
  rule('GET', `${CS1}/history`, 'read', config),
  rule('GET', `${CS1}/history/previous`, 'read', config),
  rule('GET', `${CS1}/history/configs`, 'read', config),

  // ---- v2 config
  rule('GET', `${CS2}/config`, 'read', config),
  rule(['POST', 'DELETE'], `${CS2}/config`, 'write', config),
  rule('GET', `${CS2}/config/searchDetail`, 'read', config),
  ...['list', '', 'detail', 'previous', 'configs'].map((s) => rule('GET', `${CS2}/history${s === '' ? '' : `/${s}`}`, 'read', config)),

  // ---- v3 config: admin API and console API (same routes but three names)
  ...['/nacos/v3/admin/cs', '/nacos/v3/console/cs'].flatMap((b) => {
    const admin = b.includes('/admin/');
    return [
      rule('GET', `${b}/config`, 'read', config),
      rule(['POST', 'DELETE'], `${b}/config`, 'write', config),
      rule('DELETE', `${b}/config/${admin ? 'batch' : 'batchDelete'}`, 'write', config),
      rule('GET', `${b}/config/list`, 'read', config),
      ...(admin ? [] : [rule('GET', `${b}/config/searchDetail`, 'read', config)]),
      rule('GET', `${b}/config/beta`, 'read', config),
      rule('DELETE', `${b}/config/beta`, 'write', config),
      rule('GET', `${b}/config/${admin ? 'export' : 'export2'}`, 'read', config),
      rule('POST', `${b}/config/import`, 'write', config),
      rule('POST', `${b}/config/clone`, 'write', config),
      ...['history/list', 'history', 'history/previous', 'history/configs'].map((s) => rule('GET', `${b}/${s}`, 'read', config)),
    ];
  }),

  // ---- config listening (docs/config-center.md "Listening and pushes")
  rule('POST', '/nacos/v1/cs/configs/listener', 'read', { scope: 'config-poll' }),
  rule('GET', '/nacos/v1/cs/configs/listener', 'read', { scope: 'config' }),
  rule('GET', '/nacos/v3/admin/cs/config/listener', 'write', { scope: 'config' }),
  // By IP: with `all` the answer spans every namespace.
  rule('GET', '/nacos/v1/cs/listener', 'admin'),
  rule('GET', '/nacos/v3/admin/cs/listener', 'admin'),
  // Client config metrics (ClientConfigMetricRequest to any client IP's connections): admin only.
  rule('GET', '/nacos/v3/admin/cs/metrics/ip', 'admin'),
  rule('GET', '/nacos/v3/admin/cs/metrics/cluster', 'admin'),

  // ---- v3 client API
  rule('GET', '/nacos/v3/client/cs/config', 'read', config),
  rule(['POST', 'DELETE'], '/nacos/v3/client/ns/instance', 'write'),
  rule('GET', '/nacos/v3/client/ns/instance/list', 'read'),

  // ---- v3 console naming API (the Nacos 3 web UI)
  rule('GET', `${V3C}/ns/service/list`, 'read', { scope: 'namespace' }),
  rule('GET', `${V3C}/ns/service`, 'read'),
  rule(['POST', 'PUT', 'DELETE'], `${V3C}/ns/service`, 'write'),
  rule('GET', `${V3C}/ns/service/selector/types`, 'user'),
  rule('GET', `${V3C}/ns/service/subscribers`, 'read'),
  rule('PUT', `${V3C}/ns/service/cluster`, 'write'),
  rule('*', `${V3C}/ns/instance/list`, 'read'),
  rule('PUT', `${V3C}/ns/instance`, 'write'),
  rule('GET', `${V3C}/core/cluster/nodes`, 'admin'),
  rule('GET', `${V3C}/core/namespace/list`, 'user'),
  rule('GET', `${V3C}/core/namespace`, 'user'),
  rule('GET', `${V3C}/core/namespace/exist`, 'user'),
  rule(['POST', 'PUT', 'DELETE'], `${V3C}/core/namespace`, 'admin'),

  // ---- probes, state, metrics: always open
  rule('GET', `${V3C}/health/liveness`, 'open'),
  rule('GET', `${V3C}/health/readiness`, 'open'),
  rule('GET', `${V3C}/server/state`, 'open'),
  rule('GET', `${V3C}/server/announcement`, 'open'),
  rule('GET', `${V3C}/server/guide`, 'open'),
  rule('GET', '/nacos/v1/console/health/liveness', 'open'),
  rule('GET', '/nacos/v1/console/health/readiness', 'open'),
  rule('GET', '/nacos/v2/console/health/liveness', 'open'),
  rule('GET', '/nacos/v2/console/health/readiness', 'open'),
  rule('GET', '/nacos/v3/admin/core/state', 'open'),
  rule('GET', '/nacos/v3/admin/core/state/liveness', 'open'),
  rule('GET', '/nacos/v3/admin/core/state/readiness', 'open'),
  rule('GET', '/nacos/v1/console/server/state', 'open'),
  // ---- web console: the page and its assets are open (every API it calls is checked on its own)
  rule('GET', '/nacos', 'open', { when: 'console' }),
  rule('GET', '/nacos/index.html', 'open', { when: 'console' }),
  rule('GET', '/nacos*', 'open', { when: 'console' }),
  rule('GET', '/nacos/v1/console/cluster/overview', 'admin'),
  // ---- operations: drain state and (when enabled) drain-and-exit
  rule('GET', '/nacos/v1/core/ops/drain', 'admin', { when: 'ops' }),
  rule('POST', '/nacos/v1/core/ops/drain', 'admin', { when: 'ops' }),
  rule('GET', '/nacos/actuator/prometheus', 'open', { when: 'metrics' }),
  rule('GET', '/metrics', 'open', { when: 'metrics' }),

  // ---- cluster and namespaces (console / admin)
  rule('GET', '/nacos/v1/core/cluster/nodes', 'admin'),
  rule('GET', '/nacos/v1/core/cluster/self', 'admin'),
  rule('GET', '/nacos/v1/core/cluster/simple/nodes', 'admin'),
  rule('GET', '/nacos/v1/core/cluster/health', 'admin'),
  ...['/nacos/v2/core/cluster/node', '/nacos/v3/admin/core/cluster/node'].flatMap((b) => [
    rule('GET', `${b}/list`, 'admin'),
    rule('GET', `${b}/self`, 'admin'),
    rule('GET', `${b}/self/health`, 'admin'),
  ]),
  rule('GET', '/nacos/v1/console/namespaces', 'user'),
  rule(['POST', 'PUT', 'DELETE'], '/nacos/v1/console/namespaces', 'admin'),
  rule('GET', '/nacos/v3/admin/core/namespace/list', 'admin'),
  rule(['GET', 'POST', 'PUT', 'DELETE'], '/nacos/v3/admin/core/namespace', 'admin'),
  rule('GET', '/nacos/v3/admin/core/namespace/check', 'admin'),
  rule('GET', '/nacos/v2/console/namespace/list', 'user'),
  rule('GET', '/nacos/v2/console/namespace', 'user'),
  rule(['POST', 'PUT', 'DELETE'], '/nacos/v2/console/namespace', 'admin'),
  rule('PUT', '/nacos/v3/admin/core/cluster/node/list', 'admin'),
  rule('PUT', '/nacos/v3/admin/core/cluster/lookup', 'admin'),
  rule('POST', '/nacos/v3/admin/core/ops/raft', 'admin'),
  rule('POST', '/nacos/v1/core/ops/raft', 'admin'),
  rule('GET', '/nacos/v3/admin/core/ops/ids', 'admin'),
  rule('PUT', '/nacos/v3/admin/core/ops/log', 'admin'),
  // 2.x paths of the same operations (Nacos leaves idInfo/ids unsecured; here they are admin like v3)
  rule('POST', '/nacos/v1/core/cluster/switch/lookup', 'admin'),
  rule('PUT', '/nacos/v2/core/cluster/lookup', 'admin'),
  rule('POST', '/nacos/v2/core/ops/raft', 'admin'),
  rule('GET', '/nacos/v1/core/ops/idInfo', 'admin'),
  rule('GET', '/nacos/v2/core/ops/ids', 'admin'),
  rule('PUT', '/nacos/v1/core/ops/log', 'admin'),
  rule('PUT', '/nacos/v2/core/ops/log', 'admin'),
  // v3 writes are POST; the 2.x controller maps every loader path to GET.
  ...(['/nacos/v3/admin/core/loader', '/nacos/v2/core/loader'] as const).flatMap((b) => {
    const write = b.startsWith('/nacos/v2') ? 'GET' : 'POST';
    return [
      rule('GET', `${b}/current`, 'admin'),
      rule(write, `${b}/reloadCurrent`, 'admin'),
      rule(write, `${b}/smartReloadCluster`, 'admin'),
      rule(write, `${b}/reloadClient`, 'admin'),
      rule('GET', `${b}/cluster`, 'admin'),
    ];
  }),

  // ---- auth: login and first-admin initialisation are open; a user may change its own password
  rule('POST', '/nacos/v1/auth/login', 'open'),
  rule('POST', '/nacos/v1/auth/users/login', 'open'),
  rule('POST', '/nacos/v3/auth/user/login', 'open'),
  rule('POST', '/nacos/v1/auth/users/admin', 'open'),
  rule('POST', '/nacos/v3/auth/user/admin', 'open'),
  rule(['POST', 'DELETE', 'GET'], '/nacos/v1/auth/users', 'admin'),
  rule('PUT', '/nacos/v1/auth/users', 'user'),
  rule('GET', '/nacos/v1/auth/users/search', 'admin'),
  rule(['POST', 'DELETE', 'GET'], '/nacos/v1/auth/roles', 'admin'),
  rule('GET', '/nacos/v1/auth/roles/search', 'admin'),
  rule(['POST', 'DELETE', 'GET'], '/nacos/v1/auth/permissions', 'admin'),
  rule(['POST', 'DELETE'], '/nacos/v3/auth/user', 'admin'),
  rule('PUT', '/nacos/v3/auth/user', 'user'),
  rule('GET', '/nacos/v3/auth/user/list', 'admin'),
  rule('GET', '/nacos/v3/auth/user/search', 'admin'),
  rule(['POST', 'DELETE'], '/nacos/v3/auth/role', 'admin'),
  rule('GET', '/nacos/v3/auth/role/list', 'admin'),
  rule('GET', '/nacos/v3/auth/role/search', 'admin'),
  rule(['POST', 'DELETE'], '/nacos/v3/auth/permission', 'admin'),
  rule('GET', '/nacos/v3/auth/permission/list', 'admin'),
];

const API_PATH = /\/v[123]\//;

function fallback(path: string): EndpointRule {
  return rule('*', path, API_PATH.test(path) ? 'admin' : 'open');
}

const byRoute = new Map<string, EndpointRule>();
for (const r of ENDPOINT_RULES) for (const m of r.methods) byRoute.set(`${m} ${r.path}`, r);

/** The rule of a matched route; HEAD is treated as GET. */
export function ruleFor(method: string, routePath: string): EndpointRule {
  const m = method === 'HEAD' ? 'GET' : method;
  return byRoute.get(`${m} ${routePath}`) ?? fallback(routePath);
}

/** Whether the list names this route explicitly (no fallback). */
export function hasRule(method: string, routePath: string): boolean {
  return byRoute.has(`${method === 'HEAD' ? 'GET' : method} ${routePath}`);
}

const ACCESS_TEXT: Readonly<Record<Access, string>> = {
  open: 'open',
  user: 'any user',
  read: 'r',
  write: 'w',
  admin: 'admin',
};

const SCOPE_TEXT: Readonly<Record<NamingScope | ConfigScope, string>> = {
  service: '',
  config: ' on the config (`namespace:group:config/dataId`)',
  'config-poll': ' on every namespace its `Listening-Configs` and `tenant` name',
  group: ' on the group',
  namespace: ' on the namespace',
  namespaces: ' on the namespace (all namespaces without `namespaceId`)',
};

/** The Markdown table of docs/auth.md (printed by scripts/auth-table.mjs; a unit test compares). */
export function renderRulesTable(): string {
  const lines = ['| method | path | needs (auth on) |', '|---|---|---|'];
  for (const r of ENDPOINT_RULES) {
    const methods = r.methods.length === ANY.length ? 'any' : r.methods.join(', ');
    let needs = ACCESS_TEXT[r.access];
    if (r.scope) needs += SCOPE_TEXT[r.scope];
    if (r.when) needs += ` (${r.when} only)`;
    lines.push(`| ${methods} | \`${r.path}\` | ${needs} |`);
  }
  return lines.join('\n');
}
