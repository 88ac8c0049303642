import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runStandalone } from './scenario.js';

test('standalone: no Distro traffic, responsible for everything, loaded (docs/protocol/distro.md §9.19)', () => {
  for (const seed of [1, 2, 3]) {
    const r = runStandalone(seed);
    assert.deepEqual(r.violations, []);
    assert.equal(r.messages, 0);
    assert.ok(r.responsibleForAll);
  }
});
