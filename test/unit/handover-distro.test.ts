/**
 * The hand-over across members (docs/operations.md "Drain", step 4): the releasing member's
 * DELETE may overtake the Distro sync of the covering client on a third member; that member keeps
 * the released client listed until it holds the covering one. Deterministic: one ManualClock, the
 * in-memory Distro transport of distro-fixture.ts, a one-way link cut to delay one sync.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDistroRequest } from '../../src/cluster/distro-wire.js';
import { ClientHandover } from '../../src/naming/handover.js';
import { TestCluster, inst, svc } from './distro-fixture.js';

const M = '10.0.0.1:8848'; // moves the SDK connection away and releases the old client
const N = '10.0.0.2:8848'; // the SDK's new member
const P = '10.0.0.3:8848'; // a third member, whose link from N is slow
const GRACE = 500;
const TIMEOUT = 20_000;

function setup(withRule: boolean) {
  const c = new TestCluster([M, N, P], { syncRetryDelayMs: 1000, verifyIntervalMs: 60_000 });
  const handovers = new Map<string, ClientHandover>();
  for (const [address, n] of c.nodes) {
    const h = new ClientHandover(n.registry, c.clock, { timeoutMs: TIMEOUT, checkIntervalMs: 50, coverGraceMs: GRACE }, (id) => {
      n.registry.removeClient(id, c.clock.monotonic());
    });
    if (withRule) {
      // As src/app/naming-parts.ts wires it.
      n.distro.setHandover({ releasing: (id) => h.isReleasing(id), hold: (id) => h.hold(id) });
      h.setReleaseHeld((id) => n.distro.releaseHeld(id));
    }
    handovers.set(address, h);
  }
  c.startAll();
  c.clock.advance(100);
  const listed = (at: string): boolean => {
    const r = c.node(at).registry;
    const s = r.getService(svc());
    return !!s && r.instancesOf(s).some((i) => i.ip === '10.1.0.1');
  };
  return { c, h: (a: string) => handovers.get(a)!, listed };
}

/** M moves connection 'old'; the SDK registers through 'new' on N; N's sync to P is lost once. Returns P's gap in ms. */
function overtake(withRule: boolean): { gapMs: number; s: ReturnType<typeof setup> } {
  const s = setup(withRule);
  const { c, h, listed } = s;
  c.node(M).registry.publish('old', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(100);
  assert.ok(listed(N) && listed(P), 'replicated');
  h(M).mark('old');
  assert.equal(h(M).onClosed('old'), true);
  c.clock.advance(200);
  c.cut.add(`${N}>${P}`); // N's first sync to P fails; its retry comes syncRetryDelayMs later
  c.node(N).registry.publish('new', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(50);
  c.cut.clear();
  let gapMs = 0;
  for (let t = 0; t < 3000; t += 10) {
    for (const a of [M, N]) assert.ok(listed(a), `${a} lists it at +${t} ms`);
    if (!listed(P)) gapMs += 10;
    c.clock.advance(10);
  }
  assert.equal(c.node(M).registry.getClient('old'), undefined, 'M released the old client');
  assert.ok(c.node(P).registry.getClient('new'), 'the retry brought the new client to P');
  return { gapMs, s };
}

test('without the peer rule the DELETE overtakes the covering sync: the third member lacks the instance', () => {
  const { gapMs } = overtake(false);
  assert.ok(gapMs >= 300, `gap ${gapMs} ms`);
  console.log(`# P lacked the instance for ${gapMs} ms without the peer rule`);
});

test('with it the third member keeps the released client until the covering client arrives: no gap anywhere', () => {
  const { gapMs, s } = overtake(true);
  assert.equal(gapMs, 0);
  const p = s.c.node(P);
  assert.equal(p.registry.getClient('old'), undefined, 'released on P once covered');
  assert.equal(s.h(P).heldReplicas(), 0);
  assert.equal(p.distro.storage.heldCount(), 0);
  assert.ok(p.distro.storage.tombstone('old')?.handover, 'the tombstone remembers the hand-over');
  assert.equal(p.distro.stats().counters.handoverHolds, 1, 'P kept it');
  assert.equal(s.c.node(N).distro.stats().counters.handoverHolds, 0, 'N held the covering client already');
  assert.equal(s.h(P).pending(), 0, 'a held replica is not a move of P');
  assert.deepEqual(s.h(M).stats(), { retained: 0, handedOver: 1, timedOut: 0 });
});

test('a held replica is invisible to Distro, and goes after the timeout when the covering client never arrives', () => {
  const { c, h, listed } = setup(true);
  c.node(M).registry.publish('old', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(100);
  h(M).mark('old');
  h(M).onClosed('old');
  c.clock.advance(100);
  c.down.add(P); // N's sync never reaches P; N then dies
  c.node(N).registry.publish('new', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(GRACE + 200);
  c.down.clear();
  c.cut.add(`${N}>${P}`);
  c.clock.advance(1000);
  assert.equal(c.node(M).registry.getClient('old'), undefined);
  const p = c.node(P);
  assert.ok(p.registry.getClient('old') && listed(P), 'held on P');
  assert.equal(p.distro.storage.client('old'), undefined, 'not a Distro client any more');
  assert.equal(h(P).heldReplicas(), 1);
  assert.equal(p.distro.stats().heldAfterHandover, 1);
  c.clock.advance(TIMEOUT);
  assert.equal(p.registry.getClient('old'), undefined);
  assert.equal(listed(P), false, 'bounded: gone after the timeout');
  assert.equal(p.distro.storage.heldCount(), 0);
});

test('an ordinary disconnect and a timed-out hand-over send a plain DELETE: replicas drop the client at once', () => {
  const { c, h, listed } = setup(true);
  c.node(M).registry.publish('old', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(100);
  c.node(M).registry.removeClient('old', c.clock.monotonic());
  c.clock.advance(100);
  assert.equal(listed(P), false);
  const dels = c.sent('sync', M).flatMap((l) => (l.req.type === 'sync' ? l.req.entries : [])).filter((e) => e.op === 'delete');
  assert.ok(dels.length > 0 && dels.every((e) => e.op === 'delete' && e.handover === undefined));
  c.node(M).registry.publish('old2', 'connection', svc(), [inst('10.1.0.1')], c.clock.now());
  c.clock.advance(100);
  h(M).mark('old2');
  h(M).onClosed('old2');
  c.clock.advance(TIMEOUT + 100);
  assert.equal(listed(P), false, 'timed out: the SDK is gone');
});

test('wire: the handover flag of a DELETE passes validation; other values are refused', () => {
  const req = { type: 'sync', from: M, entries: [{ op: 'delete', clientId: 'old', version: 5, writer: M, handover: true }] };
  assert.deepEqual(parseDistroRequest(JSON.parse(JSON.stringify(req))), req);
  assert.ok('error' in parseDistroRequest({ ...req, entries: [{ ...req.entries[0], handover: 'yes' }] }));
});
