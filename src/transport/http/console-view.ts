/**
 * The console's live cluster view (beyond Nacos): for every member, what that member reports about
 * itself — Distro responsibility, replicas, per-peer verify and sync failures, and Raft role / term /
 * commit index — gathered by the member serving the console, so the browser makes one call.
 *
 * Sources per member (each optional; absent → `null`, shown as "—"):
 * - `GET /nacos/v1/ns/operator/distro/state` (cluster mode): Distro stats, and a `raft` object if the
 *   member puts one there;
 * - `GET /nacos/v1/ns/operator/metrics?onlyStatus=false`: service, instance, client, subscriber counts;
 * - `GET /nacos/v1/ns/operator/raft/state`: `{role|state, term, commitIndex|commit, leader}`, bare or
 *   wrapped in a v2 Result (`{code:0,data:…}`).
 * Peer answers are validated (zod) before use: a malformed answer counts as "no data", never as a crash.
 */
import { z } from 'zod';
import type { ClusterOverview, CountsView, DistroView, MemberLive, RaftView } from './console-types.js';
import type { Member } from './members.js';

export type { ClusterOverview, CountsView, DistroView, MemberLive, PeerView, RaftView } from './console-types.js';

export const DISTRO_STATE_PATH = '/nacos/v1/ns/operator/distro/state';
export const RAFT_STATE_PATH = '/nacos/v1/ns/operator/raft/state';
export const METRICS_PATH = '/nacos/v1/ns/operator/metrics?onlyStatus=false';

/** One HTTP GET to a member: status and parsed JSON body (`undefined` when not JSON). */
export interface FetchAnswer {
  status: number;
  body: unknown;
}

/** GET `path` on the member at `address` (`ip:port`); rejects on network failure or timeout. */
export type MemberFetch = (address: string, path: string) => Promise<FetchAnswer>;

const num = () => z.number().finite();

const PeerSchema = z.looseObject({
  state: z.string().optional(),
  pending: num().optional(),
  lastVerifyAt: num().nullable().optional(),
  lastVerifyOk: z.boolean().nullable().optional(),
});

const DistroStateSchema = z.looseObject({
  loaded: z.boolean().optional(),
  raft: z.unknown().optional(),
  distro: z.looseObject({
    loaded: z.boolean().optional(),
    responsible: num(),
    replicas: num(),
    tombstones: num().optional(),
    counters: z.looseObject({ syncMessagesFailed: num().optional(), verifyMessagesFailed: num().optional() }).optional(),
    peers: z.record(z.string(), PeerSchema).optional(),
  }),
});

/** Raft fields are read one by one: a field of an unexpected type is dropped, not the whole answer. */
const lenient = <T extends z.ZodType>(t: T) => t.optional().catch(undefined);
const RaftSchema = z.looseObject({
  role: lenient(z.string()),
  state: lenient(z.string()),
  term: lenient(num()),
  currentTerm: lenient(num()),
  commitIndex: lenient(num()),
  commit: lenient(num()),
  leader: lenient(z.union([z.string(), num()])),
  leaderId: lenient(z.union([z.string(), num()])),
});

const MetricsSchema = z.looseObject({ serviceCount: num(), instanceCount: num(), clientCount: num(), subscribeCount: num() });

const ResultSchema = z.looseObject({ code: z.literal(0), data: z.unknown() });

export function parseDistro(body: unknown): { distro: DistroView; raft: RaftView | null } | null {
  const r = DistroStateSchema.safeParse(body);
  if (!r.success) return null;
  const d = r.data.distro;
  const peers = Object.entries(d.peers ?? {})
    .map(([address, p]) => ({
      address,
      state: p.state ?? null,
      pending: p.pending ?? null,
      lastVerifyAt: p.lastVerifyAt ?? null,
      lastVerifyOk: p.lastVerifyOk ?? null,
    }))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return {
    distro: {
      loaded: d.loaded ?? r.data.loaded ?? true,
      responsible: d.responsible,
      replicas: d.replicas,
      tombstones: d.tombstones ?? null,
      syncFailures: d.counters?.syncMessagesFailed ?? 0,
      verifyFailures: d.counters?.verifyMessagesFailed ?? 0,
      peers,
    },
    raft: r.data.raft === undefined ? null : parseRaft(r.data.raft),
  };
}

export function parseRaft(body: unknown): RaftView | null {
  const wrapped = ResultSchema.safeParse(body);
  const r = RaftSchema.safeParse(wrapped.success ? wrapped.data.data : body);
  if (!r.success) return null;
  const v = r.data;
  const view: RaftView = {
    role: v.role ?? v.state ?? null,
    term: v.term ?? v.currentTerm ?? null,
    commitIndex: v.commitIndex ?? v.commit ?? null,
    // Nomen's Raft reports no leader as '' (NONE).
    leader: v.leader !== undefined && v.leader !== '' ? String(v.leader) : v.leaderId !== undefined && v.leaderId !== '' ? String(v.leaderId) : null,
  };
  return view.role === null && view.term === null && view.commitIndex === null ? null : view;
}

export function parseCounts(body: unknown): CountsView | null {
  const r = MetricsSchema.safeParse(body);
  return r.success ? { services: r.data.serviceCount, instances: r.data.instanceCount, clients: r.data.clientCount, subscribers: r.data.subscribeCount } : null;
}

function versionOf(m: Member): string | null {
  const v = m.extendInfo['version'];
  return typeof v === 'string' && v !== '' ? v : null;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
    return typeof code === 'string' ? code : e.message;
  }
  return String(e);
}

async function memberLive(m: Member, self: string, fetch: MemberFetch): Promise<MemberLive> {
  const [distro, raft, metrics] = await Promise.allSettled([
    fetch(m.address, DISTRO_STATE_PATH),
    fetch(m.address, RAFT_STATE_PATH),
    fetch(m.address, METRICS_PATH),
  ]);
  const out: MemberLive = {
    address: m.address,
    state: m.state,
    version: versionOf(m),
    self: m.address === self,
    reachable: distro.status === 'fulfilled' || raft.status === 'fulfilled' || metrics.status === 'fulfilled',
    error: null,
    counts: metrics.status === 'fulfilled' && metrics.value.status === 200 ? parseCounts(metrics.value.body) : null,
    distro: null,
    raft: null,
  };
  if (distro.status === 'fulfilled' && distro.value.status === 200) {
    const d = parseDistro(distro.value.body);
    if (d) {
      out.distro = d.distro;
      out.raft = d.raft;
    }
  }
  if (out.raft === null && raft.status === 'fulfilled' && raft.value.status === 200) out.raft = parseRaft(raft.value.body);
  if (!out.reachable && distro.status === 'rejected') out.error = describe(distro.reason);
  return out;
}

/** Asks every member (in parallel) and shapes the answers; never rejects. */
export async function clusterOverview(opts: {
  self: string;
  standalone: boolean;
  now: number;
  members: readonly Member[];
  fetch: MemberFetch;
}): Promise<ClusterOverview> {
  const members = [...opts.members].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return {
    self: opts.self,
    mode: opts.standalone ? 'standalone' : 'cluster',
    at: opts.now,
    members: await Promise.all(members.map((m) => memberLive(m, opts.self, opts.fetch))),
  };
}
