/**
 * Wall-clock steps (an NTP step forward or back by minutes) change no liveness or expiry decision:
 * those are measured on the monotonic clock (docs/reliability.md "Clock jumps"). Each test runs the
 * same scenario with the wall clock stepped +10 min, −10 min and not at all, and expects the same
 * outcome.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { CredentialCache } from '../../src/auth/credential-cache.js';
import { LoginThrottle } from '../../src/auth/login-throttle.js';
import { ConnectionRegistry, type SetupInfo, type StreamSink } from '../../src/transport/grpc/connections.js';
import { silentLogger } from '../../src/observability/logger.js';
import { TestCluster, inst, svc } from './distro-fixture.js';
import { startDetector } from './helpers/detector.js';
import { namingFixture } from './helpers/naming-fixture.js';

const TEN_MIN = 10 * 60_000;
const STEPS = [TEN_MIN, -TEN_MIN, 0];
const service = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'orders' };

/** Two started, loaded Distro members on one ManualClock. */
function twoMembers(config: ConstructorParameters<typeof TestCluster>[1]) {
  const A = '10.0.0.1:8848';
  const B = '10.0.0.2:8848';
  const c = new TestCluster([A, B], config);
  c.startAll();
  c.clock.advance(100);
  return { c, a: c.node(A), b: c.node(B) };
}

test('ManualClock.jumpWall moves now() only; monotonic() and timers stay put', () => {
  const c = new ManualClock(1_000_000);
  let fired = 0;
  c.setTimeout(() => fired++, 1000);
  c.jumpWall(TEN_MIN);
  assert.equal(c.now(), 1_000_000 + TEN_MIN);
  assert.equal(c.monotonic(), 1_000_000);
  c.advance(999);
  assert.equal(fired, 0, 'a forward step fires no timer early');
  c.jumpWall(-2 * TEN_MIN);
  c.advance(1);
  assert.equal(fired, 1, 'a backward step delays no timer');
  assert.equal(c.now(), 1_001_000 - TEN_MIN);
});

for (const step of STEPS) {
  test(`heartbeats (wall step ${step / 60_000} min): a beating instance stays, a silent one is removed after 30 s`, async () => {
    const f = namingFixture();
    f.expiry.start();
    await f.naming.registerIpPortInstance(service, { ip: '127.0.0.1', port: 1 }, true);
    await f.naming.registerIpPortInstance(service, { ip: '127.0.0.2', port: 2 }, true);
    const hosts = () => Object.fromEntries(f.view.select({ service, clusters: '', healthyOnly: false }).hosts.map((h) => [h.ip, h.healthy]));
    f.clock.advance(2000);
    f.clock.jumpWall(step);
    // 40 s: 127.0.0.1 beats every 5 s, 127.0.0.2 never again.
    for (let t = 0; t < 8; t++) {
      f.naming.beat(service, { ip: '127.0.0.1', port: 1 }, true);
      f.clock.advance(5000);
      if (t === 1) assert.deepEqual(hosts(), { '127.0.0.1': true, '127.0.0.2': true }, 'nobody expires at the step');
    }
    assert.deepEqual(hosts(), { '127.0.0.1': true }, 'the silent instance expired after its 30 s, not earlier or later');
    f.expiry.stop();
  });

  test(`empty ip-port clients and empty services (wall step ${step / 60_000} min) expire after their own delay`, () => {
    const f = namingFixture();
    f.naming.registerConnectionInstance('c1', service, { ip: '127.0.0.1', port: 1 });
    f.naming.connectionClosed('c1');
    f.clock.jumpWall(step);
    f.clock.advance(59_000);
    f.expiry.runOnce();
    assert.ok(f.registry.getService(service), 'kept before 60 s');
    f.clock.advance(2_000);
    f.expiry.runOnce();
    assert.equal(f.registry.getService(service), undefined, 'removed after 60 s');
  });

  test(`distro replica leases (wall step ${step / 60_000} min): verified replicas stay, an unreachable owner's expire after clientExpiredMs`, () => {
    const { c, a, b } = twoMembers({ clientExpiredMs: 10_000, verifyIntervalMs: 1000, expiryCheckIntervalMs: 500 });
    a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.monotonic());
    c.clock.advance(5000);
    c.clock.jumpWall(step);
    c.clock.advance(30_000);
    assert.ok(b.registry.getClient('conn1'), 'renewed by verify across the step');
    assert.equal(b.distro.stats().counters.expiredReplicas, 0, 'no lease ran out at the step');
    // A change after the step still reaches the replica (its version is above the old one, even
    // when the wall clock went back: the HLC never goes back).
    a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1', 81)], c.clock.monotonic());
    c.clock.advance(2000);
    assert.equal(b.registry.getClient('conn1')!.revision, a.registry.getClient('conn1')!.revision);
    c.down.add(b.address);
    c.clock.advance(9000);
    assert.ok(b.registry.getClient('conn1'), 'not expired before clientExpiredMs');
    c.clock.advance(3000);
    assert.equal(b.registry.getClient('conn1'), undefined, 'expired after clientExpiredMs');
  });

  test(`a removal after the step (wall step ${step / 60_000} min) is not undone: the replica drops the client and keeps it dropped`, () => {
    const { c, a, b } = twoMembers({ verifyIntervalMs: 1000 });
    a.registry.publish('conn1', 'connection', svc(), [inst('10.1.0.1')], c.clock.monotonic());
    c.clock.advance(2000);
    c.clock.jumpWall(step);
    a.registry.removeClient('conn1', c.clock.monotonic());
    c.clock.advance(10_000);
    assert.equal(b.registry.getClient('conn1'), undefined);
    assert.equal(a.registry.getClient('conn1'), undefined);
  });

  test(`sdk connection detector (wall step ${step / 60_000} min): probes only connections idle for idleEjectMs`, async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const registry = new ConnectionRegistry(clock, silentLogger());
    const conn = registry.openTransport('127.0.0.1:5000', '127.0.0.1', 5000, () => undefined);
    const sink: StreamSink = { write: () => true, end: () => undefined };
    const setup: SetupInfo = { clientIp: '127.0.0.2', clientVersion: 'x', labels: {}, namespace: 'public', appName: 'a', hasAbilityTable: false };
    registry.register(conn, sink, setup);
    const { detector, probed } = startDetector(registry, clock, () => true);
    clock.advance(1000);
    clock.jumpWall(step);
    clock.advance(17_000);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(probed, [], 'not idle yet at 18 s');
    clock.advance(3000);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(probed, [conn.id], 'probed once idle 20 s');
    assert.equal(conn.registered, false, 'the failed probe ejected it');
    assert.ok(conn.id.startsWith('1700000000000_'), 'the connection id keeps the wall time it was opened at');
    detector.stop();
  });

  test(`credential cache (wall step ${step / 60_000} min): entries live exactly their TTL`, () => {
    const clock = new ManualClock();
    const cache = new CredentialCache(clock, 60_000, 10);
    const d = cache.digest('nacos', 'pw');
    cache.add(d, 'nacos', '$2a$hash');
    clock.jumpWall(step);
    clock.advance(59_000);
    assert.equal(cache.has(d, '$2a$hash'), true);
    clock.advance(2_000);
    assert.equal(cache.has(d, '$2a$hash'), false);
  });

  test(`login lockout (wall step ${step / 60_000} min): a locked name stays locked exactly lockMs`, () => {
    const clock = new ManualClock();
    const t = new LoginThrottle({ clock, maxFailuresPerSource: 0, maxFailuresPerUser: 3, windowMs: 60_000, lockMs: 30_000, maxEntries: 100 });
    for (let i = 0; i < 3; i++) t.failed('nacos', '127.0.0.1');
    clock.jumpWall(step);
    clock.advance(29_000);
    assert.deepEqual(t.state('nacos', '127.0.0.1'), { locked: true, retryAfterMs: 1000 });
    clock.advance(1000);
    assert.deepEqual(t.state('nacos', '127.0.0.1'), { locked: false });
  });
}
