import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { drainMember, type DrainDeps, type DrainReport } from '../../src/cluster/drain.js';

const OPTS = { timeoutMs: 10_000, flushTimeoutMs: 2000, pollMs: 20 };

/** Runs the drain on simulated time: advances the clock in small steps until it resolves (bounded). */
async function run(clock: ManualClock, p: Promise<DrainReport>): Promise<DrainReport> {
  let done: DrainReport | null = null;
  void p.then((r) => (done = r));
  for (let i = 0; i < 10_000 && done === null; i++) {
    await new Promise<void>((r) => setImmediate(r));
    if (done === null) clock.advance(10);
  }
  if (done === null) throw new Error('drain did not finish');
  return done;
}

function fake(clock: ManualClock, opts: { targets?: string[]; handoverAfterMs?: number | null; flushAfterMs?: number } = {}) {
  const steps: string[] = [];
  const t0 = clock.now();
  let retained = 0;
  let released = false;
  const handoverAfter = opts.handoverAfterMs === undefined ? 3000 : opts.handoverAfterMs;
  const deps: DrainDeps = {
    clock,
    stopAccepting: () => steps.push('stopAccepting'),
    connections: () => ['c1', 'c2', 'c3'],
    move: (id, target) => {
      steps.push(`move ${id}->${String(target)}`);
      retained++;
    },
    targets: () => opts.targets ?? ['b', 'c'],
    transferLeadership: async () => {
      steps.push('transferLeadership');
    },
    pendingHandovers: () => (released || (handoverAfter !== null && clock.now() - t0 >= handoverAfter) ? 0 : retained),
    releaseAll: () => {
      steps.push(`releaseAll at ${clock.now() - t0}`);
      released = true;
    },
    pendingSyncs: () => (released && clock.now() - t0 >= (opts.flushAfterMs ?? 0) ? 0 : 1),
    log: () => undefined,
  };
  return { deps, steps };
}

test('drain: refuse first, move every connection round-robin over the targets, wait for the hand-over, then flush', async () => {
  const clock = new ManualClock();
  const { deps, steps } = fake(clock);
  const report = await run(clock, drainMember(deps, OPTS));
  assert.deepEqual(steps.slice(0, 5), ['stopAccepting', 'transferLeadership', 'move c1->b', 'move c2->c', 'move c3->b']);
  assert.match(steps[5]!, /^releaseAll at 30\d\d$/, 'released once the hand-over completed (3 s), not before');
  assert.equal(report.moved, 3);
  assert.equal(report.leftOver, 0);
  assert.ok(report.handoverMs >= 3000 && report.handoverMs < 3100, String(report.handoverMs));
  assert.equal(report.unflushed, 0);
});

test('drain: SDKs that never come back are removed after the timeout; an unflushable peer does not hold the exit', async () => {
  const clock = new ManualClock();
  const { deps, steps } = fake(clock, { handoverAfterMs: null, flushAfterMs: 1e9 });
  const report = await run(clock, drainMember(deps, OPTS));
  assert.equal(report.leftOver, 3);
  assert.ok(report.handoverMs >= 10_000 && report.handoverMs < 10_100, String(report.handoverMs));
  assert.match(steps.at(-1)!, /^releaseAll at 100\d\d$/);
  assert.equal(report.unflushed, 1);
  assert.ok(report.totalMs >= 12_000 && report.totalMs < 12_200, String(report.totalMs));
});

test('drain: with no live peer there is nowhere to go, so no wait', async () => {
  const clock = new ManualClock();
  const { deps, steps } = fake(clock, { targets: [], handoverAfterMs: null });
  const report = await run(clock, drainMember(deps, OPTS));
  assert.deepEqual(steps.slice(2, 5), ['move c1->undefined', 'move c2->undefined', 'move c3->undefined']);
  assert.equal(report.handoverMs, 0);
  assert.equal(report.leftOver, 3);
});

test('operator endpoint: GET shows the drain state; POST drains only when enabled, answering first', async () => {
  const { createHttpContext } = await import('./helpers/http-context.js');
  const { createHttpServer } = await import('../../src/transport/http/http-server.js');
  const { ctx } = createHttpContext();
  const state = { draining: false };
  let drains = 0;
  const off = createHttpServer(ctx, { ops: { state: () => state, drain: null } });
  const on = createHttpServer(ctx, {
    ops: {
      state: () => state,
      drain: () => {
        drains++;
        state.draining = true;
      },
    },
  });
  try {
    assert.deepEqual(JSON.parse((await off.inject({ method: 'GET', url: '/nacos/v1/core/ops/drain' })).body), { draining: false });
    assert.equal((await off.inject({ method: 'POST', url: '/nacos/v1/core/ops/drain' })).statusCode, 404, 'disabled by default');
    const r = await on.inject({ method: 'POST', url: '/nacos/v1/core/ops/drain' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(JSON.parse(r.body), { draining: true });
    assert.equal(drains, 0, 'the drain starts after the answer');
    await new Promise<void>((res) => setImmediate(res));
    assert.equal(drains, 1);
    assert.deepEqual(JSON.parse((await on.inject({ method: 'GET', url: '/nacos/v1/core/ops/drain' })).body), { draining: true });
  } finally {
    await Promise.all([off.close(), on.close()]);
  }
});

test('drain-and-exit without an exit hook: a failing stop is logged, not left as an unhandled rejection', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { Config } = await import('../../src/config/config.js');
  const { silentLogger } = await import('../../src/observability/logger.js');
  const { NomenServer } = await import('../../src/server.js');
  const { freeNomenPort } = await import('./helpers/ports.js');
  const port = await freeNomenPort();
  const config = Config.from([
    { source: 'test', values: { 'nacos.server.main.port': String(port), 'nomen.server.host': '127.0.0.1', 'nomen.data.dir': mkdtempSync(join(tmpdir(), 'nomen-drain-')) } },
  ]);
  const server = new NomenServer(config, silentLogger());
  await server.start();
  // The last step of stop() fails (after really closing, so nothing is left running).
  const close = server.auth.close.bind(server.auth);
  let closed = false;
  server.auth.close = async () => {
    await close();
    closed = true;
    throw new Error('close failed');
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => {
    unhandled.push(e);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    server.requestDrainAndExit();
    for (let i = 0; i < 500 && !closed; i++) await new Promise<void>((r) => setTimeout(r, 10));
    assert.ok(closed, 'stop ran');
    // Let the rejection reach the process, if nobody handles it.
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
