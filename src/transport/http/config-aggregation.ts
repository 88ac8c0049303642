/**
 * Config listener and client metric queries for the whole cluster (docs/config-center.md "Who
 * listens", "Client config metrics"). Long polls and gRPC listeners are held by the member the
 * client is connected to, so a query asks every other UP member for its own answer over the
 * member-to-member HTTP channel the subscriber aggregation uses (`askUpPeers`, the caller's
 * credentials passed on), with `aggregation=false` so the peer does not ask again, and merges. A
 * member that fails or does not answer in time is left out (Nacos logs and skips it too).
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { HttpDeps } from './kit.js';
import type { Params } from './params.js';
import { askUpPeers, callPeer, type PeerAnswer } from './peer-http.js';

/** The key of a metrics answer listing the members that gave no answer in time. */
export const UNANSWERED_MEMBERS_KEY = 'nomen.unansweredMembers';
/** The key of a metrics answer listing the connections that gave no metrics (src/transport/http/routes/config-metrics.ts). */
export const UNANSWERED_KEY = 'nomen.unanswered';

/**
 * Listener maps (client IP → md5, or groupKey → md5) of this member and its peers, in that order;
 * a key present in several keeps the first value (deterministic; Nacos' `putAll` keeps the last).
 * A peer that gave no answer (null) is skipped.
 */
export function mergeListenerStatus(local: Readonly<Record<string, string>>, remote: readonly (Readonly<Record<string, string>> | null)[]): Record<string, string> {
  const out: Record<string, string> = { ...local };
  for (const r of remote) {
    if (!r) continue;
    for (const [k, v] of Object.entries(r)) if (!Object.hasOwn(out, k)) out[k] = v;
  }
  return out;
}

const Unanswered = z.array(z.object({ connectionId: z.string(), reason: z.string() }).passthrough());

/**
 * This member's client metrics merged with every peer's (`/metrics/ip` answers): metric keys keep
 * the first value, the `nomen.unanswered` connection lists are concatenated, and the members that
 * gave no answer are listed under `nomen.unansweredMembers` (absent when every member answered).
 */
export function mergeClientMetrics(local: Readonly<Record<string, unknown>>, remote: readonly PeerAnswer<Record<string, unknown>>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const unanswered: z.infer<typeof Unanswered> = [];
  const silent: string[] = [];
  const add = (m: Readonly<Record<string, unknown>>): void => {
    for (const [k, v] of Object.entries(m)) {
      if (k === UNANSWERED_KEY) {
        const list = Unanswered.safeParse(v);
        if (list.success) unanswered.push(...list.data);
      } else if (k !== UNANSWERED_MEMBERS_KEY && !Object.hasOwn(out, k)) {
        out[k] = v;
      }
    }
  };
  add(local);
  for (const r of remote) {
    if (r.answer) add(r.answer);
    else silent.push(r.peer);
  }
  if (unanswered.length > 0) out[UNANSWERED_KEY] = unanswered.sort((a, b) => a.connectionId.localeCompare(b.connectionId));
  if (silent.length > 0) out[UNANSWERED_MEMBERS_KEY] = silent.sort();
  return out;
}

/** The named request parameters that are present, plus `aggregation=false` (a peer answers for itself). */
export function peerQuery(p: Params, names: readonly string[]): Record<string, string> {
  const q: Record<string, string> = {};
  for (const n of names) {
    const v = p.get(n);
    if (v !== undefined) q[n] = v;
  }
  q['aggregation'] = 'false';
  return q;
}

/** Every other UP member's answer to `GET path?query`, read with `schema` and `pick` (null when it failed). */
export function askPeers<S extends z.ZodType, T>(
  deps: HttpDeps,
  req: FastifyRequest,
  path: string,
  query: Record<string, string>,
  schema: S,
  pick: (answer: z.output<S>) => T,
  timeoutMs?: number,
): Promise<PeerAnswer<T>[]> {
  return askUpPeers(deps, async (peer) => {
    const r = schema.safeParse(await callPeer(deps, req, peer, 'GET', path, query, timeoutMs));
    return r.success ? pick(r.data) : null;
  });
}

const StatusMap = z.record(z.string(), z.string());
/** v1 answer shape (`GroupkeyListenserStatus`, misspelt as Nacos spells it). */
export const V1ListenerAnswer = z.object({ lisentersGroupkeyStatus: StatusMap.nullish() });
/** v3 answer shape (`Result<ConfigListenerInfo>`). */
export const V3ListenerAnswer = z.object({ data: z.object({ listenersStatus: StatusMap.nullish() }) });
/** `Result<Map<String, Object>>` of `/metrics/ip`. */
export const MetricsAnswer = z.object({ data: z.record(z.string(), z.unknown()) });
