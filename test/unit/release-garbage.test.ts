import assert from 'node:assert/strict';
import { test } from 'node:test';
import { releaseGarbage, RELEASE_MIN_CHARS } from '../../src/app/release-garbage.js';

test('releaseGarbage: skipped for a small image, a full GC for a large one (docs/config-center.md "Memory")', () => {
  assert.equal(releaseGarbage(0), null);
  assert.equal(releaseGarbage(RELEASE_MIN_CHARS - 1), null);
  assert.equal(typeof releaseGarbage(RELEASE_MIN_CHARS), 'number');
  // The exposed function is cached: a later large image collects again.
  assert.equal(typeof releaseGarbage(RELEASE_MIN_CHARS * 10), 'number');
  assert.equal(typeof releaseGarbage(RELEASE_MIN_CHARS, 1), 'number');
});
