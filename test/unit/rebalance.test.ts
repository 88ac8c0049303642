import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { ConnectionRebalancer, planRebalance, planReload, type PeerLoad, type RebalanceSettings } from '../../src/cluster/rebalance.js';

const S: RebalanceSettings = { margin: 0.2, maxPerRound: 2, maxReportAgeMs: 10_000 };
const NOW = 1_000_000;
const peer = (address: string, connections: number | null, extra: Partial<PeerLoad> = {}): PeerLoad => ({
  address, connections, up: true, draining: false, reportedAt: NOW, ...extra,
});

test('plan: above average by more than the margin moves at most maxPerRound, towards the least loaded peers', () => {
  const p = planRebalance(30, [peer('b', 0), peer('c', 3)], NOW, S);
  assert.equal(p.average, 11);
  assert.equal(p.move, 2);
  assert.deepEqual(p.targets, ['b', 'c']);
  assert.equal(planRebalance(30, [peer('b', 0), peer('c', 3)], NOW, { ...S, maxPerRound: 100 }).move, 19, 'never more than the excess');
});

test('plan: nothing within the margin, below one whole connection, or alone', () => {
  assert.equal(planRebalance(12, [peer('b', 10), peer('c', 8)], NOW, S).move, 0, '12 <= 10 * 1.2');
  assert.equal(planRebalance(13, [peer('b', 10), peer('c', 10)], NOW, S).move, 0, '13 <= 11 * 1.2');
  assert.equal(planRebalance(14, [peer('b', 10), peer('c', 6)], NOW, S).move, 2);
  assert.equal(planRebalance(2, [peer('b', 0), peer('c', 0)], NOW, { ...S, margin: 0 }).move, 1, '2 vs average 0.67: one whole connection');
  assert.equal(planRebalance(1, [peer('b', 0), peer('c', 0)], NOW, { ...S, margin: 0 }).move, 0, 'less than one whole connection above');
  assert.equal(planRebalance(30, [], NOW, S).reason, 'no live peer');
});

test('plan: connections in transit count in the average, so rounds do not overshoot', () => {
  // 12 in all: 6 here, 6 moved and not yet reported by anyone.
  assert.equal(planRebalance(6, [peer('b', 0), peer('c', 0)], NOW, S).move, 2, 'without them the average looks like 2');
  const p = planRebalance(6, [peer('b', 0), peer('c', 0)], NOW, S, 6);
  assert.equal(p.average, 4);
  assert.equal(p.move, 2);
  assert.equal(planRebalance(4, [peer('b', 0), peer('c', 0)], NOW, S, 8).move, 0);
});

test('plan: unknown or stale peer counts stop the round; DOWN and draining peers are left out', () => {
  assert.equal(planRebalance(30, [peer('b', null), peer('c', 0)], NOW, S).move, 0);
  assert.equal(planRebalance(30, [peer('b', 0, { reportedAt: NOW - 10_001 }), peer('c', 0)], NOW, S).move, 0);
  // A DOWN peer with a stale count does not block; it is not part of the average nor a target.
  const p = planRebalance(10, [peer('b', 0, { up: false, reportedAt: 0 }), peer('c', 0)], NOW, S);
  assert.equal(p.average, 5);
  assert.deepEqual(p.targets, ['c']);
  const d = planRebalance(10, [peer('b', 0, { draining: true }), peer('c', 10)], NOW, S);
  assert.equal(d.move, 0, 'a draining peer is not counted: 10 vs 10');
});

test('rebalancer: a few of the newest connections per round, rounds on the timer, converges, inactive does nothing', () => {
  const clock = new ManualClock(NOW);
  let conns = Array.from({ length: 12 }, (_, i) => ({ id: `c${String(i).padStart(2, '0')}`, createdAt: NOW - 1000 + i }));
  const peers = [peer('b', 0), peer('c', 0)];
  const moves: string[][] = [];
  let active = true;
  const r = new ConnectionRebalancer({
    clock,
    intervalMs: 1000,
    settings: () => S,
    active: () => active,
    connections: () => conns,
    peers: () => peers.map((p) => ({ ...p, reportedAt: clock.now() })),
    inTransit: () => 0,
    move: (id, target) => {
      moves[moves.length - 1]!.push(`${id}->${String(target)}`);
      conns = conns.filter((c) => c.id !== id);
      // The moved SDK reconnects to the least loaded peer.
      const t = peers.find((p) => p.address === target)!;
      t.connections = (t.connections ?? 0) + 1;
    },
  });
  r.start();
  moves.push([]);
  clock.advance(999);
  assert.deepEqual(moves, [[]], 'no round before the first interval');
  clock.advance(1);
  assert.deepEqual(moves[0], ['c11->b', 'c10->c'], 'the newest two, spread over the least loaded peers');
  for (let i = 0; i < 10; i++) {
    moves.push([]);
    clock.advance(1000);
    assert.ok(moves[moves.length - 1]!.length <= 2, 'never more than maxPerRound in a round');
  }
  assert.deepEqual([conns.length, peers[0]!.connections, peers[1]!.connections], [4, 4, 4]);
  assert.equal(r.moved, 8);
  assert.equal(r.lastPlan?.reason, 'within margin');
  active = false;
  conns.push(...Array.from({ length: 20 }, (_, i) => ({ id: `n${i}`, createdAt: clock.now() })));
  moves.push([]);
  clock.advance(5000);
  assert.deepEqual(moves[moves.length - 1], [], 'inactive (not ready, or draining): no round');
  r.stop();
  active = true;
  clock.advance(5000);
  assert.deepEqual(moves[moves.length - 1], [], 'stopped');
});

test('member reports: only bounded scalar facts are taken from a peer, never its address', async () => {
  const { reportedInfo } = await import('../../src/cluster/cluster-node.js');
  assert.deepEqual(reportedInfo({ node: { address: 'x:1', sdkConnections: 7, draining: true, version: '0.1.0', nested: { a: 1 }, n: Number.NaN, list: [1] } }), {
    sdkConnections: 7,
    draining: true,
    version: '0.1.0',
  });
  assert.deepEqual(reportedInfo({ node: 'nope' }), {});
  assert.deepEqual(reportedInfo(null), {});
  assert.deepEqual(reportedInfo({ node: { long: 'x'.repeat(300) } }), {});
  const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
  assert.equal(Object.keys(reportedInfo({ node: many })).length, 32);
});

test('reload plan (ServerReloadRequest): keep the asked count, but move at most a tenth per request; at or below it, ignore', () => {
  assert.deepEqual(planReload(10, 10), { answer: 'ignore', move: 0 });
  assert.deepEqual(planReload(10, 12), { answer: 'ignore', move: 0 });
  assert.deepEqual(planReload(10, 0), { answer: 'ok', move: 1 }, 'keep max(0, trunc(10 × 0.9)) = 9');
  assert.deepEqual(planReload(100, 95), { answer: 'ok', move: 5 });
  assert.deepEqual(planReload(100, -3), { answer: 'ok', move: 10 });
  assert.deepEqual(planReload(5, 1), { answer: 'ok', move: 1 }, 'trunc(4.5) = 4 kept');
});
