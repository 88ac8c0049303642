/**
 * Liveness and readiness probes (docs/protocol/http.md §3.6). Interface contract:
 * `GET /nacos/v1/console/health/liveness` → 200 `OK`; `.../readiness` → 200 `OK` when
 * `ctx.readiness.ready`, else 500 with the reason as text.
 */
import type { FastifyInstance } from 'fastify';
import { JSON_TYPE } from '../errors.js';
import { sendRawJson, sendResult, sendText, type HttpDeps } from '../kit.js';

export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { readiness } = deps.ctx;

  // 2.x console style: plain text.
  app.get('/nacos/v1/console/health/liveness', async (_req, reply) => sendText(reply, 'OK'));
  app.get('/nacos/v1/console/health/readiness', async (_req, reply) =>
    readiness.ready ? sendText(reply, 'OK') : sendText(reply, readiness.reason, 500),
  );

  // 2.x console v2: Result; not ready → HTTP 500 with code 30000.
  // 3.x console likewise (docs/protocol/nacos3.md "Console API").
  for (const base of ['/nacos/v2/console/health', '/nacos/v3/console/health']) {
    app.get(`${base}/liveness`, async (_req, reply) => sendResult(reply, 'ok'));
    app.get(`${base}/readiness`, async (_req, reply) =>
      readiness.ready
        ? sendResult(reply, 'ok')
        : reply.code(500).type(JSON_TYPE).send(JSON.stringify({ code: 30000, message: readiness.reason, data: null })),
    );
  }

  // 3.x server probes: Result; a failed readiness is still HTTP 200 with code 30000 (docs/protocol/http.md §8.10).
  app.get('/nacos/v3/admin/core/state/liveness', async (_req, reply) => sendResult(reply, 'ok'));
  app.get('/nacos/v3/admin/core/state/readiness', async (_req, reply) =>
    readiness.ready ? sendResult(reply, 'ok') : sendRawJson(reply, JSON.stringify({ code: 30000, message: readiness.reason, data: null })),
  );
}
