#!/usr/bin/env node
/**
 * Rebuilds vendor/nacos-console-ui/static (the official Nacos 3 web console, Apache-2.0) from the
 * Nacos sources, the way the Nacos repository builds it: `npm ci` and `npm run build` in
 * `console-ui/`, whose build writes index.html, js/main.js and css/main.css next to the
 * `console/src/main/resources/static/console-ui/public` assets. See docs/console.md
 * "The official Nacos 3 console" for why the two workarounds below are needed.
 *
 *   node scripts/build-nacos-console-ui.mjs <nacos git dir or checkout> [commit]   (default HEAD)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [source, commit = 'HEAD'] = process.argv.slice(2);
if (!source) {
  console.error('usage: node scripts/build-nacos-console-ui.mjs <nacos git dir or checkout> [commit]');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'vendor/nacos-console-ui');
const work = mkdtempSync(join(tmpdir(), 'nacos-console-ui-'));
const run = (cmd, args, cwd, env = {}) => execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });

const gitDir = existsSync(join(source, '.git')) ? join(source, '.git') : source;
const sha = execFileSync('git', ['--git-dir', gitDir, 'rev-parse', commit], { encoding: 'utf8' }).trim();
const archive = execFileSync('git', ['--git-dir', gitDir, 'archive', sha, 'console-ui', 'console/src/main/resources/static', 'LICENSE', 'NOTICE'], {
  maxBuffer: 1 << 30,
});
execFileSync('tar', ['-x', '-C', work], { input: archive });

const ui = join(work, 'console-ui');
// Workaround 1: the lockfile resolves some packages from registry.npmmirror.com; fetch the same
// tarballs (same integrity hashes) from the configured registry instead.
const lock = join(ui, 'package-lock.json');
writeFileSync(lock, readFileSync(lock, 'utf8').replaceAll('https://registry.npmmirror.com/', 'https://registry.npmjs.org/'));
const started = Date.now();
run('npm', ['ci', '--no-audit', '--no-fund'], ui);
// Workaround 2: webpack 4 hashes with MD4, which Node 17+ (OpenSSL 3) only offers as a legacy algorithm.
run('npm', ['run', 'build'], ui, { NODE_OPTIONS: '--openssl-legacy-provider' });
console.log(`built in ${Math.round((Date.now() - started) / 1000)} s`);

rmSync(join(out, 'static'), { recursive: true, force: true });
cpSync(join(work, 'console/src/main/resources/static'), join(out, 'static'), { recursive: true });
for (const f of ['LICENSE', 'NOTICE']) cpSync(join(work, f), join(out, f));
writeFileSync(join(out, 'SOURCE'), `alibaba/nacos ${sha}\n`);
rmSync(work, { recursive: true, force: true });
console.log(`vendor/nacos-console-ui/static rebuilt from alibaba/nacos ${sha}`);
