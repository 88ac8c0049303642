/**
 * Durability: persistent instances and service metadata acknowledged over HTTP survive a crash
 * (SIGKILL right after the 200) and a restart on the same data directory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addrs, jsonOf, TestServer, type HttpServiceInfo } from './helpers/server.js';

interface ServiceDetail {
  name: string;
  groupName: string;
  protectThreshold: number;
  metadata: Record<string, string>;
}

interface ListWithProtection extends HttpServiceInfo {
  reachProtectionThreshold: boolean;
}

describe('persistence across kill -9 and restart', { timeout: 90_000 }, () => {
  let server: TestServer;

  before(async () => {
    server = await TestServer.start({ name: 'persistence' });
  });

  after(async () => {
    await server?.dispose();
  });

  async function register(q: Record<string, string | number | boolean>): Promise<void> {
    const r = await server.request('POST', '/nacos/v1/ns/instance', { query: { ephemeral: false, ...q } });
    assert.equal(r.status, 200, `register ${JSON.stringify(q)}: ${r.text}`);
    assert.equal(r.text, 'ok');
  }

  it('persistent instances and a service metadata update survive SIGKILL + restart', async () => {
    const svcA = 'it-persist-a';
    await register({ serviceName: svcA, ip: '127.0.0.41', port: 7001, weight: 3, metadata: JSON.stringify({ role: 'primary' }) });
    await register({ serviceName: svcA, ip: '127.0.0.42', port: 7002, healthy: false, clusterName: 'C1' });
    // Registered then deregistered: must stay gone after the restart.
    await register({ serviceName: svcA, ip: '127.0.0.43', port: 7003 });
    const del = await server.request('DELETE', '/nacos/v1/ns/instance', { query: { serviceName: svcA, ip: '127.0.0.43', port: 7003, ephemeral: false } });
    assert.equal(del.status, 200, del.text);
    // A grouped service in its own group, registered with form parameters instead of the query.
    const form = await server.request('POST', '/nacos/v1/ns/instance', {
      form: { serviceName: 'G1@@it-persist-b', ip: '127.0.0.44', port: 7004, ephemeral: false },
    });
    assert.equal(form.status, 200, form.text);
    // A burst of writes: each acknowledged one must be durable.
    for (let i = 0; i < 20; i++) await register({ serviceName: 'it-persist-burst', ip: '127.0.0.45', port: 7100 + i });

    const put = await server.request('PUT', '/nacos/v1/ns/service', {
      query: { serviceName: svcA, protectThreshold: 0.5, metadata: JSON.stringify({ owner: 'it' }) },
    });
    assert.equal(put.status, 200, `PUT service: ${put.text}`);

    // Crash right after the last acknowledged write.
    await server.kill9();
    assert.equal(server.running, false);
    await server.restart();

    const a = jsonOf<ListWithProtection>(await server.get('/nacos/v1/ns/instance/list', { serviceName: `DEFAULT_GROUP@@${svcA}` }));
    assert.deepEqual(addrs(a.hosts), ['127.0.0.41:7001', '127.0.0.42:7002']);
    const h41 = a.hosts.find((h) => h.ip === '127.0.0.41');
    const h42 = a.hosts.find((h) => h.ip === '127.0.0.42');
    assert.equal(h41?.ephemeral, false);
    assert.equal(h41?.weight, 3);
    assert.deepEqual(h41?.metadata, { role: 'primary' });
    assert.equal(h42?.clusterName, 'C1');
    // 1 healthy of 2 = 0.5 <= protectThreshold 0.5: the threshold survived and is applied.
    assert.equal(a.reachProtectionThreshold, true);
    assert.ok(a.hosts.every((h) => h.healthy), 'protection returns all hosts as healthy');

    const detail = await server.get('/nacos/v1/ns/service', { serviceName: svcA });
    assert.equal(detail.status, 200, detail.text);
    const d = jsonOf<ServiceDetail>(detail);
    assert.equal(d.protectThreshold, 0.5);
    assert.deepEqual(d.metadata, { owner: 'it' });

    const b = await server.listInstances('it-persist-b', { groupName: 'G1' });
    assert.deepEqual(addrs(b.hosts), ['127.0.0.44:7004']);

    const burst = await server.listInstances('DEFAULT_GROUP@@it-persist-burst');
    assert.equal(burst.hosts.length, 20);

    // Still writable after recovery, and a graceful restart keeps that write too.
    const del2 = await server.request('DELETE', '/nacos/v1/ns/instance', { query: { serviceName: svcA, ip: '127.0.0.42', port: 7002, ephemeral: false } });
    assert.equal(del2.status, 200, del2.text);
    await server.restart();
    const a2 = await server.listInstances(`DEFAULT_GROUP@@${svcA}`);
    assert.deepEqual(addrs(a2.hosts), ['127.0.0.41:7001']);
  });

  it('a write with a number the store cannot carry is refused, and the service and its metadata survive a restart (issue 11 defect 5)', async () => {
    const svc = 'it-persist-nan';
    const created = await server.request('POST', '/nacos/v1/ns/service', { query: { serviceName: svc, protectThreshold: 0.3, metadata: JSON.stringify({ owner: 'nan' }) } });
    assert.deepEqual([created.status, created.text], [200, 'ok']);
    const illegal = "Param 'protectThreshold' is illegal, the value should be between 0 and 1.";
    for (const protectThreshold of ['NaN', '1e309', '-5']) {
      const r = await server.request('PUT', '/nacos/v1/ns/service', { query: { serviceName: svc, protectThreshold } });
      assert.deepEqual([r.status, r.text], [400, illegal], `PUT protectThreshold=${protectThreshold}`);
    }
    const v2 = await server.request('POST', '/nacos/v2/ns/service', { form: { serviceName: 'it-persist-nan-v2', protectThreshold: 'NaN' } });
    assert.equal(v2.status, 400, v2.text);
    assert.deepEqual(jsonOf(v2), { code: 20002, message: 'parameter validate error', data: illegal });
    const checker = await server.request('PUT', '/nacos/v1/ns/cluster', {
      query: { serviceName: svc, clusterName: 'DEFAULT', checkPort: 80, useInstancePort4Check: true, healthChecker: '{"type":"HTTP","expectedResponseCode":1e400}' },
    });
    assert.equal(checker.status, 400, checker.text);

    await server.kill9();
    await server.restart();
    const detail = await server.get('/nacos/v1/ns/service', { serviceName: svc });
    assert.equal(detail.status, 200, detail.text);
    const d = jsonOf<ServiceDetail>(detail);
    assert.deepEqual([d.protectThreshold, d.metadata], [0.3, { owner: 'nan' }]);
    assert.equal((await server.get('/nacos/v1/ns/service', { serviceName: 'it-persist-nan-v2' })).status, 400, 'the refused v2 create left nothing');
    const raft = jsonOf<{ stats: { rejected: number } }>(await server.get('/nacos/v1/ns/operator/raft/state'));
    assert.equal(raft.stats.rejected, 0, 'no entry in the log failed to apply');
  });
});
