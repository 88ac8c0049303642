/**
 * Integration-test harness for cluster mode: N real members (`node dist/cli.js start --port P
 * --host 127.0.0.1 --data-dir D --members a,b,c` or `--cluster-conf FILE`) on loopback.
 *
 * `TestCluster.start(n, opts)` allocates the ports of all members first (P, P+1000 and P+1001 of
 * every member free and pairwise distinct), writes the member list, starts all members in
 * parallel and waits until every one is ready (readiness is 200 only after the Distro snapshot
 * load). Each `ClusterMember` offers `kill9()`, `stop()`, `restart({ wipe })`, and HTTP helpers.
 * Every process is tracked by `trackChild` (SIGKILLed when the test process exits); tests still
 * call `dispose()` in an `after()` hook. Members get a fresh `nomen.cluster.secret` per cluster
 * (a member refuses to start without one) unless `properties` sets it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DistroStats } from '../../../src/distro/stats.js';
import {
  artifactPath,
  endLog,
  findFreePortPair,
  httpRequest,
  jsonOf,
  REPO_ROOT,
  safeWrite,
  sleep,
  killChild,
  stopChild,
  trackChild,
  waitForExit,
  type HttpOptions,
  type HttpResult,
  type HttpServiceInfo,
  type QueryValue,
} from './server.js';

const CLI = process.env.NOMEN_IT_SERVER_SCRIPT ?? join(REPO_ROOT, 'dist', 'cli.js');
export const LOOPBACK = '127.0.0.1';

function safeName(s: string): string {
  return s.replace(/[^a-zA-Z0-9._-]+/g, '_');
}

// ------------------------------------------------------------------------------------------------
// Distro responsibility, computed like the server (docs/protocol/distro.md §2.2)

/** Java `String.hashCode` over UTF-16 code units, 32-bit wraparound. */
export function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** The member responsible for an `ip:port` tag given the healthy list (sorted here). */
export function responsibleFor(tag: string, healthy: readonly string[]): string {
  const list = [...healthy].sort();
  if (list.length === 0) throw new Error('empty healthy list');
  const d = Math.abs(javaHashCode(tag) % 2147483647);
  return list[d % list.length]!;
}

// ------------------------------------------------------------------------------------------------
// Operator JSON shapes (the parts the tests read)

/** `GET /nacos/v1/ns/operator/distro/state` (the `distro` part is the core's own stats type). */
export interface DistroState {
  self: string;
  loaded: boolean;
  members: { address: string; state: string; failAccessCnt: number }[];
  healthy: string[];
  distro: DistroStats;
}

export interface NodeInfo {
  ip: string;
  port: number;
  address: string;
  state: string;
}

// ------------------------------------------------------------------------------------------------
// One member

export interface MemberSpawnInfo {
  /** When the process was spawned (Date.now()). */
  spawnedAt: number;
}

export class ClusterMember {
  private child: ChildProcess | null = null;
  private readonly log: WriteStream;
  private starts = 0;
  /** Set by `TestCluster` for `--cluster-conf` members: this member's own cluster.conf. */
  confFile: string | null = null;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
    readonly logFile: string,
    private memberArgs: string[],
    private readonly properties: Record<string, string | number | boolean>,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  get address(): string {
    return `${LOOPBACK}:${this.port}`;
  }

  get grpcPort(): number {
    return this.port + 1000;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and returns at once (use `waitReady`); `extraArgs` go after the usual flags. */
  spawn(extraArgs: readonly string[] = []): MemberSpawnInfo {
    if (this.running) throw new Error(`member ${this.name} is already running`);
    this.starts++;
    const args = [CLI, 'start', '--port', String(this.port), '--host', LOOPBACK, '--data-dir', this.dataDir, ...this.memberArgs, ...extraArgs];
    for (const [k, v] of Object.entries(this.properties)) args.push('--property', `${k}=${String(v)}`);
    safeWrite(this.log, `\n===== start #${this.starts} at ${new Date().toISOString()}: node ${args.join(' ')}\n`);
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    trackChild(child);
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => safeWrite(this.log, b));
    child.stderr?.on('data', (b: Buffer) => safeWrite(this.log, b));
    child.once('exit', (code, signal) => safeWrite(this.log, `\n===== exited code=${String(code)} signal=${String(signal)} at ${new Date().toISOString()}\n`));
    return { spawnedAt: Date.now() };
  }

  /** HTTP status of the readiness probe, or null when nothing answers. */
  async readiness(timeoutMs = 1000): Promise<number | null> {
    try {
      return (await this.request('GET', '/nacos/v1/console/health/readiness', { timeoutMs })).status;
    } catch {
      return null;
    }
  }

  /** Waits until readiness answers 200; throws if the process exits or the time is up. */
  async waitReady(timeoutMs = 30_000, intervalMs = 100): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`member ${this.name} exited during startup (code ${String(this.child?.exitCode)}); see ${this.logFile}`);
      if ((await this.readiness()) === 200) return Date.now();
      if (Date.now() > deadline) throw new Error(`member ${this.name} not ready after ${timeoutMs} ms; see ${this.logFile}`);
      await sleep(intervalMs);
    }
  }

  /** Graceful stop: SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.child && this.running) await stopChild(this.child, this.log);
  }

  /**
   * SIGTERM and wait up to `timeoutMs` for the exit, without SIGKILL (to measure a drain).
   * Returns the exit code, or null if the process was still running at the deadline.
   */
  async terminate(timeoutMs: number): Promise<number | null> {
    const c = this.child;
    if (!c || !this.running) return c?.exitCode ?? null;
    safeWrite(this.log, `\n===== SIGTERM at ${new Date().toISOString()}\n`);
    c.kill('SIGTERM');
    return (await waitForExit(c, timeoutMs)) ? c.exitCode : null;
  }

  /** Crash: SIGKILL, and wait until the process is gone. */
  async kill9(): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    safeWrite(this.log, `\n===== SIGKILL at ${new Date().toISOString()}\n`);
    await killChild(c);
  }

  /** Deletes the data directory (the member must not run). */
  async wipe(): Promise<void> {
    if (this.running) throw new Error(`member ${this.name} is running: cannot wipe its data`);
    await rm(this.dataDir, { recursive: true, force: true });
    await mkdir(this.dataDir, { recursive: true });
  }

  /**
   * Starts the member again on the same port (stops it first if running; `wipe` deletes its data
   * directory in between). `waitReady: false` returns right after the spawn.
   */
  async restart(opts: { wipe?: boolean; waitReady?: boolean; readyTimeoutMs?: number } = {}): Promise<MemberSpawnInfo> {
    await this.stop();
    if (opts.wipe) await this.wipe();
    const info = this.spawn();
    if (opts.waitReady !== false) await this.waitReady(opts.readyTimeoutMs ?? 30_000);
    return info;
  }

  /** Stops the process (SIGKILL if needed) and closes the log. */
  async dispose(): Promise<void> {
    await this.kill9();
    await endLog(this.log);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- HTTP helpers

  request(method: string, path: string, opts?: HttpOptions): Promise<HttpResult> {
    return httpRequest(this.port, method, path, opts);
  }

  get(path: string, query?: Record<string, QueryValue>): Promise<HttpResult> {
    return this.request('GET', path, query ? { query } : {});
  }

  /** GET /nacos/v1/ns/instance/list (not a subscription) → parsed ServiceInfo. */
  async listInstances(serviceName: string, extra: Record<string, QueryValue> = {}, timeoutMs = 5000): Promise<HttpServiceInfo> {
    const r = await this.request('GET', '/nacos/v1/ns/instance/list', { query: { serviceName, ...extra }, timeoutMs });
    if (r.status !== 200) throw new Error(`${this.name} instance/list ${serviceName}: HTTP ${r.status} ${r.text}`);
    return jsonOf<HttpServiceInfo>(r);
  }

  async distroState(): Promise<DistroState> {
    const r = await this.get('/nacos/v1/ns/operator/distro/state');
    if (r.status !== 200) throw new Error(`${this.name} distro/state: HTTP ${r.status} ${r.text}`);
    return jsonOf<DistroState>(r);
  }

  /** GET /nacos/v1/core/cluster/nodes → the members this member lists. */
  async nodes(): Promise<NodeInfo[]> {
    const r = await this.get('/nacos/v1/core/cluster/nodes');
    if (r.status !== 200) throw new Error(`${this.name} cluster/nodes: HTTP ${r.status} ${r.text}`);
    return jsonOf<{ data: NodeInfo[] }>(r).data;
  }
}

// ------------------------------------------------------------------------------------------------
// The cluster

export interface ClusterOptions {
  /** Used in log file and data dir names. */
  name: string;
  /** `--property key=value` for every member. */
  properties?: Record<string, string | number | boolean>;
  /** `flag`: `--members a,b,c` (default); `file`: one cluster.conf per member (`--cluster-conf`). */
  memberList?: 'flag' | 'file';
  /** Wait for every member's readiness (default 30 s). */
  readyTimeoutMs?: number;
}

/** Ports of one member: P, P+1000, P+1001. */
function portsOf(p: number): number[] {
  return [p, p + 1000, p + 1001];
}

/** `n` base ports whose P, P+1000, P+1001 are free now and pairwise distinct across members. */
export async function allocatePorts(n: number, avoid: readonly number[] = []): Promise<number[]> {
  const used = new Set<number>(avoid.flatMap(portsOf));
  const out: number[] = [];
  for (let guard = 0; out.length < n; guard++) {
    if (guard > 200) throw new Error('could not allocate cluster ports');
    const p = await findFreePortPair();
    if (portsOf(p).some((x) => used.has(x))) continue;
    for (const x of portsOf(p)) used.add(x);
    out.push(p);
  }
  return out;
}

export class TestCluster {
  readonly members: ClusterMember[] = [];
  private readonly root: string;
  /** The cluster secret every member is started with (`nomen.cluster.secret`). */
  readonly secret = randomBytes(32).toString('base64');

  private constructor(
    readonly opts: ClusterOptions,
    root: string,
  ) {
    this.root = root;
  }

  /**
   * Starts `n` members in parallel and waits until all are ready. A start that fails (e.g. a port
   * taken by a parallel test file between allocation and bind) is retried on fresh ports.
   */
  static async start(n: number, opts: ClusterOptions): Promise<TestCluster> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const root = await mkdtemp(join(tmpdir(), `nomen-it-${safeName(opts.name)}-`));
      const c = new TestCluster(opts, root);
      try {
        const ports = await allocatePorts(n);
        const addresses = ports.map((p) => `${LOOPBACK}:${p}`);
        for (let i = 0; i < n; i++) await c.createMember(ports[i]!, addresses, String.fromCharCode(65 + i));
        for (const m of c.members) m.spawn();
        await Promise.all(c.members.map((m) => m.waitReady(opts.readyTimeoutMs ?? 30_000)));
        return c;
      } catch (e) {
        lastErr = e;
        await c.dispose();
      }
    }
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }

  /**
   * Creates (does not start) a member on a fresh port whose own member list is `addresses`
   * (for `file` mode it is written to its cluster.conf; `selfIncluded` adds it).
   */
  async addMember(label: string, addresses: readonly string[], selfIncluded = true): Promise<ClusterMember> {
    const [port] = await allocatePorts(1, this.members.map((m) => m.port));
    const self = `${LOOPBACK}:${port!}`;
    return this.createMember(port!, selfIncluded ? [...addresses, self] : [...addresses], label);
  }

  private async createMember(port: number, addresses: readonly string[], label: string): Promise<ClusterMember> {
    const dataDir = join(this.root, `data-${label}`);
    await mkdir(dataDir, { recursive: true });
    const logFile = artifactPath(`${safeName(this.opts.name)}-${label}-${Date.now()}-${process.pid}.log`);
    let memberArgs: string[];
    let confFile: string | null = null;
    if (this.opts.memberList === 'file') {
      confFile = join(this.root, `cluster-${label}.conf`);
      await writeFile(confFile, `${addresses.join('\n')}\n`);
      memberArgs = ['--cluster-conf', confFile];
    } else {
      memberArgs = ['--members', addresses.join(',')];
    }
    const properties = { 'nomen.cluster.secret': this.secret, ...(this.opts.properties ?? {}) };
    const m = new ClusterMember(`${this.opts.name}-${label}`, port, dataDir, logFile, memberArgs, properties);
    m.confFile = confFile;
    this.members.push(m);
    return m;
  }

  /** Rewrites a `file`-mode member's cluster.conf (atomically enough for a 1 s poller: one write). */
  async writeConf(m: ClusterMember, addresses: readonly string[]): Promise<void> {
    if (!m.confFile) throw new Error(`member ${m.name} does not use a cluster.conf`);
    await writeFile(m.confFile, `${addresses.join('\n')}\n`);
  }

  member(label: 'A' | 'B' | 'C' | string): ClusterMember {
    const m = this.members.find((x) => x.name.endsWith(`-${label}`));
    if (!m) throw new Error(`no member ${label}`);
    return m;
  }

  byAddress(address: string): ClusterMember {
    const m = this.members.find((x) => x.address === address);
    if (!m) throw new Error(`no member ${address}`);
    return m;
  }

  get addresses(): string[] {
    return this.members.map((m) => m.address);
  }

  /** Kills every member (SIGKILL: nothing to drain in tests) and removes all data. */
  async dispose(): Promise<void> {
    await Promise.allSettled(this.members.map((m) => m.dispose()));
    await rm(this.root, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------
// Figures

/** Nearest-rank percentile of a list of numbers (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1]!;
}

/** One line of measured figures, greppable in the test output (`[figure] ...`). */
export function figure(text: string): void {
  process.stdout.write(`[figure] ${text}\n`);
}
