/**
 * Batched forwarded writes (docs/raft.md "Forwarded writes"): commands a follower forwards to the
 * same leader in one event-loop turn travel in one RaftProposeBatchRequest, each answered on its
 * own; a lone command and a leader of an older build (no batch handler) get the single form.
 * Two RaftLinks over an in-process fake of the cluster transport, the leader's store faked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { NacosError } from '../../src/core/errors.js';
import { createLogger } from '../../src/observability/logger.js';
import { RAFT_PROPOSE, RAFT_PROPOSE_BATCH, RaftLink, type RaftLinkStore, type RaftLinkTransport } from '../../src/cluster/raft-link.js';
import { ClusterRequestError, type ClusterHandler } from '../../src/cluster/transport/index.js';
import { NotLeaderError, type ForwardOutcome } from '../../src/persistence/raft-store.js';

const log = createLogger('silent');

/** One member's transport: requests go to the handlers registered by the peer's link. */
class FakeTransport implements RaftLinkTransport {
  readonly handlers = new Map<string, ClusterHandler>();
  peer: FakeTransport | null = null;
  readonly calls: string[] = [];
  /** Requests not answered until released (to test per-command timeouts). */
  hold = false;
  private readonly held: (() => void)[] = [];
  handle(type: string, handler: ClusterHandler): void {
    this.handlers.set(type, handler);
  }
  send(): boolean {
    return true;
  }
  request(peer: string, type: string, body: object | string): Promise<Record<string, unknown>> {
    return this.streamRequest(peer, type, body);
  }
  async streamRequest(_peer: string, type: string, body: object | string): Promise<Record<string, unknown>> {
    this.calls.push(type);
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    const h = this.peer?.handlers.get(type);
    // Like the cluster server: an unknown type is answered with 302 "RequestHandler Not Found".
    if (!h) throw new ClusterRequestError('remote-error', `${type}: RequestHandler Not Found`, 302);
    try {
      return JSON.parse(JSON.stringify(await h(JSON.parse(JSON.stringify(body)), 'f'))) as Record<string, unknown>;
    } catch (e) {
      throw new ClusterRequestError('remote-error', e instanceof Error ? e.message : String(e), e instanceof NacosError ? e.status : 500);
    }
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
  onPeerLost(): void {}
  warmStream(): void {}
}

/** The leader's store: each command's outcome is read from the command text. */
class FakeStore implements RaftLinkStore {
  raft = null;
  batches: string[][] = [];
  private next = 10;
  private outcome(c: string): ForwardOutcome {
    if (c.startsWith('bad')) return { ok: false, code: 400, message: `refused ${c}` };
    if (c.startsWith('moved')) return { ok: false, leader: 'x' };
    if (c.startsWith('lost')) return { ok: false, code: 500, message: 'raft write timed out' };
    return { ok: true, index: this.next++ };
  }
  proposeAsLeader(c: string): Promise<{ index: number }> {
    this.batches.push([c]);
    const r = this.outcome(c);
    if (r.ok) return Promise.resolve({ index: r.index });
    return Promise.reject('leader' in r ? new NotLeaderError(r.leader) : new NacosError(r.code, r.message));
  }
  proposeBatchAsLeader(cs: readonly string[]): Promise<ForwardOutcome[]> {
    this.batches.push([...cs]);
    return Promise.resolve(cs.map((c) => this.outcome(c)));
  }
}

function pair(opts: { legacyLeader?: boolean } = {}): { clock: ManualClock; follower: RaftLink; ft: FakeTransport; store: FakeStore; lt: FakeTransport } {
  const clock = new ManualClock();
  const ft = new FakeTransport();
  const lt = new FakeTransport();
  ft.peer = lt;
  lt.peer = ft;
  const store = new FakeStore();
  new RaftLink(lt, store, clock, log, 1000);
  if (opts.legacyLeader) lt.handlers.delete(RAFT_PROPOSE_BATCH);
  const follower = new RaftLink(ft, new FakeStore(), clock, log, 1000);
  return { clock, follower, ft, store, lt };
}

const settled = (p: Promise<{ index: number }>): Promise<{ index: number } | Error> => p.catch((e: unknown) => e as Error);

describe('RaftLink: batched forwarded writes', () => {
  it('sends the commands of one turn in one batch; each is answered on its own', async () => {
    const { follower, ft, store } = pair();
    const out = await Promise.all(['w1', 'bad2', 'moved3', 'lost4', 'w5'].map((c) => settled(follower.forward('L', `${c}!`, 1000))));
    assert.deepEqual(ft.calls, [RAFT_PROPOSE_BATCH]);
    assert.deepEqual(store.batches, [['w1!', 'bad2!', 'moved3!', 'lost4!', 'w5!']]);
    assert.deepEqual(out[0], { index: 10 });
    assert.deepEqual(out[4], { index: 11 });
    // A refusal keeps its status; "not the leader" stays retryable; a 500 stays "outcome unknown".
    assert.ok(out[1] instanceof NacosError && out[1].status === 400 && out[1].message.includes('refused bad2!'));
    assert.ok(out[2] instanceof NotLeaderError && out[2].leader === 'x');
    assert.ok(out[3] instanceof NacosError && out[3].status === 500 && !(out[3] instanceof NotLeaderError));
    assert.equal(follower.stats.batchesForwarded, 1);
    assert.equal(follower.stats.forwardRequests, 1);
  });

  it('a lone command travels in the single form, commands to different leaders separately', async () => {
    const { follower, ft } = pair();
    assert.deepEqual(await follower.forward('L', 'one', 1000), { index: 10 });
    assert.deepEqual(ft.calls, [RAFT_PROPOSE]);
    await Promise.all([follower.forward('L', 'a1', 1000), follower.forward('M', 'b1', 1000)]);
    assert.deepEqual(ft.calls, [RAFT_PROPOSE, RAFT_PROPOSE, RAFT_PROPOSE]);
  });

  it('falls back to single forwards for a leader of an older build, and keeps doing so', async () => {
    const { follower, ft, store } = pair({ legacyLeader: true });
    const out = await Promise.all(['w1', 'bad2', 'w3'].map((c) => settled(follower.forward('L', c, 1000))));
    assert.deepEqual(ft.calls, [RAFT_PROPOSE_BATCH, RAFT_PROPOSE, RAFT_PROPOSE, RAFT_PROPOSE]);
    assert.deepEqual(store.batches, [['w1'], ['bad2'], ['w3']]);
    assert.deepEqual(out[0], { index: 10 });
    assert.ok(out[1] instanceof NacosError && out[1].status === 400);
    assert.deepEqual(out[2], { index: 11 });
    ft.calls.length = 0;
    await Promise.all([follower.forward('L', 'w4', 1000), follower.forward('L', 'w5', 1000)]);
    assert.deepEqual(ft.calls, [RAFT_PROPOSE, RAFT_PROPOSE]);
  });

  it('a command with a shorter timeout gives up alone, with an outcome-unknown error', async () => {
    const { clock, follower, ft } = pair();
    ft.hold = true;
    const short = settled(follower.forward('L', 'w1', 100));
    const long = settled(follower.forward('L', 'w2', 1000));
    await new Promise((r) => setImmediate(r));
    clock.advance(150);
    const e = await short;
    assert.ok(e instanceof ClusterRequestError && e.reason === 'timeout');
    ft.release();
    assert.deepEqual(await long, { index: 11 });
  });

  it('a batch that cannot be sent is retryable for every command', async () => {
    const { follower, ft } = pair();
    ft.peer = null;
    ft.streamRequest = () => Promise.reject(new ClusterRequestError('unreachable', 'down'));
    const out = await Promise.all(['w1', 'w2'].map((c) => settled(follower.forward('L', c, 1000))));
    for (const e of out) assert.ok(e instanceof NotLeaderError && e.leader === '');
  });
});
