/**
 * The SDK gRPC server over real loopback HTTP/2, driven by a probe client that speaks the raw
 * envelope (no SDK logic), so each protocol step of docs/protocol/grpc.md is checked explicitly.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { connect as tcpConnect, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/observability/logger.js';
import { encode, okResponse, typedFailure } from '../../src/wire/codec.js';
import type { ConnectionInfo } from '../../src/transport/grpc/connections.js';
import { nacosMethodDefinitions } from '../../src/wire/proto.js';
import { ProbeClient, type ProbeMessage, type ProbeStream } from '../../src/transport/grpc/probe-client.js';
import { PushError } from '../../src/transport/grpc/push-error.js';
import { SdkGrpcServer, type PreparedRequest, type SdkGrpcServerOptions } from '../../src/transport/grpc/sdk-server.js';
import { eventually, RUST_SETUP } from './helpers/sdk-fixtures.js';

const T = { timeout: 15_000 };

/** The transport under test: grpc-js unless NOMEN_SDK_TRANSPORT=http2 (the server's default is http2: grpc-sdk-server-http2.test.ts). */
function sdkTransport(): 'http2' | 'grpc-js' {
  return process.env['NOMEN_SDK_TRANSPORT'] === 'http2' ? 'http2' : 'grpc-js';
}

const JAVA_SETUP = {
  headers: {},
  module: 'internal',
  clientVersion: 'Nacos-Java-Client:v3.1.0',
  labels: { source: 'sdk', module: 'naming', AppName: 'unknown', 'tls.enable': 'false' },
  abilityTable: { fuzzyWatch: true, lock: true, mcp: true },
};

interface Harness {
  server: SdkGrpcServer;
  connected: ConnectionInfo[];
  disconnected: ConnectionInfo[];
  client(): ProbeClient;
}

async function harness(t: TestContext, opts: Partial<SdkGrpcServerOptions> = {}): Promise<Harness> {
  // grpc-js here; grpc-sdk-server-http2.test.ts runs this file on http2, the default (docs/sdk-transport.md).
  const transport = sdkTransport();
  const server = new SdkGrpcServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), transport, ...opts });
  const connected: ConnectionInfo[] = [];
  const disconnected: ConnectionInfo[] = [];
  server.onConnected((c) => connected.push(c));
  server.onDisconnected((c) => disconnected.push(c));
  await server.start();
  const clients: ProbeClient[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await server.stop(500);
  });
  return {
    server,
    connected,
    disconnected,
    client() {
      const c = new ProbeClient(`127.0.0.1:${server.boundPort}`);
      clients.push(c);
      return c;
    },
  };
}


/** Opens the stream, sends a setup (Rust form by default) and waits for the registration. */
async function register(h: Harness, client: ProbeClient, setup: object = RUST_SETUP): Promise<{ stream: ProbeStream; conn: ConnectionInfo }> {
  const before = h.connected.length;
  const stream = client.openStream();
  stream.send('ConnectionSetupRequest', setup, { clientIp: '192.0.2.2' });
  await eventually(() => h.connected.length > before, 'registration');
  return { stream, conn: h.connected[h.connected.length - 1]! };
}

/**
 * A bare HTTP/2 connection over a TCP socket we own, so a test can kill the TCP connection
 * itself (grpc-js clients keep theirs open while a stream is active).
 */
function rawH2(port: number): { socket: Socket; session: http2.ClientHttp2Session; closed: Promise<void> } {
  const socket = tcpConnect(port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  const session = http2.connect(`http://127.0.0.1:${port}`, { createConnection: () => socket });
  session.on('error', () => {});
  return { socket, session, closed };
}

/** Opens a gRPC bi-stream on a raw session and writes one length-prefixed Payload on it. */
function rawStreamWithSetup(session: http2.ClientHttp2Session): http2.ClientHttp2Stream {
  const req = session.request({
    ':method': 'POST',
    ':path': '/BiRequestStream/requestBiStream',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  req.on('error', () => {});
  const msg = nacosMethodDefinitions().requestBiStream.requestSerialize(encode('ConnectionSetupRequest', RUST_SETUP));
  const frame = Buffer.alloc(5 + msg.length);
  frame.writeUInt32BE(msg.length, 1);
  msg.copy(frame, 5);
  req.write(frame);
  return req;
}

function assertError(m: ProbeMessage, errorCode: number, message?: string, resultCode = 500): void {
  assert.equal(m.type, 'ErrorResponse');
  assert.equal(m.body['errorCode'], errorCode);
  assert.equal(m.body['resultCode'], resultCode);
  assert.equal(m.body['success'], false);
  assert.equal(m.body['requestId'], null);
  if (message !== undefined) assert.equal(m.body['message'], message);
}

test('ServerCheck is answered before setup with the transport id and negotiation flag', T, async (t) => {
  const h = await harness(t);
  const c = h.client();
  const r = await c.request('ServerCheckRequest', { headers: {}, requestId: '1' });
  assert.equal(r.type, 'ServerCheckResponse');
  assert.equal(r.body['resultCode'], 200);
  assert.equal(r.body['errorCode'], 0);
  assert.equal(r.body['message'], null);
  assert.equal(r.body['requestId'], null);
  assert.equal(r.body['success'], true);
  assert.equal(r.body['supportAbilityNegotiation'], true);
  const id = r.body['connectionId'];
  assert.equal(typeof id, 'string');
  assert.match(id as string, /^\d+_127\.0\.0\.1_\d+$/);
  // The stream opened later on the same TCP connection registers under that same id (Java order).
  const { conn } = await register(h, c, JAVA_SETUP);
  assert.equal(conn.id, id);
  // ...and ServerCheck still works after setup (Rust order).
  const again = await c.request('ServerCheckRequest', { headers: {} });
  assert.equal(again.body['connectionId'], id);
  assert.equal(h.server.connectionCount(), 1);
});

test('HealthCheck: 301 before setup, HealthCheckResponse after', T, async (t) => {
  const h = await harness(t);
  const c = h.client();
  assertError(await c.request('HealthCheckRequest', { headers: {}, requestId: null }), 301, 'Connection is unregistered.');
  const { conn } = await register(h, c);
  const ok = await c.request('HealthCheckRequest', { headers: {}, requestId: null });
  assert.equal(ok.type, 'HealthCheckResponse');
  assert.deepEqual(ok.body, { resultCode: 200, errorCode: 0, message: null, requestId: null, success: true });
  // The connection carries what the setup said (docs/protocol/grpc.md §3.4).
  assert.equal(conn.clientIp, '192.0.2.2');
  assert.equal(conn.remoteIp, '127.0.0.1');
  assert.equal(conn.clientVersion, 'Nacos-Rust-Client:0.8.0');
  assert.equal(conn.namespace, 'public');
  assert.equal(conn.appName, 'unknown');
  assert.equal(conn.labels['module'], 'naming');
  assert.equal(conn.hasAbilityTable, false);
  assert.deepEqual(
    h.server.listConnections().map((x) => x.id),
    [conn.id],
  );
});

test('unknown type is 302 even when unregistered; known type unregistered is 301', T, async (t) => {
  const h = await harness(t);
  h.server.registerHandler('InstanceRequest', () => ({ type: 'InstanceResponse', body: okResponse() }));
  const c = h.client();
  assertError(await c.request('SomeFutureRequest', { headers: {} }), 302, 'RequestHandler Not Found');
  assertError(await c.request('InstanceRequest', { headers: {} }), 301, 'Connection is unregistered.');
  await register(h, c);
  assertError(await c.request('SomeFutureRequest', { headers: {} }), 302, 'RequestHandler Not Found');
  // A payload with no metadata at all has type '' -> no handler.
  assertError(await c.requestPayload({}), 302);
});

test('handlers get the body, merged headers, clientIp and connection; replies are encoded as given', T, async (t) => {
  const h = await harness(t);
  let seen: { body: unknown; headers: Readonly<Record<string, string>>; clientIp: string; connId: string } | undefined;
  h.server.registerHandler('InstanceRequest', async (body, ctx) => {
    seen = { body, headers: ctx.headers, clientIp: ctx.clientIp, connId: ctx.connection.id };
    await new Promise((r) => setTimeout(r, 5));
    return { type: 'InstanceResponse', body: okResponse({ type: 'registerInstance' }) };
  });
  h.server.registerHandler('ServiceListRequest', () => ({
    type: 'ServiceListResponse',
    body: '{"resultCode":200,"errorCode":0,"message":null,"requestId":null,"success":true,"count":0,"serviceNames":[]}',
  }));
  h.server.registerHandler('ServiceQueryRequest', () => ({ type: 'QueryServiceResponse', body: { serviceInfo: { name: 's' } } }));
  h.server.registerHandler('BatchInstanceRequest', () => ({ type: 'BatchInstanceResponse', body: typedFailure(403, 'no right') }));
  assert.throws(() => h.server.registerHandler('InstanceRequest', () => ({ type: 'x', body: {} })));
  assert.throws(() => h.server.registerHandler('ServerCheckRequest', () => ({ type: 'x', body: {} })));

  const c = h.client();
  const { conn } = await register(h, c);
  const body = { headers: { fromBody: 'b', app: 'old' }, requestId: '5', namespace: 'public', serviceName: 'svcA', instance: { ip: '10.0.0.1', port: 8080 } };
  const r = await c.request('InstanceRequest', body, { headers: { app: 'unknown', accessToken: 'tok' }, clientIp: '192.0.2.9' });
  assert.equal(r.type, 'InstanceResponse');
  assert.deepEqual(r.body, { resultCode: 200, errorCode: 0, message: null, requestId: null, success: true, type: 'registerInstance' });
  assert.ok(seen);
  assert.deepEqual(seen.body, body);
  assert.deepEqual(seen.headers, { fromBody: 'b', app: 'unknown', accessToken: 'tok' });
  assert.equal(seen.clientIp, '192.0.2.9');
  assert.equal(seen.connId, conn.id);

  const list = await c.request('ServiceListRequest', { headers: {} });
  assert.equal(list.type, 'ServiceListResponse');
  assert.deepEqual(list.body['serviceNames'], []);
  // A handler that forgot the common fields still produces a Rust-decodable response.
  const q = await c.request('ServiceQueryRequest', { headers: {} });
  assert.deepEqual(q.body, { serviceInfo: { name: 's' }, resultCode: 200, errorCode: 0, message: null, requestId: null, success: true });
  const f = await c.request('BatchInstanceRequest', { headers: {} });
  assert.equal(f.type, 'BatchInstanceResponse');
  assert.equal(f.body['resultCode'], 500);
  assert.equal(f.body['errorCode'], 403);
});

test('a handler throwing becomes an ErrorResponse with its code (Java: resultCode = errorCode)', T, async (t) => {
  const h = await harness(t);
  h.server.registerHandler('InstanceRequest', () => {
    throw new NacosError(400, 'Unsupported request type foo');
  });
  h.server.registerHandler('SubscribeServiceRequest', async () => {
    throw new Error('kaput');
  });
  h.server.registerHandler('ServiceQueryRequest', () => ({ type: 'QueryServiceResponse', body: { n: 1n } }));
  h.server.registerHandler('ServiceListRequest', () => undefined as unknown as { type: string; body: object });
  const c = h.client();
  await register(h, c);
  assertError(await c.request('InstanceRequest', { headers: {} }), 400, 'Unsupported request type foo', 400);
  assertError(await c.request('SubscribeServiceRequest', { headers: {} }), 500, 'kaput', 500);
  // Unencodable or malformed handler results do not break the call.
  assertError(await c.request('ServiceQueryRequest', { headers: {} }), 500);
  assertError(await c.request('ServiceListRequest', { headers: {} }), 500);
});

test('bad inputs: non-JSON body 502, non-object 502, bad protobuf 502; server keeps serving', T, async (t) => {
  const h = await harness(t);
  h.server.registerHandler('InstanceRequest', () => ({ type: 'InstanceResponse', body: okResponse() }));
  const c = h.client();
  await register(h, c);
  assertError(await c.request('InstanceRequest', '{"headers": {'), 502);
  assertError(await c.request('InstanceRequest', '[1,2,3]'), 502, 'Invalid request');
  assertError(await c.request('InstanceRequest', ''), 502);
  assertError(await c.requestPayload({ metadata: { type: 'InstanceRequest' } }), 502);
  // Not a protobuf message at all (a field 2 length prefix running past the end).
  assertError(await c.requestBytes(Buffer.from([0x12, 0xff, 0x01, 0x00])), 502);
  // Unparsable messages on the stream are dropped without ending it.
  const { stream } = await register(h, h.client());
  stream.sendRaw(Buffer.from([0x12, 0xff, 0x01, 0x00]));
  stream.send('NotifySubscriberResponse', 'not json');
  stream.send('SomeClientRequest', { headers: {} });
  stream.sendRaw({});
  const ok = await c.request('InstanceRequest', { headers: {} });
  assert.equal(ok.type, 'InstanceResponse');
  assert.equal(h.server.connectionCount(), 2);
  assert.equal(h.disconnected.length, 0);
});

test('bodies up to 10 MiB are accepted; larger ones fail that call only', T, async (t) => {
  const h = await harness(t);
  h.server.registerHandler('InstanceRequest', (body) => ({
    type: 'InstanceResponse',
    body: okResponse({ size: String((body as { blob: string }).blob.length) }),
  }));
  const c = h.client();
  await register(h, c);
  const big = 'x'.repeat(6 * 1024 * 1024);
  const r = await c.request('InstanceRequest', { headers: {}, blob: big }, undefined, 10_000);
  assert.equal(r.body['size'], String(big.length));
  await assert.rejects(
    c.request('InstanceRequest', { headers: {}, blob: 'y'.repeat(11 * 1024 * 1024) }, undefined, 10_000),
    (e: unknown) => (e as grpc.ServiceError).code === grpc.status.RESOURCE_EXHAUSTED,
  );
  assert.equal((await c.request('HealthCheckRequest', { headers: {} })).type, 'HealthCheckResponse');
});

test('not ready: every request gets 300 and setups are refused', T, async (t) => {
  let ready = false;
  const h = await harness(t, { isReady: () => ready });
  const c = h.client();
  assertError(await c.request('ServerCheckRequest', { headers: {} }), 300, 'Server is starting,please try later.');
  assertError(await c.request('HealthCheckRequest', { headers: {} }), 300);
  const stream = c.openStream();
  stream.send('ConnectionSetupRequest', RUST_SETUP);
  assert.equal(await stream.next(), null, 'the server ends the stream');
  await stream.done;
  assert.equal(h.connected.length, 0);
  ready = true;
  assert.equal((await c.request('ServerCheckRequest', { headers: {} })).type, 'ServerCheckResponse');
  await register(h, c);
  assert.equal(h.server.connectionCount(), 1);
});

test('SetupAck is pushed when the setup has an abilityTable, even empty; not for `abilities` only', T, async (t) => {
  const h = await harness(t);
  const { stream: java, conn } = await register(h, h.client(), { ...JAVA_SETUP, abilityTable: {} });
  const ack = await java.next();
  assert.ok(ack);
  assert.equal(ack.type, 'SetupAckRequest');
  assert.deepEqual(ack.body['abilityTable'], { supportPersistentInstanceByGrpc: true }, 'no fuzzyWatch without its handler');
  assert.deepEqual(ack.body['headers'], {});
  assert.equal(typeof ack.body['requestId'], 'string');
  assert.equal(conn.hasAbilityTable, true);

  const { stream: rust } = await register(h, h.client(), RUST_SETUP);
  const { stream: nullTable } = await register(h, h.client(), { ...RUST_SETUP, abilityTable: null });
  // The next thing each of them receives is our push, not a SetupAck.
  for (const [s, conn2] of [
    [rust, h.connected[1]!],
    [nullTable, h.connected[2]!],
  ] as const) {
    const p = h.server.push(conn2.id, 'ClientDetectionRequest', { module: 'internal' }, 3000);
    const m = await s.next();
    assert.ok(m);
    assert.equal(m.type, 'ClientDetectionRequest');
    s.ack(m);
    await p;
  }
});

test('push: string requestIds unique per connection, headers {}, resolves on ack, rejects on nack', T, async (t) => {
  const h = await harness(t);
  const { stream, conn } = await register(h, h.client());
  const p1 = h.server.push(conn.id, 'NotifySubscriberRequest', { module: 'naming', serviceInfo: { name: 'svcA', hosts: [] } }, 3000);
  const p2 = h.server.push(conn.id, 'NotifySubscriberRequest', '{"module":"naming","serviceInfo":{"name":"svcB","hosts":[]}}', 3000);
  const m1 = await stream.next();
  const m2 = await stream.next();
  assert.ok(m1 && m2);
  assert.equal(m1.type, 'NotifySubscriberRequest');
  assert.deepEqual(m1.body, { module: 'naming', serviceInfo: { name: 'svcA', hosts: [] }, headers: {}, requestId: m1.body['requestId'] });
  assert.deepEqual(m2.body, { headers: {}, requestId: m2.body['requestId'], module: 'naming', serviceInfo: { name: 'svcB', hosts: [] } });
  assert.equal(typeof m1.body['requestId'], 'string');
  assert.equal(typeof m2.body['requestId'], 'string');
  assert.notEqual(m1.body['requestId'], m2.body['requestId']);
  // Ack out of order, Rust style (no success field).
  stream.ack(m2);
  stream.ack(m1);
  await Promise.all([p1, p2]);

  const p3 = h.server.push(conn.id, 'NotifySubscriberRequest', { serviceInfo: {} }, 3000);
  const m3 = await stream.next();
  assert.ok(m3);
  stream.ack(m3, 500);
  await assert.rejects(p3, (e: unknown) => e instanceof PushError && e.reason === 'nack' && e.resultCode === 500);
});

test('a prepared request reaches every connection it is sent to, intact; http2 frames it once for all', T, async (t) => {
  const h = await harness(t);
  const send = (id: string, req: PreparedRequest): Promise<unknown> =>
    new Promise((resolve, reject) => h.server.sendPrepared(id, req, 3000, (err, body) => (err ? reject(err) : resolve(body))));
  const a = await register(h, h.client());
  const b = await register(h, h.client());
  const req = h.server.prepare('NotifySubscriberRequest', { module: 'naming', serviceInfo: { name: 'svcA', hosts: [{ ip: '127.0.0.9', port: 80 }] } });
  const pa = send(a.conn.id, req);
  const framed = req.payload.framed;
  const pb = send(b.conn.id, req);
  if (sdkTransport() === 'http2') {
    assert.ok(framed, 'framed by the first write');
    assert.equal(req.payload.framed, framed, 'the second stream got the same framed bytes');
    assert.equal(framed.length, req.payload.payload.length + 5);
  } else assert.equal(framed, null, 'grpc-js frames itself');
  for (const [s, p] of [
    [a.stream, pa],
    [b.stream, pb],
  ] as const) {
    const m = await s.next();
    assert.ok(m);
    assert.deepEqual(m.body, { module: 'naming', serviceInfo: { name: 'svcA', hosts: [{ ip: '127.0.0.9', port: 80 }] }, headers: {}, requestId: req.requestId });
    s.ack(m);
    await p;
  }
  // Sent twice to one connection while the first waits: refused.
  const again = send(a.conn.id, req);
  const twice = send(a.conn.id, req);
  await assert.rejects(twice, (e: unknown) => e instanceof PushError && e.reason === 'write-failed');
  const m = await a.stream.next();
  assert.ok(m);
  a.stream.ack(m);
  await again;
});

test('push without an ack times out; the connection stays registered', T, async (t) => {
  const h = await harness(t);
  const { stream, conn } = await register(h, h.client());
  const p = h.server.push(conn.id, 'NotifySubscriberRequest', { serviceInfo: {} }, 200);
  assert.ok(await stream.next());
  await assert.rejects(p, (e: unknown) => e instanceof PushError && e.reason === 'timeout');
  assert.equal(h.server.connectionCount(), 1);
});

test('push to an unknown or closed connection rejects; pending pushes fail when the connection closes', T, async (t) => {
  const h = await harness(t);
  await assert.rejects(h.server.push('nope', 'X', {}, 1000), (e: unknown) => e instanceof PushError && e.reason === 'unknown-connection');
  const { stream, conn } = await register(h, h.client());
  const pending = h.server.push(conn.id, 'NotifySubscriberRequest', { serviceInfo: {} }, 10_000);
  assert.ok(await stream.next());
  stream.cancel();
  await assert.rejects(pending, (e: unknown) => e instanceof PushError && e.reason === 'closed');
  await eventually(() => h.disconnected.length === 1, 'disconnect');
  await assert.rejects(h.server.push(conn.id, 'X', {}, 1000), (e: unknown) => e instanceof PushError && e.reason === 'unknown-connection');
  await assert.rejects(h.server.push(conn.id, 'X', '[]', 1000), PushError);
});

test('disconnect fires onDisconnected exactly once per registration: half-close, cancel, client close', T, async (t) => {
  const h = await harness(t);
  // Half-close by the client: the server ends its side too.
  const ca = h.client();
  const a = await register(h, ca);
  a.stream.end();
  await a.stream.done;
  await eventually(() => h.disconnected.length === 1, 'disconnect after end');
  assert.equal(h.disconnected[0]!.id, a.conn.id);
  // Cancel (what an exiting client looks like: end + cancelled).
  const b = await register(h, h.client());
  b.stream.cancel();
  await eventually(() => h.disconnected.length === 2, 'disconnect after cancel');
  // Closing the whole client (the TCP connection).
  const cc = h.client();
  const c = await register(h, cc);
  c.stream.cancel();
  cc.close();
  await eventually(() => h.disconnected.length === 3, 'disconnect after close');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(
    h.disconnected.map((x) => x.id),
    [a.conn.id, b.conn.id, c.conn.id],
  );
  assert.equal(h.server.connectionCount(), 0);
  // The first client's TCP connection is still up: it may register again on a new stream, under the same id.
  const again = await register(h, ca);
  assert.equal(again.conn.id, a.conn.id);
  assert.equal(h.server.connectionCount(), 1);
});

test('a TCP connection dying under a live stream unregisters it once', T, async (t) => {
  const h = await harness(t);
  const raw = rawH2(h.server.boundPort);
  rawStreamWithSetup(raw.session);
  await eventually(() => h.connected.length === 1, 'registration over raw HTTP/2');
  const conn = h.connected[0]!;
  const pending = h.server.push(conn.id, 'NotifySubscriberRequest', { serviceInfo: {} }, 10_000);
  raw.socket.destroy();
  await assert.rejects(pending, (e: unknown) => e instanceof PushError && e.reason === 'closed');
  await eventually(() => h.disconnected.length === 1, 'disconnect after TCP close');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(h.disconnected.length, 1);
  assert.equal(h.disconnected[0]!.id, conn.id);
  assert.equal(h.server.connectionCount(), 0);
});

test('transports that never register are closed once idle', T, async (t) => {
  const h = await harness(t, { idleEjectMs: 200, detectIntervalMs: 50, detectTimeoutMs: 200 });
  const raw = rawH2(h.server.boundPort);
  await raw.closed;
  assert.equal(h.connected.length, 0);
});

test('a second setup on the same connection is ignored; the first stream stays the push target', T, async (t) => {
  const h = await harness(t);
  const c = h.client();
  const { stream, conn } = await register(h, c);
  const second = c.openStream();
  second.send('ConnectionSetupRequest', RUST_SETUP);
  stream.send('ConnectionSetupRequest', RUST_SETUP);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(h.connected.length, 1);
  const p = h.server.push(conn.id, 'ClientDetectionRequest', { module: 'internal' }, 3000);
  const m = await stream.next();
  assert.ok(m);
  stream.ack(m);
  await p;
  // Ending the unregistered second stream does not unregister the connection.
  second.end();
  await second.done;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(h.disconnected.length, 0);
});

test('idle connections are probed with ClientDetectionRequest; silent ones are ejected', T, async (t) => {
  // Simulated time drives the sweep and the probe timeout; the network is real.
  const clock = new ManualClock();
  const h = await harness(t, { clock, idleEjectMs: 20_000, detectIntervalMs: 3000, detectTimeoutMs: 5000 });
  const live = await register(h, h.client());
  const silent = await register(h, h.client());
  clock.advance(21_000); // both idle >= 20 s at the 21 s sweep
  const probe = await live.stream.next();
  assert.ok(probe);
  assert.equal(probe.type, 'ClientDetectionRequest');
  assert.equal(probe.body['module'], 'internal');
  assert.deepEqual(probe.body['headers'], {});
  assert.equal(typeof probe.body['requestId'], 'string');
  live.stream.ack(probe);
  await eventually(() => h.server.getConnection(live.conn.id)?.lastActive === clock.now(), 'successful detection refreshes activity');
  const unanswered = await silent.stream.next();
  assert.equal(unanswered?.type, 'ClientDetectionRequest');
  clock.advance(5000); // the silent connection's probe times out
  await eventually(() => h.disconnected.length === 1, 'ejection of the silent connection');
  assert.equal(h.disconnected[0]!.id, silent.conn.id);
  // The ejected connection's stream is ended by the server; health checks now get 301.
  assert.equal(await silent.stream.next(), null);
  assert.equal(h.server.getConnection(live.conn.id)?.registered, true);
  assert.equal(h.server.connectionCount(), 1);
});

test('unary activity keeps a connection from being probed', T, async (t) => {
  const clock = new ManualClock();
  const h = await harness(t, { clock, idleEjectMs: 20_000, detectIntervalMs: 3000, detectTimeoutMs: 5000 });
  const c = h.client();
  const { stream } = await register(h, c);
  for (let i = 0; i < 10; i++) {
    clock.advance(5000);
    assert.equal((await c.request('HealthCheckRequest', { headers: {} })).type, 'HealthCheckResponse');
  }
  await assert.rejects(stream.next(100), /no stream message/);
  // Control: with no activity the probe does come (sweeps run every 3 s, so within 23 s).
  clock.advance(23_000);
  assert.equal((await stream.next())?.type, 'ClientDetectionRequest');
});

test('resetConnection sends ConnectResetRequest, ends the stream and unregisters', T, async (t) => {
  const h = await harness(t);
  const c = h.client();
  const { stream, conn } = await register(h, c);
  assert.equal(h.server.resetConnection('nope'), false);
  assert.equal(h.server.resetConnection(conn.id, '10.0.0.9', 8848), true);
  const m = await stream.next();
  assert.ok(m);
  assert.equal(m.type, 'ConnectResetRequest');
  assert.equal(m.body['serverIp'], '10.0.0.9');
  assert.equal(m.body['serverPort'], '8848');
  assert.equal(m.body['connectionId'], conn.id);
  assert.deepEqual(m.body['headers'], {});
  assert.equal(typeof m.body['requestId'], 'string');
  assert.equal(await stream.next(), null);
  assert.equal(h.disconnected.length, 1);
  // A Java client's late ConnectResetResponse is harmless; health checks now fail with 301.
  assertError(await c.request('HealthCheckRequest', { headers: {} }), 301);
});

test('stop unregisters every connection and ends the streams', T, async (t) => {
  const server = new SdkGrpcServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), transport: sdkTransport() });
  const disconnected: string[] = [];
  server.onDisconnected((c) => disconnected.push(c.id));
  await server.start();
  const client = new ProbeClient(`127.0.0.1:${server.boundPort}`);
  t.after(() => client.close());
  const stream = client.openStream();
  stream.send('ConnectionSetupRequest', RUST_SETUP);
  await eventually(() => server.connectionCount() === 1, 'registration');
  await server.stop(500);
  assert.equal(disconnected.length, 1);
  assert.equal(await stream.next(), null);
  await server.stop(500); // idempotent
  await assert.rejects(server.start(), /cannot start/);
});

test('stopAccepting (drain): new TCP connections are refused, setups on open transports too; registered ones stay', T, async (t) => {
  const h = await harness(t);
  const c = h.client();
  const { conn } = await register(h, c);
  const other = h.client();
  assert.equal((await other.request('ServerCheckRequest', { headers: {} })).type, 'ServerCheckResponse', 'transport open before the drain');
  h.server.stopAccepting();
  assert.equal(h.server.isAccepting, false);
  const refused = await new Promise<string>((resolve) => {
    const s = tcpConnect(h.server.boundPort, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  assert.equal(refused, 'ECONNREFUSED');
  const stream = other.openStream();
  stream.send('ConnectionSetupRequest', RUST_SETUP);
  assert.equal(await stream.next(), null, 'the setup is refused: the stream ends');
  assert.equal(h.server.connectionCount(), 1);
  assert.equal(h.server.getConnection(conn.id)?.registered, true, 'the registered connection is left alone');
  assert.equal((await c.request('HealthCheckRequest', { headers: {} })).type, 'HealthCheckResponse');
});

test('SetupAck announces fuzzyWatch once a NamingFuzzyWatchRequest handler is registered', T, async (t) => {
  const h = await harness(t);
  h.server.registerHandler('NamingFuzzyWatchRequest', () => ({ type: 'NamingFuzzyWatchResponse', body: {} }));
  const { stream } = await register(h, h.client(), { ...JAVA_SETUP, abilityTable: { fuzzyWatch: true } });
  const ack = await stream.next();
  assert.deepEqual(ack?.body['abilityTable'], { supportPersistentInstanceByGrpc: true, fuzzyWatch: true });
});
