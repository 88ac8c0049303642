/**
 * docs/compatibility.md stays in step with the code: every registered HTTP route has a served row,
 * every served row is a registered route, every naming gRPC request type Nomen handles has a row,
 * every test the matrix names exists, and every supported/differs HTTP row names a test that compares
 * with fixtures written from the Nacos sources (for the fixture run, one case per path of the row; for
 * the console shape test, each path named in it).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { namingHandlers } from '../../src/transport/grpc/naming-handlers.js';
import { ENDPOINT_RULES } from '../../src/transport/http/auth-rules.js';
import { createHttpContext } from './helpers/http-context.js';
import { fakeAdmin, loadFixtures } from './helpers/nacos3-fixtures.js';

const ROOT = new URL('../../', import.meta.url);
const DOC = readFileSync(new URL('docs/compatibility.md', ROOT), 'utf8');
const ALL = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];
const SERVED = /^(supported|differs|Nomen only)\b/;

interface Row {
  cells: string[];
  served: boolean;
}

/** Table rows of a section (between its `## ` heading and the next one). */
function rows(section: string): Row[] {
  const start = DOC.indexOf(`\n## ${section}`);
  assert.ok(start >= 0, `docs/compatibility.md has no "## ${section}" section`);
  const end = DOC.indexOf('\n## ', start + 4);
  const out: Row[] = [];
  for (const line of DOC.slice(start, end < 0 ? undefined : end).split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('|---')) continue;
    const cells = line.slice(1, -1).split(' | ').map((c) => c.trim());
    if (cells[0] === 'methods' || cells[0] === 'request type') continue;
    out.push({ cells, served: SERVED.test(cells[3] ?? '') });
  }
  return out;
}

/** `METHOD path` of every route, from fastify's route tree print-out (HEAD/OPTIONS left out). */
function registeredRoutes(app: FastifyInstance): Set<string> {
  const out = new Set<string>();
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+?)(?: \(([^)]*)\))?$/u.exec(line);
    if (!m) continue;
    const depth = [...m[1]!].length / 4;
    stack.length = depth;
    const full = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = full;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '' && x !== 'HEAD' && x !== 'OPTIONS')) out.add(`${method} ${full}`);
  }
  // Routes registered only in some set-ups (cluster, metrics, console, …) count as registered.
  for (const r of ENDPOINT_RULES) if (r.when) for (const method of r.methods) out.add(`${method} ${r.path}`);
  return out;
}

function httpRoutesOfDoc(): { served: Set<string>; all: Set<string> } {
  const served = new Set<string>();
  const all = new Set<string>();
  for (const r of rows('HTTP')) {
    const methods = r.cells[0] === 'any' ? ALL : r.cells[0]!.split(', ');
    for (const path of [...r.cells[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)) {
      for (const method of methods) {
        all.add(`${method} ${path}`);
        if (r.served) served.add(`${method} ${path}`);
      }
    }
  }
  return { served, all };
}

test('every registered HTTP route is in the matrix as served, and every served row is registered', async () => {
  const h = createHttpContext({ auth: true, admin: fakeAdmin() });
  await h.app.ready();
  const registered = registeredRoutes(h.app);
  assert.ok(registered.size > 150, `parsed only ${registered.size} routes`);
  const { served } = httpRoutesOfDoc();
  const missing = [...registered].filter((r) => !served.has(r));
  assert.deepEqual(missing, [], 'registered routes without a supported/differs/Nomen-only row in docs/compatibility.md');
  const phantom = [...served].filter((r) => !registered.has(r));
  assert.deepEqual(phantom, [], 'rows marked served in docs/compatibility.md for routes that are not registered');
});

test('every naming gRPC request type Nomen handles has a served row, and every served client request is handled', () => {
  const h = createHttpContext();
  const handled = Object.keys(namingHandlers(h.ctx));
  // The SDK server and every handler table of the SDK port (naming, fuzzy watch, loader, config).
  const dir = new URL('src/transport/grpc/', ROOT);
  const transport = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(new URL(f, dir), 'utf8'))
    .join('\n');
  const grpc = rows('gRPC');
  const servedTypes = new Set(grpc.filter((r) => r.served).map((r) => r.cells[0]!.replace(/`/g, '')));
  assert.deepEqual(handled.filter((t) => !servedTypes.has(t)), [], 'handled request types missing from the matrix');
  for (const r of grpc.filter((x) => x.served && x.cells[1]!.startsWith('client'))) {
    const type = r.cells[0]!.replace(/`/g, '');
    assert.ok(handled.includes(type) || transport.includes(`'${type}'`) || transport.includes(`${type}:`), `${type} is marked served but nothing handles it`);
  }
});

test('every test file the matrix names exists', () => {
  const named = new Set([...DOC.matchAll(/`(test\/[^`]+\.ts)`/g)].map((m) => m[1]!));
  assert.ok(named.size > 5);
  assert.deepEqual([...named].filter((f) => !existsSync(new URL(f, ROOT))), []);
});

/** Tests that compare Nomen's answers with fixtures written from the Nacos sources (not from Nomen's output). */
const FIXTURE_TESTS = ['test/unit/nacos3-shapes.test.ts', 'test/unit/v3-console-shapes.test.ts', 'test/unit/open-api-fidelity.test.ts'];
const SHAPES = 'test/unit/nacos3-shapes.test.ts';
const CONSOLE_SHAPES = 'test/unit/v3-console-shapes.test.ts';

/** Whether a requested path is an instance of a route pattern (`:param` one segment, `*` anything). */
function instanceOf(pattern: string, path: string): boolean {
  const re = pattern
    .split(/(:[A-Za-z]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`).test(path);
}

test('every supported/differs HTTP row names a fixture-driven test; rows on the fixture run have a case for each path', () => {
  const requested = loadFixtures().flatMap((f) => f.cases.map((c) => c.request.path.split('?')[0]!));
  const consoleText = readFileSync(new URL(CONSOLE_SHAPES, ROOT), 'utf8');
  const withoutFixtures: string[] = [];
  const withoutCase: string[] = [];
  for (const r of rows('HTTP')) {
    if (!/^(supported|differs)\b/.test(r.cells[3] ?? '')) continue;
    const paths = [...r.cells[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const covered = r.cells[4] ?? '';
    if (!FIXTURE_TESTS.some((t) => covered.includes(`\`${t}\``))) withoutFixtures.push(`${r.cells[0]!} ${paths.join(', ')}`);
    if (covered.includes(`\`${SHAPES}\``)) withoutCase.push(...paths.filter((p) => !requested.some((q) => instanceOf(p, q))));
    // The console shape test names its paths in code, under `${C}` = /nacos/v3/console.
    else if (covered.includes(`\`${CONSOLE_SHAPES}\``)) withoutCase.push(...paths.filter((p) => !consoleText.includes(`'${p}`) && !consoleText.includes(p.replace('/nacos/v3/console', '${C}'))));
  }
  assert.deepEqual(withoutFixtures, [], `supported/differs rows of docs/compatibility.md naming none of ${FIXTURE_TESTS.join(', ')}`);
  assert.deepEqual(withoutCase, [], `paths whose row names ${SHAPES} (or ${CONSOLE_SHAPES}) but that no fixture case requests (or the console test never names)`);
});
