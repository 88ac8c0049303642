/**
 * Client-driven recovery after a server crash: ephemeral state lives in memory, so after
 * `kill -9` + restart it must come back from the clients themselves — the Rust SDK's redo
 * (re-register + re-subscribe on reconnect, docs/protocol/grpc.md §8.4) and nacos-naming's heartbeats
 * (the server re-registers an unknown instance from the beat JSON, docs/protocol/http.md §1.7).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inst, startNodeClient, type NodeClientHandle } from './helpers/node-client.js';
import { hostAddrs, RustClient } from './helpers/rust-client.js';
import { addrs, TestServer, waitFor } from './helpers/server.js';

describe('recovery of ephemeral state after a server crash', { timeout: 120_000 }, () => {
  let server: TestServer;
  const rust: RustClient[] = [];
  const node: NodeClientHandle[] = [];

  before(async () => {
    server = await TestServer.start({ name: 'restart-recovery' });
  });

  after(async () => {
    await Promise.allSettled([...rust.map((c) => c.kill()), ...node.map((h) => h.close())]);
    await server?.dispose();
  });

  it('Rust SDK redo and nacos-naming beats restore instances and subscriptions after kill -9 + restart', async () => {
    const r = await RustClient.start(server.port, { label: 'recover-r' });
    rust.push(r);
    await r.register('it-recover-rust', { ip: '127.0.0.61', port: 6001 });
    await r.subscribe('it-recover-rust', 'rec');
    const first = await r.waitForEvent((e) => e.subId === 'rec' && hostAddrs(e.hosts).join() === '127.0.0.61:6001', 10_000, 'initial push');

    const n = await startNodeClient(server.port, 'recover-n');
    node.push(n);
    await n.client.registerInstance('it-recover-node', inst({ ip: '127.0.0.62', port: 6002, metadata: { from: 'node' } }));

    await server.kill9();
    await server.restart();

    // Rust: reconnect, then the redo loop re-registers the instance.
    await waitFor(
      'Rust instance re-registered by redo',
      async () => (addrs((await server.listInstances('DEFAULT_GROUP@@it-recover-rust')).hosts).includes('127.0.0.61:6001') ? true : undefined),
      40_000,
      500,
    );
    // nacos-naming: the next beat carries the full instance, and the server re-creates it.
    const restored = await waitFor(
      'node instance re-registered from its beat',
      async () => (await server.listInstances('DEFAULT_GROUP@@it-recover-node')).hosts.find((h) => h.ip === '127.0.0.62'),
      40_000,
      500,
    );
    assert.equal(restored.port, 6002);
    assert.deepEqual(restored.metadata, { from: 'node' });
    assert.equal(restored.healthy, true);

    // The Rust subscription was replayed too: a change made by another client is pushed to it.
    const r2 = await RustClient.start(server.port, { label: 'recover-r2' });
    rust.push(r2);
    await r2.register('it-recover-rust', { ip: '127.0.0.63', port: 6003 });
    await r.waitForEvent(
      (e) => e.subId === 'rec' && e.seq > first.seq && hostAddrs(e.hosts).join() === '127.0.0.61:6001,127.0.0.63:6003',
      30_000,
      'push after the restart',
    );
  });
});
