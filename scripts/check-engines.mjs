// Fails when an installed package (runtime or dev) does not support every Node version our
// package.json `engines.node` promises, e.g. a dependency asking for Node >= 22 while we say 20.
// Reads the lockfile (npm-shrinkwrap.json), so it checks exactly what `npm ci` installs, including
// platform packages not installed on this machine. Run by `npm run lint` and CI; see
// docs/operations.md, "Node versions". Usage: node scripts/check-engines.mjs [package.json [lockfile]]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { URL, fileURLToPath } from 'node:url';

// semver comes with fastify (a runtime dependency) and with npm itself; no extra dependency.
const semver = createRequire(import.meta.url)('semver');

/**
 * Packages of `lock` whose `engines.node` does not contain all of `range`.
 * @param {string} range our engines.node
 * @param {{ packages: Record<string, { version?: string, dev?: boolean, engines?: unknown }> }} lock
 * @returns {{ path: string, version: string, node: string, dev: boolean }[]}
 */
export function engineMismatches(range, lock) {
  if (!semver.validRange(range)) throw new Error(`engines.node is not a valid range: ${range}`);
  const out = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue;
    const engines = entry.engines;
    // Old packages sometimes list engines as an array of strings; only the object form names node.
    const node = engines && typeof engines === 'object' && !Array.isArray(engines) ? engines.node : undefined;
    if (typeof node !== 'string' || node.trim() === '' || node.trim() === '*') continue;
    const ok = semver.validRange(node) !== null && semver.subset(range, node, { includePrerelease: false });
    if (!ok) out.push({ path, version: entry.version ?? '?', node, dev: entry.dev === true });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const [pkgPath = `${root}package.json`, lockPath = `${root}npm-shrinkwrap.json`] = process.argv.slice(2);
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
  const range = pkg.engines?.node;
  if (typeof range !== 'string') {
    console.error('package.json has no engines.node');
    process.exit(1);
  }
  const bad = engineMismatches(range, lock);
  for (const b of bad) {
    console.error(`${b.path.replace(/^node_modules\//, '')}@${b.version} (${b.dev ? 'dev' : 'runtime'}) needs node ${b.node}, not all of ${range}`);
  }
  if (bad.length > 0) {
    console.error(`${bad.length} package(s) do not support engines.node "${range}": pick other versions (overrides) or change engines`);
    process.exit(1);
  }
  console.log(`engines: all ${Object.keys(lock.packages).length - 1} locked packages support node ${range}`);
}
