import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { IDLE_CHECK_MS, IdleGarbageRelease, READY_GC_SETTLE_MS, releaseGarbage, RELEASE_MIN_CHARS, scheduleReadyGc } from '../../src/app/release-garbage.js';
import { ManualClock, systemClock } from '../../src/core/clock.js';

test('releaseGarbage: skipped for a small image, a full GC for a large one (docs/config-center.md "Memory")', () => {
  assert.equal(releaseGarbage(0), null);
  assert.equal(releaseGarbage(RELEASE_MIN_CHARS - 1), null);
  assert.equal(typeof releaseGarbage(RELEASE_MIN_CHARS), 'number');
  // The exposed function is cached: a later large image collects again.
  assert.equal(typeof releaseGarbage(RELEASE_MIN_CHARS * 10), 'number');
  assert.equal(typeof releaseGarbage(RELEASE_MIN_CHARS, 1), 'number');
});

const newSpaceMiB = (): number => (getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / 1048576;
const quietLog = { info: () => undefined, debug: () => undefined };

test('scheduleReadyGc: an idle process gives back the young generation grown while starting (issue 14)', async () => {
  // A start-up-like burst of surviving allocations grows the young generation to its maximum.
  let keep: { a: number; b: string }[] | null = [];
  for (let i = 0; i < 300_000; i++) keep.push({ a: i, b: `x${i}` });
  assert.ok(keep.length > 0);
  keep = null;
  const grown = newSpaceMiB();
  assert.ok(grown >= 8, `young generation grew to ${grown} MiB`);
  // The clock's timers do not hold the process open (a server's do not need to): this one does.
  const hold = setTimeout(() => undefined, 60_000);
  const released = await new Promise<boolean>((done) => scheduleReadyGc({ clock: systemClock, delayMs: 0, log: quietLog, done }));
  clearTimeout(hold);
  assert.equal(released, true);
  assert.ok(newSpaceMiB() <= 4, `young generation ${newSpaceMiB()} MiB after the GCs (was ${grown})`);
});

test('scheduleReadyGc: skips the shrinking GCs when the member is busy; -1 turns it off; stop cancels', () => {
  const clock = new ManualClock();
  let cpu = 0;
  const results: boolean[] = [];
  scheduleReadyGc({ clock, delayMs: 1000, log: quietLog, cpuMs: () => (cpu += 1000), done: (r) => results.push(r) });
  clock.advance(1000);
  assert.deepEqual(results, []);
  clock.advance(READY_GC_SETTLE_MS);
  assert.deepEqual(results, [false]);

  const later: boolean[] = [];
  scheduleReadyGc({ clock, delayMs: -1, log: quietLog, done: (r) => later.push(r) });
  const cancel = scheduleReadyGc({ clock, delayMs: 10, log: quietLog, cpuMs: () => 0, done: (r) => later.push(r) });
  clock.advance(10);
  cancel();
  clock.advance(READY_GC_SETTLE_MS * 2);
  assert.deepEqual(later, []);
});

test('IdleGarbageRelease: a large compaction image is released only once the member is idle, once for all pending (issue 14)', () => {
  const clock = new ManualClock();
  let cpu = 0;
  const gcs: number[] = [];
  const lines: object[] = [];
  const r = new IdleGarbageRelease({ clock, log: { info: (o: object) => lines.push(o) }, cpuMs: () => cpu, gc: (passes) => (gcs.push(passes), 5) });
  r.request(RELEASE_MIN_CHARS - 1, { index: 1 });
  assert.equal(r.waiting, false, 'a small image is not worth a pause');
  r.request(RELEASE_MIN_CHARS, { index: 10 });
  assert.equal(r.waiting, true);
  // Busy (half a core) for five checks: no GC, the release keeps waiting.
  for (let i = 0; i < 5; i++) {
    cpu += IDLE_CHECK_MS / 2;
    clock.advance(IDLE_CHECK_MS);
  }
  assert.deepEqual(gcs, []);
  r.request(RELEASE_MIN_CHARS * 2, { index: 20 });
  cpu += IDLE_CHECK_MS / 2;
  clock.advance(IDLE_CHECK_MS);
  assert.deepEqual(gcs, []);
  // Idle for one check: the two full GCs run once, for both compactions, and are logged.
  cpu += 1;
  clock.advance(IDLE_CHECK_MS);
  assert.deepEqual(gcs, [2]);
  assert.equal(r.waiting, false);
  assert.deepEqual(lines, [{ index: 20, imageChars: RELEASE_MIN_CHARS * 2, gcMs: 5 }]);
  clock.advance(IDLE_CHECK_MS * 10);
  assert.deepEqual(gcs, [2]);
  // stop() cancels a pending release.
  r.request(RELEASE_MIN_CHARS, { index: 30 });
  r.stop();
  clock.advance(IDLE_CHECK_MS * 10);
  assert.deepEqual(gcs, [2]);
});
