import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/**
 * Deliberate bugs for the mutation tests live in test subclasses (test/sim/distro-mutants.ts,
 * test/sim/raft-mutants.ts), never as switches in production classes (docs/distro.md "Mutation
 * check", docs/raft.md "Mutation results").
 */
test('production sources carry no mutation switches', () => {
  const found: string[] = [];
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  for (const f of files) {
    const text = readFileSync(join(SRC, f), 'utf8');
    text.split('\n').forEach((line, i) => {
      if (/\bmutations?\s*[?:=.]|\bmutations?\s*\)|DistroMutations|RaftMutation/.test(line)) found.push(`src/${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});
