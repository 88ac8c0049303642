/**
 * The real Nacos Rust SDK (nacos-sdk-rust-binding-node 0.8.0, gRPC 2.x) against the real server.
 * Each SDK client runs in its own child process (its constructor blocks the event loop).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { hostAddrs, pushedHosts as pushed, RustClient, RustClientSet } from './helpers/rust-client.js';
import { addrs, sleep, TestServer, waitFor } from './helpers/server.js';

const WAIT = 10_000;

describe('Rust SDK (gRPC) against the real server', { timeout: 120_000 }, () => {
  let server: TestServer;
  const clients = new RustClientSet();
  const client = (label: string): Promise<RustClient> => clients.start(server.port, { label });

  before(async () => {
    server = await TestServer.start({ name: 'rust-sdk' });
  });

  after(async () => {
    await clients.killAll();
    await server?.dispose();
  });

  it('register → getAllInstances (same client and another client) and HTTP list see the instance', async () => {
    const a = await client('reg-a');
    const b = await client('reg-b');
    await a.register('it-rust-reg', { ip: '127.0.0.11', port: 8001, weight: 2, metadata: { k: 'v' } });

    const own = await a.getAllInstances('it-rust-reg', { subscribe: false });
    assert.deepEqual(hostAddrs(own), ['127.0.0.11:8001']);
    assert.equal(own[0]?.healthy, true);
    assert.equal(own[0]?.enabled, true);
    assert.equal(own[0]?.ephemeral, true);
    assert.equal(own[0]?.weight, 2);
    assert.deepEqual(own[0]?.metadata, { k: 'v' });

    // subscribe=true path: SubscribeServiceRequest, answered hosts are returned as they are.
    const other = await b.getAllInstances('it-rust-reg');
    assert.deepEqual(hostAddrs(other), ['127.0.0.11:8001']);

    const http = await server.listInstances('DEFAULT_GROUP@@it-rust-reg');
    assert.deepEqual(addrs(http.hosts), ['127.0.0.11:8001']);
    assert.equal(http.hosts[0]?.ephemeral, true);
    assert.equal(http.hosts[0]?.clusterName, 'DEFAULT');
  });

  it('batchRegisterInstance registers both instances', async () => {
    const a = await client('batch-a');
    const b = await client('batch-b');
    await a.batchRegister('it-rust-batch', [
      { ip: '127.0.0.12', port: 8002 },
      { ip: '127.0.0.13', port: 8003, clusterName: 'C1' },
    ]);
    const seen = await b.getAllInstances('it-rust-batch', { subscribe: false });
    assert.deepEqual(hostAddrs(seen), ['127.0.0.12:8002', '127.0.0.13:8003']);
    // Cluster filter goes through the server (ServiceQueryRequest.cluster).
    const c1 = await b.getAllInstances('it-rust-batch', { subscribe: false, clusters: ['C1'] });
    assert.deepEqual(hostAddrs(c1), ['127.0.0.13:8003']);
    // A second batch replaces the connection's set for the service.
    await a.batchRegister('it-rust-batch', [{ ip: '127.0.0.12', port: 8002 }]);
    const after2 = await b.getAllInstances('it-rust-batch', { subscribe: false });
    assert.deepEqual(hostAddrs(after2), ['127.0.0.12:8002']);
  });

  it('selectInstances(healthy=true) returns only healthy instances', async () => {
    const a = await client('select-a');
    await a.batchRegister('it-rust-select', [
      { ip: '127.0.0.14', port: 8004, healthy: true },
      { ip: '127.0.0.15', port: 8005, healthy: false },
    ]);
    const all = await a.getAllInstances('it-rust-select', { subscribe: false });
    assert.deepEqual(hostAddrs(all), ['127.0.0.14:8004', '127.0.0.15:8005']);
    const healthy = await a.selectInstances('it-rust-select', { subscribe: false, healthy: true });
    assert.deepEqual(hostAddrs(healthy), ['127.0.0.14:8004']);
  });

  it('subscribe in client B, register in client A → B is pushed the instance', async () => {
    const a = await client('push-a');
    const b = await client('push-b');
    await b.subscribe('it-rust-push', 'push');
    // Let the SDK's first updater poll (1 s after subscribe) pass, so the next event can only be a push.
    await sleep(1500);
    await a.register('it-rust-push', { ip: '127.0.0.16', port: 8006, metadata: { via: 'push' } });
    const ev = await b.waitForEvent(pushed('push', ['127.0.0.16:8006']), WAIT, 'push with 127.0.0.16:8006');
    assert.deepEqual(ev.hosts[0]?.metadata, { via: 'push' });
  });

  it('a subscription with a cluster filter is pushed only that cluster', async () => {
    const a = await client('cluster-a');
    const b = await client('cluster-b');
    await b.subscribe('it-rust-cluster', 'c1', { clusters: ['C1'] });
    await a.batchRegister('it-rust-cluster', [
      { ip: '127.0.0.22', port: 8012, clusterName: 'C1' },
      { ip: '127.0.0.23', port: 8013, clusterName: 'C2' },
    ]);
    const ev = await b.waitForEvent(pushed('c1', ['127.0.0.22:8012']), WAIT, 'push with the C1 host only');
    assert.equal(ev.hosts[0]?.clusterName, 'C1');
    assert.ok(!b.events.some((e) => e.subId === 'c1' && hostAddrs(e.hosts).includes('127.0.0.23:8013')), 'no C2 host ever pushed');
  });

  it('deregister → subscriber is pushed the remaining hosts', async () => {
    const a = await client('dereg-a');
    const keeper = await client('dereg-keeper');
    const b = await client('dereg-b');
    await keeper.register('it-rust-dereg', { ip: '127.0.0.17', port: 8007 });
    await a.register('it-rust-dereg', { ip: '127.0.0.18', port: 8008 });
    await b.subscribe('it-rust-dereg', 'dereg');
    const both = await b.waitForEvent(pushed('dereg', ['127.0.0.17:8007', '127.0.0.18:8008']), WAIT, 'push with both hosts');

    await a.deregister('it-rust-dereg', { ip: '127.0.0.18', port: 8008 });
    await b.waitForEvent(pushed('dereg', ['127.0.0.17:8007'], both.seq), WAIT, 'push with the remaining host');
    const http = await server.listInstances('DEFAULT_GROUP@@it-rust-dereg');
    assert.deepEqual(addrs(http.hosts), ['127.0.0.17:8007']);
  });

  it('kill -9 of a client process → its instance disappears and subscribers are pushed the removal', async () => {
    const doomed = await client('crash-doomed');
    const b = await client('crash-b');
    await b.register('it-rust-crash', { ip: '127.0.0.20', port: 8010 });
    await doomed.register('it-rust-crash', { ip: '127.0.0.19', port: 8009 });
    await b.subscribe('it-rust-crash', 'crash');
    const both = await b.waitForEvent(pushed('crash', ['127.0.0.19:8009', '127.0.0.20:8010']), WAIT, 'push with both hosts');

    await doomed.kill();
    await b.waitForEvent(pushed('crash', ['127.0.0.20:8010'], both.seq), WAIT, 'push without the crashed client');
    const seen = await b.getAllInstances('it-rust-crash', { subscribe: false });
    assert.deepEqual(hostAddrs(seen), ['127.0.0.20:8010']);
    const http = await server.listInstances('DEFAULT_GROUP@@it-rust-crash');
    assert.deepEqual(addrs(http.hosts), ['127.0.0.20:8010']);
  });

  it('persistent instance (ephemeral:false → PersistentInstanceRequest) is visible over HTTP and survives its client', async () => {
    const p = await client('persist-p');
    await p.register('it-rust-persist', { ip: '127.0.0.21', port: 8011, ephemeral: false, metadata: { kind: 'persistent' } });
    const http = await server.listInstances('DEFAULT_GROUP@@it-rust-persist');
    assert.deepEqual(addrs(http.hosts), ['127.0.0.21:8011']);
    assert.equal(http.hosts[0]?.ephemeral, false);
    assert.deepEqual(http.hosts[0]?.metadata, { kind: 'persistent' });

    // Persistent instances belong to ip:port, not to the connection.
    await p.kill();
    await sleep(500);
    const still = await server.listInstances('DEFAULT_GROUP@@it-rust-persist');
    assert.deepEqual(addrs(still.hosts), ['127.0.0.21:8011']);

    // Any client may deregister it by ip:port.
    const q = await client('persist-q');
    await q.deregister('it-rust-persist', { ip: '127.0.0.21', port: 8011, ephemeral: false });
    await waitFor(
      'persistent instance removal',
      async () => ((await server.listInstances('DEFAULT_GROUP@@it-rust-persist')).hosts.length === 0 ? true : undefined),
      5000,
    );
  });
});

/**
 * The same SDK against the other SDK transport, @grpc/grpc-js (`nomen.sdk.transport=grpc-js`;
 * the default is node:http2, docs/sdk-transport.md), kept in the suite whatever the default is.
 */
describe('Rust SDK against the grpc-js SDK transport', { timeout: 120_000 }, () => {
  let server: TestServer;
  const clients = new RustClientSet();
  const client = (label: string): Promise<RustClient> => clients.start(server.port, { label });

  before(async () => {
    server = await TestServer.start({ name: 'rust-sdk-grpcjs', properties: { 'nomen.sdk.transport': 'grpc-js' } });
  });

  after(async () => {
    await clients.killAll();
    await server?.dispose();
  });

  it('the server runs the grpc-js transport', async () => {
    assert.match(await readFile(server.logFile, 'utf8'), /"transport":"grpc-js"/);
  });

  it('register, query from another client, subscribe and be pushed, deregister', async () => {
    const a = await client('h2-a');
    const b = await client('h2-b');
    await a.register('it-h2', { ip: '127.0.0.31', port: 8031, metadata: { t: 'h2' } });
    const seen = await b.getAllInstances('it-h2', { subscribe: false });
    assert.deepEqual(hostAddrs(seen), ['127.0.0.31:8031']);
    assert.deepEqual(seen[0]?.metadata, { t: 'h2' });

    await b.subscribe('it-h2', 'h2');
    await b.waitForEvent(pushed('h2', ['127.0.0.31:8031']), WAIT, 'push with the first host');
    const c = await client('h2-c');
    await c.register('it-h2', { ip: '127.0.0.33', port: 8033 });
    const both = await b.waitForEvent(pushed('h2', ['127.0.0.31:8031', '127.0.0.33:8033']), WAIT, 'push with both hosts');
    await c.deregister('it-h2', { ip: '127.0.0.33', port: 8033 });
    await b.waitForEvent(pushed('h2', ['127.0.0.31:8031'], both.seq), WAIT, 'push with the remaining host');
    const http = await server.listInstances('DEFAULT_GROUP@@it-h2');
    assert.deepEqual(addrs(http.hosts), ['127.0.0.31:8031']);
  });
});
