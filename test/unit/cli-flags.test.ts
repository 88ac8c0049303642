import { test } from 'node:test';
import assert from 'node:assert/strict';
import { v8Tuning } from '../../src/cli-flags.js';

test('parallel scavenges: off once ready on one CPU by default, on otherwise; true and false force it', () => {
  assert.deepEqual(v8Tuning({}, 1), { atStart: [], whenReady: ['--no-parallel-scavenge'] });
  assert.deepEqual(v8Tuning({}, 2), { atStart: [], whenReady: [] });
  assert.deepEqual(v8Tuning({ NOMEN_PARALLEL_SCAVENGE: 'auto' }, 1).whenReady, ['--no-parallel-scavenge']);
  assert.deepEqual(v8Tuning({ NOMEN_PARALLEL_SCAVENGE: 'true' }, 1).whenReady, []);
  assert.deepEqual(v8Tuning({ NOMEN_PARALLEL_SCAVENGE: 'false' }, 8).whenReady, ['--no-parallel-scavenge']);
});

test('heap tuning: the young generation held during start-up, released when ready', () => {
  const t = v8Tuning({ NOMEN_HEAP_TUNING: 'true' }, 4);
  assert.deepEqual(t.atStart, ['--semi-space-growth-factor=1']);
  assert.deepEqual(t.whenReady, ['--semi-space-growth-factor=2']);
  assert.deepEqual(v8Tuning({ NOMEN_HEAP_TUNING: 'yes' }, 4), { atStart: [], whenReady: [] });
});

test('a bad NOMEN_PARALLEL_SCAVENGE is refused with its name and the allowed values', () => {
  assert.throws(() => v8Tuning({ NOMEN_PARALLEL_SCAVENGE: 'off' }, 1), /NOMEN_PARALLEL_SCAVENGE must be one of auto, true, false, got 'off'/);
});
