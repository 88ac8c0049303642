/**
 * Operator commands of the CLI (`nomen status | services | instances`): read the HTTP APIs of a
 * running member and print human-readable tables (or JSON with `--json`). Auth as Nacos clients do
 * it: `--token` is sent as the `accessToken` parameter; `--username/--password` first log in
 * (`POST /nacos/v1/auth/users/login`, form body) and use the returned `accessToken`.
 * Every answer is validated with zod before it is used.
 */
import { z } from 'zod';

export interface AdminOptions {
  /** `host:port` of the member's main (HTTP) port. */
  server: string;
  username?: string;
  password?: string;
  token?: string;
  json?: boolean;
  timeoutMs?: number;
}

/** The flags every operator command takes (commander's parsed options). */
export interface AdminFlags {
  server: string;
  username?: string;
  password?: string;
  token?: string;
  json?: boolean;
}

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export class AdminError extends Error {
  /** The process exit code (1: failed; docs/operations.md "CLI" lists the others). */
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A non-200 answer: its status and body are kept for commands that explain them (e.g. config's 404). */
export class AdminHttpError extends AdminError {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
  }
}

/** A request body sent as `application/x-www-form-urlencoded`, and extra headers. */
export interface CallOptions {
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const NodesSchema = z.object({
  data: z.array(
    z.object({
      address: z.string(),
      state: z.string(),
      extendInfo: z.record(z.string(), z.unknown()).default({}),
    }),
  ),
});

const MetricsSchema = z.object({
  status: z.string(),
  serviceCount: z.number(),
  instanceCount: z.number(),
  subscribeCount: z.number(),
  clientCount: z.number(),
});

const RaftSchema = z.object({
  role: z.string().optional(),
  term: z.number().optional(),
  leader: z.string().nullable().optional(),
});

const ServicesSchema = z.object({
  count: z.number(),
  serviceList: z.array(
    z.object({ name: z.string(), groupName: z.string(), clusterCount: z.number(), ipCount: z.number(), healthyInstanceCount: z.number() }),
  ),
});

const InstancesSchema = z.object({
  hosts: z.array(
    z.object({
      ip: z.string(),
      port: z.number(),
      clusterName: z.string(),
      weight: z.number(),
      healthy: z.boolean(),
      enabled: z.boolean(),
      ephemeral: z.boolean(),
      metadata: z.record(z.string(), Scalar).default({}),
    }),
  ),
});

/** A small HTTP client of one member that carries the access token. */
export class AdminClient {
  private token: string | undefined;

  constructor(
    private readonly o: AdminOptions,
    private readonly fetchFn: Fetch = fetch,
  ) {
    this.token = o.token;
  }

  /** Logs in when a username is given and no token (Nacos: accessToken from the login answer). */
  async login(): Promise<void> {
    if (this.token !== undefined || this.o.username === undefined) return;
    const body = new URLSearchParams({ username: this.o.username, password: this.o.password ?? '' }).toString();
    const text = await this.send('POST', this.o.server, '/nacos/v1/auth/users/login', {}, body);
    const parsed = z.object({ accessToken: z.string() }).safeParse(parseJson(text, 'login answer'));
    if (!parsed.success) throw new AdminError('login answer has no accessToken');
    this.token = parsed.data.accessToken;
  }

  /** GET `path` on `server` (default: the given one) and validate the JSON answer. */
  async get<T>(path: string, query: Record<string, string>, schema: z.ZodType<T>, server = this.o.server): Promise<T> {
    return this.call('GET', path, query, schema, {}, server);
  }

  /** Any method on `server` (default: the given one); the JSON answer is validated. */
  async call<T>(method: string, path: string, query: Record<string, string>, schema: z.ZodType<T>, opts: CallOptions = {}, server = this.o.server): Promise<T> {
    const form = opts.form === undefined ? undefined : new URLSearchParams(opts.form).toString();
    const text = await this.send(method, server, path, query, form, opts.headers);
    const r = schema.safeParse(parseJson(text, path));
    if (!r.success) throw new AdminError(`unexpected answer from ${server}${path}: ${r.error.issues[0]?.message ?? 'invalid'}`);
    return r.data;
  }

  private async send(method: string, server: string, path: string, query: Record<string, string>, form?: string, headers: Record<string, string> = {}): Promise<string> {
    const q = new URLSearchParams(query);
    if (this.token !== undefined) q.set('accessToken', this.token);
    const qs = q.toString();
    const url = `http://${server}${path}${qs ? `?${qs}` : ''}`;
    const init: RequestInit = { method, signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000), headers: { ...headers } };
    if (form !== undefined) {
      init.body = form;
      init.headers = { ...headers, 'content-type': 'application/x-www-form-urlencoded' };
    }
    let res: Response;
    try {
      res = await this.fetchFn(url, init);
    } catch (e) {
      throw new AdminError(`cannot reach ${server}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
    }
    const text = await res.text();
    if (res.status !== 200) throw new AdminHttpError(`${method} ${path} on ${server}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status, text);
    return text;
  }
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AdminError(`${what}: not JSON: ${text.slice(0, 100)}`);
  }
}

/** Left-aligned text table with a header row. */
export function table(header: readonly string[], rows: readonly (readonly (string | number | boolean)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export interface MemberStatus {
  address: string;
  state: string;
  reachable: boolean;
  error?: string;
  role: string | null;
  leader: string | null;
  term: number | null;
  services: number | null;
  instances: number | null;
  clients: number | null;
  subscribers: number | null;
  connections: number | null;
  draining: boolean;
}

/** `status`: every member the server lists, each asked for its own counts and Raft role. */
export async function status(o: AdminOptions, fetchFn?: Fetch): Promise<{ server: string; members: MemberStatus[] }> {
  const c = new AdminClient(o, fetchFn);
  await c.login();
  const nodes = await c.get('/nacos/v1/core/cluster/nodes', {}, NodesSchema);
  const members = await Promise.all(
    nodes.data.map(async (n): Promise<MemberStatus> => {
      const conns = n.extendInfo['sdkConnections'];
      const base: MemberStatus = {
        address: n.address,
        state: n.state,
        reachable: false,
        role: null,
        leader: null,
        term: null,
        services: null,
        instances: null,
        clients: null,
        subscribers: null,
        connections: typeof conns === 'number' ? conns : null,
        draining: n.extendInfo['draining'] === true,
      };
      try {
        const [m, r] = await Promise.all([
          c.get('/nacos/v1/ns/operator/metrics', { onlyStatus: 'false' }, MetricsSchema, n.address),
          c.get('/nacos/v1/ns/operator/raft/state', {}, RaftSchema, n.address).catch(() => null),
        ]);
        return {
          ...base,
          reachable: true,
          services: m.serviceCount,
          instances: m.instanceCount,
          clients: m.clientCount,
          subscribers: m.subscribeCount,
          role: r?.role ?? null,
          leader: r?.leader ?? null,
          term: r?.term ?? null,
        };
      } catch (e) {
        return { ...base, error: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
  return { server: o.server, members };
}

export function formatStatus(s: { members: MemberStatus[] }): string {
  const dash = (v: number | string | null): string | number => v ?? '-';
  const rows = s.members.map((m) => [
    m.address,
    m.draining ? `${m.state} (draining)` : m.state,
    dash(m.role),
    dash(m.services),
    dash(m.instances),
    dash(m.clients),
    dash(m.subscribers),
    dash(m.connections),
  ]);
  let out = table(['MEMBER', 'STATE', 'RAFT', 'SERVICES', 'INSTANCES', 'CLIENTS', 'SUBSCRIBERS', 'CONNECTIONS'], rows);
  const leaders = [...new Set(s.members.map((m) => m.leader).filter((l): l is string => !!l))];
  out += `raft leader: ${leaders.length === 0 ? 'none known' : leaders.join(' / ')}\n`;
  for (const m of s.members) if (m.error) out += `${m.address}: ${m.error}\n`;
  return out;
}

export interface ServiceRow {
  name: string;
  groupName: string;
  clusterCount: number;
  ipCount: number;
  healthyInstanceCount: number;
}

/** `services`: every service of a namespace (optionally one group), all pages. */
export async function services(o: AdminOptions & { namespace?: string; group?: string }, fetchFn?: Fetch): Promise<ServiceRow[]> {
  const c = new AdminClient(o, fetchFn);
  await c.login();
  const out: ServiceRow[] = [];
  const pageSize = 500;
  for (let page = 1; page <= 10_000; page++) {
    const q: Record<string, string> = { pageNo: String(page), pageSize: String(pageSize), groupNameParam: o.group ?? '' };
    if (o.namespace) q['namespaceId'] = o.namespace;
    const r = await c.get('/nacos/v1/ns/catalog/services', q, ServicesSchema);
    out.push(...r.serviceList);
    if (r.serviceList.length < pageSize || out.length >= r.count) break;
  }
  // groupNameParam is a substring match on the server; an explicit group means that group.
  return out.filter((s) => o.group === undefined || s.groupName === o.group).sort((a, b) => a.groupName.localeCompare(b.groupName) || a.name.localeCompare(b.name));
}

export function formatServices(rows: readonly ServiceRow[]): string {
  return table(['GROUP', 'SERVICE', 'CLUSTERS', 'INSTANCES', 'HEALTHY'], rows.map((s) => [s.groupName, s.name, s.clusterCount, s.ipCount, s.healthyInstanceCount]));
}

export type InstanceRow = z.infer<typeof InstancesSchema>['hosts'][number];

/** `instances <service>`: every instance, healthy or not (`instance/list` without a UDP port subscribes nothing). */
export async function instances(o: AdminOptions & { service: string; namespace?: string; group?: string; cluster?: string }, fetchFn?: Fetch): Promise<InstanceRow[]> {
  const c = new AdminClient(o, fetchFn);
  await c.login();
  const serviceName = o.service.includes('@@') ? o.service : `${o.group ?? 'DEFAULT_GROUP'}@@${o.service}`;
  const q: Record<string, string> = { serviceName, healthyOnly: 'false' };
  if (o.namespace) q['namespaceId'] = o.namespace;
  if (o.cluster) q['clusters'] = o.cluster;
  const r = await c.get('/nacos/v1/ns/instance/list', q, InstancesSchema);
  return [...r.hosts].sort((a, b) => a.ip.localeCompare(b.ip) || a.port - b.port);
}

export function formatInstances(rows: readonly InstanceRow[]): string {
  return table(
    ['IP', 'PORT', 'CLUSTER', 'WEIGHT', 'HEALTHY', 'ENABLED', 'EPHEMERAL', 'METADATA'],
    rows.map((h) => [h.ip, h.port, h.clusterName, h.weight, h.healthy, h.enabled, h.ephemeral, Object.keys(h.metadata).length === 0 ? '-' : JSON.stringify(h.metadata)]),
  );
}
