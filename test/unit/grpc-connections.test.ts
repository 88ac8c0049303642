import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { WirePayload } from '../../src/wire/codec.js';
import { ConnectionRegistry, type Connection, type SetupInfo, type StreamSink } from '../../src/transport/grpc/connections.js';
import { ClientDetector } from '../../src/transport/grpc/client-detector.js';
import { PushError } from '../../src/transport/grpc/push-error.js';
import { startDetector } from './helpers/detector.js';

const setup: SetupInfo = {
  clientIp: '192.0.2.2',
  clientVersion: 'Nacos-Rust-Client:0.8.0',
  labels: { module: 'naming' },
  namespace: 'public',
  appName: 'unknown',
  hasAbilityTable: false,
};

function sink(): StreamSink & { written: WirePayload[]; ended: boolean } {
  const s = {
    written: [] as WirePayload[],
    ended: false,
    write(p: WirePayload) {
      s.written.push(p);
      return !s.ended;
    },
    end() {
      s.ended = true;
    },
  };
  return s;
}

function fixture() {
  const clock = new ManualClock(1_700_000_000_000);
  const registry = new ConnectionRegistry(clock, silentLogger());
  const events: string[] = [];
  registry.onConnected((c) => events.push(`+${c.id}`));
  registry.onDisconnected((c) => events.push(`-${c.id}`));
  let closed = 0;
  const open = (port = 45774): Connection => registry.openTransport(`127.0.0.1:${port}`, '127.0.0.1', port, () => closed++);
  return { clock, registry, events, open, closedCount: () => closed };
}

test('transport id is <epochMillis>_<ip>_<port>; registration fills the connection info', () => {
  const { registry, events, open } = fixture();
  const c = open();
  assert.equal(c.id, '1700000000000_127.0.0.1_45774');
  assert.equal(c.registered, false);
  assert.equal(registry.get(c.id), undefined, 'unregistered transports are not visible by id');
  assert.equal(registry.byPeerKey('127.0.0.1:45774'), c);
  registry.register(c, sink(), setup);
  assert.equal(registry.get(c.id), c);
  assert.equal(c.clientIp, '192.0.2.2');
  assert.equal(c.namespace, 'public');
  assert.deepEqual(events, [`+${c.id}`]);
  assert.equal(registry.registeredCount(), 1);
});

test('clientIp falls back to the transport address when the setup has none', () => {
  const { registry, open } = fixture();
  const c = open();
  registry.register(c, sink(), { ...setup, clientIp: '' });
  assert.equal(c.clientIp, '127.0.0.1');
});

test('unregister fires onDisconnected once and fails pending acks as closed', async () => {
  const { registry, events, open } = fixture();
  const c = open();
  registry.register(c, sink(), setup);
  const ack = c.expectAck(c.nextRequestId(), 5000);
  assert.equal(registry.unregister(c, 'test'), true);
  assert.equal(registry.unregister(c, 'again'), false);
  registry.closeTransport(c, 'tcp closed');
  assert.deepEqual(events, [`+${c.id}`, `-${c.id}`]);
  await assert.rejects(ack, (e: unknown) => e instanceof PushError && e.reason === 'closed');
  assert.equal(registry.byPeerKey(c.peer), undefined);
  assert.equal(c.pendingAckCount(), 0);
});

test('a listener that throws does not break the registry', () => {
  const { registry, open } = fixture();
  registry.onConnected(() => {
    throw new Error('listener bug');
  });
  const c = open();
  registry.register(c, sink(), setup);
  assert.equal(c.registered, true);
});

test('push requestIds come from one sequence for all connections of a registry (a round can share one id)', () => {
  const { registry, open } = fixture();
  const a = open(45001);
  const b = open(45002);
  const ids = [a.nextRequestId(), b.nextRequestId(), a.nextRequestId(), registry.requestIds.next(), b.nextRequestId()];
  assert.equal(new Set(ids).size, ids.length, `ids repeat across connections: ${ids.join(',')}`);
  // An id handed out once is free on every connection: waiting for it on two connections is fine.
  const shared = registry.requestIds.next();
  assert.equal(a.awaitsAck(shared), false);
  void a.expectAck(shared, 5000).catch(() => undefined);
  void b.expectAck(shared, 5000).catch(() => undefined);
  assert.equal(a.awaitsAck(shared), true);
  assert.equal(b.settleAck(shared, 200, 0, null), true);
  assert.equal(a.awaitsAck(shared), true, 'an ack on b completes only b');
  a.rejectAllAcks(new PushError('closed', 'test'));
});

test('acks: ids are strings unique per connection; 200 resolves, other codes reject, timeout rejects', async () => {
  const { clock, open } = fixture();
  const c = open();
  const ids = [c.nextRequestId(), c.nextRequestId(), c.nextRequestId()];
  assert.deepEqual(ids, ['1', '2', '3']);
  const ok = c.expectAck('1', 5000);
  const nack = c.expectAck('2', 5000);
  const late = c.expectAck('3', 5000);
  assert.equal(c.settleAck('1', 200, 0, 'Response ok'), true);
  assert.equal(c.settleAck('2', 500, 403, 'no'), true);
  assert.equal(c.settleAck('99', 200, 0, null), false);
  await ok;
  await assert.rejects(nack, (e: unknown) => e instanceof PushError && e.reason === 'nack' && e.errorCode === 403 && e.resultCode === 500);
  clock.advance(4999);
  assert.equal(c.pendingAckCount(), 1);
  clock.advance(1);
  await assert.rejects(late, (e: unknown) => e instanceof PushError && e.reason === 'timeout');
  // A late ack after the timeout completes nothing.
  assert.equal(c.settleAck('3', 200, 0, null), false);
});

test('a new transport on a reused address replaces the stale one', () => {
  const { registry, events, open } = fixture();
  const a = open(5000);
  registry.register(a, sink(), setup);
  const b = open(5000);
  assert.notEqual(a, b);
  assert.equal(a.registered, false);
  assert.deepEqual(events, [`+${a.id}`, `-${a.id}`]);
  assert.equal(registry.byPeerKey('127.0.0.1:5000'), b);
});

test('detector: probes idle connections, keeps those that ack, ejects those that fail, closes idle unregistered transports', async () => {
  const { clock, registry, open, closedCount } = fixture();
  const alive = open(1);
  const dead = open(2);
  const busy = open(3);
  const loner = open(4); // never registers
  for (const c of [alive, dead, busy]) registry.register(c, sink(), setup);
  const { detector, probed, ejected } = startDetector(registry, clock, (c) => c === dead);
  clock.advance(18_000);
  busy.lastActive = clock.monotonic(); // a unary request
  clock.advance(3000); // t = 21 s: alive, dead and the loner are idle >= 20 s
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(probed.sort(), [alive.id, dead.id].sort());
  assert.deepEqual(ejected, [dead.id]);
  assert.equal(alive.registered, true);
  assert.equal(alive.lastActive, clock.now(), 'a successful detection refreshes activity');
  assert.equal(busy.registered, true);
  assert.equal(closedCount(), 1, 'the unregistered idle transport was closed');
  assert.equal(registry.byPeerKey(loner.peer), undefined);
  detector.stop();
  clock.advance(60_000);
  assert.equal(probed.length, 2, 'no sweeps after stop');
});

test('detector does not probe a connection twice while a probe is in flight', () => {
  const { clock, registry, open } = fixture();
  const c = open();
  registry.register(c, sink(), setup);
  let probes = 0;
  const detector = new ClientDetector({
    registry,
    clock,
    logger: silentLogger(),
    idleEjectMs: 1000,
    intervalMs: 500,
    probe: () => {
      probes++;
      return new Promise<void>(() => {});
    },
    eject: () => {},
  });
  detector.start();
  clock.advance(5000);
  assert.equal(probes, 1);
  detector.stop();
});
