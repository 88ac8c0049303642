/**
 * `GET /nacos/v3/admin/cs/metrics/ip` and `/metrics/cluster` (docs/config-center.md "Client
 * config metrics"): ask every SDK connection of this member whose client IP is `ip` for its cached
 * config metrics with a `ClientConfigMetricRequest` (server → client), at most
 * `METRIC_TIMEOUT_MS` each, and answer the merged `metrics` maps in a Result. A client that does
 * not answer (the Rust SDK has no handler) or answers an error is listed under
 * `nomen.unanswered` instead of failing the call (decision; Nacos answers 500). `/cluster` adds
 * every other UP member's `/ip` answer (src/transport/http/config-aggregation.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { groupKey, normalizeTenant } from '../../../config-center/config-keys.js';
import { checkKey, checkTenant } from '../../../config-center/validation.js';
import { askPeers, MetricsAnswer, mergeClientMetrics, peerQuery, UNANSWERED_KEY } from '../config-aggregation.js';
import { MissingParamError } from '../errors.js';
import { paramsOf, sendResult, type HttpDeps } from '../kit.js';
import type { Params } from '../params.js';

/** Nacos waits 1 s for each client. */
export const METRIC_TIMEOUT_MS = 1000;
/** Nacos waits 3 s for the members' `/ip` answers. */
const CLUSTER_TIMEOUT_MS = 3000;
const BY_IP = '/nacos/v3/admin/cs/metrics/ip';

const MetricResponse = z.object({ metrics: z.record(z.string(), z.unknown()).nullish() }).passthrough();

async function clientMetrics(deps: HttpDeps, p: Params): Promise<Record<string, unknown>> {
  const ip = p.get('ip');
  if (ip === undefined) throw new MissingParamError('ip', 'String', true); // @RequestParam("ip"): Spring's wording
  const dataId = p.get('dataId');
  const group = p.get('groupName');
  const namespaceId = p.get('namespaceId');
  checkTenant(namespaceId, 'namespaceId');
  // Nacos checks dataId and group although it declares them optional.
  checkKey(dataId, group);
  const key = groupKey(dataId!, group!, normalizeTenant(namespaceId));
  const admin = deps.admin;
  const conns = (admin?.connections() ?? []).filter((c) => c.clientIp === ip);
  const body = { module: 'config', metricsKeys: [{ type: 'cacheData', key }, { type: 'snapshotData', key }] };
  const metrics: Record<string, unknown> = {};
  const unanswered: { connectionId: string; reason: string }[] = [];
  await Promise.all(
    conns.map(async (c) => {
      try {
        if (!admin?.askConnection) throw new Error('not supported');
        const r = MetricResponse.safeParse(await admin.askConnection(c.id, 'ClientConfigMetricRequest', body, METRIC_TIMEOUT_MS));
        if (!r.success) throw new Error('malformed ClientConfigMetricResponse');
        Object.assign(metrics, r.data.metrics ?? {});
      } catch (e) {
        unanswered.push({ connectionId: c.id, reason: e instanceof Error ? e.message : String(e) });
      }
    }),
  );
  if (unanswered.length > 0) metrics[UNANSWERED_KEY] = unanswered.sort((a, b) => a.connectionId.localeCompare(b.connectionId));
  return metrics;
}

export function configMetricsRoutes(app: FastifyInstance, deps: HttpDeps): void {
  app.get(BY_IP, async (req, reply) => sendResult(reply, await clientMetrics(deps, paramsOf(req))));
  // This member's clients and every other UP member's (their `/ip` answers, as Nacos merges them).
  app.get('/nacos/v3/admin/cs/metrics/cluster', async (req, reply) => {
    const p = paramsOf(req);
    const local = await clientMetrics(deps, p);
    const peers = await askPeers(deps, req, BY_IP, peerQuery(p, ['ip', 'dataId', 'groupName', 'namespaceId']), MetricsAnswer, (a) => a.data, CLUSTER_TIMEOUT_MS);
    return sendResult(reply, mergeClientMetrics(local, peers));
  });
}
