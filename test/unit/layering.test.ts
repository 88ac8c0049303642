/**
 * The module boundaries of docs/architecture.md ("Layout", "Dependencies point inward") that the
 * type checker does not see: which folders may import which. Reads the sources, resolves every
 * relative import and fails with the offending file and import.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file (static, type-only and dynamic), as paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+)'/g)) {
    out.push(relative(SRC, resolve(dirname(file), m[1]!)).replaceAll('\\', '/'));
  }
  return out;
}

function violations(folder: string, forbidden: readonly string[]): string[] {
  const found: string[] = [];
  for (const f of sourceFiles(join(SRC, folder))) {
    for (const imp of importsOf(f)) {
      if (forbidden.some((p) => imp === p || imp.startsWith(`${p}/`))) found.push(`${relative(SRC, f)} imports ${imp}`);
    }
  }
  return found;
}

test('the Payload codec (src/wire) depends on no layer of the server', () => {
  assert.deepEqual(violations('wire', ['transport', 'cluster', 'naming', 'core', 'persistence', 'health', 'app']), []);
});

test('the cluster layer does not import the SDK gRPC transport (both use src/wire)', () => {
  assert.deepEqual(violations('cluster', ['transport']), []);
});

test('health checks depend on their own interface, not on naming or the store', () => {
  assert.deepEqual(violations('health', ['naming', 'persistence', 'transport', 'cluster']), []);
});

test('src/server.ts only wires and orders start/stop (builders live in src/app/)', () => {
  const lines = readFileSync(join(SRC, 'server.ts'), 'utf8').split('\n').length;
  assert.ok(lines <= 250, `src/server.ts has ${lines} lines (limit 250): move building blocks to src/app/ or their layer`);
});
