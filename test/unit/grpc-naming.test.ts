import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Config } from '../../src/config/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { NomenServer } from '../../src/server.js';
import { ProbeClient, type ProbeStream } from '../../src/transport/grpc/probe-client.js';
import { freeNomenPort } from './helpers/ports.js';

// The whole member in-process, driven over real gRPC on loopback with a raw Payload client.
let server: NomenServer;
let addr: string;

before(async () => {
  const port = await freeNomenPort();
  const config = Config.from([
    {
      source: 'test',
      values: {
        'nacos.server.main.port': String(port),
        'nomen.server.host': '127.0.0.1',
        'nomen.data.dir': mkdtempSync(join(tmpdir(), 'nomen-grpc-')),
        'nacos.naming.push.pushTaskDelay': '10',
      },
    },
  ]);
  server = new NomenServer(config, silentLogger());
  await server.start();
  addr = `127.0.0.1:${port + 1000}`;
});

after(async () => {
  await server.stop();
});

async function connect(setup: { clientVersion?: string; appName?: string; clientIp?: string } = {}): Promise<{ client: ProbeClient; stream: ProbeStream }> {
  const client = new ProbeClient(addr);
  const stream = client.openStream();
  stream.send(
    'ConnectionSetupRequest',
    {
      clientVersion: setup.clientVersion ?? 'test',
      abilities: {},
      tenant: 'public',
      labels: { module: 'naming', source: 'sdk', AppName: setup.appName ?? 'unit' },
    },
    { clientIp: setup.clientIp ?? '' },
  );
  for (let i = 0; i < 50; i++) {
    const r = await client.request('HealthCheckRequest', {});
    if (r.type === 'HealthCheckResponse') return { client, stream };
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error('connection never registered');
}

const base = (svc: string) => ({ namespace: 'public', serviceName: svc, groupName: 'DEFAULT_GROUP' });
const inst = (ip: string, port: number) => ({ ip, port, weight: 1, healthy: true, enabled: true, ephemeral: true, clusterName: null, metadata: {} });

test('register, query, subscribe and receive a push; Rust-strict fields present', async () => {
  const a = await connect();
  const b = await connect();
  const reg = await a.client.request('InstanceRequest', { ...base('g1'), type: 'registerInstance', instance: inst('127.0.0.11', 8080) });
  assert.equal(reg.type, 'InstanceResponse');
  assert.equal(reg.body.resultCode, 200);
  assert.equal(reg.body.errorCode, 0);
  const q = await b.client.request('ServiceQueryRequest', { ...base('g1'), cluster: '', healthyOnly: false, udpPort: 0 });
  assert.equal(q.type, 'QueryServiceResponse');
  const info = q.body.serviceInfo as { hosts: { ip: string; metadata: object }[]; checksum: string; clusters: string; name: string };
  assert.equal(info.name, 'g1');
  assert.equal(info.checksum, '');
  assert.equal(info.clusters, '');
  assert.deepEqual(info.hosts.map((h) => h.ip), ['127.0.0.11']);
  assert.deepEqual(info.hosts[0]!.metadata, {});

  const sub = await b.client.request('SubscribeServiceRequest', { ...base('g1'), subscribe: true, clusters: '' });
  assert.equal(sub.type, 'SubscribeServiceResponse');
  assert.equal(sub.body.message, 'success');
  const first = await b.stream.next(3000);
  assert.equal(first?.type, 'NotifySubscriberRequest');
  assert.equal(typeof first!.body.requestId, 'string');
  assert.deepEqual(first!.body.headers, {});
  b.stream.ack(first!);

  await a.client.request('InstanceRequest', { ...base('g1'), type: 'registerInstance', instance: inst('127.0.0.12', 8080) });
  const push = await b.stream.next(3000);
  const hosts = (push!.body.serviceInfo as { hosts: { ip: string }[] }).hosts.map((h) => h.ip);
  assert.deepEqual(hosts, ['127.0.0.12'], 'the second register on the same connection replaced the first');
  b.stream.ack(push!);

  // Closing A removes its instance and pushes the removal to B.
  a.stream.cancel();
  a.client.close();
  const removal = await b.stream.next(5000);
  assert.deepEqual((removal!.body.serviceInfo as { hosts: unknown[] }).hosts, []);
  b.stream.ack(removal!);
  b.stream.cancel();
  b.client.close();
});

test('one push round: every subscriber gets the same Payload with one requestId; ids never repeat across connections', async (t) => {
  const [pub, b, c] = [await connect(), await connect(), await connect()];
  t.after(() => {
    for (const s of [pub, b, c]) {
      s.stream.cancel();
      s.client.close();
    }
  });
  await pub.client.request('InstanceRequest', { ...base('round1'), type: 'registerInstance', instance: inst('127.0.0.21', 8080) });
  const initial: string[] = [];
  for (const s of [b, c]) {
    await s.client.request('SubscribeServiceRequest', { ...base('round1'), subscribe: true, clusters: '' });
    const first = await s.stream.next(3000);
    assert.equal(first?.type, 'NotifySubscriberRequest');
    initial.push(first!.body.requestId as string);
    s.stream.ack(first!);
  }
  // Two separate pushes (one per new subscription) on two connections: distinct ids.
  assert.notEqual(initial[0], initial[1]);

  await pub.client.request('InstanceRequest', { ...base('round1'), type: 'registerInstance', instance: inst('127.0.0.22', 8080) });
  const [pb, pc] = [await b.stream.next(3000), await c.stream.next(3000)];
  assert.equal(pb?.type, 'NotifySubscriberRequest');
  assert.equal(pc?.type, 'NotifySubscriberRequest');
  assert.equal(pb!.body.requestId, pc!.body.requestId, 'one round, one encoded Payload');
  assert.ok(!initial.includes(pb!.body.requestId as string));
  assert.deepEqual(pb!.body, pc!.body);
  b.stream.ack(pb!);
  c.stream.ack(pc!);
});

test('batch register, service list, persistent register and errors in Nacos shapes', async () => {
  const a = await connect();
  const batch = await a.client.request('BatchInstanceRequest', {
    ...base('g2'),
    type: 'batchRegisterInstance',
    instances: [inst('127.0.0.21', 1), inst('127.0.0.22', 2)],
  });
  assert.equal(batch.type, 'BatchInstanceResponse');
  const list = await a.client.request('ServiceListRequest', { namespace: 'public', groupName: 'DEFAULT_GROUP', pageNo: 1, pageSize: 100 });
  assert.equal(list.type, 'ServiceListResponse');
  assert.ok((list.body.serviceNames as string[]).includes('g2'));

  const p = await a.client.request('PersistentInstanceRequest', { ...base('g3'), type: 'registerInstance', instance: { ...inst('127.0.0.31', 9), ephemeral: false } });
  assert.equal(p.type, 'InstanceResponse');
  assert.equal(p.body.resultCode, 200);

  // Ephemeral into a persistent service: a typed failure with errorCode 400 (docs/decisions.md).
  const mix = await a.client.request('InstanceRequest', { ...base('g3'), type: 'registerInstance', instance: inst('127.0.0.32', 9) });
  assert.equal(mix.type, 'InstanceResponse');
  assert.equal(mix.body.resultCode, 500);
  assert.equal(mix.body.errorCode, 400);
  assert.match(String(mix.body.message), /persistent service/);

  // Param check: typed failure (resultCode 500, errorCode 400) of the expected type.
  const bad = await a.client.request('InstanceRequest', { ...base('@@bad'), type: 'registerInstance', instance: inst('127.0.0.33', 9) });
  assert.equal(bad.type, 'InstanceResponse');
  assert.equal(bad.body.resultCode, 500);
  assert.equal(bad.body.errorCode, 400);
  assert.match(String(bad.body.message), /^Param check invalid:Param 'serviceName' is illegal/);

  const badType = await a.client.request('InstanceRequest', { ...base('g4'), type: 'frobnicate', instance: inst('127.0.0.34', 9) });
  assert.equal(badType.type, 'InstanceResponse');
  assert.equal(badType.body.message, 'Unsupported request type frobnicate');

  const badWeight = await a.client.request('InstanceRequest', { ...base('g4'), type: 'registerInstance', instance: { ...inst('127.0.0.34', 9), weight: 1e6 } });
  assert.equal(badWeight.type, 'InstanceResponse');
  assert.equal(badWeight.body.errorCode, 400);
  assert.match(String(badWeight.body.message), /weights range/);

  const missing = await a.client.request('InstanceRequest', { ...base('g4'), type: 'registerInstance' });
  assert.equal(missing.type, 'InstanceResponse');
  assert.equal(missing.body.errorCode, 400);
  assert.equal(server.registry.getService({ namespace: 'public', group: 'DEFAULT_GROUP', name: 'g4' }), undefined, 'rejected requests changed nothing');
  a.stream.cancel();
  a.client.close();
});

test('fidelity 4: /v2/ns/client for a gRPC client carries connectType, appName, version, clientIp and the port as a string', async () => {
  const a = await connect({ clientVersion: 'Nacos-Java-Client:v2.4.3', appName: 'shop', clientIp: '127.0.0.42' });
  await a.client.request('InstanceRequest', { ...base('fid4'), type: 'registerInstance', instance: inst('127.0.0.41', 8080) });
  const http = `http://127.0.0.1:${server.member.port}/nacos/v2/ns/client`;
  const publishers = (await (await fetch(`${http}/service/publisher/list?serviceName=fid4`)).json()) as { data: Array<{ clientId: string }> };
  const id = publishers.data[0]!.clientId;
  const res = await fetch(`${http}?clientId=${encodeURIComponent(id)}`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { code: number; data: Record<string, unknown> };
  // Nacos 2.4 ClientInfoControllerV2#getClientDetail for a ConnectionBasedClient (docs/open-api-fidelity.md,
  // item 4): the connection meta plus the port cut from the connection id `<ms>_<ip>_<port>`.
  assert.equal(typeof body.data['lastUpdatedTime'], 'number');
  assert.deepEqual(body, {
    code: 0,
    message: 'success',
    data: {
      clientId: id,
      ephemeral: true,
      lastUpdatedTime: body.data['lastUpdatedTime'],
      clientType: 'connection',
      connectType: 'GRPC',
      appName: 'shop',
      version: 'Nacos-Java-Client:v2.4.3',
      clientIp: '127.0.0.42',
      clientPort: id.slice(id.lastIndexOf('_') + 1),
    },
  });
  assert.match(String(body.data['clientPort']), /^\d+$/);
  a.stream.cancel();
  a.client.close();
});

test('Prometheus metrics at /nacos/actuator/prometheus and /metrics parse with a real parser', async () => {
  const { default: parse } = await import('parse-prometheus-text-format');
  const port = server.member.port;
  for (const path of ['/nacos/actuator/prometheus', '/metrics']) {
    const r = await fetch(`http://127.0.0.1:${port}${path}`);
    assert.equal(r.status, 200);
    const families = parse(await r.text());
    const byName = new Map(families.map((f) => [f.name, f]));
    const names = ['nomen_services', 'nomen_instances', 'nomen_grpc_connections', 'nomen_push_total', 'nomen_push_seconds', 'nomen_http_request_seconds', 'nomen_grpc_requests_total', 'nomen_grpc_request_seconds', 'nomen_raft_role', 'nomen_raft_term', 'nomen_raft_commit_index', 'nomen_process_resident_memory_bytes'];
    for (const name of names) {
      assert.ok(byName.has(name), `missing ${name}`);
    }
    assert.ok(Number(byName.get('nomen_services')!.metrics[0]!.value) >= 1);
    // The standalone one-voter Raft group elected itself: this member leads.
    const leader = byName.get('nomen_raft_role')!.metrics.find((m) => (m as { labels?: Record<string, string> }).labels?.role === 'leader');
    assert.equal(Number((leader as { value?: string } | undefined)?.value), 1);
    // Nacos' naming series, wired from the member's own parts (docs/operations.md "Naming metrics in Nacos' names").
    const mon = (name: string) => (byName.get('nacos_monitor')?.metrics as { labels?: Record<string, string>; value?: string }[] | undefined)?.find((m) => m.labels?.module === 'naming' && m.labels.name === name);
    assert.ok(Number(mon('serviceCount')?.value) >= 1);
    assert.equal(Number(mon('leaderStatus')?.value), 1);
    assert.ok(mon('ipCount') !== undefined);
    assert.ok(byName.has('nacos_naming_publisher') && byName.has('nacos_naming_subscriber'));
  }
});

test('loader requests: ServerLoaderInfoRequest reports the connection counts; ServerReloadRequest moves at most a tenth or ignores', async () => {
  // One after the other: the second is the newer connection.
  const conns = [await connect()];
  conns.push(await connect());
  try {
    const info = await conns[0]!.client.request('ServerLoaderInfoRequest', { headers: {}, module: 'internal' });
    assert.equal(info.type, 'ServerLoaderInfoResponse');
    assert.equal(info.body['resultCode'], 200);
    const m = info.body['loaderMetrics'] as Record<string, unknown>;
    assert.deepEqual(Object.keys(m).sort(), ['conCount', 'cpu', 'load', 'sdkConCount']);
    assert.equal(m['sdkConCount'], '2', 'counts are strings');
    assert.equal(m['conCount'], '2');
    assert.equal(Number.isFinite(Number(m['load'])) && Number.isFinite(Number(m['cpu'])), true);

    const ignore = await conns[0]!.client.request('ServerReloadRequest', { headers: {}, reloadCount: 2, reloadServer: '127.0.0.1:8848', module: 'internal' });
    assert.deepEqual([ignore.type, ignore.body['message'], ignore.body['success']], ['ServerReloadResponse', 'ignore', true]);
    const bad = await conns[0]!.client.request('ServerReloadRequest', { headers: {}, reloadCount: 'x', module: 'internal' });
    assert.deepEqual([bad.type, bad.body['errorCode']], ['ServerReloadResponse', 400]);

    const moved = await conns[0]!.client.request('ServerReloadRequest', { headers: {}, reloadCount: 1, module: 'internal' });
    assert.equal(moved.body['message'], 'ok');
    // trunc(2 × 0.9) = 1 kept: the newest connection is asked to move (ConnectResetRequest).
    const reset = await conns[1]!.stream.next(3000);
    assert.equal(reset?.type, 'ConnectResetRequest');
    assert.equal(server.grpc.connectionCount(), 1);
  } finally {
    for (const c of conns) {
      c.stream.cancel();
      c.client.close();
    }
  }
});
