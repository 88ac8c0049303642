import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIG_KEYS, envNameOf } from '../../src/config/keys.js';

test('README documents every configuration key with its env var', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const key of Object.keys(CONFIG_KEYS)) {
    assert.ok(readme.includes(`| \`${key}\` | \`${envNameOf(key)}\``), `README is missing ${key}; run node scripts/config-table.mjs --write`);
  }
});
