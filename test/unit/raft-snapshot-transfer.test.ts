/**
 * Snapshot transfer between RaftLinks (docs/raft.md "Snapshot transfer"): a snapshot travels as a
 * RaftSnapshotRequest with its image compressed, is inflated (bounded) and checked on arrival, and
 * a delivery failure is reported to the leader's core; a follower of an older build gets the
 * uncompressed RaftMessageRequest. Two links over an in-process fake of the cluster transport.
 */
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { RAFT_MESSAGE, RAFT_SNAPSHOT, RaftLink, type RaftLinkStore, type RaftLinkTransport } from '../../src/cluster/raft-link.js';
import { ClusterRequestError, type ClusterHandler } from '../../src/cluster/transport/index.js';
import type { Message, SnapshotMsg } from '../../src/raft/types.js';

const log = createLogger('silent');

class FakeTransport implements RaftLinkTransport {
  readonly handlers = new Map<string, ClusterHandler>();
  peer: FakeTransport | null = null;
  readonly sent: { type: string; body: unknown }[] = [];
  /** What the next requests fail with (null: delivered). */
  failWith: ClusterRequestError | null = null;
  /** Requests waiting for their answer fail when the stream breaks (breakStreams). */
  private readonly breakers = new Set<(e: Error) => void>();
  breakStreams(): void {
    for (const b of this.breakers) b(new ClusterRequestError('unreachable', 'the stream to F broke'));
    this.breakers.clear();
  }
  handle(type: string, handler: ClusterHandler): void {
    this.handlers.set(type, handler);
  }
  send(_peer: string, type: string, body: object): boolean {
    this.sent.push({ type, body });
    const h = this.peer?.handlers.get(type);
    void h?.(JSON.parse(JSON.stringify(body)), 'L');
    return true;
  }
  request(peer: string, type: string, body: object | string): Promise<Record<string, unknown>> {
    return this.streamRequest(peer, type, body);
  }
  async streamRequest(_peer: string, type: string, body: object | string): Promise<Record<string, unknown>> {
    this.sent.push({ type, body });
    if (this.failWith) throw this.failWith;
    const h = this.peer?.handlers.get(type);
    if (!h) throw new ClusterRequestError('remote-error', `${type}: RequestHandler Not Found`, 302);
    try {
      const broken = new Promise<never>((_, reject) => this.breakers.add(reject));
      return JSON.parse(JSON.stringify(await Promise.race([h(JSON.parse(JSON.stringify(body)), 'L'), broken]))) as Record<string, unknown>;
    } catch (e) {
      if (e instanceof ClusterRequestError) throw e;
      throw new ClusterRequestError('remote-error', e instanceof Error ? e.message : String(e), e instanceof NacosError ? e.status : 500);
    }
  }
  onPeerLost(): void {}
  warmStream(): void {}
}

/** A store whose Raft host records what it is told. */
class FakeStore implements RaftLinkStore {
  readonly received: Message[] = [];
  readonly reports: string[] = [];
  /** The host's install of a snapshot: resolved at once unless a test holds it. */
  install: Promise<void> = Promise.resolve();
  raft = {
    receive: (msgs: readonly Message[]) => void this.received.push(...msgs),
    reportSnapshot: (peer: string, status: 'failed') => void this.reports.push(`${peer}:${status}`),
    waitApplied: () => this.install,
  } as unknown as RaftLinkStore['raft'];
  proposeAsLeader(): Promise<{ index: number }> {
    return Promise.reject(new Error('not used'));
  }
  proposeBatchAsLeader(): Promise<never> {
    return Promise.reject(new Error('not used'));
  }
  /** The storage's snapshot image (for image-less snapshots); null: reading fails. */
  stored: { index: number; image: string } | null = null;
  reads = 0;
  snapshotImageBytes(index: number): Promise<Buffer> {
    this.reads++;
    if (!this.stored || this.stored.index !== index) return Promise.reject(new Error(`snapshot ${index} is not the newest`));
    return Promise.resolve(Buffer.from(this.stored.image, 'utf8'));
  }
}

function pair(maxImageBytes = 1 << 20): { leader: RaftLink; lt: FakeTransport; ft: FakeTransport; leaderStore: FakeStore; followerStore: FakeStore; follower: RaftLink } {
  const clock = new ManualClock();
  const lt = new FakeTransport();
  const ft = new FakeTransport();
  lt.peer = ft;
  ft.peer = lt;
  const leaderStore = new FakeStore();
  const followerStore = new FakeStore();
  const snap = { sendTimeoutMs: 5000, maxImageBytes };
  const leader = new RaftLink(lt, leaderStore, clock, log, 1000, 'stream', undefined, snap);
  const follower = new RaftLink(ft, followerStore, clock, log, 1000, 'stream', undefined, snap);
  return { leader, lt, ft, leaderStore, followerStore, follower };
}

const image = JSON.stringify({ v: 1, rows: Array.from({ length: 2000 }, (_, i) => ['instance', `svc-${i % 7}#127.0.${i % 250}.1#9000`, { ip: '127.0.0.1', weight: 1, metadata: { zone: 'é-z1' } }]), ids: [] });
/** The leader's core handing out a snapshot whose image stays in the storage (lazySnapshotImages). */
const lazySnapMsg = (): SnapshotMsg => ({ ...snapMsg(''), snapshot: { ...snapMsg('').snapshot, imageInStorage: true } });
const snapMsg = (data = image, from = 'L'): SnapshotMsg => ({ type: 'snap', from, to: 'F', term: 3, snapshot: { meta: { index: 42, term: 3, conf: { voters: ['L', 'F'], learners: [] } }, data } });
/** Waits until `done()` (compression and inflation run on libuv's pool: no fixed delay is enough on a busy machine). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), 'condition not reached within 10 s');
}

/** The body of a RaftSnapshotRequest carrying `data` (for hand-made bad requests). */
function requestBody(data: Buffer, bytes = data.length, msg = snapMsg('')): Record<string, unknown> {
  return { message: msg, bytes, deflated: deflateRawSync(data).toString('base64') };
}

describe('RaftLink: snapshot transfer', () => {
  it('sends the image compressed; the follower hands the core the very same message', async () => {
    const { leader, lt, followerStore, leaderStore } = pair();
    leader.send([snapMsg()]);
    await until(() => followerStore.received.length === 1);
    assert.deepEqual(lt.sent.map((s) => s.type), [RAFT_SNAPSHOT]);
    const body = lt.sent[0]!.body as { message: SnapshotMsg; bytes: number; deflated: string };
    assert.equal(body.message.snapshot.data, '', 'the image is not sent uncompressed as well');
    assert.equal(body.bytes, Buffer.byteLength(image));
    assert.ok(body.deflated.length < image.length / 4, `compressed: ${body.deflated.length} base64 chars for ${image.length}`);
    assert.deepEqual(followerStore.received, [snapMsg()]);
    assert.deepEqual(leaderStore.reports, []);
    assert.equal(leader.stats.snapshotsSent, 1);
    assert.equal(leader.stats.snapshotWireBytes, body.deflated.length);
  });

  it('reports a snapshot the transport could not deliver to the core (sent again at the next answer)', async () => {
    const { leader, lt, leaderStore } = pair();
    lt.failWith = new ClusterRequestError('timeout', 'stream to F broke before the reply');
    leader.send([snapMsg()]);
    await until(() => leaderStore.reports.length === 1);
    assert.deepEqual(leaderStore.reports, ['F:failed']);
    assert.equal(leader.stats.snapshotsFailed, 1);
  });

  it('a refusal by the follower is left to the resend timeout (sending it again at once would fail alike)', async () => {
    const { leader, leaderStore, lt } = pair(1000);
    leader.send([snapMsg()]); // larger than the follower's limit of 1,000 bytes
    await until(() => leader.stats.snapshotsFailed === 1);
    assert.deepEqual(lt.sent.map((s) => s.type), [RAFT_SNAPSHOT]);
    assert.deepEqual(leaderStore.reports, []);
    assert.equal(leader.stats.snapshotsFailed, 1);
  });

  it('a follower of an older build (no handler) gets the uncompressed message, and so the next time', async () => {
    const { leader, lt, ft, followerStore } = pair();
    ft.handlers.delete(RAFT_SNAPSHOT);
    leader.send([snapMsg()]);
    await until(() => followerStore.received.length === 1);
    leader.send([snapMsg()]);
    await until(() => followerStore.received.length === 2);
    assert.deepEqual(lt.sent.map((s) => s.type), [RAFT_SNAPSHOT, RAFT_MESSAGE, RAFT_MESSAGE]);
    assert.deepEqual(followerStore.received, [snapMsg(), snapMsg()]);
  });

  it('an image left in the storage is read from there and arrives whole (docs/raft.md "Snapshot transfer")', async () => {
    const { leader, lt, followerStore, leaderStore } = pair();
    leaderStore.stored = { index: 42, image };
    leader.send([lazySnapMsg()]);
    await until(() => followerStore.received.length === 1);
    assert.equal(leaderStore.reads, 1);
    assert.deepEqual(followerStore.received, [snapMsg()], 'the follower gets the image, and no storage flag');
    const body = lt.sent[0]!.body as { message: SnapshotMsg; bytes: number };
    assert.equal(body.bytes, Buffer.byteLength(image));
    assert.equal('imageInStorage' in body.message.snapshot, false);
    assert.equal(leader.stats.snapshotChars, Buffer.byteLength(image));
    assert.deepEqual(leaderStore.reports, []);
  });

  it('an image the storage cannot give (replaced by a newer snapshot) is reported lost, and nothing is sent', async () => {
    const { leader, lt, leaderStore } = pair();
    leaderStore.stored = { index: 43, image };
    leader.send([lazySnapMsg()]);
    await until(() => leaderStore.reports.length === 1);
    assert.deepEqual(leaderStore.reports, ['F:failed']);
    assert.deepEqual(lt.sent, []);
  });

  it('a follower of an older build gets an image left in the storage uncompressed, read first', async () => {
    const { leader, lt, ft, followerStore, leaderStore } = pair();
    ft.handlers.delete(RAFT_SNAPSHOT);
    leaderStore.stored = { index: 42, image };
    leader.send([lazySnapMsg()]);
    await until(() => followerStore.received.length === 1);
    leader.send([lazySnapMsg()]);
    await until(() => followerStore.received.length === 2);
    assert.deepEqual(lt.sent.map((s) => s.type), [RAFT_SNAPSHOT, RAFT_MESSAGE, RAFT_MESSAGE]);
    assert.deepEqual(followerStore.received, [snapMsg(), snapMsg()]);
    for (const sent of lt.sent.slice(1)) assert.equal(JSON.stringify(sent.body).includes('imageInStorage'), false);
  });

  it('never puts an image-less snapshot on the wire (no storage to read it from: reported lost)', async () => {
    const clock = new ManualClock();
    const lt = new FakeTransport();
    const ft = new FakeTransport();
    lt.peer = ft;
    const store = new FakeStore();
    const leader = new RaftLink(lt, { raft: store.raft, proposeAsLeader: store.proposeAsLeader, proposeBatchAsLeader: store.proposeBatchAsLeader }, clock, log, 1000, 'stream');
    ft.handlers.set(RAFT_MESSAGE, () => assert.fail('an image-less snapshot was delivered'));
    leader.send([lazySnapMsg()]);
    await until(() => store.reports.length === 1);
    assert.deepEqual(lt.sent, []);
  });

  it('the follower answers once the snapshot is installed; one that dies before that makes the leader send it again (docs/raft.md "Snapshot transfer")', async () => {
    const { leader, lt, followerStore, leaderStore } = pair();
    let installed!: () => void;
    followerStore.install = new Promise<void>((r) => (installed = r));
    let answered = false;
    const orig = lt.streamRequest.bind(lt);
    lt.streamRequest = async (...args: Parameters<FakeTransport['streamRequest']>) => {
      const r = await orig(...args);
      answered = true;
      return r;
    };
    leader.send([snapMsg()]);
    await until(() => followerStore.received.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, false, 'not answered while the follower is still installing');
    installed();
    await until(() => answered);
    assert.deepEqual(leaderStore.reports, []);
    // The next one: the follower dies while installing (its stream breaks before the answer).
    followerStore.install = new Promise<void>(() => {});
    leader.send([snapMsg()]);
    await until(() => followerStore.received.length === 2);
    lt.breakStreams();
    await until(() => leaderStore.reports.length === 1);
    assert.deepEqual(leaderStore.reports, ['F:failed']);
  });

  it('a follower that cannot install the snapshot in time refuses it (left to the resend timeout)', async () => {
    const { leader, followerStore, leaderStore } = pair();
    followerStore.install = Promise.reject(new Error('entry 42 not applied within 5000 ms'));
    followerStore.install.catch(() => {});
    leader.send([snapMsg()]);
    await until(() => leader.stats.snapshotsFailed === 1);
    assert.deepEqual(leaderStore.reports, []);
  });

  it('refuses bad requests before they reach the core', async () => {
    const { ft, followerStore } = pair(1 << 16);
    const h = ft.handlers.get(RAFT_SNAPSHOT)!;
    const status = async (body: unknown): Promise<number | string> => {
      try {
        await h(body as Record<string, unknown>, 'L');
        return 'accepted';
      } catch (e) {
        return e instanceof NacosError ? e.status : String(e);
      }
    };
    const small = Buffer.from('{"v":1,"rows":[],"ids":[]}');
    assert.equal(await status(requestBody(small)), 'accepted');
    assert.equal(followerStore.received.length, 1);
    // announced larger than the limit: refused before inflating
    assert.equal(await status(requestBody(small, 1 << 20)), 400);
    // inflates to more than announced (a bomb that lies about its size)
    assert.equal(await status(requestBody(Buffer.alloc(200_000, 0x20), 100)), 400);
    // inflates to less than announced
    assert.equal(await status(requestBody(small, small.length + 1)), 400);
    // larger than the limit once inflated, whatever it announces
    assert.equal(await status(requestBody(Buffer.alloc(70_000, 0x20), 70_000)), 400);
    // not deflate, not base64, not UTF-8, image sent uncompressed too, missing fields
    assert.equal(await status({ message: snapMsg(''), bytes: 3, deflated: Buffer.from('abc').toString('base64') }), 400);
    assert.equal(await status({ message: snapMsg(''), bytes: 3, deflated: '!!!' }), 400);
    assert.equal(await status(requestBody(Buffer.from([0xff, 0xfe, 0x41]))), 400);
    assert.equal(await status({ ...requestBody(small), message: snapMsg('x') }), 400);
    assert.equal(await status({ message: snapMsg('') }), 400);
    assert.equal(await status({ ...requestBody(small), message: { ...snapMsg(''), type: 'app' } }), 400);
    // sent in another member's name
    assert.equal(await status(requestBody(small, small.length, snapMsg('', 'X'))), 403);
    assert.equal(followerStore.received.length, 1, 'nothing else reached the core');
  });
});
