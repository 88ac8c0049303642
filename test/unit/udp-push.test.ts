/**
 * UdpPushService against a real dgram client on 127.0.0.1 (the role nacos-naming plays,
 * docs/protocol/http.md §5.7): packet shape, gzip at ≥ 1024 bytes, ack matching, one resend, garbage tolerance.
 * Every wait is bounded; nothing asserts on timing.
 */
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { after, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { systemClock } from '../../src/core/clock.js';
import { ServiceInfoParts, type RenderedServiceInfo } from '../../src/naming/service-info-view.js';
import type { Subscriber } from '../../src/naming/subscriptions.js';
import { silentLogger } from '../../src/observability/logger.js';
import { UdpPushService } from '../../src/transport/udp/udp-push.js';
import { createHttpContext, NODE_SDK_HEADERS, query } from './helpers/http-context.js';

const WAIT_MS = 5000;
const sockets: Socket[] = [];
const services: UdpPushService[] = [];

after(() => {
  for (const s of sockets) s.close();
  for (const s of services) s.stop();
});

interface Datagram {
  raw: Buffer;
  from: RemoteInfo;
}

/** A client socket that queues what it receives. */
async function client(): Promise<{ socket: Socket; port: number; next(): Promise<Datagram>; received: Datagram[] }> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const received: Datagram[] = [];
  const waiters: Array<(d: Datagram) => void> = [];
  socket.on('message', (raw, from) => {
    const d = { raw, from };
    received.push(d);
    waiters.shift()?.(d);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  let read = 0;
  return {
    socket,
    port: socket.address().port,
    received,
    next: () =>
      new Promise<Datagram>((resolve, reject) => {
        if (read < received.length) {
          resolve(received[read++]!);
          return;
        }
        const timer = setTimeout(() => reject(new Error('no datagram within the wait')), WAIT_MS);
        waiters.push((d) => {
          clearTimeout(timer);
          read++;
          resolve(d);
        });
      }),
  };
}

async function pushService(ackTimeoutMs: number): Promise<UdpPushService> {
  const s = new UdpPushService({ log: silentLogger(), clock: systemClock, ackTimeoutMs, bindHost: '127.0.0.1' });
  services.push(s);
  await s.start();
  return s;
}

function subscriber(port: number): Subscriber {
  return {
    id: `127.0.0.1:${port}#true`,
    service: { namespace: 'public', group: 'DEFAULT_GROUP', name: 'svc' },
    serviceId: 'public@@DEFAULT_GROUP@@svc',
    clusters: '',
    target: { kind: 'udp', ip: '127.0.0.1', port },
    app: '',
    agent: 'Nacos-Java-Client:v1.0.0',
    address: `127.0.0.1:${port}`,
    lastSeen: 0,
  };
}

function info(lastRefTime: number, hostsJson = '[]'): RenderedServiceInfo {
  const head = `{"name":"DEFAULT_GROUP@@svc","groupName":"DEFAULT_GROUP","clusters":"","cacheMillis":10000,"hosts":${hostsJson},"lastRefTime":`;
  const tail = ',"checksum":"","allIPs":false,"reachProtectionThreshold":false,"valid":true}';
  return { json: `${head}${lastRefTime}${tail}`, hostCount: 0, lastRefTime, parts: new ServiceInfoParts(1, 10000, head, tail, 0) };
}

function decode(raw: Buffer): { type: string; data: string; lastRefTime: number } {
  const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return JSON.parse(text) as { type: string; data: string; lastRefTime: number };
}

function ack(socket: Socket, to: RemoteInfo, lastRefTime: number): void {
  socket.send(JSON.stringify({ type: 'push-ack', lastRefTime, data: '' }), to.port, to.address);
}

test('udp push: a small packet is plain JSON with data double-encoded; the ack resolves the push', async () => {
  const svc = await pushService(WAIT_MS);
  const c = await client();
  const rendered = info(1_700_000_000_001);
  const pushed = svc.push(subscriber(c.port), rendered);
  const d = await c.next();
  assert.notEqual(d.raw[0], 0x1f, 'not gzipped below 1024 bytes');
  const packet = decode(d.raw);
  assert.deepEqual(Object.keys(packet), ['type', 'data', 'lastRefTime']);
  assert.equal(packet.type, 'dom');
  assert.equal(typeof packet.data, 'string', 'data is a JSON string');
  assert.equal(packet.data, rendered.json);
  assert.equal(packet.lastRefTime, rendered.lastRefTime);
  assert.equal(d.from.port, svc.port());
  ack(c.socket, d.from, packet.lastRefTime);
  await pushed;
  assert.deepEqual([svc.stats.sent, svc.stats.acked, svc.stats.failed], [1, 1, 0]);
});

test('udp push: a packet of 1024 bytes or more is gzipped', async () => {
  const svc = await pushService(WAIT_MS);
  const c = await client();
  const host = JSON.stringify({ ip: '10.0.0.1', port: 80, metadata: { pad: 'x'.repeat(1200) } });
  const rendered = info(1_700_000_000_002, `[${host}]`);
  const pushed = svc.push(subscriber(c.port), rendered);
  const d = await c.next();
  assert.deepEqual([d.raw[0], d.raw[1]], [0x1f, 0x8b], 'gzip magic');
  const packet = decode(d.raw);
  assert.equal(packet.data, rendered.json);
  ack(c.socket, d.from, packet.lastRefTime);
  await pushed;
});

test('udp push: no ack → exactly one resend, then the push rejects', async () => {
  const svc = await pushService(100);
  const c = await client();
  const pushed = svc.push(subscriber(c.port), info(1_700_000_000_003));
  await assert.rejects(pushed, /no push-ack/);
  // Both sends left before the rejection; give the loopback a moment to deliver them.
  await c.next();
  await c.next();
  assert.equal(c.received.length, 2);
  assert.deepEqual(c.received[0]!.raw, c.received[1]!.raw, 'the resend is the same packet');
  assert.deepEqual([svc.stats.sent, svc.stats.resent, svc.stats.failed, svc.stats.acked], [2, 1, 1, 0]);
});

test('udp push: an ack of the resend still resolves the push', async () => {
  const svc = await pushService(150);
  const c = await client();
  const pushed = svc.push(subscriber(c.port), info(1_700_000_000_004));
  await c.next(); // ignore the first send
  const second = await c.next();
  ack(c.socket, second.from, decode(second.raw).lastRefTime);
  await pushed;
  assert.equal(svc.stats.acked, 1);
});

test('udp push: garbage, foreign and mismatched datagrams are ignored; the matching ack still works', async () => {
  const svc = await pushService(WAIT_MS);
  const c = await client();
  const other = await client();
  const lastRefTime = 1_700_000_000_005;
  const pushed = svc.push(subscriber(c.port), info(lastRefTime));
  const d = await c.next();
  const to = d.from;
  const junk: Array<Buffer | string> = [
    'hello',
    Buffer.from([0x1f, 0x8b, 0x00, 0x01]),
    '{"type":"push-ack"}',
    '[1,2,3]',
    'null',
    JSON.stringify({ type: 'push-ack', lastRefTime: lastRefTime + 1, data: '' }),
    JSON.stringify({ type: 'unknown-ack', lastRefTime, data: '' }),
    Buffer.alloc(0),
  ];
  for (const j of junk) c.socket.send(j, to.port, to.address);
  // The right lastRefTime from the wrong port does not count either.
  other.socket.send(JSON.stringify({ type: 'push-ack', lastRefTime, data: '' }), to.port, to.address);
  let settled = false;
  void pushed.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(settled, false, 'nothing above is a matching ack');
  ack(c.socket, to, lastRefTime);
  await pushed;
  assert.ok(svc.stats.ignored >= junk.length, 'counted as ignored');
});

test('udp push: stop() rejects pending pushes; push before start rejects', async () => {
  const idle = new UdpPushService({ log: silentLogger(), clock: systemClock, ackTimeoutMs: 100 });
  await assert.rejects(idle.push(subscriber(9), info(1)), /not started/);
  const svc = await pushService(WAIT_MS);
  const c = await client();
  const pushed = svc.push(subscriber(c.port), info(1_700_000_000_006));
  await c.next();
  svc.stop();
  await assert.rejects(pushed, /stopped/);
});

test('udp push end to end: a v1 list subscribes, a register pushes the new host, the ack completes it', async () => {
  const svc = await pushService(WAIT_MS);
  const t = createHttpContext({ clock: systemClock, udp: svc, properties: { 'nacos.naming.push.pushTaskDelay': '0' } });
  const c = await client();
  const listed = await query(t.app, 'GET', '/nacos/v1/ns/instance/list', { serviceName: 'DEFAULT_GROUP@@e2e', clusters: 'DEFAULT', udpPort: c.port }, NODE_SDK_HEADERS);
  assert.equal(listed.statusCode, 200);

  // The first subscription triggers one push of the (empty) service.
  const first = await c.next();
  const p1 = decode(first.raw);
  ack(c.socket, first.from, p1.lastRefTime);

  await query(t.app, 'POST', '/nacos/v1/ns/instance', { serviceName: 'e2e', ip: '10.0.0.7', port: 8080 });
  let pushedInfo: { name: string; clusters: string; hosts: Array<{ ip: string }> } | undefined;
  for (let i = 0; i < 5 && !pushedInfo?.hosts.length; i++) {
    const d = await c.next();
    const p = decode(d.raw);
    ack(c.socket, d.from, p.lastRefTime);
    pushedInfo = JSON.parse(p.data) as typeof pushedInfo;
  }
  assert.ok(pushedInfo);
  assert.equal(pushedInfo.name, 'DEFAULT_GROUP@@e2e', 'grouped name');
  assert.equal(pushedInfo.clusters, 'DEFAULT', "the subscriber's clusters");
  assert.deepEqual(pushedInfo.hosts.map((h) => h.ip), ['10.0.0.7']);
  t.push.stop();
});

test('udp push: an unsendable target rejects instead of throwing', async () => {
  const svc = await pushService(WAIT_MS);
  const sub = { ...subscriber(1), target: { kind: 'udp' as const, ip: '127.0.0.1', port: 70000 } };
  await assert.rejects(svc.push(sub, info(1_700_000_000_007)));
  assert.equal(svc.stats.failed, 1);
});
