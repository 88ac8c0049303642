/**
 * Config listening with the real clients (docs/config-center.md "Listening and pushes"):
 *  - the Rust SDK's NacosConfigClient (gRPC batch listen + ConfigChangeNotifyRequest): addListener
 *    fires within 1 s of a change made by another Rust SDK, by a raw gRPC publish and (once the
 *    HTTP config routes exist) by HTTP; after a restart of its member it hears changes again;
 *  - the Node SDK nacos-config (HTTP long polling): a change releases its held poll at once, and
 *    (with the HTTP config routes) subscribe delivers the new content well under the 30 s timeout;
 *  - 3 members: listeners on B and C hear a publish made on A.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataClient } from 'nacos-config';
import { TestCluster } from './helpers/cluster.js';
import { RawGrpcClient } from './helpers/raw-grpc.js';
import { RustClient, type PushEvent } from './helpers/rust-client.js';
import { artifactPath, httpRequest, sleep, TestServer, waitFor } from './helpers/server.js';

const G = 'DEFAULT_GROUP';
/** The bound: a listener hears a change within 1 s. */
const WITHIN_MS = 1000;

/** An addListener invocation of `subId` carrying `content`. */
const configEvent = (subId: string, content: string) => (e: PushEvent) => e.subId === subId && e.error === null && e.config?.content === content;

/** Publishes through a raw SDK connection (what any gRPC SDK sends). */
async function rawPublish(raw: RawGrpcClient, dataId: string, content: string): Promise<void> {
  const r = await raw.request('ConfigPublishRequest', { headers: {}, requestId: '9', tenant: '', dataId, group: G, content, casMd5: null, additionMap: { encryptedDataKey: '' } });
  assert.equal(r.body['resultCode'], 200, JSON.stringify(r.body));
}

/** Whether the HTTP config routes (`/nacos/v1/cs/configs`) are served by this build. */
async function hasHttpConfigRoutes(port: number): Promise<boolean> {
  const r = await httpRequest(port, 'GET', '/nacos/v1/cs/configs', { query: { dataId: 'probe.routes', group: G } });
  return !r.text.startsWith('No such API');
}

async function metric(port: number, line: string): Promise<number> {
  const r = await httpRequest(port, 'GET', '/metrics');
  const hit = r.text.split('\n').find((l) => l.startsWith(line));
  return hit ? Number(hit.slice(line.length).trim()) : 0;
}

describe('config listening: one member', { timeout: 240_000 }, () => {
  let server: TestServer;
  let raw: RawGrpcClient;
  const rust: RustClient[] = [];

  before(async () => {
    server = await TestServer.start({ name: 'config-listen' });
    raw = new RawGrpcClient(server.grpcPort);
    await raw.setupAndWait();
  });

  after(async () => {
    raw?.close();
    await Promise.allSettled(rust.map((c) => c.kill()));
    await server?.dispose();
  });

  const rustClient = async (label: string): Promise<RustClient> => {
    const c = await RustClient.start(server.port, { label, kind: 'config', connectAttempts: 5 });
    rust.push(c);
    return c;
  };

  it('Rust SDK: addListener fires within 1 s of a change by another Rust SDK, by a raw gRPC publish and by HTTP', async () => {
    const listener = await rustClient('listen-a');
    const writer = await rustClient('listen-b');
    const dataId = 'it.listen.rust';
    // The listener must see the config first: Rust does not report the first creation of a missing one.
    assert.equal(await writer.call('publishConfig', { dataId, group: G, content: 'v=0' }), true);
    await listener.call('addListener', { dataId, group: G, subId: 'l' });

    let t0 = Date.now();
    assert.equal(await writer.call('publishConfig', { dataId, group: G, content: 'v=1' }), true);
    const e1 = await listener.waitForEvent(configEvent('l', 'v=1'), 10_000, 'listener call with v=1');
    assert.ok(e1.at - t0 < WITHIN_MS, `another Rust SDK's change heard after ${e1.at - t0} ms`);
    assert.equal(e1.config?.dataId, dataId);
    assert.match(e1.config?.md5 ?? '', /^[0-9a-f]{32}$/);

    t0 = Date.now();
    await rawPublish(raw, dataId, 'v=2');
    const e2 = await listener.waitForEvent(configEvent('l', 'v=2'), 10_000, 'listener call with v=2');
    assert.ok(e2.at - t0 < WITHIN_MS, `a raw gRPC change heard after ${e2.at - t0} ms`);

    if (await hasHttpConfigRoutes(server.port)) {
      t0 = Date.now();
      const r = await server.request('POST', '/nacos/v1/cs/configs', { form: { dataId, group: G, content: 'v=3' } });
      assert.equal(r.status, 200, r.text);
      const e3 = await listener.waitForEvent(configEvent('l', 'v=3'), 10_000, 'listener call with v=3');
      assert.ok(e3.at - t0 < WITHIN_MS, `an HTTP change heard after ${e3.at - t0} ms`);
    }

    // Status: the listener's connection is listed for the key, by its self-reported IP.
    const status = await server.get('/nacos/v1/cs/configs/listener', { dataId, group: G });
    const seen = JSON.parse(status.text) as { collectStatus: number; lisentersGroupkeyStatus: Record<string, string> };
    assert.equal(seen.collectStatus, 200);
    assert.ok(Object.keys(seen.lisentersGroupkeyStatus).length >= 1, status.text);
    assert.ok((await metric(server.port, 'nomen_config_notifications{outcome="acked"}')) >= 2);
  });

  it('Node SDK (nacos-config): a change releases the held long poll at once, and subscribe delivers it', async () => {
    const cacheDir = artifactPath(join('nacos-config-cache', `${Date.now()}-${process.pid}`));
    mkdirSync(cacheDir, { recursive: true });
    const client = new DataClient({ serverAddr: `127.0.0.1:${server.port}`, namespace: '', requestTimeout: 6000, cacheDir });
    await client.ready();
    const dataId = 'it.listen.node';
    const contents: (string | null)[] = [];
    const http = await hasHttpConfigRoutes(server.port);
    try {
      client.subscribe({ dataId, group: G }, (content: string | null) => contents.push(content));
      // The client is holding a poll on this member (listed by the status query).
      await waitFor('the nacos-config long poll held', async () => {
          const r = await server.get('/nacos/v1/cs/configs/listener', { dataId, group: G });
          return Object.keys((JSON.parse(r.text) as { lisentersGroupkeyStatus: Record<string, string> }).lisentersGroupkeyStatus).length > 0 ? true : undefined;
        }, 10_000);
      const releasedBefore = await metric(server.port, 'nomen_config_notifications{outcome="long-poll-released"}');
      const t0 = Date.now();
      await rawPublish(raw, dataId, 'n=1 ü&x');
      const released = await waitFor('the held poll released', async () => ((await metric(server.port, 'nomen_config_notifications{outcome="long-poll-released"}')) > releasedBefore ? Date.now() : undefined), 10_000, 25);
      assert.ok(released - t0 < WITHIN_MS, `held poll released after ${released - t0} ms (the client's timeout is 30 s)`);
      if (http) {
        // With the HTTP config routes: the SDK re-reads the key and calls the subscriber.
        const at = await waitFor('subscriber called with the new content', async () => (contents.includes('n=1 ü&x') ? Date.now() : undefined), 10_000, 25);
        assert.ok(at - t0 < 2 * WITHIN_MS, `subscriber called after ${at - t0} ms`);
        assert.equal(await client.publishSingle(dataId, G, 'n=2'), true);
        await waitFor('subscriber called with n=2', async () => (contents.includes('n=2') ? true : undefined), 5000);
        assert.equal(await client.getConfig(dataId, G, {}), 'n=2');
      }
    } finally {
      client.close();
    }
  });

  it('Rust SDK: after a restart of its member the listener hears changes again (its 60 s listen sweep re-registers)', async () => {
    const listener = await rustClient('restart-a');
    const dataId = 'it.listen.restart';
    await rawPublish(raw, dataId, 'r=0');
    await listener.call('addListener', { dataId, group: G, subId: 'r' });
    await server.restart();
    const writer = await rustClient('restart-writer');
    assert.equal(await writer.call('publishConfig', { dataId, group: G, content: 'r=1' }), true);
    // Rust re-sends its listens only on its periodic sweep (every 60 s), which also re-queries changed keys.
    const e = await listener.waitForEvent(configEvent('r', 'r=1'), 75_000, 'listener call with r=1 after the restart');
    assert.equal(e.config?.content, 'r=1');
    // Not asserted: later pushes to the reconnected Rust client. Observed with 0.8.0: the push sent
    // with its first listen after the restart is acked and acted on, later ones get no ack (left
    // open in docs/config-center.md; the 60 s sweep still repairs every change).
  });
});

describe('config listening: 3 members', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  const rust: RustClient[] = [];

  before(async () => {
    cluster = await TestCluster.start(3, { name: 'config-listen-cluster' });
  });

  after(async () => {
    await Promise.allSettled(rust.map((c) => c.kill()));
    await cluster?.dispose();
  });

  it('a publish on A is heard by listeners connected to B and C', async () => {
    const [a, b, c] = cluster.members as [(typeof cluster.members)[number], (typeof cluster.members)[number], (typeof cluster.members)[number]];
    const writer = await RustClient.start(a.port, { label: 'cl-writer', kind: 'config', connectAttempts: 5 });
    rust.push(writer);
    const onB = await RustClient.start(b.port, { label: 'cl-b', kind: 'config', connectAttempts: 5 });
    rust.push(onB);
    const onC = await RustClient.start(c.port, { label: 'cl-c', kind: 'config', connectAttempts: 5 });
    rust.push(onC);
    const dataId = 'it.listen.cluster';
    assert.equal(await writer.call('publishConfig', { dataId, group: G, content: 'c=0' }), true);
    // Every member serves it (applied everywhere) before the listeners start.
    for (const l of [onB, onC]) {
      await waitFor('c=0 served', async () => ((await l.call('getConfig', { dataId, group: G }).catch(() => null)) === 'c=0' ? true : undefined), 10_000);
      await l.call('addListener', { dataId, group: G, subId: 'c' });
    }
    await sleep(200);
    const t0 = Date.now();
    assert.equal(await writer.call('publishConfig', { dataId, group: G, content: 'c=1' }), true);
    const [eb, ec] = await Promise.all([onB.waitForEvent(configEvent('c', 'c=1'), 10_000, 'B heard c=1'), onC.waitForEvent(configEvent('c', 'c=1'), 10_000, 'C heard c=1')]);
    assert.ok(eb.at - t0 < WITHIN_MS, `B heard it after ${eb.at - t0} ms`);
    assert.ok(ec.at - t0 < WITHIN_MS, `C heard it after ${ec.at - t0} ms`);
  });
});
