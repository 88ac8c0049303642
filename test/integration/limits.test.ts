/**
 * Caps over a real process (docs/security.md §8): small `nomen.naming.limit.*` values, a raw gRPC
 * client that floods registrations and subscriptions past them gets typed failures with errorCode
 * 429, HTTP gets 429, nothing beyond the caps is kept, and the server keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawGrpcClient, type RawMessage } from './helpers/raw-grpc.js';
import { jsonOf, TestServer, type HttpServiceInfo } from './helpers/server.js';

describe('caps on services, instances and subscriptions', { timeout: 60_000 }, () => {
  let server: TestServer;
  const clients: RawGrpcClient[] = [];

  async function connected(): Promise<RawGrpcClient> {
    const c = new RawGrpcClient(server.grpcPort);
    clients.push(c);
    // Registration happens when the setup message arrives: wait until it answers HealthCheck.
    await c.setupAndWait();
    return c;
  }

  const register = (c: RawGrpcClient, svc: string, ip: string): Promise<RawMessage> =>
    c.request('InstanceRequest', { headers: {}, namespace: 'public', serviceName: svc, groupName: 'DEFAULT_GROUP', type: 'registerInstance', instance: { ip, port: 8080 } });

  before(async () => {
    server = await TestServer.start({
      name: 'limits',
      properties: {
        'nomen.naming.limit.services-per-client': 3,
        'nomen.naming.limit.services': 5,
        'nomen.naming.limit.subscriptions-per-client': 2,
      },
    });
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.dispose();
  });

  it('gRPC: a register flood from one connection stops at its cap with typed 429 failures; the server keeps serving', async () => {
    const c = await connected();
    for (const s of ['it-l-1', 'it-l-2', 'it-l-3']) {
      const r = await register(c, s, '127.0.0.61');
      assert.equal(r.body.resultCode, 200, JSON.stringify(r));
    }
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => register(c, `it-flood-${i}`, '127.0.0.61')));
    for (const r of replies) {
      assert.equal(r.type, 'InstanceResponse', JSON.stringify(r));
      assert.deepEqual([r.body.resultCode, r.body.errorCode, r.body.success], [500, 429, false]);
    }
    assert.equal(replies[0]!.body.message, 'Exceeded the maximum number of services one client may register: 3 (nomen.naming.limit.services-per-client)');

    const metrics = jsonOf<{ serviceCount: number; instanceCount: number }>(await server.get('/nacos/v1/ns/operator/metrics', { onlyStatus: false }));
    assert.deepEqual([metrics.serviceCount, metrics.instanceCount], [3, 3]);
    assert.equal((await server.get('/nacos/v1/console/health/readiness')).status, 200);

    // Another client still registers, up to the total; then the total answers (gRPC and HTTP).
    const d = await connected();
    assert.equal((await register(d, 'it-l-4', '127.0.0.62')).body.resultCode, 200);
    assert.equal((await register(d, 'it-l-5', '127.0.0.62')).body.resultCode, 200);
    const total = await register(d, 'it-l-6', '127.0.0.62');
    assert.deepEqual([total.body.errorCode, total.body.message], [429, 'Exceeded the maximum number of services: 5 (nomen.naming.limit.services)']);
    const http = await server.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'it-l-7', ip: '127.0.0.63', port: 80 } });
    assert.deepEqual([http.status, http.text], [429, 'Exceeded the maximum number of services: 5 (nomen.naming.limit.services)']);
    const v2 = await server.request('POST', '/nacos/v2/ns/instance', { query: { serviceName: 'it-l-7', ip: '127.0.0.63', port: 80 } });
    assert.equal(v2.status, 429);
    assert.deepEqual(JSON.parse(v2.text), { code: 5031, message: 'cluster capacity reach quota', data: 'Exceeded the maximum number of services: 5 (nomen.naming.limit.services)' });

    // Existing services keep working: a register into one of them and a list.
    const ok = await server.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: 'it-l-1', ip: '127.0.0.63', port: 80 } });
    assert.equal(ok.text, 'ok');
    const list = jsonOf<HttpServiceInfo>(await server.get('/nacos/v1/ns/instance/list', { serviceName: 'DEFAULT_GROUP@@it-l-1' }));
    assert.equal(list.hosts.length, 2);
  });

  it('gRPC: a subscribe flood stops at the per-connection cap; existing subscriptions refresh', async () => {
    const c = await connected();
    const sub = (svc: string) => c.request('SubscribeServiceRequest', { headers: {}, namespace: 'public', serviceName: svc, groupName: 'DEFAULT_GROUP', subscribe: true, clusters: '' });
    assert.equal((await sub('it-s-1')).body.resultCode, 200);
    assert.equal((await sub('it-s-2')).body.resultCode, 200);
    const flood = await Promise.all(Array.from({ length: 100 }, (_, i) => sub(`it-s-flood-${i}`)));
    for (const r of flood) {
      assert.equal(r.type, 'SubscribeServiceResponse', JSON.stringify(r));
      assert.deepEqual([r.body.resultCode, r.body.errorCode], [500, 429]);
    }
    assert.equal((await sub('it-s-1')).body.resultCode, 200, 'a refresh is not a new subscription');
    assert.equal((await server.get('/nacos/v1/console/health/readiness')).status, 200);
  });
});
