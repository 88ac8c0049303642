/**
 * The real Rust SDK (nacos-sdk-rust-binding-node 0.8.0): batch register, then deregister one
 * instance of the batch (docs/naming-batch.md). The SDK sends a plain InstanceRequest deregister
 * for the one instance; the server keeps the rest of the batch and pushes it. Run on both SDK
 * transports (grpc-js and node:http2, docs/sdk-transport.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startNodeClient, type NodeClientHandle } from './helpers/node-client.js';
import { hostAddrs, pushedHosts as pushed, RustClientSet } from './helpers/rust-client.js';
import { addrs, sleep, TestServer, waitFor } from './helpers/server.js';

const WAIT = 10_000;

for (const transport of ['grpc-js', 'http2'] as const) {
  describe(`Rust SDK: batch register, then deregister one instance (${transport})`, { timeout: 120_000 }, () => {
    let server: TestServer;
    const clients = new RustClientSet();
    const client = (label: string) => clients.start(server.port, { label });
    const httpClients: NodeClientHandle[] = [];
    const listed = async (service: string) => addrs((await server.listInstances(`DEFAULT_GROUP@@${service}`)).hosts);

    before(async () => {
      server = await TestServer.start({ name: `rust-batch-${transport}`, properties: { 'nomen.sdk.transport': transport } });
    });
    after(async () => {
      await clients.killAll();
      await Promise.allSettled(httpClients.map((h) => h.close()));
      await server?.dispose();
    });

    it('subscribers (another client and the registering client) are pushed the rest of the batch', async () => {
      const svc = 'it-batch-dereg';
      const a = await client('batch-a');
      const b = await client('batch-sub');
      await a.subscribe(svc, 'own');
      await b.subscribe(svc, 'other');
      // A nacos-naming (HTTP v1 + UDP) subscriber as well (it names its clusters; the batch spans two).
      const h = await startNodeClient(server.port, `batch-http-${transport}`);
      httpClients.push(h);
      const httpSeen: string[][] = [];
      h.client.subscribe({ serviceName: svc, clusters: 'DEFAULT,C1' }, (hosts) => httpSeen.push(addrs(hosts)));
      // Let the SDKs' first updater poll (1 s after subscribe) pass.
      await sleep(1500);
      await a.batchRegister(svc, [
        { ip: '127.0.0.41', port: 8041 },
        { ip: '127.0.0.42', port: 8042, clusterName: 'C1' },
      ]);
      const both = await b.waitForEvent(pushed('other', ['127.0.0.41:8041', '127.0.0.42:8042']), WAIT, 'push with the batch');
      const ownBoth = await a.waitForEvent(pushed('own', ['127.0.0.41:8041', '127.0.0.42:8042']), WAIT, 'own push with the batch');

      await a.deregister(svc, { ip: '127.0.0.41', port: 8041 });
      const rest = await b.waitForEvent(pushed('other', ['127.0.0.42:8042'], both.seq), WAIT, 'push with the rest of the batch');
      assert.equal(rest.hosts[0]?.clusterName, 'C1');
      await a.waitForEvent(pushed('own', ['127.0.0.42:8042'], ownBoth.seq), WAIT, 'own push with the rest of the batch');
      assert.deepEqual(await listed(svc), ['127.0.0.42:8042']);
      assert.deepEqual(hostAddrs(await b.getAllInstances(svc, { subscribe: false })), ['127.0.0.42:8042']);
      await waitFor('HTTP subscriber sees the rest of the batch', () => (httpSeen.at(-1)?.join() === '127.0.0.42:8042' ? true : undefined), WAIT);
      assert.ok(httpSeen.some((x) => x.length === 2), 'the HTTP subscriber saw the whole batch first');

      // The last one: the service is empty. The SDK drops empty pushes (its push-empty protection,
      // on by default), so only the server's own view is checked here.
      await a.deregister(svc, { ip: '127.0.0.42', port: 8042 });
      await waitFor('empty service', async () => ((await listed(svc)).length === 0 ? true : undefined), 5000);
    });

    it('with another publisher of the service, the push keeps it and the rest of the batch', async () => {
      const svc = 'it-batch-keeper';
      const keeper = await client('keeper');
      const a = await client('keeper-batch-a');
      const b = await client('keeper-sub');
      await keeper.register(svc, { ip: '127.0.0.40', port: 8040 });
      await a.batchRegister(svc, [
        { ip: '127.0.0.43', port: 8043 },
        { ip: '127.0.0.44', port: 8044 },
        { ip: '127.0.0.45', port: 8045 },
      ]);
      await b.subscribe(svc, 's');
      const all = await b.waitForEvent(pushed('s', ['127.0.0.40:8040', '127.0.0.43:8043', '127.0.0.44:8044', '127.0.0.45:8045']), WAIT, 'push with all four');
      await a.deregister(svc, { ip: '127.0.0.44', port: 8044 });
      await b.waitForEvent(pushed('s', ['127.0.0.40:8040', '127.0.0.43:8043', '127.0.0.45:8045'], all.seq), WAIT, 'push without 127.0.0.44');
      assert.deepEqual(await listed(svc), ['127.0.0.40:8040', '127.0.0.43:8043', '127.0.0.45:8045']);
      // A deregister naming an address outside the batch removes the whole batch, as in Nacos.
      await a.deregister(svc, { ip: '127.0.0.46', port: 8046 });
      await waitFor('batch gone', async () => ((await listed(svc)).length === 1 ? true : undefined), 5000);
      assert.deepEqual(await listed(svc), ['127.0.0.40:8040']);
    });
  });
}
