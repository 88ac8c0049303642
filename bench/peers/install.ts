/**
 * Makes sure the peer registries are installed: etcd (Debian `etcd-server`) and ZooKeeper (Debian
 * `zookeeper`, which brings a Java runtime). When a binary is missing and we are root, runs
 * `apt-get update && apt-get install -y --no-install-recommends <packages>`; otherwise says what to
 * install. Debian's packages are not started as services here (no init system in the container);
 * the bench starts its own instances. Run alone: `node --import tsx bench/peers/install.ts`.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeerName } from './common.js';

const PACKAGES: Record<PeerName, { pkg: string; check: () => boolean }> = {
  etcd: { pkg: 'etcd-server', check: () => spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0 },
  zookeeper: {
    pkg: 'zookeeper',
    check: () => spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0 && spawnSync('test', ['-r', '/usr/share/java/zookeeper.jar']).status === 0,
  },
};

/** Version line of an installed Debian package, or null. */
export function packageVersion(pkg: string): string | null {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/**
 * Installs what is missing of `peers` (root only). Returns the peers that are usable, and a note
 * per peer that is not.
 */
export function ensurePeers(peers: readonly PeerName[], log: (msg: string) => void = () => undefined): { ok: PeerName[]; problems: string[] } {
  const missing = peers.filter((p) => !PACKAGES[p].check());
  const problems: string[] = [];
  if (missing.length > 0) {
    const pkgs = missing.map((p) => PACKAGES[p].pkg);
    if (process.getuid?.() === 0) {
      log(`installing ${pkgs.join(' ')} (apt-get)`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const up = spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
      const inst = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { encoding: 'utf8', env });
      if (up.status !== 0 || inst.status !== 0) problems.push(`apt-get install ${pkgs.join(' ')} failed: ${(inst.stderr ?? '').trim().split('\n').slice(-2).join(' ')}`);
    } else {
      problems.push(`not installed and not root: run \`sudo apt-get install -y ${pkgs.join(' ')}\``);
    }
  }
  const ok = peers.filter((p) => PACKAGES[p].check());
  for (const p of peers) if (!ok.includes(p)) problems.push(`${p}: not available (Debian package ${PACKAGES[p].pkg})`);
  return { ok, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = ensurePeers(['etcd', 'zookeeper'], (m) => process.stderr.write(m + '\n'));
  for (const p of r.ok) process.stdout.write(`${p}: ${packageVersion(PACKAGES[p].pkg) ?? 'installed'}\n`);
  for (const m of r.problems) process.stderr.write(m + '\n');
  process.exitCode = r.problems.length ? 1 : 0;
}
