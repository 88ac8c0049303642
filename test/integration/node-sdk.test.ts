/**
 * The `nacos-naming` Node SDK (HTTP v1 + UDP push, heartbeats) against the real server.
 *
 * The server runs with `cacheMillis` = 60 s, so after the SDK's first poll (1 s after a key is first
 * used) the next poll is a minute away: a listener that fires later within the test was fed by a
 * UDP push. The two scenarios run concurrently (the heartbeat one needs ~50 s of wall time).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inst, startNodeClient, type NodeClientHandle } from './helpers/node-client.js';
import { addrs, jsonOf, sleep, TestServer, waitFor, type HttpHost } from './helpers/server.js';

interface ListenerCall {
  at: number;
  hosts: string[];
}

describe('nacos-naming (HTTP v1 + UDP) against the real server', { concurrency: true, timeout: 150_000 }, () => {
  let server: TestServer;
  const handles: NodeClientHandle[] = [];

  async function client(label: string): Promise<NodeClientHandle> {
    const h = await startNodeClient(server.port, label);
    handles.push(h);
    return h;
  }

  before(async () => {
    server = await TestServer.start({
      name: 'node-sdk',
      properties: {
        'nacos.naming.default.push.cache.millis': 60000,
        'nomen.naming.heartbeat.check-interval-ms': 1000,
      },
    });
  });

  after(async () => {
    await Promise.allSettled(handles.map((h) => h.close()));
    await server?.dispose();
  });

  it('registerInstance, getAllInstances, subscribe fed by UDP push, deregister', async () => {
    const svc = 'it-node-push';
    const a = await client('push-a');
    const b = await client('push-b');

    await a.client.registerInstance(svc, inst({ ip: '127.0.0.31', port: 9001, metadata: { k: 'v' } }));
    const reg = a.requests.find((r) => r.method === 'POST' && r.path === '/nacos/v1/ns/instance');
    assert.equal(reg?.status, 200, 'register answered 200');

    // One-off read (udpPort=0): no UDP subscription, so it cannot compete with subscribe()'s clusters.
    const all = await a.client.getAllInstances(svc, 'DEFAULT_GROUP', '', false);
    assert.deepEqual(addrs(all), ['127.0.0.31:9001']);
    assert.deepEqual(all[0]?.metadata, { k: 'v' });
    assert.equal(all[0]?.healthy, true);
    const healthy = await a.client.selectInstances(svc, 'DEFAULT_GROUP', '', true, false);
    assert.deepEqual(addrs(healthy), ['127.0.0.31:9001']);
    assert.equal(await a.client.getServerStatus(), 'UP');

    const calls: ListenerCall[] = [];
    a.client.subscribe({ serviceName: svc }, (hosts) => calls.push({ at: Date.now(), hosts: addrs(hosts) }));
    await waitFor('initial listener call', () => (calls.some((c) => c.hosts.includes('127.0.0.31:9001')) ? true : undefined), 10_000);
    // Let the SDK's first poll (1 s after subscribe) pass; the next one is 60 s away.
    await sleep(1500);
    const subscribedWithUdp = a.requests.some((r) => r.path === '/nacos/v1/ns/instance/list' && Number(r.params.udpPort) > 0 && r.params.clusters === 'DEFAULT');
    assert.ok(subscribedWithUdp, 'subscribe() listed with a udpPort and clusters=DEFAULT');
    // The UDP subscriber is the ip:port client `ip:udpPort#true`, as in Nacos (docs/open-api-fidelity.md, item 5).
    const udpPort = a.requests.find((r) => r.path === '/nacos/v1/ns/instance/list' && Number(r.params.udpPort) > 0)!.params.udpPort;
    const subscriberId = `127.0.0.1:${udpPort}#true`;
    assert.ok(jsonOf<{ data: string[] }>(await server.get('/nacos/v2/ns/client/list')).data.includes(subscriberId), `${subscriberId} in client/list`);
    const subscribers = jsonOf<{ data: Array<{ clientId: string }> }>(await server.get('/nacos/v2/ns/client/service/subscriber/list', { serviceName: svc })).data;
    assert.deepEqual(subscribers.map((x) => x.clientId), [subscriberId]);

    const before2 = calls.length;
    const listsBefore = a.requests.filter((r) => r.path === '/nacos/v1/ns/instance/list').length;
    await b.client.registerInstance(svc, inst({ ip: '127.0.0.32', port: 9002 }));
    await waitFor(
      'listener call with the second instance',
      () => (calls.slice(before2).some((c) => c.hosts.join() === '127.0.0.31:9001,127.0.0.32:9002') ? true : undefined),
      10_000,
    );
    // Evidence it came by UDP: the SDK logged the push, and it sent no list request in between.
    assert.ok(
      a.logLines.some((l) => l.includes('[PushReceiver] received push data') && l.includes('127.0.0.32')),
      'the SDK logged a UDP push carrying 127.0.0.32',
    );
    assert.equal(a.requests.filter((r) => r.path === '/nacos/v1/ns/instance/list').length, listsBefore, 'no poll in between');

    // Deregister the second instance → push with the remaining one.
    const before3 = calls.length;
    await b.client.deregisterInstance(svc, inst({ ip: '127.0.0.32', port: 9002 }));
    await waitFor('listener call without the deregistered instance', () => (calls.slice(before3).some((c) => c.hosts.join() === '127.0.0.31:9001') ? true : undefined), 10_000);
    const http = await server.listInstances(`DEFAULT_GROUP@@${svc}`);
    assert.deepEqual(addrs(http.hosts), ['127.0.0.31:9001']);

    // Deregister the last one: the SDK ignores empty lists, so check over HTTP.
    await a.client.deregisterInstance(svc, inst({ ip: '127.0.0.31', port: 9001 }));
    assert.deepEqual((await server.listInstances(`DEFAULT_GROUP@@${svc}`)).hosts, []);
  });

  it('heartbeats keep an instance healthy; after close() it turns unhealthy, then is removed', async () => {
    const svc = 'it-node-beat';
    const keeper = await client('beat-keeper');
    const doomed = await client('beat-doomed');
    // The keeper's instance keeps beating throughout, so the service never has 0 healthy instances
    // (protect-threshold logic never masks the doomed instance's health).
    await keeper.client.registerInstance(svc, inst({ ip: '127.0.0.33', port: 9003 }));
    const registeredAt = Date.now();
    await doomed.client.registerInstance(svc, inst({ ip: '127.0.0.34', port: 9004 }));

    const beatsOf = (h: NodeClientHandle) => h.requests.filter((r) => r.method === 'PUT' && r.path === '/nacos/v1/ns/instance/beat');
    // Beats start 10 s after construction, then every clientBeatInterval (5 s). Wait for two
    // answered beats of the doomed client and until the 15 s beat timeout has passed since registration.
    await waitFor('two answered beats', () => (beatsOf(doomed).filter((r) => r.status === 200).length >= 2 ? true : undefined), 25_000, 250);
    const waitMore = registeredAt + 16_000 - Date.now();
    if (waitMore > 0) await sleep(waitMore);
    const alive = await server.listInstances(`DEFAULT_GROUP@@${svc}`);
    assert.deepEqual(addrs(alive.hosts), ['127.0.0.33:9003', '127.0.0.34:9004']);
    assert.ok(alive.hosts.every((h) => h.healthy), `all healthy while beating: ${JSON.stringify(alive.hosts)}`);
    const beat = beatsOf(doomed)[0];
    assert.ok(beat && JSON.parse(beat.params.beat ?? '{}').ip === '127.0.0.34');

    // Stop the doomed client's beats. Observe: healthy → unhealthy → gone (keeper stays healthy).
    await doomed.close();
    const seen: string[] = [];
    const stateOf = (hosts: HttpHost[]): string => {
      const h = hosts.find((x) => x.ip === '127.0.0.34');
      return h === undefined ? 'removed' : h.healthy ? 'healthy' : 'unhealthy';
    };
    const keeperProblems: string[] = [];
    await waitFor(
      'the instance to be removed',
      async () => {
        const info = await server.listInstances(`DEFAULT_GROUP@@${svc}`);
        if (!info.hosts.find((x) => x.ip === '127.0.0.33')?.healthy) keeperProblems.push(JSON.stringify(info.hosts));
        const s = stateOf(info.hosts);
        if (seen[seen.length - 1] !== s) seen.push(s);
        return s === 'removed' ? true : undefined;
      },
      45_000,
      500,
    );
    assert.deepEqual(keeperProblems, [], 'the beating keeper stays present and healthy');
    assert.deepEqual(seen.filter((s) => s !== 'healthy'), ['unhealthy', 'removed'], `state sequence ${seen.join(' → ')}`);
    assert.ok(seen.indexOf('unhealthy') < seen.indexOf('removed'));
  });
});
