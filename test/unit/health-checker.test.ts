import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterMetadata } from '../../src/core/metadata.js';
import type { ServiceKey } from '../../src/core/names.js';
import { HealthCheckEngine, type HealthCheckConfig } from '../../src/health/health-checker.js';
import { parseCheckHeaders, verdictOf, type ProbeResult, type ProbeTarget, type Prober } from '../../src/health/probe.js';
import { checkedInstances } from '../../src/naming/health-source.js';
import { persistentHealthWrite } from '../../src/naming/persistent-state.js';
import { silentLogger } from '../../src/observability/logger.js';
import { namingFixture } from './helpers/naming-fixture.js';

const svc: ServiceKey = { namespace: 'public', group: 'DEFAULT_GROUP', name: 'db' };
const IP = '127.0.0.9';
const PORT = 3306;

/** Answers probes from `next` (default: success) and records every target with the time it was asked. */
class FakeProber implements Prober {
  readonly calls: { at: number; target: ProbeTarget }[] = [];
  next: (t: ProbeTarget) => ProbeResult | Promise<ProbeResult> = () => ({ ok: true });
  constructor(private readonly now: () => number) {}
  probe(target: ProbeTarget): Promise<ProbeResult> {
    this.calls.push({ at: this.now(), target });
    return Promise.resolve(this.next(target));
  }
}

/** Lets pending promise callbacks (probe results, store writes) run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function setup(opts: { responsible?: () => boolean; enabled?: () => boolean; cfg?: Partial<HealthCheckConfig> } = {}) {
  const f = namingFixture();
  const prober = new FakeProber(() => f.clock.now());
  const engine = new HealthCheckEngine(
    {
      instances: checkedInstances(f.registry, f.metadata, f.store),
      prober,
      clock: f.clock,
      log: silentLogger(),
      random: () => 0,
      isResponsible: opts.responsible ?? (() => true),
    },
    { enabled: opts.enabled ?? (() => true), checkTimes: () => 3, timeoutMs: 500, ...opts.cfg },
  );
  const healthy = (): boolean | undefined =>
    f.registry.getClient(`${IP}:${PORT}#false`)?.publishes.get('public@@DEFAULT_GROUP@@db')?.instances[0]?.healthy;
  const stored = (): { healthy: boolean } | undefined =>
    [...f.store.entries()].find((e) => e.table === 'instance')?.value as { healthy: boolean } | undefined;
  /** Advances the clock in `step` ms steps until `n` probes were made in total (bounded). */
  const untilProbes = async (n: number, step = 100) => {
    for (let i = 0; i < 200_000 / step && prober.calls.length < n; i++) {
      f.clock.advance(step);
      await settle();
    }
    assert.equal(prober.calls.length, n, `expected ${n} probes`);
    await settle();
  };
  return { f, prober, engine, healthy, stored, untilProbes };
}

async function register(f: ReturnType<typeof namingFixture>, healthy = true): Promise<void> {
  await f.naming.registerPersistentInstance(svc, { ip: IP, port: PORT, healthy });
}

async function setCluster(f: ReturnType<typeof namingFixture>, cm: Partial<ClusterMetadata>): Promise<void> {
  await f.naming.updateCluster(svc, 'DEFAULT', { healthChecker: { type: 'TCP' }, checkPort: 80, useInstancePort4Check: true, metadata: {}, ...cm });
}

test('three counted failures in a row turn an instance unhealthy, written through the store', async () => {
  const t = setup();
  await register(t.f);
  t.engine.start();
  t.prober.next = () => ({ ok: false, timedOut: true, reason: 'timeout' });
  await t.untilProbes(2);
  assert.equal(t.healthy(), true, 'still healthy after 2 failures');
  await t.untilProbes(3);
  assert.equal(t.healthy(), false);
  assert.equal(t.stored()?.healthy, false, 'the flip is a store write');
  assert.equal(t.engine.stats.flips.unhealthy, 1);
  assert.deepEqual(t.prober.calls[0]?.target, { kind: 'TCP', ip: IP, port: PORT, timeoutMs: 500 });
  // Probes counted by checker type (Nacos' tcpHealthCheck / httpHealthCheck / mysqlHealthCheck).
  assert.deepEqual(t.engine.stats.checks, { TCP: t.prober.calls.length, HTTP: 0, MYSQL: 0 });
  t.engine.stop();
});

test('a success between failures resets the count', async () => {
  const t = setup();
  await register(t.f);
  t.engine.start();
  const plan: ProbeResult[] = [{ ok: false }, { ok: false }, { ok: true }, { ok: false }, { ok: false }];
  t.prober.next = () => plan.shift() ?? { ok: true };
  await t.untilProbes(5);
  assert.equal(t.healthy(), true);
  t.engine.stop();
});

test('connection refused turns it unhealthy at once; three successes heal it, two do not', async () => {
  const t = setup();
  await register(t.f);
  t.engine.start();
  t.prober.next = () => ({ ok: false, refused: true });
  await t.untilProbes(1);
  assert.equal(t.healthy(), false);
  t.prober.next = () => ({ ok: true });
  await t.untilProbes(3);
  assert.equal(t.healthy(), false, 'two successes are not enough');
  await t.untilProbes(4);
  assert.equal(t.healthy(), true);
  assert.equal(t.stored()?.healthy, true);
  assert.deepEqual(t.engine.stats.flips, { healthy: 1, unhealthy: 1 });
  t.engine.stop();
});

// Steps of 1 ms: a probe settles at the end of a clock step, and the next delay counts from there.
test('the delay adapts: fast successes converge to 1 s, failures back off towards 5 s, timeouts double', async () => {
  const gaps = (calls: { at: number }[]) => calls.slice(1).map((c, i) => c.at - calls[i]!.at);

  const ok = setup();
  await register(ok.f);
  const t0 = ok.f.clock.now();
  ok.engine.start();
  await ok.untilProbes(5, 1);
  assert.equal(ok.prober.calls[0]!.at - t0, 2000, 'first check after 2000 ms (random 0)');
  // rt = 0: 0.75 × 2000 = 1500, 1125, then clamped to the 1000 ms minimum.
  assert.deepEqual(gaps(ok.prober.calls), [1500, 1125, 1000, 1000]);
  ok.engine.stop();

  const bad = setup();
  await register(bad.f, false);
  bad.prober.next = () => ({ ok: false, reason: 'reset' });
  bad.engine.start();
  await bad.untilProbes(12, 1);
  const g = gaps(bad.prober.calls);
  assert.deepEqual(g.slice(0, 2), [2750, 3313], '0.75 × previous + 0.25 × 5000');
  assert.ok(g.every((x, i) => x <= 5000 && (i === 0 || x >= g[i - 1]!)), `non-decreasing, at most 5000: ${g.join(',')}`);
  assert.ok(g[g.length - 1]! > 4800, `approaches 5000: ${g.join(',')}`);
  bad.engine.stop();

  const slow = setup();
  await register(slow.f, false);
  slow.prober.next = () => ({ ok: false, timedOut: true });
  slow.engine.start();
  await slow.untilProbes(2, 1);
  assert.deepEqual(gaps(slow.prober.calls), [2500], '0.75 × 2000 + 0.25 × (2 × 2000)');
  slow.engine.stop();
});

test('checker NONE probes nothing; switching back to TCP resumes', async () => {
  const t = setup();
  await register(t.f);
  await setCluster(t.f, { healthChecker: { type: 'NONE' } });
  t.engine.start();
  for (let i = 0; i < 300; i++) t.f.clock.advance(100);
  await settle();
  assert.equal(t.prober.calls.length, 0);
  await setCluster(t.f, { healthChecker: { type: 'TCP' } });
  await t.untilProbes(1);
  t.engine.stop();
});

test('no checks when this member is not responsible or the healthCheckEnabled switch is off', async () => {
  let responsible = false;
  let enabled = true;
  const t = setup({ responsible: () => responsible, enabled: () => enabled });
  await register(t.f);
  t.engine.start();
  for (let i = 0; i < 300; i++) t.f.clock.advance(100);
  await settle();
  assert.equal(t.prober.calls.length, 0, 'not responsible');
  responsible = true;
  await t.untilProbes(1);
  enabled = false;
  const n = t.prober.calls.length;
  for (let i = 0; i < 300; i++) t.f.clock.advance(100);
  await settle();
  assert.equal(t.prober.calls.length, n, 'switch off');
  t.engine.stop();
});

test('an instance deregistered while its probe is in flight is not resurrected', async () => {
  const t = setup();
  await register(t.f);
  t.engine.start();
  let answer: (r: ProbeResult) => void = () => {};
  t.prober.next = () => new Promise<ProbeResult>((r) => (answer = r));
  await t.untilProbes(1);
  await t.f.naming.deregisterPersistentInstance(svc, IP, PORT);
  answer({ ok: false, refused: true });
  await settle();
  await settle();
  assert.equal(t.healthy(), undefined);
  assert.equal(t.stored(), undefined, 'nothing written back');
  assert.equal(t.engine.stats.flips.unhealthy, 0);
  assert.equal(t.engine.taskCount(), 0);
  t.engine.stop();
});

test('the health write is conditional: a delete applied first wins', async () => {
  const store = namingFixture().store;
  const applied: string[] = [];
  store.onApply((b) => applied.push(...b.map((w) => w.key)));
  await store.write([{ table: 'instance', key: 'k', value: { healthy: true } }]);
  await store.write([{ table: 'instance', key: 'k', value: null }]);
  await store.write([{ table: 'instance', key: 'k', value: { healthy: false }, onlyIfExists: true }]);
  assert.deepEqual([...store.entries()], []);
  assert.deepEqual(applied, ['k', 'k'], 'the skipped write is not applied');
});

test('HTTP checker: path, headers, check port and the expected response code are honoured', async () => {
  const t = setup();
  await register(t.f);
  await setCluster(t.f, {
    healthChecker: { type: 'HTTP', path: 'health', headers: 'X-A:1|bad|X-B: two:parts', expectedResponseCode: 204 },
    checkPort: 8081,
    useInstancePort4Check: false,
  });
  t.engine.start();
  t.prober.next = () => ({ ok: false, status: 200 });
  await t.untilProbes(1);
  assert.deepEqual(t.prober.calls[0]?.target, {
    kind: 'HTTP',
    ip: IP,
    port: 8081,
    timeoutMs: 500,
    path: '/health',
    headers: { 'X-A': '1', 'X-B': 'two:parts' },
    expectedStatus: 204,
  });
  assert.equal(t.healthy(), false, '200 is not the expected 204: fail-now');
  t.prober.next = () => ({ ok: true, status: 204 });
  await t.untilProbes(4);
  assert.equal(t.healthy(), true);
  t.engine.stop();
});

test('MYSQL is probed as TCP on the instance port; a rejecting prober counts as a failure', async () => {
  const t = setup();
  await register(t.f);
  await setCluster(t.f, { healthChecker: { type: 'MYSQL' }, checkPort: 9, useInstancePort4Check: false });
  t.engine.start();
  t.prober.next = () => Promise.reject(new Error('boom'));
  await t.untilProbes(3);
  assert.deepEqual(t.prober.calls[0]?.target, { kind: 'TCP', ip: IP, port: PORT, timeoutMs: 500 });
  assert.equal(t.healthy(), false);
  t.engine.stop();
});

test('a probe that never settles times out through the engine guard', async () => {
  const t = setup();
  await register(t.f);
  t.engine.start();
  t.prober.next = () => new Promise<ProbeResult>(() => {});
  await t.untilProbes(3);
  for (let i = 0; i < 40; i++) {
    t.f.clock.advance(100);
    await settle();
  }
  assert.equal(t.healthy(), false);
  t.engine.stop();
});

test('tasks follow the registry and stop() cancels them', async () => {
  const t = setup();
  t.engine.start();
  await register(t.f);
  assert.equal(t.engine.taskCount(), 1, 'created when the instance appears');
  t.engine.stop();
  assert.equal(t.engine.taskCount(), 0);
  for (let i = 0; i < 100; i++) t.f.clock.advance(100);
  await settle();
  assert.equal(t.prober.calls.length, 0);
});

test('verdicts and header parsing', () => {
  const http: ProbeTarget = { kind: 'HTTP', ip: IP, port: 1, timeoutMs: 1, path: '/', headers: {}, expectedStatus: 200 };
  const tcp: ProbeTarget = { kind: 'TCP', ip: IP, port: 1, timeoutMs: 1 };
  assert.equal(verdictOf(http, { ok: true, status: 200 }), 'success');
  assert.equal(verdictOf(http, { ok: false, status: 503 }), 'fail');
  assert.equal(verdictOf(http, { ok: false, status: 302 }), 'fail');
  assert.equal(verdictOf(http, { ok: false, status: 500 }), 'fail-now');
  assert.equal(verdictOf(http, { ok: false, refused: true }), 'fail-now');
  assert.equal(verdictOf(http, { ok: false, timedOut: true }), 'fail');
  assert.equal(verdictOf(tcp, { ok: true }), 'success');
  assert.equal(verdictOf(tcp, { ok: false, refused: true }), 'fail-now');
  assert.equal(verdictOf(tcp, { ok: false }), 'fail');
  assert.deepEqual(parseCheckHeaders(undefined), {});
  assert.deepEqual(parseCheckHeaders('a:b|c:d'), { a: 'b', c: 'd' });
  assert.deepEqual(parseCheckHeaders('|:x|bad name:1|n:\u0001|ok: v '), { ok: 'v' });
});

test('a health write built from a copy older than the log changes only the health (no lost registration)', async () => {
  // Found by `npm run chaos` (docs/reliability.md): the member running the checks read the
  // instance before a newer registration reached it, and its flip put the old record back.
  const f = namingFixture();
  await f.naming.registerPersistentInstance(svc, { ip: IP, port: PORT, healthy: true, metadata: { v: 'old' }, weight: 1 });
  const stale = persistentHealthWrite(f.registry, svc, IP, PORT, false);
  assert.ok(stale);
  await f.naming.registerPersistentInstance(svc, { ip: IP, port: PORT, healthy: true, metadata: { v: 'new' }, weight: 3 });
  await f.store.write([stale]);
  const inst = f.registry.getClient(`${IP}:${PORT}#false`)?.publishes.get('public@@DEFAULT_GROUP@@db')?.instances[0];
  assert.equal(inst?.healthy, false, 'the flip applied');
  assert.deepEqual(inst?.metadata, { v: 'new' }, 'the newer registration is kept');
  assert.equal(inst?.weight, 3);
  const stored = [...f.store.entries()].find((e) => e.table === 'instance')?.value as { metadata: Record<string, string>; healthy: boolean };
  assert.deepEqual([stored.metadata, stored.healthy], [{ v: 'new' }, false]);
});

test('with the switch off, tasks hold no timer: one engine timer looks at the switch, and checks resume when it is on', async () => {
  let enabled = true;
  const t = setup({ enabled: () => enabled });
  // Count the timers the engine sets.
  let timers = 0;
  const clock = t.f.clock;
  const real = clock.setTimeout.bind(clock);
  const realInterval = clock.setInterval.bind(clock);
  clock.setTimeout = (fn, ms) => (timers++, real(fn, ms));
  clock.setInterval = (fn, ms) => (timers++, realInterval(fn, ms));
  for (let i = 0; i < 50; i++) await t.f.naming.registerPersistentInstance(svc, { ip: `127.0.1.${i}`, port: PORT, healthy: true });
  enabled = false;
  t.engine.start();
  assert.equal(t.engine.taskCount(), 50);
  timers = 0;
  // Five minutes with the switch off: no probe, and no timer per task (50 tasks re-arming every
  // 2–7 s set thousands).
  for (let i = 0; i < 300; i++) {
    clock.advance(1000);
    await settle();
  }
  assert.equal(t.prober.calls.length, 0);
  assert.ok(timers <= 1, `timers set while switched off: ${timers}`);
  assert.equal(t.engine.parkedCount(), 50);
  // A task created while the switch is off is parked at once.
  await register(t.f);
  assert.equal(t.engine.parkedCount(), 51);
  // Switch on: every task probes again within the wake interval plus its delay.
  enabled = true;
  await t.untilProbes(51);
  assert.equal(t.engine.parkedCount(), 0);
  assert.equal(new Set(t.prober.calls.map((c) => c.target.ip)).size, 51);
  // Off again while armed: each task parks at its next run instead of re-arming.
  enabled = false;
  for (let i = 0; i < 100; i++) clock.advance(100);
  await settle();
  assert.equal(t.engine.parkedCount(), 51);
  t.engine.stop();
  assert.equal(t.engine.parkedCount(), 0);
});
