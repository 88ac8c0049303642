/**
 * The chaos harness's network: one Linux bridge, one network namespace per member, a veth pair
 * per member, addresses in 10.99.0.0/24 only (docs/reliability.md "Topology").
 *
 * Everything created here carries the name prefix `nchaos` and is recorded in a cleanup
 * registry; `cleanupAll()` removes what was recorded, `cleanupByPrefix()` removes leftovers of an
 * interrupted run by name. Nothing is routed anywhere: the namespaces only have the connected
 * /24, and the root namespace only gets addresses on the harness's own bridge. iptables and tc are
 * only ever run *inside* the harness's namespaces (their chains die with the namespace).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PREFIX = 'nchaos';
export const BRIDGE = `${PREFIX}-br`;
export const SUBNET = '10.99.0';
/** The root namespace's address on the bridge: clients and the link proxies listen/come from here. */
export const ROOT_IP = `${SUBNET}.1`;
/** Member i's address (inside its namespace). */
export const memberIp = (i: number): string => `${SUBNET}.${10 + i}`;
/** Source address the link proxies use when they connect to a member on behalf of member i. */
export const proxyEgressIp = (i: number): string => `${SUBNET}.${100 + i}`;
export const nsName = (i: number): string => `${PREFIX}-m${i}`;
const vethRoot = (i: number): string => `${PREFIX}-v${i}`;
const vethPeer = (i: number): string => `${PREFIX}-p${i}`;
/** Our own iptables chain inside each member namespace (INPUT jumps to it). */
const CHAIN = 'NCHAOS';

function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Runs `cmd args` inside member i's namespace. */
export function inNs(i: number, cmd: string, args: readonly string[]): string {
  return run('ip', ['netns', 'exec', nsName(i), cmd, ...args]);
}

// ------------------------------------------------------------------------------------------------
// Cleanup registry: every created object pushes its undo; run in reverse order, never throws.

const undo: { what: string; fn: () => void }[] = [];

export function registerCleanup(what: string, fn: () => void): void {
  undo.push({ what, fn });
}

export function cleanupAll(): void {
  while (undo.length > 0) {
    const u = undo.pop()!;
    try {
      u.fn();
    } catch {
      // best effort: cleanupByPrefix catches what is left
    }
  }
  cleanupByPrefix();
}

/** Removes every namespace, link, process and data directory of the harness by name (`npm run chaos -- --cleanup`). */
export function cleanupByPrefix(): string[] {
  const removed: string[] = [];
  const nsList = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of nsList.split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (!name?.startsWith(`${PREFIX}-`)) continue;
    // Processes still inside (members from a crashed run) go first: a namespace with processes lingers.
    const pids = (spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? '').split('\n').filter((p) => /^\d+$/.test(p.trim()));
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (tryRun('ip', ['netns', 'del', name])) removed.push(`netns ${name}`);
  }
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of links.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)/.exec(line);
    const name = m?.[1];
    if (name?.startsWith(`${PREFIX}-`) && name !== BRIDGE && tryRun('ip', ['link', 'del', name])) removed.push(`link ${name}`);
  }
  if (tryRun('ip', ['link', 'del', BRIDGE])) removed.push(`link ${BRIDGE}`);
  // The members' data directories (`<tmp>/nchaos-<tag>-<pid>`, test/chaos/run.ts).
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(`${PREFIX}-`)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
    removed.push(`directory ${join(tmpdir(), name)}`);
  }
  return removed;
}

// ------------------------------------------------------------------------------------------------
// Setup

/** Installs iproute2 / iptables with apt-get when `ip` / `iptables` / `tc` are missing. */
export function ensureTools(): void {
  const missing = ['ip', 'iptables', 'tc'].filter((t) => !tryRun('sh', ['-c', `command -v ${t}`]));
  if (missing.length === 0) return;
  process.stdout.write(`[chaos] installing iproute2 iptables (missing: ${missing.join(', ')})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'iproute2', 'iptables'], { stdio: 'inherit', env });
}

/** Creates the bridge (root side addresses: ROOT_IP and one proxy egress address per member) and n namespaces. */
export function createTopology(n: number): void {
  cleanupByPrefix();
  run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  registerCleanup(`bridge ${BRIDGE}`, () => tryRun('ip', ['link', 'del', BRIDGE]));
  run('ip', ['addr', 'add', `${ROOT_IP}/24`, 'dev', BRIDGE]);
  for (let i = 0; i < n; i++) run('ip', ['addr', 'add', `${proxyEgressIp(i)}/32`, 'dev', BRIDGE]);
  run('ip', ['link', 'set', BRIDGE, 'up']);
  for (let i = 0; i < n; i++) {
    const ns = nsName(i);
    run('ip', ['netns', 'add', ns]);
    registerCleanup(`netns ${ns}`, () => tryRun('ip', ['netns', 'del', ns]));
    run('ip', ['link', 'add', vethRoot(i), 'type', 'veth', 'peer', 'name', vethPeer(i)]);
    registerCleanup(`veth ${vethRoot(i)}`, () => tryRun('ip', ['link', 'del', vethRoot(i)]));
    run('ip', ['link', 'set', vethRoot(i), 'master', BRIDGE, 'up']);
    run('ip', ['link', 'set', vethPeer(i), 'netns', ns]);
    inNs(i, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(i, 'ip', ['link', 'set', vethPeer(i), 'name', 'eth0']);
    inNs(i, 'ip', ['addr', 'add', `${memberIp(i)}/24`, 'dev', 'eth0']);
    inNs(i, 'ip', ['link', 'set', 'eth0', 'up']);
    inNs(i, 'iptables', ['-N', CHAIN]);
    inNs(i, 'iptables', ['-A', 'INPUT', '-j', CHAIN]);
  }
}

/**
 * Sends member i's traffic for peer j's HTTP and cluster ports through the link proxy
 * (DNAT inside i's namespace, to ROOT_IP:proxyPort).
 */
export function routeViaProxy(i: number, j: number, port: number, proxyPort: number): void {
  inNs(i, 'iptables', ['-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '-d', memberIp(j), '--dport', String(port), '-j', 'DNAT', '--to-destination', `${ROOT_IP}:${proxyPort}`]);
}

// ------------------------------------------------------------------------------------------------
// Faults (all inside the namespaces)

/** The packets member `to` receives from member `from` (direct, or through the proxy of that link). */
function fromArgs(from: number): string[][] {
  return [['-s', memberIp(from)], ['-s', proxyEgressIp(from)]];
}

/** `to` stops hearing `from` (one-way); `probability` < 1 makes it random loss (iptables statistic). */
export function dropFrom(to: number, from: number, probability = 1): void {
  const stat = probability < 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability.toFixed(3)] : [];
  for (const src of fromArgs(from)) inNs(to, 'iptables', ['-A', CHAIN, ...src, ...stat, '-j', 'DROP']);
}

/** Clears every drop rule of member i. */
export function healNs(i: number): void {
  inNs(i, 'iptables', ['-F', CHAIN]);
}

/** A bandwidth limit on member i's egress (tc tbf; netem is not available on these kernels). */
export function limitBandwidth(i: number, rateKbit: number): void {
  inNs(i, 'tc', ['qdisc', 'replace', 'dev', 'eth0', 'root', 'tbf', 'rate', `${rateKbit}kbit`, 'burst', '16kb', 'latency', '200ms']);
}

export function clearBandwidth(i: number): void {
  tryRun('ip', ['netns', 'exec', nsName(i), 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root']);
}
