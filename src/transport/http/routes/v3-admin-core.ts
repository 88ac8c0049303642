/**
 * Nacos 3 core admin API, `/nacos/v3/admin/core/*` (docs/protocol/nacos3.md §2): cluster lookup
 * and member list updates, namespaces (also `/nacos/v2/console/namespace`), ops (raft, ids, log)
 * and the connection loader (also `/nacos/v2/core/loader`). Member list/self and state live in
 * core.ts, shared with v1/v2. Operations Nomen has no equivalent for answer HTTP 501 with code
 * 40001 `API function disabled.` instead of Nacos' silent success (docs/compatibility.md,
 * "Differences" D2–D5).
 */
import { cpus, loadavg } from 'node:os';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NacosError, badRequest, notFound } from '../../../core/errors.js';
import { DEFAULT_NAMESPACE, LIMITS } from '../../../core/names.js';
import { planRebalance } from '../../../cluster/rebalance.js';
import type { AdminHooks } from '../admin-hooks.js';
import { MissingParamError } from '../errors.js';
import { optStr, parseParams, reqInt, reqStr, strOr } from '../fields.js';
import { namespaceParams, paramsOf, paramsOf as paramsOfRequest, sendJson, sendRestResult, sendResult, sendText, type HttpDeps } from '../kit.js';
import { checkNamespaceParams } from '../param-check.js';
import { sendSpringError } from '../auth-filter.js';
import { raftPeerOf } from '../members.js';
import { Params } from '../params.js';
import { callPeer } from '../peer-http.js';
import { setLogLevel } from './v1-operator.js';

const CORE = '/nacos/v3/admin/core';

/** Nacos' answer for an operation Nomen does not perform (never a success for a write that is not applied). */
export function unsupported(what: string): NacosError {
  return new NacosError(501, what, 40001);
}

/** A JSON array body (`PUT cluster/node/list`); object bodies become parameters (see jsonBodyParser). */
class JsonArrayBody {
  constructor(readonly items: readonly unknown[]) {}
}

/**
 * `application/json` bodies of the few core endpoints that take one (ops/raft, ops/log,
 * cluster/node/list): an object's primitive fields become form parameters (so the form encoding
 * the Java maintainer client sends works too, docs/protocol/nacos3.md §2.3); an array is kept.
 * Unreadable JSON is Nacos' `HttpMessageNotReadableException`: 400, code 10000.
 */
function jsonBodyParser(_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void): void {
  let json: unknown;
  try {
    json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch (e) {
    done(new NacosError(400, `JSON parse error: ${e instanceof Error ? e.message : String(e)}`, 10000));
    return;
  }
  if (Array.isArray(json)) {
    done(null, new JsonArrayBody(json));
    return;
  }
  const out = new Map<string, string>();
  if (typeof json === 'object' && json !== null) {
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out.set(k, String(v));
    }
  }
  done(null, out);
}

/** `NamespaceForm`: a parameter that must be present (Nacos: `required parameter 'x' is missing`, 400/10000). */
function present(p: Params, name: string): string {
  const v = p.raw(name);
  if (v === undefined) throw new NacosError(400, `required parameter '${name}' is missing`, 10000);
  return v.trim();
}

const NAME_RE = /^[^@#$%^&*]+$/;
const ID_RE = /^[\w-]+$/;

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw badRequest(`namespaceName [${name}] contains illegal char`, 22000);
}

// ------------------------------------------------------------------ namespaces (§2.2)

/**
 * `/v3/admin/core/namespace` has no parameter checker in Nacos (its own 22000 checks apply), but
 * Nomen still bounds the lengths (docs/bad-input.md); the v2 console path runs the console checker.
 */
function namespaceRoutes(app: FastifyInstance, deps: HttpDeps, base: string, consoleChecker: boolean): void {
  const ns = deps.namespaces;
  const paramsOf = (req: FastifyRequest): Params => {
    if (consoleChecker) return namespaceParams(deps, req);
    const p = paramsOfRequest(req);
    checkNamespaceParams(p, false);
    return p;
  };
  app.get(`${base}/list`, async (_req, reply) => sendResult(reply, ns.list()));
  // Blank id → the default namespace.
  app.get(base, async (req, reply) => {
    const raw = paramsOf(req).raw('namespaceId');
    if (raw === undefined) throw new MissingParamError('namespaceId');
    const id = raw.trim() || DEFAULT_NAMESPACE;
    const one = ns.get(id);
    if (!one) throw notFound(`namespaceId [ ${id} ] not exist`, 22001);
    return sendResult(reply, one);
  });
  // Present but empty id → a UUID; the id must fit the naming APIs' limit (LIMITS.namespace), not Nacos' 128.
  app.post(base, async (req, reply) => {
    const p = paramsOf(req);
    const id = present(p, 'namespaceId');
    const name = present(p, 'namespaceName');
    const desc = p.get('namespaceDesc') ?? '';
    if (id !== '') {
      if (!ID_RE.test(id)) throw badRequest(`namespaceId [${id}] mismatch the pattern`, 22000);
      if (id.length > LIMITS.namespace) throw badRequest(`too long namespaceId, over ${LIMITS.namespace}`, 22000);
      if (id === DEFAULT_NAMESPACE) throw badRequest(`namespaceId [${id}] is default namespace id and already exist.`, 22002);
      if (ns.exists(id)) throw badRequest(`namespaceId [${id}] already exist.`, 22002);
    }
    checkName(name);
    if (desc.length > LIMITS.namespaceDesc) throw badRequest(`too long namespaceDesc, over ${LIMITS.namespaceDesc}`, 22000);
    if (!(await ns.create(id, name, desc))) throw badRequest(`namespaceId [${id}] already exist.`, 22002);
    return sendResult(reply, true);
  });
  app.put(base, async (req, reply) => {
    const p = paramsOf(req);
    const id = present(p, 'namespaceId');
    const name = present(p, 'namespaceName');
    checkName(name);
    if (id === DEFAULT_NAMESPACE) throw badRequest(`namespaceId [${id}] is the default namespace and cannot be changed`, 22000);
    if (!ns.exists(id)) throw notFound(`namespaceId [ ${id} ] not exist`, 22001);
    if (!(await ns.update(id, name, p.get('namespaceDesc') ?? ''))) throw badRequest(`namespaceName [${name}] contains illegal char`, 22000);
    return sendResult(reply, true);
  });
  // Deleting an absent namespace is a success (the end state holds); `public` cannot be deleted.
  app.delete(base, async (req, reply) => {
    const id = parseParams(z.object({ namespaceId: reqStr('namespaceId') }), paramsOf(req)).namespaceId;
    if (id === DEFAULT_NAMESPACE) throw badRequest(`namespaceId [${id}] is the default namespace and cannot be deleted`, 22000);
    if (ns.exists(id)) await ns.delete(id);
    return sendResult(reply, true);
  });
}

// ------------------------------------------------------------------ loader (§2.4)

/** `loader/current`: this member's SDK connections by id, in Nacos' `Connection` shape. */
function currentConnections(deps: HttpDeps): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of deps.admin?.connections() ?? []) {
    out[c.id] = {
      labels: c.labels,
      appLabels: {},
      traced: false,
      abilityTable: null,
      metaInfo: {
        connectType: 'GRPC',
        clientIp: c.clientIp,
        remoteIp: c.remoteIp,
        remotePort: c.remotePort,
        localPort: deps.ctx.member.port + 1000,
        version: c.clientVersion,
        connectionId: c.id,
        createTime: new Date(c.createdAt).toISOString(),
        appName: c.appName,
        namespaceId: c.namespace,
        labels: c.labels,
        tlsProtected: false,
      },
      connected: true,
    };
  }
  return out;
}

/** Asks this member's newest connections to move until `keep` remain (Nacos `loadCount`). Returns how many were asked. */
function reloadToCount(admin: AdminHooks | undefined, keep: number, redirect: string | undefined): number {
  if (!admin) return 0;
  const conns = [...admin.connections()].sort((a, b) => b.createdAt - a.createdAt);
  let moved = 0;
  for (const c of conns.slice(0, Math.max(0, conns.length - keep))) if (admin.moveConnection(c.id, redirect)) moved++;
  return moved;
}

interface MemberLoad {
  address: string;
  sdkConCount: number | null;
}

function memberLoads(deps: HttpDeps): MemberLoad[] {
  return deps
    .members()
    .filter((m) => m.state === 'UP')
    .map((m) => {
      if (m.address === deps.ctx.member.address) return { address: m.address, sdkConCount: deps.ctx.connectionCount() };
      const n = m.extendInfo['sdkConnections'];
      return { address: m.address, sdkConCount: typeof n === 'number' ? n : null };
    });
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** `loader/cluster`: the SDK connection count of every UP member (from the member reports) and the summary. */
function clusterLoad(deps: HttpDeps): Record<string, unknown> {
  const loads = memberLoads(deps);
  const known = loads.filter((l) => l.sdkConCount !== null).map((l) => l.sdkConCount as number);
  const total = known.reduce((a, b) => a + b, 0);
  const avg = known.length === 0 ? 0 : total / known.length;
  const selfLoad = round2(loadavg()[0] ?? 0);
  return {
    detail: loads.map((l) => {
      const self = l.address === deps.ctx.member.address;
      return {
        address: l.address,
        sdkConCount: l.sdkConCount ?? 0,
        conCount: l.sdkConCount ?? 0,
        load: self ? String(selfLoad) : null,
        cpu: self ? String(round2(selfLoad / Math.max(1, cpus().length))) : null,
      };
    }),
    memberCount: loads.length,
    metricsCount: known.length,
    completed: known.length === loads.length,
    max: known.length === 0 ? 0 : Math.max(...known),
    min: known.length === 0 ? 0 : Math.min(...known),
    avg: Math.floor(avg),
    threshold: String(round2(avg * 1.1)),
    total,
  };
}

/**
 * `smartReloadCluster`: every UP member above the average by more than `loaderFactor` is asked to
 * keep only what the rebalance plan leaves it (cluster/rebalance.ts `planRebalance`, the same rule
 * the automatic rebalance uses), its clients pointed at the least loaded member. False when a
 * member's count is unknown or a peer did not take the request.
 */
async function smartReload(deps: HttpDeps, req: FastifyRequest, factor: number): Promise<boolean> {
  const loads = memberLoads(deps);
  if (loads.length === 0 || loads.some((l) => l.sdkConCount === null)) return false;
  const now = deps.ctx.clock.monotonic();
  let ok = true;
  for (const l of loads) {
    const peers = loads.filter((o) => o !== l).map((o) => ({ address: o.address, connections: o.sdkConCount, up: true, draining: false, reportedAt: now }));
    const self = l.sdkConCount ?? 0;
    const plan = planRebalance(self, peers, now, { margin: factor, maxPerRound: Number.MAX_SAFE_INTEGER, maxReportAgeMs: Number.MAX_SAFE_INTEGER });
    if (plan.move <= 0) continue;
    const keep = self - plan.move;
    if (l.address === deps.ctx.member.address) {
      reloadToCount(deps.admin, keep, plan.targets[0]);
    } else {
      const query: Record<string, string> = { count: String(keep) };
      if (plan.targets[0]) query['redirectAddress'] = plan.targets[0];
      if ((await callPeer(deps, req, l.address, 'POST', `${CORE}/loader/reloadCurrent`, query)) === null) ok = false;
    }
  }
  return ok;
}

function loaderRoutes(app: FastifyInstance, deps: HttpDeps, base: string): void {
  app.get(`${base}/current`, async (_req, reply) => sendResult(reply, currentConnections(deps)));
  app.post(`${base}/reloadCurrent`, async (req, reply) => {
    const f = parseParams(z.object({ count: reqInt('count'), redirectAddress: optStr() }), paramsOf(req));
    reloadToCount(deps.admin, f.count, f.redirectAddress);
    return sendResult(reply, null);
  });
  app.post(`${base}/smartReloadCluster`, async (req, reply) => {
    const f = parseParams(z.object({ loaderFactor: strOr('0.1') }), paramsOf(req));
    const factor = Number(f.loaderFactor);
    if (!Number.isFinite(factor) || factor < 0) throw badRequest(`For input string: "${f.loaderFactor}"`);
    if (!(await smartReload(deps, req, factor))) {
      return reply.code(200).type('application/json;charset=UTF-8').send(JSON.stringify({ code: 30000, message: 'server error', data: 'Smart reload failed, please try again later.' }));
    }
    return sendResult(reply, null);
  });
  app.post(`${base}/reloadClient`, async (req, reply) => {
    const f = parseParams(z.object({ connectionId: reqStr('connectionId'), redirectAddress: optStr() }), paramsOf(req));
    deps.admin?.moveConnection(f.connectionId, f.redirectAddress);
    return sendResult(reply, null);
  });
  app.get(`${base}/cluster`, async (_req, reply) => sendResult(reply, clusterLoad(deps)));
}

/**
 * A required `@RequestParam` of Nacos' 2.x loader controller, which no exception handler covers:
 * Spring's own 400 (absent, or blank and so converted to null for a number) or its type mismatch.
 */
function springParam(p: Params, name: string, type: 'Integer' | 'String'): { value: string } | { error: string } {
  const v = p.raw(name);
  if (v === undefined) return { error: `Required request parameter '${name}' for method parameter type ${type} is not present` };
  if (type === 'String') return { value: v };
  if (v.trim() === '') return { error: `Required request parameter '${name}' for method parameter type ${type} is present but converted to null` };
  if (!/^[+-]?\d{1,10}$/.test(v.trim()) || !Number.isSafeInteger(Number(v.trim())) || Math.abs(Number(v.trim())) > 2147483647) {
    return { error: `Failed to convert value of type 'java.lang.String' to required type 'java.lang.Integer'; For input string: "${v}"` };
  }
  return { value: v.trim() };
}

/**
 * The 2.x loader (`/nacos/v2/core/loader/*`, Nacos' deprecated ServerLoaderController): GET on
 * every path, bodies unwrapped (the maps, `success`, `Ok`/`Fail`), Spring's error JSON for a bad
 * parameter (docs/protocol/nacos3.md §2.4).
 */
function v2LoaderRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const base = '/nacos/v2/core/loader';
  app.get(`${base}/current`, async (_req, reply) => sendJson(reply, currentConnections(deps)));
  app.get(`${base}/reloadCurrent`, async (req, reply) => {
    const p = paramsOf(req);
    const count = springParam(p, 'count', 'Integer');
    if ('error' in count) return sendSpringError(reply, req, deps.ctx, 400, count.error);
    reloadToCount(deps.admin, Number(count.value), p.raw('redirectAddress'));
    return sendText(reply, 'success');
  });
  app.get(`${base}/smartReloadCluster`, async (req, reply) => {
    const raw = paramsOf(req).raw('loaderFactor');
    const factor = raw === undefined || raw.trim() === '' ? 0.1 : Number(raw);
    if (!Number.isFinite(factor) || factor < 0) return sendSpringError(reply, req, deps.ctx, 500, `For input string: "${raw ?? ''}"`);
    return sendText(reply, (await smartReload(deps, req, factor)) ? 'Ok' : 'Fail');
  });
  app.get(`${base}/reloadClient`, async (req, reply) => {
    const p = paramsOf(req);
    const id = springParam(p, 'connectionId', 'String');
    if ('error' in id) return sendSpringError(reply, req, deps.ctx, 400, id.error);
    deps.admin?.moveConnection(id.value, p.raw('redirectAddress'));
    return sendText(reply, 'success');
  });
  app.get(`${base}/cluster`, async (_req, reply) => sendJson(reply, clusterLoad(deps)));
}

// ------------------------------------------------------------------ ops/raft (§2.3)

const RaftSchema = z.object({ groupId: optStr(), command: reqStr('command'), value: optStr() });

/** Commands Nacos' JRaft recognises that change the group's membership: Nomen derives it from the member list. */
const MEMBERSHIP_COMMANDS = new Set(['restRaftCluster', 'removePeer', 'removePeers', 'changePeers', 'resetPeers']);

/**
 * One `ops/raft` command on the persistent store's group (v1 and v3). `transferLeader` is run by
 * the leader; snapshots are taken by the store itself and membership follows the member list, so
 * those commands are refused as unsupported.
 */
export async function raftCommand(deps: HttpDeps, p: Params): Promise<void> {
  const f = parseParams(RaftSchema, p);
  const group = deps.admin?.raftGroup() ?? null;
  if (!group) throw unsupported('this member has no raft group');
  if (f.groupId !== undefined && f.groupId !== group.group) throw badRequest(`not this raft group : ${f.groupId}`);
  if (f.command === 'transferLeader') {
    if (f.value === undefined) throw new MissingParamError('value');
    const target = group.voters.find((v) => v === f.value || raftPeerOf(v) === f.value);
    if (!target) throw badRequest(`peer ${f.value} is not a member of raft group ${group.group}`);
    if (!group.isLeader) throw new NacosError(500, `this member is not the raft leader of ${group.group}; leader: ${group.leader === '' ? 'none' : group.leader}`, 30000);
    if (!(await deps.admin!.transferLeader(target))) throw new NacosError(500, `leadership transfer to ${target} was refused`, 30000);
    return;
  }
  if (f.command === 'doSnapshot') throw unsupported('doSnapshot: the raft store takes snapshots itself (nomen.raft.snapshot.entries)');
  if (MEMBERSHIP_COMMANDS.has(f.command)) throw unsupported(`${f.command}: the raft group follows the cluster member list`);
  throw badRequest(`Not support command : ${f.command}`);
}

// ------------------------------------------------------------------ routes

const LookupSchema = z.object({ type: optStr() });
const LogSchema = z.object({ logName: reqStr('logName'), logLevel: reqStr('logLevel') });

/**
 * A lookup switch (v1, v2, v3): Nacos' checks of `type`; switching to a type other than the one
 * in use is refused (docs/compatibility.md D2), switching to it is a success.
 */
function switchLookup(deps: HttpDeps, type: string | undefined): void {
  if (type === undefined) throw new NacosError(400, "required parameter 'type' is missing", 10000);
  if (type !== 'file' && type !== 'address-server') throw badRequest(`The addressing mode exists : ${type}, just support : [[file, address-server]]`);
  const current = deps.admin?.lookupType ?? 'standalone';
  const same = current === type || (type === 'file' && current === 'static');
  if (!same) throw unsupported(`switching the member lookup at runtime is not supported (current: ${current}); set nacos.core.member.lookup.type and restart`);
}

export function v3AdminCoreRoutes(app: FastifyInstance, deps: HttpDeps): void {
  namespaceRoutes(app, deps, `${CORE}/namespace`, false);
  namespaceRoutes(app, deps, '/nacos/v2/console/namespace', true);
  app.get(`${CORE}/namespace/check`, async (req, reply) => {
    const id = parseParams(z.object({ namespaceId: reqStr('namespaceId') }), paramsOf(req)).namespaceId;
    return sendResult(reply, deps.namespaces.exists(id) ? 1 : 0);
  });

  loaderRoutes(app, deps, `${CORE}/loader`);
  v2LoaderRoutes(app, deps);

  // The lookup switch: v3 and v2 (Result), v1 `POST switch/lookup` (RestResult; a refusal is
  // HTTP 200 with code 500 and the reason as message, as Nacos' NacosClusterController answers).
  for (const path of [`${CORE}/cluster/lookup`, '/nacos/v2/core/cluster/lookup']) {
    app.put(path, async (req, reply) => {
      switchLookup(deps, parseParams(LookupSchema, paramsOf(req)).type);
      return sendResult(reply, true);
    });
  }
  app.post('/nacos/v1/core/cluster/switch/lookup', async (req, reply) => {
    const { type } = parseParams(LookupSchema, paramsOf(req));
    if (type === undefined) throw new MissingParamError('type');
    try {
      switchLookup(deps, type);
    } catch (e) {
      if (!(e instanceof NacosError)) throw e;
      return sendJson(reply, { code: 500, message: e.message, data: null });
    }
    return sendRestResult(reply, null);
  });

  // Id generators: v3 and v2 `ops/ids` list them, v1 `ops/idInfo` maps them by resource; Nomen has none (D4).
  app.get(`${CORE}/ops/ids`, async (_req, reply) => sendResult(reply, []));
  app.get('/nacos/v2/core/ops/ids', async (_req, reply) => sendRestResult(reply, []));
  app.get('/nacos/v1/core/ops/idInfo', async (_req, reply) => sendRestResult(reply, {}));
  // v1 log level: form parameters, answered with the text `200` (Nacos CoreOpsController).
  app.put('/nacos/v1/core/ops/log', async (req, reply) => {
    setLogLevel(deps.ctx, parseParams(LogSchema, paramsOf(req)).logLevel);
    return sendText(reply, '200');
  });

  // JSON bodies: only inside this context (the rest of the app ignores them, docs/protocol/http.md §0.2).
  app.register(async (child) => {
    child.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => jsonBodyParser(req, body as Buffer, done));
    child.put(`${CORE}/cluster/node/list`, async (req) => {
      const items = req.body instanceof JsonArrayBody ? req.body.items : [];
      if (items.length === 0) throw new NacosError(400, "required parameter 'nodes' is missing", 10000);
      throw unsupported('member states come from the members\' own reports; PUT cluster/node/list is not supported');
    });
    child.post(`${CORE}/ops/raft`, async (req, reply) => {
      await raftCommand(deps, paramsOf(req));
      return sendResult(reply, null);
    });
    // The 2.x paths (JSON body there too), answered in the legacy RestResult family.
    for (const path of ['/nacos/v1/core/ops/raft', '/nacos/v2/core/ops/raft']) {
      child.post(path, async (req, reply) => {
        await raftCommand(deps, paramsOf(req));
        return sendRestResult(reply, null);
      });
    }
    child.put(`${CORE}/ops/log`, async (req, reply) => {
      setLogLevel(deps.ctx, parseParams(LogSchema, paramsOf(req)).logLevel);
      return sendResult(reply, null);
    });
    child.put('/nacos/v2/core/ops/log', async (req, reply) => {
      setLogLevel(deps.ctx, parseParams(LogSchema, paramsOf(req)).logLevel);
      return sendRestResult(reply, null);
    });
  });
}
