import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distroIndex } from '../../src/distro/mapper.js';
import type { SyncRequest } from '../../src/distro/messages.js';
import { TestCluster, inst, svc } from './distro-fixture.js';

const A = '10.0.0.1:8848';
const B = '10.0.0.2:8848';
const C = '10.0.0.3:8848';
const up = (...a: string[]) => a.map((address) => ({ address, state: 'UP' as const }));

function loaded(addresses = [A, B, C], config = {}) {
  const c = new TestCluster(addresses, config);
  c.startAll();
  c.clock.advance(100);
  for (const n of c.nodes.values()) assert.ok(n.distro.isLoaded(), 'cold start: every peer not loaded → loaded');
  c.log.length = 0;
  return c;
}

test('a local change reaches every peer after the sync delay; a burst collapses into one message carrying the latest state', () => {
  const c = loaded();
  const a = c.node(A);
  for (let i = 0; i < 10; i++) {
    a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1', 80 + i)], c.clock.now());
    c.clock.advance(1);
  }
  c.clock.advance(50);
  const syncs = c.sent('sync', A);
  assert.equal(syncs.length, 2, 'one message per peer');
  const rev = a.registry.getClient('conn1')!.revision;
  for (const n of [c.node(B), c.node(C)]) assert.equal(n.registry.getClient('conn1')!.revision, rev);
  assert.equal(c.node(B).registry.getClient('conn1')!.publishes.values().next().value!.instances[0]!.port, 89);
});

test('a removal is sent as a DELETE with its own version; replicas keep a tombstone', () => {
  const c = loaded();
  const a = c.node(A);
  a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(50);
  a.registry.removeClient('conn1', c.clock.now());
  c.clock.advance(50);
  const t = c.node(B).distro.storage.tombstone('conn1')!;
  assert.equal(c.node(B).registry.getClient('conn1'), undefined);
  assert.ok(t.strict && t.version > 0);
});

test('no echo: a replica applying data sends nothing (docs/protocol/distro.md §9.6)', () => {
  const c = loaded();
  c.node(A).registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(5000);
  assert.deepEqual([...new Set(c.sent('sync').map((l) => l.from))], [A]);
});

test('failed syncs are retried after the retry delay with the current state; a DOWN peer never delays the others', () => {
  const c = loaded([A, B, C], { syncRetryDelayMs: 1000 });
  const a = c.node(A);
  c.down.add(B);
  a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(30);
  assert.ok(c.node(C).registry.getClient('conn1'), 'C got it while B fails');
  assert.equal(c.sent('sync', A, B).length, 1);
  c.clock.advance(999);
  assert.equal(c.sent('sync', A, B).length, 2, 'retried after ~1 s');
  a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.2')], c.clock.now());
  c.down.delete(B);
  c.clock.advance(1100);
  assert.equal(c.node(B).registry.getClient('conn1')!.revision, a.registry.getClient('conn1')!.revision);
  assert.ok(a.distro.stats().counters.syncEntriesRetried >= 1);
});

test('a DOWN peer gets no traffic; its backlog is kept (collapsed per client) and flushed when it is back', () => {
  const c = loaded();
  const a = c.node(A);
  a.distro.onMembersChanged([...up(A, C), { address: B, state: 'DOWN' }]);
  for (let i = 0; i < 50; i++) a.registry.publish(`conn${i % 5}`, 'connection', svc(), [inst('10.1.0.1', 80 + i)], c.clock.now());
  c.clock.advance(5000);
  assert.equal(c.sent(undefined, A, B).length, 0);
  assert.equal(a.distro.stats().peers[B]!.pending, 5);
  a.distro.onMembersChanged(up(A, B, C));
  c.clock.advance(10);
  assert.equal(c.sent('sync', A, B).length, 1);
  assert.equal((c.sent('sync', A, B)[0]!.req as SyncRequest).entries.length, 5);
});

test('entries queued for a peer removed from the list are dropped (docs/protocol/distro.md §9.9)', () => {
  const c = loaded();
  const a = c.node(A);
  c.down.add(B);
  a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(30);
  a.distro.onMembersChanged(up(A, C));
  c.clock.advance(10_000);
  assert.equal(c.sent('sync', A, B).length, 1);
  assert.equal(a.distro.stats().counters.syncEntriesDropped, 1);
  assert.equal(a.distro.stats().peers[B], undefined);
});

test('batching: at most N entries per message and K messages in flight per peer', () => {
  const c = loaded([A, B], { syncBatchMaxEntries: 100, syncMaxInFlight: 2 });
  c.delayMs = 50;
  const a = c.node(A);
  for (let i = 0; i < 550; i++) a.registry.publish(`conn${i}`, 'connection', svc(), [inst('10.1.0.1', i + 1)], c.clock.now());
  c.clock.advance(21);
  assert.equal(c.sent('sync', A, B).length, 2, 'two in flight');
  c.clock.advance(1000);
  const msgs = c.sent('sync', A, B).map((l) => (l.req as SyncRequest).entries.length);
  assert.deepEqual(msgs, [100, 100, 100, 100, 100, 50]);
  assert.equal(c.node(B).registry.clientCount(), 550);
});

test('standalone: responsible for everything, loaded at once, no traffic (docs/protocol/distro.md §9.19)', () => {
  const c = new TestCluster([A], {}, {}, true);
  c.startAll();
  const a = c.node(A);
  assert.ok(a.distro.isLoaded());
  a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  a.registry.publish('10.1.0.9:80#true', 'ephemeral-ipport', svc(), [inst('10.1.0.9')], c.clock.now());
  assert.ok(a.distro.isResponsible('10.1.0.9:80#true'));
  c.clock.advance(60_000);
  assert.equal(c.log.length, 0);
});

test('load: a restarted member loads in chunks from a loaded peer and skips its own previous connections', () => {
  const c = loaded([A, B], { loadChunkMaxBytes: 600 });
  const a = c.node(A);
  for (let i = 0; i < 30; i++) a.registry.publish(`conn${i}`, 'connection', svc(), [inst('10.1.0.1', i + 1)], c.clock.now());
  c.node(B).registry.publish('b-old', 'connection', svc(), [inst('10.1.0.2')], c.clock.now());
  c.clock.advance(100);
  assert.ok(a.registry.getClient('b-old'));
  // B restarts with wiped state.
  c.node(B).distro.stop();
  const b = c.add(B, up(A, B));
  b.distro.start();
  assert.equal(b.distro.isLoaded(), false);
  c.clock.advance(100);
  assert.ok(b.distro.isLoaded());
  assert.equal(b.registry.clientCount(), 30, 'A\'s clients, not B\'s own leftovers');
  assert.ok(c.sent('snapshot', B, A).length > 3, 'several chunks');
  // B's first verify tells A that b-old is gone (asOf rule).
  c.clock.advance(7000);
  assert.equal(a.registry.getClient('b-old'), undefined);
});

test('load: no verify before load; give up after loadGiveUpMs when no peer answers', () => {
  const c = new TestCluster([A, B], { loadGiveUpMs: 3000, loadRetryDelayMs: 500, loadTimeoutMs: 400, verifyIntervalMs: 1000 });
  c.down.add(B);
  const a = c.node(A);
  a.distro.start();
  c.clock.advance(2900);
  assert.equal(a.distro.isLoaded(), false);
  assert.equal(c.sent('verify-digest', A).length + c.sent('verify-list', A).length, 0);
  c.clock.advance(200);
  assert.ok(a.distro.isLoaded());
  assert.match(a.distro.stats().loadWarning ?? '', /did not complete/);
});

test('verify repairs a replica that missed a change, in digest and per-client mode', () => {
  for (const verifyMode of ['digest', 'per-client'] as const) {
    const c = loaded([A, B], { verifyMode, verifyIntervalMs: 1000 });
    const a = c.node(A);
    a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
    c.clock.advance(50);
    // B silently loses the client (e.g. a bug or manual removal).
    c.node(B).registry.removeClient('conn1', c.clock.now(), 'replica');
    c.node(B).distro.storage.dropTombstone('conn1');
    c.clock.advance(1300);
    assert.ok(c.node(B).registry.getClient('conn1'), verifyMode);
    assert.ok(a.distro.stats().counters.verifyRepairs >= 1);
  }
});

test('verify bytes per round: digest stays small where the per-client list grows with the clients', () => {
  const bytes: Record<string, number> = {};
  for (const verifyMode of ['digest', 'per-client'] as const) {
    const c = loaded([A, B], { verifyMode, verifyIntervalMs: 5000 });
    const a = c.node(A);
    for (let i = 0; i < 2000; i++) a.registry.publish(`1712345678901_10.1.${i >> 8}.${i & 255}_${40000 + i}`, 'connection', svc(), [inst('10.1.0.1', i + 1)], c.clock.now());
    c.clock.advance(7000);
    bytes[verifyMode] = a.distro.stats().verify.lastRoundBytes;
  }
  assert.ok(bytes['digest']! < 12_000, `digest ${bytes['digest']}`);
  assert.ok(bytes['per-client']! > 60_000, `per-client ${bytes['per-client']}`);
});

test('leases: replicas of an unreachable owner expire after clientExpiredMs, locally only; verified ones never do', () => {
  const c = loaded([A, B], { clientExpiredMs: 10_000, verifyIntervalMs: 1000, expiryCheckIntervalMs: 500 });
  const a = c.node(A);
  const b = c.node(B);
  a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(30_000);
  assert.ok(b.registry.getClient('conn1'), 'renewed by verify');
  c.down.add(B); // B cannot reach A and A's verify cannot reach B
  c.clock.advance(12_000);
  assert.equal(b.registry.getClient('conn1'), undefined);
  assert.ok(a.registry.getClient('conn1'));
  assert.equal(b.distro.stats().counters.expiredReplicas, 1);
  // Back in touch: the owner's next verify re-sends the unchanged state; the weak tombstone lets it in.
  c.down.delete(B);
  c.clock.advance(2000);
  assert.equal(b.registry.getClient('conn1')!.revision, a.registry.getClient('conn1')!.revision);
});

test('ownership moves: the new owner of an ip-port client gets a heartbeat grace; the client is verified by it', () => {
  const c = loaded([A, B]);
  // Find an ip-port tag owned by A in [A, B] (index 0).
  let tag = '';
  for (let i = 1; !tag; i++) if (distroIndex(`10.5.0.${i}:80`, 2) === 0) tag = `10.5.0.${i}:80`;
  const id = `${tag}#true`;
  const a = c.node(A);
  const b = c.node(B);
  a.registry.publish(id, 'ephemeral-ipport', svc(), [inst(tag.split(':')[0]!)], c.clock.now());
  c.clock.advance(50);
  assert.ok(b.registry.getClient(id));
  assert.equal(b.distro.isResponsible(id), false);
  c.clock.advance(20_000);
  b.distro.onMembersChanged([...up(B), { address: A, state: 'DOWN' }]);
  assert.ok(b.distro.isResponsible(id));
  const beat = b.registry.getClient(id)!.lastBeat.values().next().value;
  assert.equal(beat, c.clock.now(), 'fresh heartbeat grace instead of an immediate expiry');
});

test('a responsible member adopts a later state a peer reports, and spreads it', () => {
  const c = loaded([A, B, C], { verifyMode: 'per-client', verifyIntervalMs: 1000 });
  let tag = '';
  for (let i = 1; !tag; i++) if (distroIndex(`10.6.0.${i}:80`, 3) === 0) tag = `10.6.0.${i}:80`;
  const id = `${tag}#true`;
  const a = c.node(A);
  a.registry.publish(id, 'ephemeral-ipport', svc(), [inst('10.6.0.1')], c.clock.now());
  c.clock.advance(50);
  // C received a later state written by B while B believed it owned the client.
  const later = a.registry.getClient(id)!.revision + 10_000;
  c.node(C).distro.handle({ type: 'sync', from: B, entries: [{ op: 'change', data: { clientId: id, kind: 'ephemeral-ipport', revision: later, publishes: [] }, writer: B }] });
  c.clock.advance(1500);
  assert.equal(a.registry.getClient(id)!.revision, later, 'adopted by the owner');
  assert.equal(c.node(B).registry.getClient(id)!.revision, later, 'and spread');
  assert.ok(a.distro.stats().counters.adopted >= 1);
});

test('stats() is a plain JSON-serialisable object', () => {
  const c = loaded();
  c.node(A).registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(6000);
  const s = c.node(A).distro.stats();
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  assert.equal(s.responsible, 1);
  assert.equal(c.node(B).distro.stats().replicas, 1);
  assert.ok(s.counters.syncMessagesSent >= 2 && s.counters.verifyRounds >= 1);
  assert.equal(typeof s.peers[B]!.lastVerifyAt, 'number');
});
