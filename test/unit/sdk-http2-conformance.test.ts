/**
 * Conformance of the node:http2 SDK transport (docs/sdk-transport.md): driven by @grpc/grpc-js as
 * a client and by raw HTTP/2 frames (node:http2 client session), the answers a gRPC server gives
 * to what clients send, right or wrong. Loopback only.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '../../src/observability/logger.js';
import { decode, okResponse } from '../../src/wire/codec.js';
import { decodePayload, encodePayload } from '../../src/wire/protobuf.js';
import { SdkGrpcServer, type SdkGrpcServerOptions } from '../../src/transport/grpc/sdk-server.js';
import { encodeGrpcMessage, frameMessage, MAX_BUFFERED_PUSH_BYTES, parseGrpcTimeout } from '../../src/transport/grpc/sdk-transport-http2.js';
import { BIDI_PATH, UNARY_PATH } from '../../src/transport/grpc/sdk-transport.js';
import { PushError } from '../../src/transport/grpc/push-error.js';
import { eventually, RUST_SETUP } from './helpers/sdk-fixtures.js';

const T = { timeout: 20_000 };
const GRPC_HEADERS = { ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers' };

async function startServer(t: TestContext, opts: Partial<SdkGrpcServerOptions> = {}): Promise<SdkGrpcServer> {
  const server = new SdkGrpcServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), transport: 'http2', ...opts });
  await server.start();
  t.after(() => server.stop(200));
  return server;
}

function connect(t: TestContext, server: SdkGrpcServer): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${server.boundPort}`);
  s.on('error', () => undefined);
  t.after(() => s.destroy());
  return s;
}

function payload(type: string, body: object): Buffer {
  return encodePayload(type, JSON.stringify(body));
}

interface RawResult {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  data: Buffer;
  rstCode: number;
}

/** grpc-status of a response: from its trailers, or its headers for a trailers-only response. */
function statusOf(r: RawResult): number {
  const v = r.trailers['grpc-status'] ?? r.headers['grpc-status'];
  return Number(v);
}

function messageOf(r: RawResult): string {
  return String(r.trailers['grpc-message'] ?? r.headers['grpc-message'] ?? '');
}

/**
 * One raw request: writes `chunks` as separate DATA frames, then ends. With `end` false the client
 * keeps its side open; the server does not reset a stream it finished (docs/sdk-transport.md), so
 * the client closes it once the status has arrived.
 */
function rawCall(session: http2.ClientHttp2Session, path: string, chunks: Buffer[], extra: http2.OutgoingHttpHeaders = {}, end = true): Promise<RawResult> {
  return new Promise((resolve) => {
    const req = session.request({ ...GRPC_HEADERS, ':path': path, ...extra });
    const r: RawResult = { headers: {}, trailers: {}, data: Buffer.alloc(0), rstCode: 0 };
    req.on('response', (h) => {
      r.headers = h;
      if (!end && h['grpc-status'] !== undefined) req.close();
    });
    req.on('trailers', (h) => {
      r.trailers = h;
      if (!end) req.close();
    });
    req.on('data', (d: Buffer) => (r.data = Buffer.concat([r.data, d])));
    req.on('error', () => undefined);
    req.on('close', () => {
      r.rstCode = req.rstCode ?? 0;
      resolve(r);
    });
    for (const c of chunks) req.write(c);
    if (end) req.end();
  });
}

/** The messages of a response body. */
function messagesOf(data: Buffer): Array<{ type: string; body: Record<string, unknown> }> {
  const out: Array<{ type: string; body: Record<string, unknown> }> = [];
  let off = 0;
  while (off < data.length) {
    assert.equal(data[off], 0, 'server messages are never compressed');
    const len = data.readUInt32BE(off + 1);
    const d = decode(decodePayload(data.subarray(off + 5, off + 5 + len)));
    assert.ok(d.ok);
    out.push({ type: d.type, body: d.body });
    off += 5 + len;
  }
  return out;
}

/** Opens a bi-stream on `session` and registers it with a Rust-style setup. */
async function registerRaw(session: http2.ClientHttp2Session, server: SdkGrpcServer): Promise<http2.ClientHttp2Stream> {
  const before = server.connectionCount();
  const bidi = session.request({ ...GRPC_HEADERS, ':path': BIDI_PATH });
  bidi.on('error', () => undefined);
  bidi.write(frameMessage(payload('ConnectionSetupRequest', RUST_SETUP)));
  await eventually(() => server.connectionCount() === before + 1, 'registration');
  return bidi;
}


// ---- helpers of the framing ----------------------------------------------------------------------

test('grpc-timeout grammar and grpc-message percent-encoding', () => {
  assert.equal(parseGrpcTimeout('100m'), 100);
  assert.equal(parseGrpcTimeout('2S'), 2000);
  assert.equal(parseGrpcTimeout('1H'), 3_600_000);
  assert.equal(parseGrpcTimeout('5000u'), 5);
  assert.equal(parseGrpcTimeout('123456789m'), null, 'at most 8 digits');
  assert.equal(parseGrpcTimeout('10x'), null);
  assert.equal(parseGrpcTimeout(''), null);
  assert.equal(encodeGrpcMessage('plain text'), 'plain text');
  assert.equal(encodeGrpcMessage('a%b\né'), 'a%25b%0A%C3%A9');
});

// ---- @grpc/grpc-js as the client -----------------------------------------------------------------

function grpcClient(t: TestContext, server: SdkGrpcServer): grpc.Client {
  const c = new grpc.Client(`127.0.0.1:${server.boundPort}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  t.after(() => c.close());
  return c;
}

function grpcUnary(c: grpc.Client, path: string, body: Buffer): Promise<{ err: grpc.ServiceError | null; reply: Buffer | undefined }> {
  return new Promise((resolve) => {
    c.makeUnaryRequest<Buffer, Buffer>(
      path,
      (b) => b,
      (b) => b,
      body,
      { deadline: Date.now() + 5000 },
      (err, reply) => resolve({ err, reply }),
    );
  });
}

test('grpc-js client: unary round trip, unknown method, oversize message', T, async (t) => {
  const server = await startServer(t, { maxInboundBytes: 4096 });
  const c = grpcClient(t, server);
  const ok = await grpcUnary(c, UNARY_PATH, payload('ServerCheckRequest', { headers: {} }));
  assert.equal(ok.err, null);
  const d = decode(decodePayload(ok.reply!));
  assert.ok(d.ok);
  assert.equal(d.type, 'ServerCheckResponse');
  assert.match(String(d.body['connectionId']), /^\d+_127\.0\.0\.1_\d+$/);

  const unknown = await grpcUnary(c, '/Request/nope', payload('ServerCheckRequest', {}));
  assert.equal(unknown.err?.code, grpc.status.UNIMPLEMENTED);
  assert.match(unknown.err?.details ?? '', /does not implement the method \/Request\/nope/);

  const big = await grpcUnary(c, UNARY_PATH, payload('ServerCheckRequest', { pad: 'x'.repeat(5000) }));
  assert.equal(big.err?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(big.err?.details ?? '', /larger than max/);

  // The transport still serves after refusals.
  assert.equal((await grpcUnary(c, UNARY_PATH, payload('ServerCheckRequest', {}))).err, null);
});

test('grpc-js client: with the default 10 MiB limit a 9 MB message passes, an 11 MB one is RESOURCE_EXHAUSTED', T, async (t) => {
  const server = await startServer(t);
  const c = new grpc.Client(`127.0.0.1:${server.boundPort}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_send_message_length': 64e6 });
  t.after(() => c.close());
  const nine = await grpcUnary(c, UNARY_PATH, payload('ServerCheckRequest', { pad: 'x'.repeat(9_000_000) }));
  assert.equal(nine.err, null);
  assert.equal(decodePayload(nine.reply!).type, 'ServerCheckResponse');
  const eleven = await grpcUnary(c, UNARY_PATH, payload('ServerCheckRequest', { pad: 'x'.repeat(11_000_000) }));
  assert.equal(eleven.err?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(eleven.err?.details ?? '', /vs\. 10485760\)/);
});

test('grpc-js client: bi-stream setup, push and ack, half-close ends the registration', T, async (t) => {
  const server = await startServer(t);
  const disconnected: string[] = [];
  server.onDisconnected((conn) => disconnected.push(conn.id));
  const c = grpcClient(t, server);
  const call = c.makeBidiStreamRequest<Buffer, Buffer>(
    BIDI_PATH,
    (b) => b,
    (b) => b,
  );
  call.on('error', () => undefined);
  const received: Array<{ type: string; body: Record<string, unknown> }> = [];
  call.on('data', (b: Buffer) => {
    const d = decode(decodePayload(b));
    if (d.ok) received.push({ type: d.type, body: d.body });
  });
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.write(payload('ConnectionSetupRequest', RUST_SETUP));
  await eventually(() => server.connectionCount() === 1, 'registration');
  const [conn] = server.listConnections();
  assert.equal(conn!.remoteIp, '127.0.0.1');
  const pushed = server.push(conn!.id, 'NotifySubscriberRequest', { serviceInfo: { name: 's' }, module: 'naming' }, 3000);
  await eventually(() => received.length === 1, 'push');
  assert.equal(received[0]!.type, 'NotifySubscriberRequest');
  call.write(payload('NotifySubscriberResponse', { resultCode: 200, errorCode: 0, requestId: received[0]!.body['requestId'] }));
  await pushed;
  call.end();
  assert.equal((await status).code, grpc.status.OK);
  await eventually(() => disconnected.length === 1, 'unregistered on half-close');
});

test('grpc-js client: an oversize message on an open bi-stream ends it with RESOURCE_EXHAUSTED, not INTERNAL', T, async (t) => {
  // The client is still writing when the status is sent; the server must not reset the stream then
  // (a grpc-js client would report INTERNAL "RST_STREAM with code 0"), as grpc-js servers do not.
  const server = await startServer(t, { maxInboundBytes: 4096 });
  const c = grpcClient(t, server);
  for (let i = 0; i < 5; i++) {
    const call = c.makeBidiStreamRequest<Buffer, Buffer>(
      BIDI_PATH,
      (b) => b,
      (b) => b,
    );
    call.on('error', () => undefined);
    call.on('data', () => undefined);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.write(payload('ConnectionSetupRequest', RUST_SETUP));
    call.write(payload('HealthCheckRequest', { pad: 'x'.repeat(5000) }));
    const st = await status;
    assert.equal(st.code, grpc.status.RESOURCE_EXHAUSTED, `round ${i}: ${st.details}`);
    assert.match(st.details, /larger than max/);
  }
});

// ---- raw HTTP/2 frames ---------------------------------------------------------------------------

test('raw: unary reply carries content-type application/grpc and grpc-status 0 trailers', T, async (t) => {
  const server = await startServer(t);
  const s = connect(t, server);
  const r = await rawCall(s, UNARY_PATH, [frameMessage(payload('ServerCheckRequest', {}))]);
  assert.equal(r.headers[':status'], 200);
  assert.match(String(r.headers['content-type']), /^application\/grpc/);
  assert.equal(statusOf(r), 0);
  const [m] = messagesOf(r.data);
  assert.equal(m!.type, 'ServerCheckResponse');
});

test('raw: a message split byte by byte across DATA frames is reassembled', T, async (t) => {
  const server = await startServer(t);
  const s = connect(t, server);
  const framed = frameMessage(payload('ServerCheckRequest', { pad: 'y'.repeat(300) }));
  const chunks = [...framed].map((b) => Buffer.from([b]));
  const r = await rawCall(s, UNARY_PATH, chunks);
  assert.equal(statusOf(r), 0);
  assert.equal(messagesOf(r.data)[0]!.type, 'ServerCheckResponse');
});

test('raw: wrong method and content-type are HTTP errors; unknown paths UNIMPLEMENTED (trailers-only)', T, async (t) => {
  const server = await startServer(t);
  const s = connect(t, server);
  const get = await rawCall(s, UNARY_PATH, [], { ':method': 'GET' });
  assert.equal(get.headers[':status'], 405);
  const json = await rawCall(s, UNARY_PATH, [Buffer.from('{}')], { 'content-type': 'application/json' });
  assert.equal(json.headers[':status'], 415);
  const none = await rawCall(s, '/Nope/nope', [frameMessage(payload('ServerCheckRequest', {}))]);
  assert.equal(none.headers[':status'], 200);
  assert.equal(statusOf(none), grpc.status.UNIMPLEMENTED);
  assert.equal(messageOf(none), 'The server does not implement the method /Nope/nope');
  assert.equal(none.data.length, 0);
});

test('raw: malformed framing is refused with the gRPC status, never a crash', T, async (t) => {
  const server = await startServer(t, { maxInboundBytes: 1024 });
  const s = connect(t, server);
  // Truncated: the prefix announces 100 bytes, 10 arrive, then END_STREAM.
  const prefix = Buffer.from([0, 0, 0, 0, 100]);
  const truncated = await rawCall(s, UNARY_PATH, [prefix, Buffer.alloc(10)]);
  assert.equal(statusOf(truncated), grpc.status.INTERNAL);
  // A prefix cut in the middle.
  assert.equal(statusOf(await rawCall(s, UNARY_PATH, [Buffer.from([0, 0])])), grpc.status.INTERNAL);
  // Compressed flag without grpc-encoding: a protocol error (INTERNAL).
  const flagged = Buffer.from(frameMessage(payload('ServerCheckRequest', {})));
  flagged[0] = 1;
  assert.equal(statusOf(await rawCall(s, UNARY_PATH, [flagged])), grpc.status.INTERNAL);
  // Compressed with a codec we do not accept: UNIMPLEMENTED, and we say what we accept.
  const gz = await rawCall(s, UNARY_PATH, [flagged], { 'grpc-encoding': 'gzip' });
  assert.equal(statusOf(gz), grpc.status.UNIMPLEMENTED);
  assert.equal(gz.headers['grpc-accept-encoding'], 'identity');
  // Reserved flag bits.
  const odd = Buffer.from(flagged);
  odd[0] = 2;
  assert.equal(statusOf(await rawCall(s, UNARY_PATH, [odd])), grpc.status.INTERNAL);
  // Oversize: refused from the prefix alone, the body is never awaited (stream left open by the client).
  const over = await rawCall(s, UNARY_PATH, [Buffer.from([0, 0, 0, 0x10, 0])], {}, false);
  assert.equal(statusOf(over), grpc.status.RESOURCE_EXHAUSTED);
  assert.equal(messageOf(over), 'Received message larger than max (4096 vs. 1024)');
  // No message, and two messages, on the unary method.
  assert.equal(statusOf(await rawCall(s, UNARY_PATH, [])), grpc.status.UNIMPLEMENTED);
  const one = frameMessage(payload('ServerCheckRequest', {}));
  assert.equal(statusOf(await rawCall(s, UNARY_PATH, [one, one])), grpc.status.UNIMPLEMENTED);
  // Undecodable protobuf inside a well-formed frame: answered in-band (ErrorResponse), as with grpc-js.
  const bad = await rawCall(s, UNARY_PATH, [frameMessage(Buffer.from([0xff, 0xff, 0xff]))]);
  assert.equal(statusOf(bad), 0);
  assert.equal(messagesOf(bad.data)[0]!.type, 'ErrorResponse');
  // The session survived it all.
  assert.equal(statusOf(await rawCall(s, UNARY_PATH, [one])), 0);
});

test('raw: grpc-timeout deadline ends a slow unary call with DEADLINE_EXCEEDED; the late reply is dropped', T, async (t) => {
  const server = await startServer(t);
  const slow: { release: (() => void) | null } = { release: null };
  server.registerHandler('SlowRequest', () => new Promise((resolve) => (slow.release = () => resolve({ type: 'SlowResponse', body: okResponse() }))));
  const s = connect(t, server);
  await registerRaw(s, server);
  const r = await rawCall(s, UNARY_PATH, [frameMessage(payload('SlowRequest', {}))], { 'grpc-timeout': '100m' });
  assert.equal(statusOf(r), grpc.status.DEADLINE_EXCEEDED);
  assert.equal(messageOf(r), 'Deadline exceeded');
  assert.ok(slow.release, 'the handler was reached');
  slow.release();
  await new Promise((res) => setTimeout(res, 20));
  // Malformed timeout.
  const bad = await rawCall(s, UNARY_PATH, [frameMessage(payload('ServerCheckRequest', {}))], { 'grpc-timeout': 'soon' });
  assert.equal(statusOf(bad), grpc.status.INTERNAL);
  // A generous deadline does not get in the way.
  assert.equal(statusOf(await rawCall(s, UNARY_PATH, [frameMessage(payload('ServerCheckRequest', {}))], { 'grpc-timeout': '5S' })), 0);
});

test('raw: client cancel (RST_STREAM) of the bi-stream, also mid-message, unregisters; the session keeps working', T, async (t) => {
  const server = await startServer(t);
  const disconnected: string[] = [];
  server.onDisconnected((c) => disconnected.push(c.id));
  const s = connect(t, server);
  const bidi = await registerRaw(s, server);
  // Half a message, then the reset.
  bidi.write(Buffer.from([0, 0, 0, 1, 0, 1, 2, 3]));
  bidi.close(http2.constants.NGHTTP2_CANCEL);
  await eventually(() => disconnected.length === 1, 'unregistered after RST_STREAM');
  assert.equal(server.connectionCount(), 0);
  // A unary call cancelled mid-message does no harm either.
  const req = s.request({ ...GRPC_HEADERS, ':path': UNARY_PATH });
  req.on('error', () => undefined);
  req.write(Buffer.from([0, 0, 0, 0, 50, 1]));
  req.close(http2.constants.NGHTTP2_CANCEL);
  const r = await rawCall(s, UNARY_PATH, [frameMessage(payload('ServerCheckRequest', {}))]);
  assert.equal(statusOf(r), 0);
  // The same transport can register again.
  await registerRaw(s, server);
});

test('raw: half-close of the bi-stream ends it with grpc-status 0 and unregisters', T, async (t) => {
  const server = await startServer(t);
  const disconnected: string[] = [];
  server.onDisconnected((c) => disconnected.push(c.id));
  const s = connect(t, server);
  const bidi = await registerRaw(s, server);
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => bidi.on('trailers', resolve));
  bidi.resume();
  bidi.end();
  assert.equal((await trailers)['grpc-status'], '0');
  await eventually(() => disconnected.length === 1, 'unregistered');
});

test('raw: pushes respect back-pressure: a client that stops reading gets write-failed, not unbounded buffering', T, async (t) => {
  const server = await startServer(t);
  const s = connect(t, server);
  const bidi = await registerRaw(s, server);
  bidi.pause(); // never read: the HTTP/2 windows fill, then the server-side buffer.
  const [conn] = server.listConnections();
  const body = { serviceInfo: { name: 's', pad: 'z'.repeat(256 * 1024) }, module: 'naming' };
  const outcomes: Array<Promise<string>> = [];
  let failed: PushError | null = null;
  for (let i = 0; i < 40 && !failed; i++) {
    outcomes.push(
      server.push(conn!.id, 'NotifySubscriberRequest', body, 2000).then(
        () => 'acked',
        (e: unknown) => {
          if (e instanceof PushError && e.reason === 'write-failed') failed = e;
          return e instanceof PushError ? e.reason : 'other';
        },
      ),
    );
    await new Promise((r) => setImmediate(r));
  }
  await eventually(() => failed !== null, 'a refused push');
  // At most the cap (plus one message) plus the flow-control windows was accepted.
  const accepted = outcomes.length - 1;
  assert.ok(accepted * 256 * 1024 <= MAX_BUFFERED_PUSH_BYTES + 2 * 256 * 1024 + 2 * 1024 * 1024, `accepted ${accepted} pushes`);
  // Reading again drains what was buffered.
  let got = 0;
  let pending = Buffer.alloc(0);
  bidi.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
      pending = pending.subarray(5 + pending.readUInt32BE(1));
      got++;
    }
  });
  bidi.resume();
  await eventually(() => got >= accepted, `drained ${got}/${accepted}`);
});

test('raw: keepalive PINGs are sent; shutdown sends GOAWAY', T, async (t) => {
  const server = await startServer(t, { keepaliveTimeMs: 50, keepaliveTimeoutMs: 1000 });
  const s = connect(t, server);
  let pings = 0;
  s.on('ping', () => pings++);
  await registerRaw(s, server);
  await eventually(() => pings >= 2, 'two keepalive pings');
  const goaway = new Promise<number>((resolve) => s.once('goaway', (code: number) => resolve(code)));
  await server.stop(500);
  assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
});
