/**
 * Parent-side wrapper of one Nacos Rust SDK client running in `rust-child.mjs` (its constructor
 * blocks the event loop, so it cannot live in the test process). Every call is bounded in time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { artifactPath, endLog, REPO_ROOT, safeWrite, trackChild, waitForExit } from './server.js';

const CHILD_SCRIPT = join(REPO_ROOT, 'test', 'integration', 'helpers', 'rust-child.mjs');

/** Instance as the binding takes and returns it (index.d.ts `NacosServiceInstance`). */
export interface RustInstance {
  instanceId?: string;
  ip: string;
  port: number;
  weight?: number;
  healthy?: boolean;
  enabled?: boolean;
  ephemeral?: boolean;
  clusterName?: string;
  serviceName?: string;
  metadata?: Record<string, string>;
}

/** A subscribe() listener invocation, as reported by the child. */
export interface PushEvent {
  /** Order of arrival, per child process, from 0. */
  seq: number;
  /** Which SDK client of the child (0 unless it hosts several). */
  client: number;
  /** Arrival time in the test process (Date.now()). */
  at: number;
  subId: string;
  service: string;
  group: string;
  error: string | null;
  hosts: RustInstance[];
  /** A config client's addListener invocation: the NacosConfigResponse (service = dataId). */
  config?: RustConfigResponse | null;
}

/** `NacosConfigResponse` of the binding (index.d.ts). */
export interface RustConfigResponse {
  namespace: string;
  dataId: string;
  group: string;
  content: string;
  contentType: string;
  md5: string;
}

type ChildMessage =
  | { type: 'ready' }
  | { type: 'fatal'; error: string }
  | { type: 'result'; id: number | null; ok: true; value: unknown }
  | { type: 'result'; id: number | null; ok: false; error: string }
  | { type: 'event'; client?: number; subId: string; service: string; group: string; error: string | null; hosts: RustInstance[]; config?: RustConfigResponse | null };

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface RustClientOptions {
  /** Label for logs and the scratch HOME. */
  label: string;
  /** Constructor wait (default 20 s; with `count`, for all of them). */
  startTimeoutMs?: number;
  /** SDK clients hosted by the child (default 1); address one with `call(cmd, args, ms, i)`. */
  count?: number;
  /** Constructor attempts per client (default 1): retried 500 ms apart when it throws. */
  connectAttempts?: number;
  /** ClientOptions `username`/`password`: the SDK logs in over HTTP and sends `accessToken` on gRPC. */
  username?: string;
  password?: string;
  /** `config`: the child builds a NacosConfigClient (default: NacosNamingClient). */
  kind?: 'naming' | 'config';
}

export class RustClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  readonly events: PushEvent[] = [];
  private eventWaiters: (() => void)[] = [];
  private exited = false;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    private readonly log: WriteStream,
    readonly home: string,
  ) {}

  /** Spawns the child with HOME set to a scratch directory, and waits for the SDK constructor to return. */
  /** `server`: a port on 127.0.0.1, or a whole `serverAddr` (e.g. `127.0.0.1:p1,127.0.0.1:p2`). */
  static async start(server: number | string, opts: RustClientOptions): Promise<RustClient> {
    const stamp = `${opts.label}-${Date.now()}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
    const home = artifactPath(join('rust-homes', stamp));
    mkdirSync(home, { recursive: true });
    const log = createWriteStream(join(home, 'child.log'), { flags: 'a' });
    const serverAddr = typeof server === 'number' ? `127.0.0.1:${server}` : server;
    const auth = opts.username !== undefined ? [JSON.stringify({ username: opts.username, password: opts.password ?? '' })] : [];
    const child = spawn(process.execPath, [CHILD_SCRIPT, serverAddr, String(opts.count ?? 1), ...auth], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, HOME: home, NACOS_CLIENT_LOGGER_LEVEL: 'INFO', RUST_CHILD_CONNECT_ATTEMPTS: String(opts.connectAttempts ?? 1), RUST_CHILD_KIND: opts.kind ?? 'naming' },
    });
    trackChild(child);
    const c = new RustClient(opts.label, child, log, home);
    child.stderr?.on('data', (b: Buffer) => safeWrite(log, b));
    // Writing to a dead child's stdin raises EPIPE asynchronously: the exit handler reports it.
    child.stdin?.on('error', () => undefined);

    const ready = new Promise<void>((resolve, reject) => {
      const timeoutMs = opts.startTimeoutMs ?? 20_000;
      const timer = setTimeout(() => reject(new Error(`rust client ${opts.label}: constructor did not return within ${timeoutMs} ms (see ${home})`)), timeoutMs);
      c.onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      c.onFatal = (msg) => {
        clearTimeout(timer);
        reject(new Error(`rust client ${opts.label}: ${msg} (see ${home})`));
      };
    });
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => c.onLine(line));
    child.once('exit', (code, signal) => {
      c.exited = true;
      safeWrite(log, `\n===== child exited code=${String(code)} signal=${String(signal)}\n`);
      c.onFatal(`child exited (code ${String(code)}, signal ${String(signal)})`);
      for (const [, p] of c.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`rust client ${opts.label}: child exited before answering`));
      }
      c.pending.clear();
      c.wakeWaiters();
    });
    try {
      await ready;
    } catch (e) {
      await c.kill();
      throw e;
    }
    return c;
  }

  private onReady: () => void = () => undefined;
  private onFatal: (msg: string) => void = () => undefined;

  private onLine(line: string): void {
    safeWrite(this.log, `${line}\n`);
    let msg: ChildMessage;
    try {
      msg = JSON.parse(line) as ChildMessage;
    } catch {
      return; // stray output from the SDK
    }
    switch (msg.type) {
      case 'ready':
        this.onReady();
        break;
      case 'fatal':
        this.onFatal(msg.error);
        break;
      case 'event':
        this.events.push({ seq: this.events.length, client: msg.client ?? 0, at: Date.now(), subId: msg.subId, service: msg.service, group: msg.group, error: msg.error, hosts: msg.hosts, config: msg.config ?? null });
        this.wakeWaiters();
        break;
      case 'result': {
        if (msg.id === null) return;
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new Error(msg.error));
        break;
      }
    }
  }

  private wakeWaiters(): void {
    const w = this.eventWaiters;
    this.eventWaiters = [];
    for (const f of w) f();
  }

  /** Runs `cmd` on SDK client `client` of the child. */
  call(cmd: string, args: object, timeoutMs = 10_000, client = 0): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error(`rust client ${this.label} is not running`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`rust client ${this.label}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin?.write(`${JSON.stringify({ id, cmd, args, client })}\n`);
    });
  }

  // ---------------------------------------------------------------- SDK calls

  async register(service: string, instance: RustInstance, group = 'DEFAULT_GROUP'): Promise<void> {
    await this.call('register', { service, group, instance });
  }

  async deregister(service: string, instance: RustInstance, group = 'DEFAULT_GROUP'): Promise<void> {
    await this.call('deregister', { service, group, instance });
  }

  async batchRegister(service: string, instances: RustInstance[], group = 'DEFAULT_GROUP'): Promise<void> {
    await this.call('batchRegister', { service, group, instances });
  }

  async getAllInstances(service: string, opts: { group?: string; clusters?: string[]; subscribe?: boolean } = {}): Promise<RustInstance[]> {
    const v = await this.call('getAllInstances', { service, group: opts.group ?? 'DEFAULT_GROUP', clusters: opts.clusters ?? null, subscribe: opts.subscribe ?? true });
    return v as RustInstance[];
  }

  async selectInstances(
    service: string,
    opts: { group?: string; clusters?: string[]; subscribe?: boolean; healthy?: boolean } = {},
  ): Promise<RustInstance[]> {
    const v = await this.call('selectInstances', {
      service,
      group: opts.group ?? 'DEFAULT_GROUP',
      clusters: opts.clusters ?? null,
      subscribe: opts.subscribe ?? true,
      healthy: opts.healthy ?? true,
    });
    return v as RustInstance[];
  }

  /** Subscribes; listener invocations arrive in `events` tagged with `subId`. */
  async subscribe(service: string, subId: string, opts: { group?: string; clusters?: string[] } = {}): Promise<void> {
    await this.call('subscribe', { service, group: opts.group ?? 'DEFAULT_GROUP', clusters: opts.clusters ?? null, subId });
  }

  /**
   * The first listener event (already received or future) matching `pred`. Rejects after
   * `timeoutMs` with the events seen so far in the message.
   */
  async waitForEvent(pred: (e: PushEvent) => boolean, timeoutMs: number, what = 'a matching push event'): Promise<PushEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0 || this.exited) {
        const seen = this.events.map((e) => `#${e.seq} ${e.subId} [${e.hosts.map((h) => `${h.ip}:${h.port}`).join(',')}]`).join('; ');
        throw new Error(`rust client ${this.label}: ${this.exited ? 'child exited' : `no ${what} within ${timeoutMs} ms`}; events seen: ${seen || 'none'}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.eventWaiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  // ---------------------------------------------------------------- lifecycle

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Crash: SIGKILL the child (the SDK gets no chance to deregister). */
  async kill(): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGKILL');
      await waitForExit(this.child, 5000);
    }
    await endLog(this.log);
  }

  /** Polite exit; SIGKILL after 3 s. */
  async close(): Promise<void> {
    if (!this.exited) {
      this.child.stdin?.write(`${JSON.stringify({ id: 0, cmd: 'exit', args: {} })}\n`);
      if (!(await waitForExit(this.child, 3000))) this.child.kill('SIGKILL');
      await waitForExit(this.child, 5000);
    }
    await endLog(this.log);
  }
}

/** The clients a suite started, killed together at its end. */
export class RustClientSet {
  private readonly started: RustClient[] = [];

  async start(server: number | string, opts: RustClientOptions): Promise<RustClient> {
    const c = await RustClient.start(server, opts);
    this.started.push(c);
    return c;
  }

  async killAll(): Promise<void> {
    await Promise.allSettled(this.started.map((c) => c.kill()));
  }
}

/** `ip:port` of hosts, sorted. */
export function hostAddrs(hosts: readonly RustInstance[]): string[] {
  return hosts.map((h) => `${h.ip}:${h.port}`).sort();
}

/** Matches the events of subscription `subId` whose host set is exactly `expected`, arriving after `afterSeq`. */
export const pushedHosts =
  (subId: string, expected: readonly string[], afterSeq = -1) =>
  (e: PushEvent): boolean =>
    e.subId === subId && e.seq > afterSeq && e.error === null && JSON.stringify(hostAddrs(e.hosts)) === JSON.stringify([...expected].sort());

/**
 * Longest time any of `expected` (`ip:port`) was missing from a subscriber's view, over the
 * listener events at or after `from` (each subscriber — client × subId — is assumed to see all of
 * them at `from`). An address still missing at `end` counts up to `end`.
 */
export function longestGap(events: readonly PushEvent[], expected: readonly string[], from: number, end: number): { gap: number; where: string } {
  const missingSince = new Map<string, number>();
  let gap = 0;
  let where = 'none';
  for (const e of events) {
    if (e.at < from || e.error !== null) continue;
    const have = new Set(hostAddrs(e.hosts));
    for (const a of expected) {
      const key = `${a} on client ${e.client}/${e.subId}`;
      const since = missingSince.get(key);
      if (!have.has(a)) {
        if (since === undefined) missingSince.set(key, e.at);
      } else if (since !== undefined) {
        missingSince.delete(key);
        if (e.at - since > gap) [gap, where] = [e.at - since, key];
      }
    }
  }
  for (const [key, since] of missingSince) if (end - since > gap) [gap, where] = [end - since, `${key} (never came back)`];
  return { gap, where };
}
