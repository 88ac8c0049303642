/**
 * Process control for the benchmark: CPU pinning (taskset), spawning the server under test and the
 * load generators, readiness polling, RSS, and making sure every child we started is killed when
 * the orchestrator exits (normally, on error, or on Ctrl-C).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_DIR = join(ROOT, 'bench');

// ---------------------------------------------------------------------------------------------
// CPU pinning

let tasksetChecked: boolean | undefined;

export function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    const r = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    tasksetChecked = r.status === 0;
  }
  return tasksetChecked;
}

export function cpuCount(): number {
  return availableParallelism();
}

/** Whether processes can be pinned to two distinct cores (server on 0, load on 1). */
export function canPin(): boolean {
  return hasTaskset() && cpuCount() >= 2;
}

/** `[cmd, args]` prefixed with `taskset -c <cpu>` when pinning is possible. */
export function pinnedCommand(cpu: number | null, cmd: string, args: readonly string[]): [string, string[]] {
  if (cpu === null || !hasTaskset() || cpu >= cpuCount()) return [cmd, [...args]];
  return ['taskset', ['-c', String(cpu), cmd, ...args]];
}

/** Pins this (orchestrator) process, all threads, to `cpu`; returns whether it worked. */
export function pinSelf(cpu: number): boolean {
  if (!hasTaskset() || cpu >= cpuCount()) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------------------------------------
// Child bookkeeping and cleanup

const children = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export function killAllChildren(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill(signal);
      } catch {
        // already gone
      }
    }
  }
}

let cleanupInstalled = false;

/** Kills every child we spawned when this process exits, is interrupted, or crashes. */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => killAllChildren('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping children\n`);
      killAllChildren('SIGKILL');
      process.exit(130);
    });
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      res(true);
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitExit(child, graceMs))) {
    child.kill('SIGKILL');
    await waitExit(child, 2000);
  }
}

// ---------------------------------------------------------------------------------------------
// Ports, HTTP probes, RSS

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });
}

/** A port P such that P and P+1000 (and P+1001) are free on the host. */
export async function freePortPair(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 9000);
    if ((await portFree(p, host)) && (await portFree(p + 1000, host)) && (await portFree(p + 1001, host))) return p;
  }
  throw new Error('no free port pair found');
}

/**
 * Main ports for `n` members on one host: each with its SDK (+1000) and cluster (+1001) ports free,
 * and no member's ports falling on another's (main ports more than 1001 apart).
 */
export async function freeMemberPorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const p = await freePortPair(host);
    if (ports.every((q) => Math.abs(q - p) > 1001)) ports.push(p);
  }
  return ports;
}

/** GET a URL on loopback; resolves with status and body (bounded by `timeoutMs`). */
export function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      r.on('error', rej);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

export interface Rss {
  rssKb: number;
  hwmKb: number;
  /** RssAnon: the anonymous part of VmRSS (heap, stacks; not the mapped files). */
  anonKb: number;
}

/** VmRSS, VmHWM and RssAnon of a process from /proc/<pid>/status (Linux). */
export function readRss(pid: number): Rss | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(s);
    const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(s);
    const anon = /^RssAnon:\s+(\d+)\s+kB/m.exec(s);
    if (!rss) return null;
    return { rssKb: Number(rss[1]), hwmKb: hwm ? Number(hwm[1]) : NaN, anonKb: anon ? Number(anon[1]) : NaN };
  } catch {
    return null;
  }
}

let clkTck: number | undefined;

/** CPU time (user + system, seconds) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | null {
  try {
    clkTck ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is field 3, utime 14, stime 15.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / clkTck;
  } catch {
    return null;
  }
}

/** CPU seconds of one process so far split by thread: its main (JavaScript) thread and all others (libuv pool, V8 GC/compiler), user and system time each. */
export interface ThreadCpu {
  mainUser: number;
  mainSys: number;
  otherUser: number;
  otherSys: number;
}

/** ThreadCpu from /proc/<pid>/task/<tid>/stat (Linux); null when it cannot be read. */
export function threadCpuSeconds(pid: number): ThreadCpu | null {
  try {
    clkTck ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const out: ThreadCpu = { mainUser: 0, mainSys: 0, otherUser: 0, otherSys: 0 };
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let s: string;
      try {
        s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // the thread ended meanwhile
      }
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const user = Number(f[11]) / clkTck;
      const sys = Number(f[12]) / clkTck;
      if (Number(tid) === pid) {
        out.mainUser += user;
        out.mainSys += sys;
      } else {
        out.otherUser += user;
        out.otherSys += sys;
      }
    }
    return out;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
export function machineCpuSeconds(): number | null {
  try {
    clkTck ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return cpuTotals().busy / clkTck;
  } catch {
    return null;
  }
}

export interface CpuSamples {
  server: (number | null)[];
  self: number[];
  machine: (number | null)[];
}

/** Schedules CPU samples of `pid`, of this process and of the machine at the given performance.now() instants. */
export function sampleCpuAt(pid: number | undefined, at: readonly number[]): CpuSamples {
  const out: CpuSamples = { server: [], self: [], machine: [] };
  at.forEach((t, i) => {
    setTimeout(() => {
      out.server[i] = pid !== undefined ? cpuSeconds(pid) : null;
      const u = process.cpuUsage();
      out.self[i] = (u.user + u.system) / 1e6;
      out.machine[i] = machineCpuSeconds();
    }, Math.max(0, t - performance.now()));
  });
  return out;
}

/**
 * CPU used by everything else on the machine (cores) per interval: machine busy minus the server
 * and this process. Includes kernel work (softirq) not charged to either process.
 */
export function foreignCpu(s: CpuSamples, intervalMs: number): (number | null)[] {
  const m = utilisation(s.machine, intervalMs);
  const a = utilisation(s.server, intervalMs);
  const b = utilisation(s.self, intervalMs);
  return m.map((x, i) => (x === null || a[i] === null || a[i] === undefined || b[i] === null || b[i] === undefined ? null : x - a[i]! - b[i]!));
}

/** Per-interval utilisation (CPU seconds / wall seconds) from consecutive samples. */
export function utilisation(samples: readonly (number | null)[], intervalMs: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    out.push(a === null || a === undefined || b === null || b === undefined ? null : (b - a) / (intervalMs / 1000));
  }
  return out;
}

function cpuTotals(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Cores' worth of CPU busy on the whole machine over `ms` (e.g. 1.0 = one core fully busy). */
export async function machineBusy(ms = 500): Promise<number> {
  try {
    const a = cpuTotals();
    await sleep(ms);
    const b = cpuTotals();
    return b.total === a.total ? 0 : ((b.busy - a.busy) / (b.total - a.total)) * cpuCount();
  } catch {
    return 0;
  }
}

/**
 * Waits (bounded) until the machine is quiet: nothing of ours runs between phases, so any CPU
 * use is someone else's and would distort the next measurement. Returns the last busy level.
 */
export async function waitQuiet(maxWaitMs: number, threshold = 0.15, sampleMs = 400): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let busy = await machineBusy(sampleMs);
  while (busy > threshold && Date.now() < deadline) busy = await machineBusy(1000);
  return busy;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The server under test

export interface ServerOptions {
  port: number;
  dataDir: string;
  logFile: string;
  cpu: number | null;
  properties?: Record<string, string>;
  nodeArgs?: string[];
  readyTimeoutMs?: number;
}

export interface ServerHandle extends ProcessHandle {
  readonly port: number;
  readonly grpcAddress: string;
  readonly baseUrl: string;
}

export async function startNomen(o: ServerOptions): Promise<ServerHandle> {
  mkdirSync(o.dataDir, { recursive: true });
  const args = [
    ...(o.nodeArgs ?? []),
    join(ROOT, 'dist', 'cli.js'),
    'start',
    '--port',
    String(o.port),
    '--host',
    '127.0.0.1',
    '--data-dir',
    o.dataDir,
    '--standalone',
    ...Object.entries(o.properties ?? {}).flatMap(([k, v]) => ['--property', `${k}=${v}`]),
  ];
  const baseUrl = `http://127.0.0.1:${o.port}`;
  const p = await startProcess({
    name: 'nomen',
    cmd: process.execPath,
    args,
    cwd: ROOT,
    logFile: o.logFile,
    cpu: o.cpu,
    readyTimeoutMs: o.readyTimeoutMs,
    ready: async () => (await httpGet(`${baseUrl}/nacos/v1/console/health/readiness`, 500)).status === 200,
  });
  return { ...p, port: o.port, grpcAddress: `127.0.0.1:${o.port + 1000}`, baseUrl };
}

/** A server process (Nomen or a peer) started by {@link startProcess}. */
export interface ProcessHandle {
  readonly pid: number;
  /** ms from spawn() to the first successful readiness probe. */
  readonly readyMs: number;
  rss(): Rss | null;
  stop(): Promise<void>;
  alive(): boolean;
}

export interface ProcessOptions {
  name: string;
  cmd: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  cpu: number | null;
  /** Probe polled every 5 ms until it resolves true (a throw counts as not ready). */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

/** Spawns a server (pinned to `cpu`, output to `logFile`) and waits for its readiness probe. */
export async function startProcess(o: ProcessOptions): Promise<ProcessHandle> {
  mkdirSync(dirname(o.logFile), { recursive: true });
  const [cmd, full] = pinnedCommand(o.cpu, o.cmd, o.args);
  const fd = openSync(o.logFile, 'w');
  const t0 = performance.now();
  const child = spawn(cmd, full, { cwd: o.cwd ?? ROOT, env: o.env ?? process.env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  track(child);
  const timeout = o.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeout;
  let readyMs = NaN;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${o.name} exited during start (code ${child.exitCode}, signal ${child.signalCode}); see ${o.logFile}`);
    }
    let ok = false;
    try {
      ok = await o.ready();
    } catch {
      // not listening yet
    }
    if (ok) {
      readyMs = performance.now() - t0;
      break;
    }
    await sleep(5);
  }
  if (!Number.isFinite(readyMs)) {
    await stopChild(child, 1000);
    throw new Error(`${o.name} not ready within ${timeout} ms; see ${o.logFile}`);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('no pid');
  return {
    pid,
    readyMs,
    rss: () => readRss(pid),
    stop: () => stopChild(child),
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

// ---------------------------------------------------------------------------------------------
// Helper scripts (load generators, baselines) speaking JSON lines on stdout

export interface ScriptEvent {
  event: string;
  [k: string]: unknown;
}

export class ScriptProcess {
  private readonly events: ScriptEvent[] = [];
  private readonly waiters: { name: string; resolve: (e: ScriptEvent) => void }[] = [];
  private readonly stderrTail: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    verbose: boolean,
  ) {
    track(child);
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('{')) {
          if (verbose) process.stderr.write(`[${name}] ${line}\n`);
          return;
        }
        let e: ScriptEvent;
        try {
          e = JSON.parse(line) as ScriptEvent;
        } catch {
          return;
        }
        if (e.event === 'log') {
          if (verbose) process.stderr.write(`[${name}] ${String(e.msg)}\n`);
          return;
        }
        const i = this.waiters.findIndex((w) => w.name === e.event);
        if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(e);
        else this.events.push(e);
      });
    }
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 40) this.stderrTail.shift();
        if (verbose) process.stderr.write(`[${name}!] ${line}\n`);
      });
    }
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  stderr(): string {
    return this.stderrTail.join('\n');
  }

  /** Resolves with the next event of that name; rejects on exit or timeout. */
  waitEvent(name: string, timeoutMs: number): Promise<ScriptEvent> {
    const i = this.events.findIndex((e) => e.event === name);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = {
        name,
        resolve: (e: ScriptEvent) => {
          clearTimeout(t);
          resolve(e);
        },
      };
      const t = setTimeout(() => {
        const idx = this.waiters.indexOf(w);
        if (idx >= 0) this.waiters.splice(idx, 1);
        reject(new Error(`${this.name}: no '${name}' within ${timeoutMs} ms\n${this.stderr()}`));
      }, timeoutMs);
      this.waiters.push(w);
      void this.exited.then((code) => {
        // Let buffered stdout lines be delivered before giving up.
        setTimeout(() => {
          if (this.waiters.includes(w)) {
            clearTimeout(t);
            this.waiters.splice(this.waiters.indexOf(w), 1);
            const err = this.events.find((e) => e.event === 'error');
            reject(new Error(`${this.name} exited (code ${code}) before '${name}': ${err ? String(err.message) : ''}\n${this.stderr()}`));
          }
        }, 50);
      });
    });
  }

  /** Sends a line on stdin (the scripts use it for "stop"). */
  send(line: string): void {
    this.child.stdin?.write(line + '\n');
  }

  async stop(graceMs = 10_000): Promise<void> {
    try {
      this.child.stdin?.end();
    } catch {
      // closed
    }
    const t = setTimeout(() => void stopChild(this.child, 2000), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** Runs `bench/<script>` with `node --import tsx`, pinned to `cpu`, args passed as one JSON argv. */
export function runScript(script: string, args: object, cpu: number | null, opts: { verbose?: boolean; nodeArgs?: string[] } = {}): ScriptProcess {
  const nodeArgs = [...(opts.nodeArgs ?? []), '--import', 'tsx', join(BENCH_DIR, script), JSON.stringify(args)];
  const [cmd, full] = pinnedCommand(cpu, process.execPath, nodeArgs);
  const child = spawn(cmd, full, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  return new ScriptProcess(script, child, opts.verbose ?? false);
}
