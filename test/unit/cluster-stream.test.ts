/**
 * The member stream without sockets: frame codec and chunking, the server session (stream-open
 * handshake, dispatch order) and the client PeerStream (queue bounds, back-pressure, break and
 * reconnect with back-off, chunked large frames) wired to each other in memory on a ManualClock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ManualClock } from '../../src/core/clock.js';
import { ClusterRequestError } from '../../src/cluster/transport/errors.js';
import { PeerStream, type DuplexLike, type PeerStreamOptions } from '../../src/cluster/transport/peer-stream.js';
import { ChunkAssembler, chunkFrames, decodeFrame, encodeHandshake, encodeMessage, FRAME } from '../../src/cluster/transport/stream-frame.js';
import { StreamSession, type SessionEnd, type StreamSessionOptions } from '../../src/cluster/transport/stream-session.js';
import { framesByPeer } from '../../src/cluster/raft-link.js';
import type { Message } from '../../src/raft/types.js';

const SECRET = 's'.repeat(32);
const A = '127.0.0.1:8848';
const B = '127.0.0.2:8848';
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
let nonceSeq = 0;
const nonce = (): string => (++nonceSeq).toString(16).padStart(64, '0');

test('frames round-trip, and malformed ones decode to an error instead of throwing', () => {
  const m = decodeFrame(encodeMessage(FRAME.CALL, 7, 'RaftProposeRequest', '{"command":"é"}'));
  assert.ok(!('error' in m) && m.kind === FRAME.CALL);
  assert.equal(m.id, 7);
  assert.equal(m.type, 'RaftProposeRequest');
  assert.equal(m.body.toString('utf8'), '{"command":"é"}');
  const h = decodeFrame(encodeHandshake(FRAME.HELLO, { member: A }));
  assert.ok(!('error' in h) && h.kind === FRAME.HELLO);
  assert.deepEqual(h.json, { member: A });
  for (const bad of [Buffer.alloc(0), Buffer.from([9]), Buffer.from([FRAME.SEND, 0, 0]), Buffer.from([FRAME.SEND, 0, 0, 0, 0, 0, 9, 65]), Buffer.from([FRAME.HELLO, 123]), Buffer.from([FRAME.CHUNK, 0, 0, 0, 1, 2])]) {
    assert.ok('error' in decodeFrame(bad), `expected an error for ${bad.toString('hex')}`);
  }
  assert.throws(() => encodeMessage(FRAME.SEND, -1, 'T', ''), RangeError);
});

test('a large frame is split into chunks and reassembled; the total is bounded; transfers do not interleave', () => {
  const frame = encodeMessage(FRAME.SEND, 0, 'T', 'x'.repeat(1000));
  const chunks = [...chunkFrames(frame, 5, 300)];
  assert.equal(chunks.length, Math.ceil(frame.length / 300));
  const asm = new ChunkAssembler(10_000);
  let whole: unknown = null;
  chunks.forEach((c, i) => {
    const f = decodeFrame(c);
    assert.ok(!('error' in f) && f.kind === FRAME.CHUNK);
    assert.equal(f.last, i === chunks.length - 1);
    whole = asm.add(f);
    if (i < chunks.length - 1) assert.equal(whole, null);
  });
  assert.deepEqual(whole, frame);
  const small = new ChunkAssembler(500);
  const out = [...chunkFrames(frame, 1, 300)].map((c) => small.add(decodeFrame(c) as { transfer: number; last: boolean; data: Buffer }));
  assert.ok(out.some((r) => r !== null && !Buffer.isBuffer(r) && /exceeds 500/.test(r.error)));
  const mixed = new ChunkAssembler(10_000);
  const [first] = chunkFrames(frame, 1, 300);
  const [other] = chunkFrames(frame, 2, 300);
  assert.equal(mixed.add(decodeFrame(first!) as never), null);
  assert.match((mixed.add(decodeFrame(other!) as never) as { error: string }).error, /incomplete/);
});

/** A client call wired to a server session in memory (delivery is asynchronous, like a socket). */
class FakeCall extends EventEmitter implements DuplexLike {
  accept = true;
  cancelled = false;
  written: Buffer[] = [];
  toServer: ((f: Buffer) => void) | null = null;
  write(f: Buffer): boolean {
    this.written.push(f);
    const to = this.toServer;
    if (to) queueMicrotask(() => to(f));
    return this.accept;
  }
  end(): void {}
  cancel(): void {
    this.cancelled = true;
  }
}

interface Rig {
  clock: ManualClock;
  stream: PeerStream;
  calls: FakeCall[];
  sessions: StreamSession[];
  ends: (SessionEnd | null)[];
  got: { type: string; body: string; from: string }[];
}

function rig(o: { client?: Partial<PeerStreamOptions>; server?: Partial<StreamSessionOptions>; serverSelf?: string } = {}): Rig {
  const clock = new ManualClock();
  const r: Rig = { clock, stream: null as unknown as PeerStream, calls: [], sessions: [], ends: [], got: [] };
  const dial = (): FakeCall => {
    const call = new FakeCall();
    const session = new StreamSession({
      self: o.serverSelf ?? B,
      secret: SECRET,
      isMember: (a) => a === A,
      nonce,
      clock,
      handshakeTimeoutMs: 1000,
      maxInboundBytes: 1 << 20,
      dispatch: (type, body, from, reply) => {
        r.got.push({ type, body: body.toString('utf8'), from });
        if (!reply) return Promise.resolve(null);
        return Promise.resolve({ type: type.replace(/Request$/, 'Response'), json: JSON.stringify({ resultCode: 200, echo: body.toString('utf8') }) });
      },
      write: (f) => queueMicrotask(() => call.emit('data', f)),
      close: (e) => r.ends.push(e),
      ...o.server,
    });
    call.toServer = (f) => session.onFrame(f);
    r.calls.push(call);
    r.sessions.push(session);
    queueMicrotask(() => session.start());
    return call;
  };
  r.stream = new PeerStream({
    peer: B,
    self: A,
    secret: SECRET,
    clock,
    dial,
    nonce,
    handshakeTimeoutMs: 1000,
    maxQueueFrames: 8,
    maxQueueBytes: 1 << 20,
    chunkBytes: 1024,
    maxTransfers: 2,
    backoffMs: { initial: 100, max: 400 },
    readReply: (type, body) => (type.endsWith('Response') ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : new ClusterRequestError('remote-error', type)),
    ...o.client,
  });
  return r;
}

test('the stream opens with one handshake, then frames arrive in order as the authenticated member, and calls get their replies', async () => {
  const r = rig();
  for (let i = 0; i < 5; i++) assert.equal(r.stream.send('RaftMessageRequest', `{"n":${i}}`), true);
  const reply = r.stream.request('RaftProposeRequest', '{"command":"c"}', 5000);
  await flush();
  assert.equal(r.stream.state, 'open');
  assert.deepEqual(await reply, { resultCode: 200, echo: '{"command":"c"}' });
  assert.deepEqual(r.got.map((g) => g.body), ['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}', '{"command":"c"}']);
  assert.ok(r.got.every((g) => g.from === A));
  assert.equal(r.calls.length, 1);
  assert.equal(r.sessions[0]!.member, A);
  assert.deepEqual(r.ends, []);
});

test('server session: nothing is dispatched before a valid hello; a non-hello first frame, a big one, or silence closes the stream', async () => {
  for (const first of [encodeMessage(FRAME.SEND, 0, 'RaftMessageRequest', '{}'), Buffer.alloc(5000, 2)]) {
    const ends: (SessionEnd | null)[] = [];
    let dispatched = 0;
    const clock = new ManualClock();
    const s = new StreamSession({ self: B, secret: SECRET, isMember: () => true, nonce, clock, handshakeTimeoutMs: 1000, maxInboundBytes: 1 << 20, dispatch: () => (dispatched++, Promise.resolve({ type: 'x', json: '{}' })), write: () => {}, close: (e) => ends.push(e) });
    s.start();
    s.onFrame(first);
    s.onFrame(encodeMessage(FRAME.SEND, 0, 'RaftMessageRequest', '{}'));
    assert.equal(dispatched, 0);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.code, 'unauthenticated');
  }
  const ends: (SessionEnd | null)[] = [];
  const clock = new ManualClock();
  const s = new StreamSession({ self: B, secret: SECRET, isMember: () => true, nonce, clock, handshakeTimeoutMs: 1000, maxInboundBytes: 1 << 20, dispatch: () => Promise.resolve({ type: 'x', json: '{}' }), write: () => {}, close: (e) => ends.push(e) });
  s.start();
  clock.advance(999);
  assert.equal(ends.length, 0);
  clock.advance(1);
  assert.deepEqual(ends.map((e) => e && e.code === 'unauthenticated' && e.failure), ['handshake-timeout']);
});

test('the client refuses a peer that names another member or cannot prove the secret, and backs off', async () => {
  const wrongName = rig({ serverSelf: '127.0.0.9:8848' });
  wrongName.stream.send('T', '{}');
  await flush();
  assert.equal(wrongName.stream.state, 'backoff');
  assert.equal(wrongName.calls[0]!.cancelled, true);
  const wrongSecret = rig({ server: { secret: 'x'.repeat(32), isMember: () => true } });
  wrongSecret.stream.send('T', '{}');
  await flush();
  // The server (wrong secret) refused our hello; we would have refused its welcome too.
  assert.equal(wrongSecret.got.length, 0);
  assert.notEqual(wrongSecret.stream.state, 'open');
});

test('a member that leaves the list: its next frame closes the stream', async () => {
  let member = true;
  const r = rig({ server: { isMember: (a) => member && a === A } });
  r.stream.send('T', '{"a":1}');
  await flush();
  assert.equal(r.got.length, 1);
  member = false;
  r.stream.send('T', '{"a":2}');
  await flush();
  assert.equal(r.got.length, 1);
  assert.deepEqual(r.ends.map((e) => e && e.code === 'unauthenticated' && e.failure), ['not-a-member']);
});

test('bounded queue while opening and under back-pressure: overflow is dropped and counted, drain resumes in order', async () => {
  const r = rig();
  const sent = Array.from({ length: 10 }, (_, i) => r.stream.send('T', `{"i":${i}}`));
  assert.deepEqual(sent, [true, true, true, true, true, true, true, true, false, false]);
  assert.equal(r.stream.stats.framesDropped, 2);
  await flush();
  assert.equal(r.got.length, 8);
  // The connection pushes back: frames wait (bounded) until it drains.
  const call = r.calls[0]!;
  call.accept = false;
  r.stream.send('T', '{"i":100}');
  for (let i = 101; i < 110; i++) r.stream.send('T', `{"i":${i}}`);
  await flush();
  assert.equal(r.got.length, 9, 'one write is taken, then the stream waits for drain');
  assert.equal(r.stream.stats.framesDropped, 3, '8 wait, one more is dropped');
  call.accept = true;
  call.emit('drain');
  await flush();
  assert.deepEqual(r.got.slice(8).map((g) => JSON.parse(g.body) as { i: number }).map((b) => b.i), [100, 101, 102, 103, 104, 105, 106, 107, 108]);
});

test('a broken stream drops what waits, fails calls by what is known of them, and reopens only after the back-off', async () => {
  const r = rig();
  r.stream.send('T', '{}');
  await flush();
  const call = r.calls[0]!;
  call.toServer = null; // the peer stops answering
  const written = r.stream.request('RaftProposeRequest', '{"command":"x"}', 5000);
  call.accept = false;
  r.stream.send('T', '{"queued":1}');
  const queued = r.stream.request('RaftProposeRequest', '{"command":"y"}', 5000);
  call.emit('error', new Error('connection reset'));
  await assert.rejects(written, (e: ClusterRequestError) => e.reason === 'timeout');
  await assert.rejects(queued, (e: ClusterRequestError) => e.reason === 'unreachable');
  assert.equal(r.stream.state, 'backoff');
  // Within the back-off: dropped at once, no dial; calls fail as not delivered.
  assert.equal(r.stream.send('T', '{}'), false);
  await assert.rejects(r.stream.request('RaftProposeRequest', '{}', 5000), (e: ClusterRequestError) => e.reason === 'unreachable');
  assert.equal(r.calls.length, 1);
  r.clock.advance(100);
  assert.equal(r.stream.send('T', '{"again":1}'), true);
  await flush();
  assert.equal(r.calls.length, 2);
  assert.equal(r.stream.state, 'open');
  assert.equal(r.got.at(-1)!.body, '{"again":1}');
  assert.equal(r.stream.stats.opens, 2);
});

test('the back-off doubles up to its maximum while the peer stays away', async () => {
  const clock = new ManualClock();
  let dials = 0;
  const s = rig({
    client: {
      clock,
      dial: () => {
        dials++;
        throw new Error('ECONNREFUSED');
      },
    },
  }).stream;
  const waits: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = dials;
    let waited = 0;
    while (dials === before) {
      s.send('T', '{}');
      if (dials === before) {
        clock.advance(50);
        waited += 50;
      }
    }
    waits.push(waited);
  }
  assert.deepEqual(waits, [0, 100, 200, 400, 400]);
});

test('a large frame travels in chunks, one per drain, with small frames overtaking it; it arrives whole', async () => {
  const r = rig();
  r.stream.send('T', '{"warm":1}');
  await flush();
  const call = r.calls[0]!;
  call.accept = false; // every write fills the window: one frame per drain
  const big = JSON.stringify({ snapshot: 'z'.repeat(5000) });
  assert.equal(r.stream.send('RaftMessageRequest', big), true);
  await flush();
  assert.equal(r.got.length, 1, 'only the first chunk was written');
  assert.equal(r.stream.send('T', '{"heartbeat":1}'), true);
  call.emit('drain');
  await flush();
  assert.equal(r.got.at(-1)!.body, '{"heartbeat":1}', 'the small frame went before the rest of the chunks');
  for (let i = 0; i < 10; i++) {
    call.emit('drain');
    await flush();
  }
  assert.equal(r.got.at(-1)!.body, big);
  assert.ok(r.stream.stats.chunksSent >= 5);
  assert.deepEqual(r.ends, []);
});

test('framesByPeer: one frame per peer per Ready, snapshots alone, heartbeats with the same context coalesced', () => {
  const hb = (to: string, commit: number, ctx = ''): Message => ({ type: 'heartbeat', from: A, to, term: 2, commit, ctx });
  const app = (to: string): Message => ({ type: 'app', from: A, to, term: 2, index: 1, logTerm: 1, entries: [], commit: 1 });
  const snap = (to: string): Message => ({ type: 'snap', from: A, to, term: 2, snapshot: { meta: { index: 5, term: 1, conf: { voters: [A, B], learners: [] } }, data: 'x' } });
  const out = framesByPeer([hb(B, 1), app(B), hb('c', 1), snap(B), hb(B, 3), hb(B, 3, 'r1')]);
  assert.deepEqual(
    out.get(B)!.map((f) => f.map((m) => `${m.type}${m.type === 'heartbeat' ? `:${m.commit}${m.ctx}` : ''}`)),
    [['app', 'heartbeat:3', 'heartbeat:3r1'], ['snap']],
  );
  assert.deepEqual(out.get('c')!.length, 1);
  assert.deepEqual([...framesByPeer([snap(B)]).get(B)!].map((f) => f.length), [1]);
});

test('a break of an open stream is reported (Raft: leader lost), a local close or a failed reopen is not; warm() opens without a frame', async () => {
  const events: string[] = [];
  const r = rig({ client: { onEvent: (e, d) => events.push(`${e}:${d}`) } });
  r.stream.warm();
  await flush();
  assert.equal(r.stream.state, 'open', 'warm() opened and authenticated the stream');
  assert.equal(r.got.length, 0, 'no frame was sent');
  assert.deepEqual(events, [`open:${B}`]);
  r.calls[0]!.emit('error', new Error('14 UNAVAILABLE: read ECONNRESET'));
  assert.deepEqual(events.slice(1), ['broken:14 UNAVAILABLE: read ECONNRESET']);
  // Within the back-off warm() does nothing; afterwards a reopen that fails at once is not reported.
  r.stream.warm();
  assert.equal(r.calls.length, 1);
  r.clock.advance(100);
  r.stream.warm();
  r.calls[1]!.emit('error', new Error('14 UNAVAILABLE: connect ECONNREFUSED'));
  assert.equal(events.length, 2, 'a failed reopen is not a lost peer');
  r.clock.advance(200);
  r.stream.warm();
  await flush();
  assert.equal(r.stream.state, 'open');
  r.stream.close();
  assert.deepEqual(events.slice(2), [`open:${B}`], 'closing it ourselves is not reported');
});
