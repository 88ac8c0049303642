/**
 * `GET /nacos/v3/admin/cs/metrics/ip` and `/metrics/cluster` (docs/config-center.md "Client config
 * metrics"): the ClientConfigMetricRequest each connection of the IP gets, the merged metrics, a
 * client that does not answer or answers an error listed under `nomen.unanswered` without failing
 * the call, parameter checks, and the admin-only rule with auth on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AdminHooks, SdkConnectionView } from '../../src/transport/http/admin-hooks.js';
import { createHttpContext, json } from './helpers/http-context.js';

const conn = (id: string, clientIp: string): SdkConnectionView => ({ id, clientIp, remoteIp: clientIp, remotePort: 50000, clientVersion: 'Nacos-Java-Client:v2.4.0', appName: '-', namespace: null, labels: {}, createdAt: 0 });

function hooks(answers: Record<string, (body: object) => Promise<Record<string, unknown>>>, asked: { id: string; type: string; body: object; timeoutMs: number }[]): AdminHooks {
  return {
    raftGroup: () => null,
    transferLeader: () => Promise.resolve(false),
    connections: () => [conn('c1', '127.0.0.5'), conn('c2', '127.0.0.5'), conn('c3', '127.0.0.6'), conn('c4', '127.0.0.5')],
    moveConnection: () => false,
    askConnection: (id, type, body, timeoutMs) => {
      asked.push({ id, type, body, timeoutMs });
      return answers[id]!(body);
    },
    lookupType: 'standalone',
  };
}

describe('client config metrics (v3 admin)', () => {
  const answers = {
    c1: () => Promise.resolve({ resultCode: 200, metrics: { 'app.yaml+DEFAULT_GROUP+public': { content: 'a' } } }),
    c2: () => Promise.reject(new Error('no ack for request 3 on c2 within 1000 ms')),
    c3: () => Promise.resolve({ metrics: { other: 1 } }),
    c4: () => Promise.resolve({ resultCode: 200, metrics: { 'snapshot': 'x' } }),
  };

  for (const path of ['/nacos/v3/admin/cs/metrics/ip', '/nacos/v3/admin/cs/metrics/cluster']) {
    it(`${path}: asks every connection of the IP (1 s each), merges the metrics, lists the silent ones`, async () => {
      const asked: { id: string; type: string; body: object; timeoutMs: number }[] = [];
      const { app } = createHttpContext({ admin: hooks(answers, asked) });
      const r = await app.inject({ method: 'GET', url: `${path}?ip=127.0.0.5&dataId=app.yaml&groupName=DEFAULT_GROUP` });
      assert.equal(r.statusCode, 200, r.body);
      const body = json<{ code: number; data: Record<string, unknown> }>(r);
      assert.equal(body.code, 0);
      assert.deepEqual(body.data, {
        'app.yaml+DEFAULT_GROUP+public': { content: 'a' },
        snapshot: 'x',
        'nomen.unanswered': [{ connectionId: 'c2', reason: 'no ack for request 3 on c2 within 1000 ms' }],
      });
      assert.deepEqual(asked.map((a) => a.id).sort(), ['c1', 'c2', 'c4']);
      assert.ok(asked.every((a) => a.type === 'ClientConfigMetricRequest' && a.timeoutMs === 1000));
      assert.deepEqual(asked[0]!.body, { module: 'config', metricsKeys: [{ type: 'cacheData', key: 'app.yaml+DEFAULT_GROUP+public' }, { type: 'snapshotData', key: 'app.yaml+DEFAULT_GROUP+public' }] });
    });
  }

  it('an IP with no connection answers an empty map; bad parameters are 400 and ask nobody', async () => {
    const asked: { id: string; type: string; body: object; timeoutMs: number }[] = [];
    const { app } = createHttpContext({ admin: hooks(answers, asked) });
    const empty = await app.inject({ method: 'GET', url: '/nacos/v3/admin/cs/metrics/ip?ip=127.0.0.9&dataId=a&groupName=G' });
    assert.deepEqual(json<{ data: unknown }>(empty).data, {});
    const noIp = await app.inject({ method: 'GET', url: '/nacos/v3/admin/cs/metrics/ip?dataId=a&groupName=G' });
    assert.equal(noIp.statusCode, 400);
    assert.match(noIp.body, /Required request parameter 'ip' for method parameter type String is not present/);
    const badGroup = await app.inject({ method: 'GET', url: '/nacos/v3/admin/cs/metrics/ip?ip=127.0.0.5&dataId=a' });
    assert.equal(badGroup.statusCode, 400);
    const badNs = await app.inject({ method: 'GET', url: '/nacos/v3/admin/cs/metrics/ip?ip=127.0.0.5&dataId=a&groupName=G&namespaceId=a%20b' });
    assert.equal(badNs.statusCode, 400);
    assert.equal(asked.length, 0);
  });

  it('with auth on, only an admin may ask', async () => {
    const properties = { 'nacos.core.auth.enabled': 'true', 'nacos.core.auth.plugin.nacos.token.secret.key': Buffer.alloc(32, 7).toString('base64') };
    const { app } = createHttpContext({ auth: true, properties, admin: hooks(answers, []) });
    const r = await app.inject({ method: 'GET', url: '/nacos/v3/admin/cs/metrics/ip?ip=127.0.0.5&dataId=a&groupName=G' });
    assert.equal(r.statusCode, 403, r.body);
  });
});
