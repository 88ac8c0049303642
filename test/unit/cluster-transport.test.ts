/**
 * The cluster transport over real loopback gRPC: two (or more) transports on 127.0.0.1 talking
 * to each other. Spec context: docs/protocol/distro.md §5.6 and §6; docs/protocol/grpc.md §1.
 * No timing assertions: every wait is bounded by a deadline or a test timeout.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/observability/logger.js';
import { decode, encode, type Decoded } from '../../src/wire/codec.js';
import { nacosMethodDefinitions } from '../../src/wire/proto.js';
import { ProbeClient } from '../../src/transport/grpc/probe-client.js';
import { parseMemberAddress } from '../../src/cluster/member-address.js';
import { ClusterRequestError, ClusterTransport, type ClusterFailure, type ClusterTransportOptions } from '../../src/cluster/transport/cluster-transport.js';
import { HEADER_MEMBER, HEADER_SIG, HEADER_TS, signature } from '../../src/cluster/transport/auth.js';
import { freeClusterPort, memberStreamMethod } from './helpers/grpcjs-cluster.js';
import { answerChallenge } from '../../src/cluster/transport/stream-auth.js';
import { decodeFrame, encodeHandshake, encodeMessage, FRAME } from '../../src/cluster/transport/stream-frame.js';

const T = { timeout: 30_000 };
const OFFSET = 1001;
/** The cluster secret of the test nodes (at least 32 characters). */
const SECRET = 'unit-test-cluster-secret-0123456789abcdef';

const freePort = freeClusterPort;

interface Node {
  t: ClusterTransport;
  /** 'ip:mainPort' of this node. */
  address: string;
  clusterPort: number;
}

interface Cluster {
  /** Addresses the nodes consider members (mutable). */
  members: Set<string>;
  node(o?: Partial<ClusterTransportOptions>): Promise<Node>;
}

function cluster(tc: TestContext, base: Partial<ClusterTransportOptions> = {}): Cluster {
  const members = new Set<string>();
  const nodes: ClusterTransport[] = [];
  tc.after(async () => {
    for (const n of nodes) await n.stop();
  });
  return {
    members,
    async node(o = {}) {
      const clusterPort = await freePort();
      const self = parseMemberAddress(`127.0.0.1:${clusterPort - OFFSET}`, 0)!;
      const t = new ClusterTransport({
        self,
        host: '127.0.0.1',
        port: clusterPort,
        secret: SECRET,
        isMember: (a) => members.has(a),
        logger: silentLogger(),
        shutdownGraceMs: 200,
        ...base,
        ...o,
      });
      nodes.push(t);
      await t.start();
      assert.equal(t.boundPort, clusterPort);
      members.add(self.address);
      return { t, address: self.address, clusterPort };
    },
  };
}

async function rejection(p: Promise<unknown>): Promise<ClusterRequestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ClusterRequestError, `expected a ClusterRequestError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

async function assertReason(p: Promise<unknown>, reason: ClusterFailure, code?: number): Promise<ClusterRequestError> {
  const e = await rejection(p);
  assert.equal(e.reason, reason, e.message);
  if (code !== undefined) assert.equal(e.code, code, e.message);
  return e;
}

/** Settles state of a promise without waiting. */
function track<T>(p: Promise<T>): { settled: () => boolean; p: Promise<T> } {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return { settled: () => done, p };
}

test('round trip: request, handler sees the body and the sender, reply resolves', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  b.t.handle('EchoRequest', (body, from) => ({ echo: body, from }));
  const r = await a.t.request(b.address, 'EchoRequest', { x: 1, s: 'ü' }, 5000);
  assert.equal(r['resultCode'], 200);
  assert.equal(r['success'], true);
  assert.equal(r['errorCode'], 0);
  assert.deepEqual(r['echo'], { x: 1, s: 'ü' });
  assert.equal(r['from'], a.address);
  assert.equal(a.t.isConnected(b.address), true);
  // Pre-encoded JSON both ways: the reply text gets the success fields, its own fields win.
  b.t.handle('TextRequest', (body) => `{"got":${JSON.stringify(body)},"message":"from text"}`);
  const r2 = await a.t.request(b.address, 'TextRequest', '{"y":2}', 5000);
  assert.deepEqual(r2['got'], { y: 2 });
  assert.equal(r2['message'], 'from text');
  assert.equal(r2['resultCode'], 200);
  // Both directions.
  a.t.handle('PingRequest', (_b, from) => ({ from }));
  assert.equal((await b.t.request(a.address, 'PingRequest', {}, 5000))['from'], b.address);
  const sa = a.t.stats();
  assert.equal(sa.requestsSent, 2);
  assert.equal(sa.requestsFailed, 0);
  assert.equal(sa.requestsReceived, 1);
  assert.deepEqual(sa.perPeer[b.address], { sent: 2, failed: 0, inFlight: 0 });
  assert.equal(b.t.stats().requestsReceived, 2);
});

test('handler errors: NacosError keeps its status, other errors are 500, typed failures pass through', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  b.t.handle('NotFoundRequest', () => {
    throw new NacosError(404, 'no such client');
  });
  b.t.handle('BugRequest', async () => {
    throw new Error('boom');
  });
  b.t.handle('VerifyRequest', () => ({ resultCode: 500, errorCode: 40001, message: 'revision mismatch', success: false }));
  b.t.handle('BadTextRequest', () => 'not json at all');
  const e1 = await assertReason(a.t.request(b.address, 'NotFoundRequest', {}, 5000), 'remote-error', 404);
  assert.match(e1.message, /no such client/);
  assert.equal(e1.response?.['errorCode'], 404);
  await assertReason(a.t.request(b.address, 'BugRequest', {}, 5000), 'remote-error', 500);
  const e3 = await assertReason(a.t.request(b.address, 'VerifyRequest', {}, 5000), 'remote-error', 40001);
  assert.equal(e3.response?.['resultCode'], 500);
  await assertReason(a.t.request(b.address, 'BadTextRequest', {}, 5000), 'remote-error', 500);
  assert.deepEqual(a.t.stats().perPeer[b.address], { sent: 4, failed: 4, inFlight: 0 });
});

test('unknown request type: ErrorResponse 302', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  const e = await assertReason(a.t.request(b.address, 'NoSuchRequest', {}, 5000), 'remote-error', 302);
  assert.match(e.message, /ErrorResponse/);
});

test('timeout: a handler that never answers fails the call at its deadline', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  b.t.handle('OkRequest', () => ({}));
  b.t.handle('HangRequest', () => new Promise<object>(() => {}));
  let release: (v: object) => void = () => {};
  b.t.handle('LateRequest', () => new Promise<object>((resolve) => (release = resolve)));
  // Connect first: a deadline that passes while still connecting is 'unreachable', not 'timeout'.
  await a.t.request(b.address, 'OkRequest', {}, 5000);
  await assertReason(a.t.request(b.address, 'HangRequest', {}, 300), 'timeout');
  // A handler answering after the caller gave up: the late reply is dropped, nothing breaks.
  await assertReason(a.t.request(b.address, 'LateRequest', {}, 300), 'timeout');
  release({ late: true });
  assert.equal((await a.t.request(b.address, 'OkRequest', {}, 5000))['resultCode'], 200);
  assert.equal(a.t.isConnected(b.address), true);
});

test('a peer with nothing listening: refused-connection, also when failing fast afterwards', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const dead = `127.0.0.1:${(await freePort()) - OFFSET}`;
  await assertReason(a.t.request(dead, 'AnyRequest', {}, 5000), 'refused-connection');
  await assertReason(a.t.request(dead, 'AnyRequest', {}, 5000), 'refused-connection');
  assert.equal(a.t.isConnected(dead), false);
  assert.deepEqual(a.t.stats().perPeer[dead], { sent: 2, failed: 2, inFlight: 0 });
});

test('programming errors reject with TypeError', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  await assert.rejects(a.t.request('not-an-address', 'X', {}, 1000), TypeError);
  await assert.rejects(a.t.request('127.0.0.1:65000', 'X', {}, 1000), TypeError); // cluster port > 65535
  await assert.rejects(a.t.request(a.address, 'X', {}, 0), TypeError);
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  await assert.rejects(a.t.request(a.address, 'X', cyclic, 1000), TypeError);
});

test('right secret accepted; wrong secret, stale timestamp, non-member refused with 403 and counted', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  let calls = 0;
  b.t.handle('EchoRequest', (_body, from) => {
    calls++;
    return { from };
  });
  assert.equal((await a.t.request(b.address, 'EchoRequest', { big: 'x'.repeat(1000) }, 5000))['from'], a.address);

  const wrong = await c.node({ secret: 'another-secret-of-at-least-32-characters' });
  const e1 = await assertReason(wrong.t.request(b.address, 'EchoRequest', {}, 5000), 'rejected', 403);
  assert.match(e1.message, /bad-signature/);

  const stale = await c.node({ clock: new ManualClock(Date.now() - 60_000) });
  const e2 = await assertReason(stale.t.request(b.address, 'EchoRequest', {}, 5000), 'rejected', 403);
  assert.match(e2.message, /stale-timestamp/);

  const outsider = await c.node();
  c.members.delete(outsider.address);
  const e3 = await assertReason(outsider.t.request(b.address, 'EchoRequest', {}, 5000), 'rejected', 403);
  assert.match(e3.message, /not-a-member/);

  // No signature at all (a raw client without our headers), and an unknown type: still 403, not 302.
  const probe = new ProbeClient(`127.0.0.1:${b.clusterPort}`);
  tc.after(() => probe.close());
  const r = await probe.request('NoSuchRequest', {}, { headers: { [HEADER_MEMBER]: a.address, [HEADER_TS]: String(Date.now()) } });
  assert.equal(r.type, 'ErrorResponse');
  assert.equal(r.body['errorCode'], 403);

  assert.equal(calls, 1);
  assert.equal(b.t.stats().refusedUnauthenticated, 4);
  assert.equal(b.t.stats().requestsReceived, 5);
});

test('a signature does not carry over to a tampered body or another type', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  b.t.handle('EchoRequest', () => ({}));
  b.t.handle('OtherRequest', () => ({}));
  // A valid signature made by hand for one (type, sender, ts, body), then replayed with changes.
  const ts = String(Date.now());
  const sig = signature(SECRET, 'EchoRequest', a.address, ts, '{"n":1}');
  const probe = new ProbeClient(`127.0.0.1:${b.clusterPort}`);
  tc.after(() => probe.close());
  const headers = { [HEADER_MEMBER]: a.address, [HEADER_TS]: ts, [HEADER_SIG]: sig };
  assert.equal((await probe.request('EchoRequest', '{"n":1}', { headers })).body['resultCode'], 200);
  assert.equal((await probe.request('EchoRequest', '{"n":2}', { headers })).body['errorCode'], 403);
  assert.equal((await probe.request('OtherRequest', '{"n":1}', { headers })).body['errorCode'], 403);
  assert.equal((await probe.request('EchoRequest', '{"n":1}', { headers: { ...headers, [HEADER_SIG]: 'abc' } })).body['errorCode'], 403);
  assert.equal(b.t.stats().refusedUnauthenticated, 3);
});

test('no unsigned cluster port: an empty or short secret is refused when the transport is built', () => {
  const self = parseMemberAddress('127.0.0.1:8848', 0)!;
  const build = (secret: string) => () =>
    new ClusterTransport({ self, host: '127.0.0.1', port: 0, secret, isMember: () => true, logger: silentLogger() });
  assert.throws(build(''), /nomen\.cluster\.secret.*openssl rand -base64 32/);
  assert.throws(build('x'.repeat(31)), /too short \(31 characters, at least 32/);
  assert.doesNotThrow(build('x'.repeat(32)));
});

test('an unsigned request with a member header from a member address is refused (403), the handler never runs', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  let calls = 0;
  b.t.handle('EchoRequest', () => {
    calls++;
    return {};
  });
  const probe = new ProbeClient(`127.0.0.1:${b.clusterPort}`);
  tc.after(() => probe.close());
  // What any local process could send before: the sender's member header and a fresh timestamp.
  const r = await probe.request('EchoRequest', '{}', { headers: { [HEADER_MEMBER]: a.address, [HEADER_TS]: String(Date.now()) } });
  assert.equal(r.type, 'ErrorResponse');
  assert.equal(r.body['errorCode'], 403);
  assert.equal(calls, 0);
  assert.equal(b.t.stats().refusedUnauthenticated, 1);
});

/** Whether a TCP connection from `localAddress` to 127.0.0.1:port can be made (Linux: all of 127/8). */
function canBind(localAddress: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port, localAddress });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** One unary call over a raw HTTP/2 connection bound to `localAddress` (grpc-js cannot bind one). */
async function rawCallFrom(localAddress: string, port: number, type: string, headers: Record<string, string>): Promise<Decoded> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  const session = http2.connect(`http://127.0.0.1:${port}`, { createConnection: () => socket });
  session.on('error', () => {});
  try {
    const m = nacosMethodDefinitions().request;
    const msg = m.requestSerialize(encode(type, {}, { headers }));
    const frame = Buffer.alloc(5 + msg.length);
    frame.writeUInt32BE(msg.length, 1);
    msg.copy(frame, 5);
    const req = session.request({ ':method': 'POST', ':path': '/Request/request', 'content-type': 'application/grpc', te: 'trailers' });
    const chunks: Buffer[] = [];
    const body = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('raw call timed out')), 5000);
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.on('end', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks));
      });
      req.end(frame);
    });
    assert.ok(body.length > 5, 'no reply message');
    const d = decode(m.responseDeserialize(body.subarray(5, 5 + body.readUInt32BE(1))));
    assert.ok(d.ok);
    return d;
  } finally {
    session.destroy();
  }
}

test('the signature is the identity: a signed request is accepted from any source address (127.0.0.2)', T, async (tc) => {
  const c = cluster(tc);
  const b = await c.node();
  if (!(await canBind('127.0.0.2', b.clusterPort))) {
    tc.skip('127.0.0.2 is not usable as a local address here');
    return;
  }
  b.t.handle('EchoRequest', (_b, from) => ({ from }));
  c.members.add('127.0.0.2:8848');
  const ts = String(Date.now());
  const unsigned = { [HEADER_MEMBER]: '127.0.0.2:8848', [HEADER_TS]: ts };
  let r = await rawCallFrom('127.0.0.2', b.clusterPort, 'EchoRequest', unsigned);
  assert.equal(r.body['errorCode'], 403, 'unsigned');
  const signed = { ...unsigned, [HEADER_SIG]: signature(SECRET, 'EchoRequest', '127.0.0.2:8848', ts, '{}') };
  r = await rawCallFrom('127.0.0.2', b.clusterPort, 'EchoRequest', signed);
  assert.equal(r.body['resultCode'], 200);
  assert.equal(r.body['from'], '127.0.0.2:8848');
  r = await rawCallFrom('127.0.0.1', b.clusterPort, 'EchoRequest', signed);
  assert.equal(r.body['resultCode'], 200, 'the source address is not checked (docs/security.md §2)');
  assert.equal(b.t.stats().refusedUnauthenticated, 1);
});

test('malformed input never crashes the server', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  b.t.handle('EchoRequest', () => ({}));
  const probe = new ProbeClient(`127.0.0.1:${b.clusterPort}`);
  tc.after(() => probe.close());
  const junk = await probe.requestBytes(Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]));
  assert.equal(junk.body['errorCode'], 502);
  const noMeta = await probe.requestPayload({});
  assert.equal(noMeta.body['errorCode'], 403);
  // Authenticated (signed by a member) but the body is not JSON.
  const ts = String(Date.now());
  const signedFor = (body: string) => ({ [HEADER_MEMBER]: a.address, [HEADER_TS]: ts, [HEADER_SIG]: signature(SECRET, 'EchoRequest', a.address, ts, body) });
  const badJson = await probe.request('EchoRequest', '{not json', { headers: signedFor('{not json') });
  assert.equal(badJson.body['errorCode'], 502);
  const arrayBody = await probe.request('EchoRequest', '[1,2]', { headers: signedFor('[1,2]') });
  assert.equal(arrayBody.body['errorCode'], 502);
  assert.equal((await a.t.request(b.address, 'EchoRequest', {}, 5000))['resultCode'], 200);
});

test('queue bound: with maxQueuePerPeer=2 the 3rd concurrent request fails at once; closePeer releases the others', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node({ maxQueuePerPeer: 2 });
  const b = await c.node();
  let arrived = 0;
  b.t.handle('HangRequest', () => {
    arrived++;
    return new Promise<object>(() => {});
  });
  const p1 = track(a.t.request(b.address, 'HangRequest', {}, 20_000));
  const p2 = track(a.t.request(b.address, 'HangRequest', {}, 20_000));
  await assertReason(a.t.request(b.address, 'HangRequest', {}, 20_000), 'queue-full');
  assert.equal(p1.settled() || p2.settled(), false, 'the first two are still outstanding');
  assert.deepEqual(a.t.stats().perPeer[b.address], { sent: 2, failed: 1, inFlight: 2 });
  // Another peer is not affected by b's full queue.
  const other = await c.node();
  other.t.handle('OkRequest', () => ({}));
  await a.t.request(other.address, 'OkRequest', {}, 5000);
  a.t.closePeer(b.address);
  await assertReason(p1.p, 'unreachable');
  await assertReason(p2.p, 'unreachable');
  assert.equal(a.t.isConnected(b.address), false);
  assert.equal(a.t.stats().perPeer[b.address], undefined);
  assert.ok(arrived <= 2);
  // The peer can be used again later (a fresh client).
  b.t.handle('OkRequest', () => ({}));
  await a.t.request(b.address, 'OkRequest', {}, 5000);
  assert.equal(a.t.isConnected(b.address), true);
});

test('large bodies (20 MiB) pass in both directions', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  const size = 20 * 1024 * 1024;
  b.t.handle('UploadRequest', (body) => ({ length: (body as { data: string }).data.length }));
  b.t.handle('DownloadRequest', () => `{"data":"${'y'.repeat(size)}"}`);
  const up = await a.t.request(b.address, 'UploadRequest', { data: 'x'.repeat(size) }, 20_000);
  assert.equal(up['length'], size);
  const down = await a.t.request(b.address, 'DownloadRequest', {}, 20_000);
  assert.equal((down['data'] as string).length, size);
});

test('messages above maxInboundBytes are refused, not crashing either side', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node({ maxInboundBytes: 1024 * 1024 });
  b.t.handle('UploadRequest', () => ({}));
  await assertReason(a.t.request(b.address, 'UploadRequest', { data: 'x'.repeat(2 * 1024 * 1024) }, 10_000), 'remote-error');
  assert.equal((await a.t.request(b.address, 'UploadRequest', { data: 'small' }, 5000))['resultCode'], 200);
});

test('stop: outstanding requests reject, later requests reject unreachable, stop is idempotent', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  b.t.handle('HangRequest', () => new Promise<object>(() => {}));
  const p = track(a.t.request(b.address, 'HangRequest', {}, 20_000));
  // Make sure the call is on the wire before stopping.
  b.t.handle('OkRequest', () => ({}));
  await a.t.request(b.address, 'OkRequest', {}, 5000);
  await a.t.stop();
  await assertReason(p.p, 'unreachable');
  await assertReason(a.t.request(b.address, 'OkRequest', {}, 5000), 'unreachable');
  await a.t.stop();
  // b (with a hanging inbound call) still stops within its grace.
  await b.t.stop();
});

test('handle() refuses a second handler for the same type; start() twice fails', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  a.t.handle('XRequest', () => ({}));
  assert.throws(() => a.t.handle('XRequest', () => ({})));
  await assert.rejects(a.t.start());
});

// ---------------------------------------------------------------------------------------------
// Member streams (stream-frame.ts, stream-auth.ts): authenticated once at open, then unsigned frames.

/** A raw bidi call on a node's member-stream method: frames in, frames out, the final status. */
function rawStream(clusterPort: number): { call: grpc.ClientDuplexStream<Buffer, Buffer>; frames: Buffer[]; status: Promise<grpc.StatusObject>; next: () => Promise<Buffer>; close: () => void } {
  const client = new grpc.Client(`127.0.0.1:${clusterPort}`, grpc.credentials.createInsecure());
  const m = memberStreamMethod;
  const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new grpc.Metadata(), {});
  const frames: Buffer[] = [];
  const waiting: ((b: Buffer) => void)[] = [];
  call.on('data', (b: Buffer) => {
    const w = waiting.shift();
    if (w) w(b);
    else frames.push(b);
  });
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((r) => call.on('status', r));
  return {
    call,
    frames,
    status,
    next: () => new Promise((r) => {
      const f = frames.shift();
      if (f) r(f);
      else waiting.push(r);
    }),
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

function challengeOf(buf: Buffer): { server: string; nonce: string } {
  const f = decodeFrame(buf);
  assert.ok(!('error' in f) && f.kind === FRAME.CHALLENGE, 'the server speaks first with a challenge');
  return f.json as { server: string; nonce: string };
}

test('member stream: one-way frames and calls reach the same handlers as the authenticated sender, in order', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  const seen: unknown[] = [];
  b.t.handle('OrderRequest', (body, from) => {
    seen.push({ body, from });
    return {};
  });
  b.t.handle('EchoRequest', (body, from) => ({ echo: body, from }));
  b.t.handle('FailRequest', () => {
    throw new NacosError(400, 'bad');
  });
  for (let i = 0; i < 50; i++) assert.equal(a.t.send(b.address, 'OrderRequest', { i }), true);
  const r = await a.t.streamRequest(b.address, 'EchoRequest', { x: 'ü' }, 5000);
  assert.deepEqual([r['echo'], r['from'], r['resultCode']], [{ x: 'ü' }, a.address, 200]);
  assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => ({ body: { i }, from: a.address })));
  await assertReason(a.t.streamRequest(b.address, 'FailRequest', {}, 5000), 'remote-error', 400);
  const st = b.t.stats();
  assert.equal(st.streamsAccepted, 1);
  assert.equal(st.refusedUnauthenticated, 0);
  assert.equal(a.t.stats().streams[b.address]!.opens, 1);
});

test('member stream: a forged, unsigned or replayed stream-open is refused (UNAUTHENTICATED) and no handler runs', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  let ran = 0;
  b.t.handle('OrderRequest', () => (ran++, {}));
  const refusedWith = async (hello: (ch: { server: string; nonce: string }) => Buffer): Promise<grpc.StatusObject> => {
    const s = rawStream(b.clusterPort);
    const ch = challengeOf(await s.next());
    s.call.write(hello(ch));
    s.call.write(encodeMessage(FRAME.SEND, 0, 'OrderRequest', '{}'));
    const st = await s.status;
    s.close();
    return st;
  };
  const hello = (secret: string, ch: { server: string; nonce: string }, member = a.address): Buffer =>
    encodeHandshake(FRAME.HELLO, answerChallenge(secret, member, b.address, ch, 'c'.repeat(64)) as object);
  // Forged: the wrong secret.
  assert.equal((await refusedWith((ch) => hello('w'.repeat(32), ch))).code, grpc.status.UNAUTHENTICATED);
  // Unsigned: a data frame first, or a hello without a proof.
  assert.equal((await refusedWith(() => encodeMessage(FRAME.SEND, 0, 'OrderRequest', '{}'))).code, grpc.status.UNAUTHENTICATED);
  assert.equal((await refusedWith(() => encodeHandshake(FRAME.HELLO, { member: a.address, server: b.address, nonce: 'c'.repeat(64) }))).code, grpc.status.UNAUTHENTICATED);
  // A non-member with the secret.
  assert.equal((await refusedWith((ch) => hello(SECRET, ch, '127.0.0.1:1'))).code, grpc.status.UNAUTHENTICATED);
  // Replayed: a valid hello recorded on one stream is refused on the next (a fresh challenge).
  const first = rawStream(b.clusterPort);
  const ch1 = challengeOf(await first.next());
  const recorded = hello(SECRET, ch1);
  first.call.write(recorded);
  const welcome = decodeFrame(await first.next());
  assert.ok(!('error' in welcome) && welcome.kind === FRAME.WELCOME, 'the genuine open is accepted');
  first.call.write(encodeMessage(FRAME.SEND, 0, 'OrderRequest', '{}'));
  first.call.end();
  assert.equal((await first.status).code, grpc.status.OK);
  first.close();
  assert.equal(ran, 1);
  assert.equal((await refusedWith(() => recorded)).code, grpc.status.UNAUTHENTICATED);
  assert.equal(ran, 1, 'no handler ran for a refused stream');
  assert.equal(b.t.stats().refusedUnauthenticated, 5);
});

test('member stream: a restarted peer is reached again after the back-off; messages meanwhile are dropped, not queued', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node({ stream: { backoffMs: { initial: 50, max: 50 } } });
  const b = await c.node();
  const got: number[] = [];
  b.t.handle('OrderRequest', (body) => (got.push((body as { i: number }).i), {}));
  a.t.send(b.address, 'OrderRequest', { i: 1 });
  await waitUntil(() => got.length === 1);
  await b.t.stop();
  await waitUntil(() => a.t.stats().streams[b.address]!.state !== 'open');
  let dropped = 0;
  for (let i = 0; i < 20; i++) if (!a.t.send(b.address, 'OrderRequest', { i: 100 })) dropped++;
  assert.ok(dropped > 0, 'sends while the peer is down are dropped');
  // The same address comes back (a restart).
  const b2 = new ClusterTransport({ self: parseMemberAddress(b.address, 0)!, host: '127.0.0.1', port: b.clusterPort, secret: SECRET, isMember: (x) => c.members.has(x), logger: silentLogger(), shutdownGraceMs: 200 });
  tc.after(() => b2.stop());
  const got2: number[] = [];
  b2.handle('OrderRequest', (body) => (got2.push((body as { i: number }).i), {}));
  await b2.start();
  await waitUntil(() => {
    a.t.send(b.address, 'OrderRequest', { i: 2 });
    return got2.includes(2);
  });
  assert.ok(a.t.stats().streams[b.address]!.opens >= 2);
});

test('member stream: a snapshot-sized frame (3 MiB, 256 KiB chunks) arrives whole', T, async (tc) => {
  const c = cluster(tc);
  const a = await c.node();
  const b = await c.node();
  let size = 0;
  b.t.handle('BigRequest', (body) => ((size = (body as { s: string }).s.length), {}));
  const s = 'q'.repeat(3 * 1024 * 1024);
  assert.equal(a.t.send(b.address, 'BigRequest', { s }), true);
  await waitUntil(() => size > 0);
  assert.equal(size, s.length);
  assert.ok(a.t.stats().streams[b.address]!.chunksSent >= 12);
});

async function waitUntil(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
