/**
 * Integration-test harness: runs the real server (`node dist/cli.js start ...`) as a child process
 * on loopback, with a fresh data directory, and talks to it over real HTTP.
 *
 * Everything is bounded in time; every process started here is tracked and SIGKILLed on process
 * exit as a last resort (tests should still call `dispose()` in an `after()` hook).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts');
/** The server entry point; NOMEN_IT_SERVER_SCRIPT overrides it (to debug the harness against another build). */
const CLI = process.env.NOMEN_IT_SERVER_SCRIPT ?? join(REPO_ROOT, 'dist', 'cli.js');
const LOOPBACK = '127.0.0.1';

// ------------------------------------------------------------------------------------------------
// Process bookkeeping: nothing we start may outlive the test process.

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllChildren(): void {
  for (const c of liveChildren) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Tracks a child so that it is SIGKILLed if the test process exits (or is told to stop by
 * SIGTERM/SIGINT, e.g. by the test runner) while the child still runs.
 */
export function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killAllChildren);
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        killAllChildren();
        process.exit(sig === 'SIGTERM' ? 143 : 130);
      });
    }
  }
}

/** Resolves when the child has exited (immediately if it already has); false on timeout. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => {
      child.off('exit', onExit);
      res(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(t);
      res(true);
    };
    child.once('exit', onExit);
  });
}

/** What a server process that was expected to refuse its start did. */
export interface RefusedStart {
  /** False: still running at the deadline (then SIGKILLed). */
  exited: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli.js start <args>` (env: this process's, plus `env`; `undefined` values are
 * removed) and waits for it to exit, at most `timeoutMs`. For starts that must be refused.
 */
export async function runStartToExit(args: readonly string[], timeoutMs: number, env: Record<string, string | undefined> = {}): Promise<RefusedStart> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const child = spawn(process.execPath, [CLI, 'start', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = await waitForExit(child, timeoutMs);
  if (!exited) await killChild(child);
  // Let the pipes drain.
  await sleep(50);
  return { exited, code: child.exitCode, stdout, stderr };
}

// ------------------------------------------------------------------------------------------------
// Small utilities

/** Graceful stop of a server process: SIGTERM, then SIGKILL after 5 s (noted in its log). */
export async function stopChild(c: ChildProcess, log: WriteStream): Promise<void> {
  c.kill('SIGTERM');
  if (!(await waitForExit(c, 5000))) {
    safeWrite(log, '\n===== did not exit 5 s after SIGTERM: SIGKILL\n');
    await killChild(c);
  }
}

/** Crash a process: SIGKILL, and wait until it is gone. */
export async function killChild(c: ChildProcess): Promise<void> {
  c.kill('SIGKILL');
  await waitForExit(c, 5000);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` until it returns something other than `undefined` (use `cond ? true : undefined` for
 * predicates), bounded by `timeoutMs`. A throwing `fn` counts as "not yet"; the last error is put
 * into the timeout message.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? `: last error ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => res(false));
    srv.listen({ port, host: LOOPBACK, exclusive: true }, () => srv.close(() => res(true)));
  });
}

/**
 * A random loopback port P such that P (HTTP), P+1000 (SDK gRPC) and P+1001 (cluster gRPC) are free
 * right now. Random rather than sequential, so parallel test files rarely collide; the server
 * start is retried on a new port if it loses a race anyway.
 */
export async function findFreePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below Linux's ephemeral range (32768–60999 by default), so that an outgoing connection of a
    // parallel test cannot take the port between this check and the server's bind.
    const p = 10000 + Math.floor(Math.random() * 21000);
    if ((await canListen(p)) && (await canListen(p + 1000)) && (await canListen(p + 1001))) return p;
  }
  throw new Error('no free port pair found on 127.0.0.1');
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return join(ARTIFACTS_DIR, name);
}

/** Writes unless the stream was ended (child output can trail its 'exit' event). */
export function safeWrite(w: WriteStream, chunk: string | Buffer): void {
  if (!w.writableEnded && !w.destroyed) w.write(chunk);
}

export function endLog(w: WriteStream): Promise<void> {
  if (w.writableEnded || w.destroyed) return Promise.resolve();
  return new Promise<void>((r) => w.end(() => r()));
}

function safeName(s: string): string {
  return s.replace(/[^a-zA-Z0-9._-]+/g, '_');
}

// ------------------------------------------------------------------------------------------------
// HTTP

export type QueryValue = string | number | boolean;

export interface HttpResult {
  status: number;
  text: string;
  contentType: string;
}

export interface HttpOptions {
  query?: Record<string, QueryValue>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, QueryValue>;
  /** Extra request headers (e.g. a peer's `User-Agent: Nacos-Server:x`). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

function toParams(o: Record<string, QueryValue>): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) p.append(k, String(v));
  return p;
}

/** One HTTP request to 127.0.0.1:port; bounded by a timeout (default 5 s). */
export async function httpRequest(port: number, method: string, path: string, opts: HttpOptions = {}): Promise<HttpResult> {
  const qs = opts.query ? `?${toParams(opts.query).toString()}` : '';
  const init: RequestInit = { method, signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) };
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.form) {
    init.body = toParams(opts.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (Object.keys(headers).length > 0) init.headers = headers;
  const res = await fetch(`http://${LOOPBACK}:${port}${path}${qs}`, init);
  const text = await res.text();
  return { status: res.status, text, contentType: res.headers.get('content-type') ?? '' };
}

/** Parses a JSON body, with the raw text in the error message when it is not JSON. */
export function jsonOf<T>(r: HttpResult): T {
  try {
    return JSON.parse(r.text) as T;
  } catch {
    throw new Error(`expected JSON, got HTTP ${r.status}: ${r.text.slice(0, 500)}`);
  }
}

/** The parts of an HTTP v1 ServiceInfo host the tests look at. */
export interface HttpHost {
  ip: string;
  port: number;
  healthy: boolean;
  enabled: boolean;
  ephemeral: boolean;
  weight: number;
  clusterName: string;
  metadata: Record<string, string>;
}

export interface HttpServiceInfo {
  name: string;
  clusters: string;
  hosts: HttpHost[];
}

// ------------------------------------------------------------------------------------------------
// The server

export interface ServerOptions {
  /** Used in the log file name. */
  name: string;
  /** Extra `--property key=value` settings. */
  properties?: Record<string, string | number | boolean>;
  /** Readiness wait (default 15 s). */
  readyTimeoutMs?: number;
  /** Extra environment of the server process (e.g. libfaketime's). */
  env?: Record<string, string>;
}

export class TestServer {
  private child: ChildProcess | null = null;
  private log: WriteStream;
  private starts = 0;

  private constructor(
    readonly name: string,
    public port: number,
    readonly dataDir: string,
    readonly logFile: string,
    private readonly properties: Record<string, string | number | boolean>,
    private readonly readyTimeoutMs: number,
    private readonly env: Record<string, string> = {},
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  /** Starts a server on a fresh port pair and data directory, and waits until it is ready. */
  static async start(opts: ServerOptions): Promise<TestServer> {
    const dataDir = await mkdtemp(join(tmpdir(), `nomen-it-${safeName(opts.name)}-`));
    const logFile = artifactPath(`${safeName(opts.name)}-${Date.now()}-${process.pid}.log`);
    const s = new TestServer(opts.name, 0, dataDir, logFile, opts.properties ?? {}, opts.readyTimeoutMs ?? 45_000, opts.env);
    let lastErr: unknown;
    // A port found free may be taken by a parallel test file before the server binds it: retry.
    for (let attempt = 0; attempt < 3; attempt++) {
      s.port = await findFreePortPair();
      try {
        await s.launch();
        return s;
      } catch (e) {
        lastErr = e;
        await s.kill9();
      }
    }
    await s.dispose();
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
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

  private async launch(): Promise<void> {
    this.starts++;
    const args = [CLI, 'start', '--port', String(this.port), '--host', LOOPBACK, '--data-dir', this.dataDir, '--standalone'];
    for (const [k, v] of Object.entries(this.properties)) args.push('--property', `${k}=${String(v)}`);
    safeWrite(this.log, `\n===== start #${this.starts} at ${new Date().toISOString()}: node ${args.join(' ')}\n`);
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    trackChild(child);
    this.child = child;
    child.stdout?.on('data', (b: Buffer) => safeWrite(this.log, b));
    child.stderr?.on('data', (b: Buffer) => safeWrite(this.log, b));
    child.once('exit', (code, signal) => safeWrite(this.log, `\n===== exited code=${String(code)} signal=${String(signal)} at ${new Date().toISOString()}\n`));

    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`server ${this.name} exited during startup (code ${String(child.exitCode)}); see ${this.logFile}`);
      try {
        const r = await httpRequest(this.port, 'GET', '/nacos/v1/console/health/readiness', { timeoutMs: 1000 });
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server ${this.name} not ready after ${this.readyTimeoutMs} ms; see ${this.logFile}`);
      await sleep(100);
    }
  }

  /** Graceful stop: SIGTERM, then SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.child && this.running) await stopChild(this.child, this.log);
  }

  /** Crash: SIGKILL, and wait until the process is gone. */
  async kill9(): Promise<void> {
    if (this.child && this.running) await killChild(this.child);
  }

  /** Starts the server again on the same port and data directory (stops it first if running). */
  async restart(): Promise<void> {
    await this.stop();
    // The old process is gone, so its ports are free; retry a little in case the OS lags.
    let lastErr: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.launch();
        return;
      } catch (e) {
        lastErr = e;
        await this.kill9();
        await sleep(500);
      }
    }
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  }

  /** Stops the server (SIGKILL if needed), closes the log and removes the data directory. */
  async dispose(): Promise<void> {
    await this.stop();
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

  /** GET /nacos/v1/ns/instance/list (no udpPort: not a subscription) → parsed ServiceInfo. */
  async listInstances(serviceName: string, extra: Record<string, QueryValue> = {}): Promise<HttpServiceInfo> {
    const r = await this.get('/nacos/v1/ns/instance/list', { serviceName, ...extra });
    if (r.status !== 200) throw new Error(`instance/list ${serviceName}: HTTP ${r.status} ${r.text}`);
    return jsonOf<HttpServiceInfo>(r);
  }
}

/** `ip:port` strings of hosts, sorted: easy to compare with assert.deepEqual. */
export function addrs(hosts: readonly { ip: string; port: number }[]): string[] {
  return hosts.map((h) => `${h.ip}:${h.port}`).sort();
}
