/**
 * Server-side health checks of persistent instances against the real server process: a TCP check
 * on a loopback port with no listener turns the instance unhealthy, a listener heals it; an HTTP
 * check set through the cluster API honours its expected response code; a flip reaches an SDK
 * subscriber (nacos-naming, UDP push).
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { inst, startNodeClient, type NodeClientHandle } from './helpers/node-client.js';
import { closedPort } from '../unit/helpers/ports.js';
import { jsonOf, TestServer, waitFor } from './helpers/server.js';

const IP = '127.0.0.1';
// First check 2–7 s after registration, then up to 5 s apart; three successes are needed to heal.
const FLIP_MS = 30_000;

describe('health checks of persistent instances', { concurrency: true, timeout: 150_000 }, () => {
  let server: TestServer;
  const listeners: (Server | HttpServer)[] = [];
  const handles: NodeClientHandle[] = [];

  before(async () => {
    server = await TestServer.start({ name: 'health-check', properties: { 'nacos.naming.default.push.cache.millis': 60000 } });
  });

  after(async () => {
    for (const l of listeners) l.close();
    await Promise.allSettled(handles.map((h) => h.close()));
    await server?.dispose();
  });

  /**
   * The stored health, from the catalog (no protect threshold: once a service has metadata, e.g.
   * from the cluster API, the instance list shows an all-unhealthy service as healthy).
   */
  async function healthOf(service: string, port: number): Promise<boolean | undefined> {
    const r = await server.get('/nacos/v1/ns/catalog/instances', { serviceName: service, clusterName: 'DEFAULT', pageNo: 1, pageSize: 100 });
    assert.equal(r.status, 200, r.text);
    return jsonOf<{ list: { port: number; healthy: boolean }[] }>(r).list.find((h) => h.port === port)?.healthy;
  }

  async function listenTcp(port: number): Promise<void> {
    const srv = createServer((sock) => sock.destroy());
    listeners.push(srv);
    await new Promise<void>((r) => srv.listen(port, IP, r));
  }

  it('TCP: no listener → unhealthy; a listener → healthy again', async () => {
    const port = await closedPort();
    const svc = 'it-health-tcp';
    const r = await server.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: svc, ip: IP, port, ephemeral: false } });
    assert.equal(r.status, 200, r.text);
    assert.equal(await healthOf(svc, port), true, 'registered healthy');

    await waitFor('unhealthy', async () => ((await healthOf(svc, port)) === false ? true : undefined), FLIP_MS);
    await listenTcp(port);
    await waitFor('healthy again', async () => ((await healthOf(svc, port)) === true ? true : undefined), FLIP_MS);

    const metrics = await server.get('/metrics');
    assert.match(metrics.text, /nomen_health_flips_total\{to="unhealthy"\} [1-9]/);
    assert.match(metrics.text, /nomen_health_flips_total\{to="healthy"\} [1-9]/);
  });

  it('HTTP checker from the cluster API: the expected response code decides', async () => {
    const svc = 'it-health-http';
    let answer = 200;
    const http = createHttpServer((req, res) => res.writeHead(req.url === '/ready' ? answer : 404).end());
    listeners.push(http);
    await new Promise<void>((r) => http.listen(0, IP, r));
    const checkPort = (http.address() as AddressInfo).port;
    // The instance port has no listener: only the check port (useInstancePort4Check=false) answers.
    const port = await closedPort();
    const reg = await server.request('POST', '/nacos/v1/ns/instance', { query: { serviceName: svc, ip: IP, port, ephemeral: false } });
    assert.equal(reg.status, 200, reg.text);
    const cl = await server.request('PUT', '/nacos/v1/ns/cluster', {
      query: {
        serviceName: svc,
        clusterName: 'DEFAULT',
        checkPort,
        useInstancePort4Check: false,
        healthChecker: JSON.stringify({ type: 'HTTP', path: '/ready', headers: 'X-Check:1', expectedResponseCode: 204 }),
      },
    });
    assert.equal(cl.status, 200, cl.text);

    // 200 is not the expected 204: unhealthy.
    await waitFor('unhealthy on 200', async () => ((await healthOf(svc, port)) === false ? true : undefined), FLIP_MS);
    answer = 204;
    await waitFor('healthy on 204', async () => ((await healthOf(svc, port)) === true ? true : undefined), FLIP_MS);
  });

  it('nacos-naming: a persistent instance registered by the SDK; its health flips reach the subscriber', async () => {
    const svc = 'it-health-sdk';
    const port = await closedPort();
    const h = await startNodeClient(server.port, 'health');
    handles.push(h);
    await h.client.registerInstance(svc, inst({ ip: IP, port, ephemeral: false }));
    const seen: boolean[] = [];
    h.client.subscribe({ serviceName: svc }, (hosts: { port: number; healthy: boolean }[]) => {
      const mine = hosts.find((x) => x.port === port);
      if (mine) seen.push(mine.healthy);
    });
    const list = await server.listInstances(`DEFAULT_GROUP@@${svc}`);
    assert.equal(list.hosts[0]?.ephemeral, false, 'registered as persistent');

    await waitFor('subscriber sees unhealthy', () => (seen.includes(false) ? true : undefined), FLIP_MS);
    await listenTcp(port);
    await waitFor('subscriber sees healthy again', () => (seen.lastIndexOf(true) > seen.indexOf(false) ? true : undefined), FLIP_MS);
  });
});
