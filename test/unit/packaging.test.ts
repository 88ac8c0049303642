/**
 * Packaging rules (docs/operations.md, "Installing from a package"): a production install gets no
 * build tools, `prepare` never breaks an install without dev dependencies, and every locked
 * package supports the Node versions `engines` promises. The full pack → `npm ci --omit=dev` →
 * start round trip is scripts/pack-smoke.sh (run by CI).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface PackageJson {
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  files?: string[];
  scripts?: Record<string, string>;
}

function readPackage(): PackageJson {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
}

function runNode(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('every locked package supports all Node versions of engines.node (scripts/check-engines.mjs)', () => {
  const r = runNode(['scripts/check-engines.mjs'], root);
  assert.equal(r.status, 0, r.out);
});

test('the engines check fails on a dependency that needs a newer Node than engines says', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomen-engines-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ engines: { node: '>=20.19' } }));
    writeFileSync(
      join(dir, 'lock.json'),
      JSON.stringify({
        packages: {
          '': {},
          'node_modules/ok': { version: '1.0.0', engines: { node: '>=18' } },
          'node_modules/new-only': { version: '3.1.0', engines: { node: '>=22' } },
          'node_modules/gap': { version: '1.0.0', dev: true, engines: { node: '^20.19.0 || >=22.12.0' } },
        },
      }),
    );
    const r = runNode([join(root, 'scripts/check-engines.mjs'), join(dir, 'package.json'), join(dir, 'lock.json')], dir);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /new-only@3\.1\.0 \(runtime\) needs node >=22/);
    assert.match(r.out, /gap@1\.0\.0 \(dev\)/);
    assert.doesNotMatch(r.out, /\bok@/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runtime dependencies: no build tools or console sources, and each one is imported by src/', () => {
  const deps = Object.keys(readPackage().dependencies ?? {});
  for (const tool of ['vite', '@vitejs/plugin-react', 'react', 'react-dom', 'typescript', 'tsx', 'esbuild']) {
    assert.ok(!deps.includes(tool), `${tool} is a build tool / console source: it belongs in devDependencies`);
  }
  const src = sourceFiles(join(root, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
  for (const dep of deps) {
    // `resolve('dep')`: loaded by path in a worker thread (src/auth/bcrypt-pool.ts).
    const imported = src.includes(`from '${dep}'`) || src.includes(`from '${dep}/`) || src.includes(`import('${dep}`) || src.includes(`.resolve('${dep}')`);
    assert.ok(imported, `dependency ${dep} is never imported by src/: remove it`);
  }
});

test('the package ships dist/ (no source maps) and its lockfile; prepare is a script that ships too', () => {
  const pkg = readPackage();
  assert.deepEqual(pkg.files, ['dist/', '!dist/**/*.map', 'scripts/prepare.mjs', 'npm-shrinkwrap.json']);
  assert.equal(pkg.scripts?.prepare, 'node scripts/prepare.mjs');
});

test('prepare: succeeds without build tools, skips in an unpacked package, refuses to pack unbuilt', () => {
  // A copy of the script outside the repository resolves no typescript/vite: like `npm ci --omit=dev`.
  const dir = mkdtempSync(join(tmpdir(), 'nomen-prepare-'));
  try {
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(root, 'scripts/prepare.mjs'), join(dir, 'scripts/prepare.mjs'));
    const noNpm = { npm_command: 'ci', npm_execpath: '' };

    const unpacked = runNode(['scripts/prepare.mjs'], dir, noNpm);
    assert.equal(unpacked.status, 0, unpacked.out);
    assert.equal(unpacked.out, '', 'an unpacked package (no src/) builds nothing and says nothing');

    mkdirSync(join(dir, 'src'));
    const clone = runNode(['scripts/prepare.mjs'], dir, noNpm);
    assert.equal(clone.status, 0, clone.out);
    assert.match(clone.out, /skipping the build.*typescript, vite.*dist\/ is missing/s);

    const pack = runNode(['scripts/prepare.mjs'], dir, { ...noNpm, npm_command: 'pack' });
    assert.equal(pack.status, 1, pack.out);
    assert.match(pack.out, /cannot pack/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('code and docs cite protocol facts from docs/protocol/, never from outside the repository', () => {
  const r = runNode(['scripts/check-citations.mjs'], root);
  assert.equal(r.status, 0, r.out);
});

test('the citation check rejects absolute paths, the shared spec folder and "spec <file>.md §n"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nomen-cites-'));
  try {
    // Assembled from pieces so that this file itself passes the check.
    const j = (...parts: string[]) => parts.join('');
    const bad = [
      j('/** Spec: /wo', 'rk/shared/sp', 'ec/grpc.md sections 1, 3. */'),
      j('// see ../sha', 'red/spec/distro.md'),
      j('// (sp', 'ec http.m', 'd §4.3)'),
      j('// the healthy list (sp', 'ec §2.1)'),
      j('// matched by connection (sp', 'ec 3.10)'),
      j('// typed failures (grpc.m', 'd §7)'),
    ];
    // A citation wrapped over two comment lines counts once, on its first line.
    const wrapped = [j(' * as the plugin issues them (sp', 'ec'), ' * docs/protocol/http.md §4.2): payload ...'];
    const good = [
      '// docs/protocol/grpc.md §3.7: 20 s',
      '// Raft §5.3 "up-to-date" check; thesis §6.4',
      '// docs/decisions.md §19',
    ];
    writeFileSync(join(dir, 'bad.ts'), [...bad, ...wrapped].join('\n'));
    writeFileSync(join(dir, 'good.ts'), good.join('\n'));
    const r = runNode([join(root, 'scripts/check-citations.mjs'), dir], dir);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, new RegExp(`${bad.length + 1} citation\\(s\\)`));
    assert.doesNotMatch(r.out, /good\.ts/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
