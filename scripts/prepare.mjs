// npm's `prepare` step: runs on `npm install` / `npm ci` in this folder and before `npm pack`.
// It builds dist/ when it can and never breaks a production install (docs/operations.md,
// "Installing from a package"):
// - unpacked package (no src/): dist/ ships inside it, nothing to build;
// - `npm pack` / `npm publish`: a clean build (dist/ removed first, so nothing stale is packed);
//   without the build tools that is an error;
// - a source clone without dev dependencies (`npm ci --omit=dev`): the compilers are absent, so
//   say what to do and succeed;
// - otherwise (`npm ci`, `npm install`): `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { URL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const packing = process.env.npm_command === 'pack' || process.env.npm_command === 'publish';

if (!existsSync('src')) process.exit(0);

const require = createRequire(import.meta.url);
const missing = ['typescript', 'vite'].filter((name) => {
  try {
    require.resolve(`${name}/package.json`);
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  const why = `build tools not installed (${missing.join(', ')}): dev dependencies were omitted`;
  if (packing) {
    console.error(`prepare: cannot pack, ${why}; run npm ci first`);
    process.exit(1);
  }
  const hint = existsSync('dist/cli.js') ? 'using the existing dist/' : 'dist/ is missing: run `npm ci` (with dev dependencies) and `npm run build`, or install from a packed tarball';
  console.warn(`prepare: skipping the build, ${why}; ${hint}`);
  process.exit(0);
}

if (packing) rmSync('dist', { recursive: true, force: true });
const npm = process.env.npm_execpath;
const r = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build', '--silent'], { stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
