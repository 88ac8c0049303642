/**
 * Rolling upgrade of the cluster port (docs/raft.md "Raft transport"): the node:http2 transport
 * and the grpc-js one it replaced speak the same gRPC wire. A grpc-js client (what an older member
 * runs) calls our server, and our client calls a grpc-js server, for the unary `/Request/request`
 * and for the member stream. No timing assertions: every wait is bounded by a deadline.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '../../src/observability/logger.js';
import { decode, encode } from '../../src/wire/codec.js';
import { nacosMethodDefinitions } from '../../src/wire/proto.js';
import { parseMemberAddress } from '../../src/cluster/member-address.js';
import { ClusterRequestError, ClusterTransport } from '../../src/cluster/transport/cluster-transport.js';
import { authHeaders } from '../../src/cluster/transport/auth.js';
import { answerChallenge } from '../../src/cluster/transport/stream-auth.js';
import { decodeFrame, encodeHandshake, encodeMessage, FRAME } from '../../src/cluster/transport/stream-frame.js';
import { freeClusterPort, memberStreamMethod, startGrpcjsClusterServer } from './helpers/grpcjs-cluster.js';

const T = { timeout: 30_000 };
const OFFSET = 1001;
const SECRET = 'unit-test-cluster-secret-0123456789abcdef';

/** A node:http2 transport (this build) on a free port; `members` is shared with its peers. */
async function node(tc: TestContext, members: Set<string>, maxInboundBytes?: number): Promise<{ t: ClusterTransport; address: string; clusterPort: number }> {
  const clusterPort = await freeClusterPort();
  const self = parseMemberAddress(`127.0.0.1:${clusterPort - OFFSET}`, 0)!;
  const t = new ClusterTransport({ self, host: '127.0.0.1', port: clusterPort, secret: SECRET, isMember: (a) => members.has(a), logger: silentLogger(), shutdownGraceMs: 200, ...(maxInboundBytes ? { maxInboundBytes } : {}) });
  tc.after(() => t.stop());
  await t.start();
  members.add(self.address);
  t.handle('EchoRequest', (body) => ({ echo: body }));
  return { t, address: self.address, clusterPort };
}

/** A signed unary call the way the grpc-js ClientPool made it (proto-loader codec, grpc-js channel). */
function grpcjsUnary(client: grpc.Client, from: string, type: string, body: object): Promise<{ type: string; body: Record<string, unknown> }> {
  const m = nacosMethodDefinitions().request;
  const payload = encode(type, body, { clientIp: '127.0.0.1' });
  payload.metadata.headers = authHeaders(SECRET, from, Date.now(), type, payload.body.value);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/Request/request', (v) => m.requestSerialize(v), (b) => m.responseDeserialize(b), payload, { deadline: Date.now() + 5000 }, (err, v) => {
      if (err) return reject(err);
      const d = decode(v);
      if (!d.ok) return reject(new Error(d.error));
      resolve({ type: d.type, body: d.body });
    });
  });
}

test('a grpc-js client (an older member) calls the node:http2 server: unary, auth refusal in-band, size limit', T, async (tc) => {
  const members = new Set<string>();
  const b = await node(tc, members, 64 * 1024);
  const oldMember = '127.0.0.1:7001';
  members.add(oldMember);
  const client = new grpc.Client(`127.0.0.1:${b.clusterPort}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 });
  tc.after(() => client.close());
  const r = await grpcjsUnary(client, oldMember, 'EchoRequest', { n: 1 });
  assert.equal(r.type, 'EchoResponse');
  assert.deepEqual(r.body['echo'], { n: 1 });
  assert.equal(r.body['resultCode'], 200);
  // Not a member: answered in-band (ErrorResponse 403), as before.
  const refused = await grpcjsUnary(client, '127.0.0.1:7002', 'EchoRequest', {});
  assert.equal(refused.type, 'ErrorResponse');
  assert.equal(refused.body['errorCode'], 403);
  // Above the inbound limit: RESOURCE_EXHAUSTED, the status grpc-js' server gave.
  await assert.rejects(grpcjsUnary(client, oldMember, 'EchoRequest', { data: 'x'.repeat(100 * 1024) }), (e: grpc.ServiceError) => e.code === grpc.status.RESOURCE_EXHAUSTED);
  assert.equal(b.t.stats().refusedUnauthenticated, 1);
});

test('a grpc-js client (an older member) opens a member stream on the node:http2 server: handshake, call, one-way frame, clean end', T, async (tc) => {
  const members = new Set<string>();
  const b = await node(tc, members);
  const oldMember = '127.0.0.1:7001';
  members.add(oldMember);
  const seen: string[] = [];
  b.t.handle('NoteRequest', (body) => (seen.push(JSON.stringify(body)), {}));
  const client = new grpc.Client(`127.0.0.1:${b.clusterPort}`, grpc.credentials.createInsecure());
  tc.after(() => client.close());
  const m = memberStreamMethod;
  const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new grpc.Metadata(), {});
  const frames: Buffer[] = [];
  const waiting: ((b: Buffer) => void)[] = [];
  call.on('data', (f: Buffer) => (waiting.length ? waiting.shift()!(f) : frames.push(f)));
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((r) => call.on('status', r));
  const next = (): Promise<Buffer> => new Promise((r) => (frames.length ? r(frames.shift()!) : waiting.push(r)));
  const ch = decodeFrame(await next());
  assert.ok(!('error' in ch) && ch.kind === FRAME.CHALLENGE);
  const hello = answerChallenge(SECRET, oldMember, b.address, ch.json, 'c'.repeat(64));
  assert.ok(!('error' in hello));
  call.write(encodeHandshake(FRAME.HELLO, hello));
  const welcome = decodeFrame(await next());
  assert.ok(!('error' in welcome) && welcome.kind === FRAME.WELCOME);
  call.write(encodeMessage(FRAME.SEND, 0, 'NoteRequest', '{"k":1}'));
  call.write(encodeMessage(FRAME.CALL, 7, 'EchoRequest', '{"k":2}'));
  const reply = decodeFrame(await next());
  assert.ok(!('error' in reply) && reply.kind === FRAME.REPLY && reply.id === 7);
  assert.deepEqual((JSON.parse(reply.body.toString()) as { echo: unknown }).echo, { k: 2 });
  assert.deepEqual(seen, ['{"k":1}'], 'the one-way frame ran before the call');
  call.end();
  assert.equal((await status).code, grpc.status.OK);
  assert.equal(b.t.stats().streamsAccepted, 1);
});

test('the node:http2 client calls a grpc-js server (an older member): unary, stream call, one-way frame, broken stream reported', T, async (tc) => {
  const members = new Set<string>();
  const a = await node(tc, members);
  const oldPort = await freeClusterPort();
  const old = `127.0.0.1:${oldPort - OFFSET}`;
  members.add(old);
  const srv = await startGrpcjsClusterServer({ self: old, secret: SECRET, isMember: (x) => members.has(x) });
  tc.after(() => srv.stop());
  const r = await a.t.request(old, 'EchoRequest', { n: 1 }, 5000);
  assert.deepEqual(r['echo'], { n: 1 });
  const s = await a.t.streamRequest(old, 'EchoRequest', { n: 2 }, 5000);
  assert.deepEqual(s['echo'], { n: 2 });
  assert.ok(a.t.send(old, 'NoteRequest', { n: 3 }));
  const s2 = await a.t.streamRequest(old, 'EchoRequest', { n: 4 }, 5000);
  assert.deepEqual(s2['echo'], { n: 4 });
  assert.deepEqual(srv.seen, ['EchoRequest', 'EchoRequest', 'NoteRequest', 'EchoRequest'], 'in order, over one stream');
  assert.ok(a.t.isConnected(old));
  // The old member dies: the open stream reports 'broken' (what Raft's leader-lost path listens to).
  const lost = new Promise<string>((r) => a.t.onPeerLost((peer) => r(peer)));
  srv.stop();
  assert.equal(await lost, old);
  const e = await a.t.request(old, 'EchoRequest', {}, 2000).then(
    () => null,
    (x: unknown) => x,
  );
  assert.ok(e instanceof ClusterRequestError && (e.reason === 'refused-connection' || e.reason === 'unreachable'), String(e));
});

test('the cluster transport alone does not load @grpc/grpc-js', T, () => {
  // A child process: this test file itself loads grpc-js for the old side.
  const src = new URL('../../src/cluster/transport/cluster-transport.ts', import.meta.url).href;
  const script = `await import(${JSON.stringify(src)}); const { createRequire } = await import('node:module'); const c = createRequire(import.meta.url).cache; process.stdout.write(String(Object.keys(c).some((k) => k.includes('@grpc'))));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: createRequire(import.meta.url).resolve('../../package.json').replace(/package\.json$/, '') });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'false');
});

test('node:http2 on both sides: a peer that stops breaks the open member stream (the event the Raft leader-lost path uses)', T, async (tc) => {
  const members = new Set<string>();
  const a = await node(tc, members);
  const b = await node(tc, members);
  assert.deepEqual((await a.t.streamRequest(b.address, 'EchoRequest', { n: 1 }, 5000))['echo'], { n: 1 });
  const lost = new Promise<string>((r) => a.t.onPeerLost((peer) => r(peer)));
  await b.t.stop();
  assert.equal(await lost, b.address);
  assert.equal(a.t.send(b.address, 'EchoRequest', {}), false, 'dropped during the back-off, not queued');
});
