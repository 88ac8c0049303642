/**
 * `GET /nacos/v3/admin/cs/metrics/ip` against the real server (docs/config-center.md "Client config
 * metrics"): a ClientConfigMetricRequest reaches the SDK connections of the IP; a Java-style client
 * answers it, the real Rust SDK (no handler) stays silent and is listed under `nomen.unanswered`
 * after the 1 s bound, without failing the call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RawGrpcClient } from './helpers/raw-grpc.js';
import { RustClient } from './helpers/rust-client.js';
import { TestServer } from './helpers/server.js';

describe('client config metrics (ClientConfigMetricRequest)', { timeout: 120_000 }, () => {
  let server: TestServer;
  let java: RawGrpcClient;
  let rust: RustClient | undefined;

  before(async () => {
    server = await TestServer.start({ name: 'config-metrics' });
    java = new RawGrpcClient(server.grpcPort);
    await java.setupAndWait(10_000, () => java.setupJava({ ClientConfigMetricRequest: 'ClientConfigMetricResponse' }));
  });

  after(async () => {
    java?.close();
    await rust?.kill();
    await server?.dispose();
  });

  it('asks every connection of the IP; the silent Rust SDK is reported, the call answers within the bound', async () => {
    rust = await RustClient.start(server.port, { label: 'metrics-rust', kind: 'config', connectAttempts: 5 });
    const current = JSON.parse((await server.get('/nacos/v3/admin/core/loader/current')).text) as { data: Record<string, { metaInfo: { clientIp: string; version: string; connectionId: string } }> };
    const conns = Object.values(current.data).map((c) => c.metaInfo);
    const rustConn = conns.find((c) => /rust/i.test(c.version));
    const javaConn = conns.find((c) => c.version.startsWith('Nacos-Java-Client'));
    assert.ok(rustConn && javaConn, JSON.stringify(conns));

    const ask = async (ip: string) => {
      const t0 = Date.now();
      const r = await server.get('/nacos/v3/admin/cs/metrics/ip', { ip, dataId: 'app.yaml', groupName: 'DEFAULT_GROUP' });
      return { ms: Date.now() - t0, status: r.status, body: JSON.parse(r.text) as { code: number; data: Record<string, unknown> } };
    };
    const fromRust = await ask(rustConn.clientIp);
    assert.equal(fromRust.status, 200);
    assert.equal(fromRust.body.code, 0);
    const unanswered = fromRust.body.data['nomen.unanswered'] as { connectionId: string; reason: string }[];
    assert.deepEqual(unanswered.map((u) => u.connectionId), [rustConn.connectionId]);
    assert.match(unanswered[0]!.reason, /no ack/);
    assert.ok(fromRust.ms < 3000, `answered after ${fromRust.ms} ms`);

    const fromJava = await ask(javaConn.clientIp);
    assert.equal(fromJava.status, 200);
    const silent = (fromJava.body.data['nomen.unanswered'] as { connectionId: string }[] | undefined) ?? [];
    assert.ok(!silent.some((u) => u.connectionId === javaConn.connectionId), JSON.stringify(fromJava.body));
    assert.ok(java.streamMessages.some((m) => m.type === 'ClientConfigMetricRequest'), 'the Java-style client got the request');
  });
});
